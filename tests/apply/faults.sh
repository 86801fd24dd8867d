# Sourced by tests/integration/faults_*.sh and tests/soak/soak.sh after
# tests/apply/common.sh: waiting for the journal, kbfix in the background,
# and reboot-group overlaps from the simulators' own event logs.
#
#   wait_journal RUN PATTERN [TRIES]   polls RUN/journal.jsonl (20 ms steps)
#   kb_apply_bg PLAN RUN [options]     kbfix apply in the background: $BG_PID
#   group_overlaps PLAN                pairs of one group down together
#   journal_has RUN PATTERN            grep -c of PATTERN in the journal
#   group_max_down PLAN                most members of one group down at once

wait_journal() {
	local run=$1 pat=$2 tries=${3:-1500} k
	for k in $(seq 1 "$tries"); do
		grep -q -- "$pat" "$run/journal.jsonl" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

kb_apply_bg() {
	local plan=$1 run=$2; shift 2
	"$KBFIX" apply "$plan" --bundle "$T_TMP/bundle" --run-dir "$run" \
	    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
	    --reboot-delay 0 "$@" >"$run.out" 2>&1 &
	BG_PID=$!
}

journal_has() { grep -c -- "$2" "$1/journal.jsonl"; }

# From every reboot in the fleet's event logs (a host still down counts as
# down until now) and the groups of PLAN:
#   group_overlaps PLAN   pairs of hosts of one group down at the same time
#   group_max_down PLAN   the most members of one group down at once
group_downtimes() {
	python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$FLEET" |
	    python3 -c '
import json, sys, time
plan = json.load(open(sys.argv[2]))
group = {h["name"]: h.get("group") for h in plan["hosts"]}
now = int(time.time() * 1000)
spans = []
for line in sys.stdin:
    name, start, end = line.split()
    if group.get(name):
        spans.append((name, int(start), now if end == "-" else int(end)))
if sys.argv[1] == "overlaps":
    n = 0
    for i, (a, s1, e1) in enumerate(spans):
        for b, s2, e2 in spans[i + 1:]:
            if a != b and group[a] == group[b] and s1 < e2 and s2 < e1:
                n += 1
                print("# overlap:", a, s1, e1, b, s2, e2, file=sys.stderr)
    print(n)
    sys.exit(0)
best = 0
for g in set(group[a] for a, _, _ in spans):
    cur = 0     # an end sorts before a start at the same instant
    for _, d in sorted(x for a, s, e in spans if group[a] == g
                       for x in ((s, 1), (e, -1))):
        cur += d
        best = max(best, cur)
print(best)' "$1" "$2"
}
group_overlaps() { group_downtimes overlaps "$1"; }
group_max_down() { group_downtimes max "$1"; }

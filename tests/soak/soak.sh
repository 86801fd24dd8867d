#!/usr/bin/env bash
# Soak test (issue 17; `make soak`, not part of `make test`): kbfix apply
# on 60 simulated hosts with random faults (connections dropped once,
# commands hanging once, slow hosts, hosts that never come back from
# their reboot), ten random kill -9 + resume cycles, then resume to the
# end.  It passes when every host is either done and verified on the
# host, or failed with its reason and its prior state (the first capture)
# intact; no two members of a reboot group were ever down together; and
# the journal replays (an independent reading of it here) to the status
# kbfix prints.  SOAK_SEED (default: random, printed) repeats a run.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.18.2}
export FLEET_DOWN_MS=${FLEET_DOWN_MS:-1500}
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

N=60
KILLS=${SOAK_KILLS:-10}
SEED=${SOAK_SEED:-$RANDOM}
echo "# seed $SEED"
RANDOM=$SEED
t_start=$(date +%s)

# Faults, chosen per host by the seed; never-return hosts have no group.
faults=()
drops=(dism "reg add" wmic expand)
noreturn=""
for i in $(seq 0 $((N - 1))); do
	h=$(printf 'w7so-%03d' "$i")
	case $((RANDOM % 10)) in
	0|1) faults+=("--faults=$h:drop=once ${drops[RANDOM % 4]}") ;;
	2)   faults+=("--faults=$h:hang=once reg query") ;;
	3|4) faults+=("--faults=$h:slow=$((50 + RANDOM % 250))") ;;
	esac
done
for i in 7 31 52; do
	h=$(printf 'w7so-%03d' "$i")
	faults+=("--faults=$h:never-return=")
	noreturn="$noreturn $h"
done
check "fleet of $N up" apply_fleet_up $N --profiles=w7so "${faults[@]}" ||
    finish
apply_plan all --groups 10
python3 - "$T_TMP/all.json" $noreturn <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    if h["name"] in sys.argv[2:]:
        h.pop("group", None)
json.dump(p, open(sys.argv[1], "w"), indent=1)
PY
apply_bundle "$T_TMP/all.json"
RUN=$T_TMP/run
OPTS="--canary 0 --parallel 20 --max-fail 100 --reboot-timeout 15
    --command-timeout 6 --connect-timeout 3"

# Ten kills at random moments, of the apply and then of resumes.
kills=0
kb_apply_bg "$T_TMP/all.json" "$RUN" $OPTS
pid=$BG_PID
while :; do
	sleep "$((1 + RANDOM % 6)).$((RANDOM % 10))"
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		[ $kills -ge "$KILLS" ] && break
	else
		kill -KILL "$pid"; wait "$pid" 2>/dev/null
		kills=$((kills + 1))
		echo "# kill $kills after $(wc -l <"$RUN/journal.jsonl") records"
	fi
	[ $kills -ge "$KILLS" ] && break
	"$KBFIX" resume "$RUN" >>"$T_TMP/resume.log" 2>&1 &
	pid=$!
done
check_eq "ten kill -9 + resume cycles" "$KILLS" "$kills"
# Then resume until nothing is left to do (a member that waited too long
# for its group ends interrupted: the next resume finishes it).
for r in 1 2 3; do
	out=$(kbfix resume "$RUN" 2>&1); rc=$?
	[ "$rc" = 0 ] && break
	host_states "$RUN" | grep -qv ' \(done\|failed\)$' || break
done
echo "# $(host_states "$RUN" | awk '{print $2}' | sort | uniq -c | paste -sd' ')"
check_eq "every host done or failed" "" \
    "$(host_states "$RUN" | grep -v ' \(done\|failed\)$')"

# Done hosts: verified on the host itself.
bad=""
for h in $(host_states "$RUN" | awk '$2=="done"{print $1}'); do
	s=$(snap_now "$h")
	printf '%s\n' "$s" | grep -q 'KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed' &&
	printf '%s\n' "$s" | grep -q 'CEIPEnable.*0x0' || bad="$bad $h"
done
check_eq "done hosts: package installed and value set on the host" "" "$bad"
# Failed hosts: a reason, and the first capture is the state before kbfix.
check_eq "failed hosts: each with its reason" "" "$(kbfix status "$RUN" \
    --json | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hosts"]:
    if h["state"] == "failed" and not h["error"]:
        print(h["name"])')"
check_eq "the never-returning hosts failed" "$(echo $noreturn | tr ' ' '\n')" \
    "$(host_states "$RUN" | awk '$2=="failed"{print $1}' | grep -F \
    "$(echo $noreturn | tr ' ' '\n')")"
check_eq "prior state (first capture) as before kbfix, every host" "" \
    "$(python3 - "$RUN/journal.jsonl" <<'PY'
import json, sys
first = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["ev"] == "prior":
        first.setdefault((r["host"], r["kind"]), r)
for (h, k), r in sorted(first.items()):
    if k == "registry" and (r.get("existed") is not True or
                            r.get("data") != "0x1"):
        print(h, k)
    if k == "package" and r.get("installed") is not False:
        print(h, k)
PY
)"
check_eq "reboot groups: never two members down together" 0 \
    "$(group_overlaps "$T_TMP/all.json")"
check "journal sequence complete" journal_seq_ok "$RUN"
# The journal read independently: each host's last end state.
check_eq "the journal replays to the status kbfix prints" \
    "$(host_states "$RUN" | sort)" "$(python3 - "$RUN/journal.jsonl" <<'PY'
import json, sys
state = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["ev"] == "state":
        state[r["host"]] = r["state"]
for h in sorted(state):
    print(h, state[h])
PY
)"
echo "# $(( $(date +%s) - t_start )) s, $(wc -l <"$RUN/journal.jsonl") records"
finish

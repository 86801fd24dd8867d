#!/usr/bin/env bash
# valgrind: skip
# Reboot groups and the maintenance window on the simulated fleet:
# members of a group are never down at the same time (from the
# simulators' event logs); a window too short defers hosts without
# touching them; nothing starts before the window opens; no reboot starts
# after it closes.
. "$(dirname "$0")/../lib.sh"
FLEET_DOWN_MS=700
. "$TOP/tests/apply/common.sh"

check "fleet of 10 up" apply_fleet_up 10 --profiles=w7so \
    --faults=w7so-009:slow=400 || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
snap_all before

# 1. Reboot groups: six hosts in two groups, all in one wave.
apply_plan groups --groups 2 \
    --only w7so-000,w7so-001,w7so-002,w7so-003,w7so-004,w7so-005
out=$(kb_apply "$T_TMP/groups.json" "$T_TMP/run1" --canary 0 \
    --parallel 6 2>&1); rc=$?
check_eq "groups: exit 0" 0 "$rc"
# "host group start end" for each reboot, from events.log
python3 - "$FLEET/hosts" "$T_TMP/groups.json" >"$T_TMP/reboots" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[2]))
for h in plan["hosts"]:
    start = None
    for line in open(os.path.join(sys.argv[1], h["name"], "events.log")):
        ms, _, what = line.rstrip("\n").partition(" ")
        if what == "reboot-start":
            start = int(ms)
        elif what == "reboot-end" and start is not None:
            print(h["name"], h["group"], start, int(ms))
            start = None
PY
check_eq "groups: six reboots" 6 "$(wc -l <"$T_TMP/reboots")"
overlap() {	# overlap same|other: pairs of hosts down at the same time
	awk -v want="$1" '{ h[NR]=$1; g[NR]=$2; s[NR]=$3; e[NR]=$4 }
	END { n = 0
	    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++)
		if (s[i] < e[j] && s[j] < e[i] &&
		    ((g[i] == g[j]) == (want == "same"))) n++
	    print n }' "$T_TMP/reboots"
}
check_eq "groups: members never down together" 0 "$(overlap same)"
check "groups: other groups do reboot in parallel" \
    test "$(overlap other)" -gt 0

# 2. A window too short for the estimate: every host deferred, untouched.
apply_plan short --only w7so-006,w7so-007 --estimate 600
before=$(cat "$FLEET"/hosts/w7so-00[67]/events.log | wc -l)
out=$(kb_apply "$T_TMP/short.json" "$T_TMP/run2" --window now/5m 2>&1); rc=$?
check_eq "short window: exit 3" 3 "$rc"
check_eq "short window: deferred" "w7so-006 deferred
w7so-007 deferred" "$(host_states "$T_TMP/run2")"
check_contains "short window: reason" "$(kbfix status "$T_TMP/run2")" \
    "deferred: needs about 600 s, the window closes in"
check_eq "short window: no command ran" "$before" \
    "$(cat "$FLEET"/hosts/w7so-00[67]/events.log | wc -l)"

# 3. Nothing starts before the window opens; resume in it finishes.
start=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s)
out=$(kbfix resume "$T_TMP/run2" 2>&1); rc=$?
check_eq "deferred hosts stay deferred on resume" 3 "$rc"
apply_plan later --only w7so-006,w7so-007 --estimate 30
out=$(kb_apply "$T_TMP/later.json" "$T_TMP/run3" --window "$start/1h" \
    --canary 0 2>&1); rc=$?
t1=$(date +%s)
check_eq "later window: exit 0" 0 "$rc"
first=$(awk '$2=="cmd"{print int($1/1000); exit}' \
    "$FLEET/hosts/w7so-006/events.log")
check "later window: first command not before it opened" \
    test "$first" -ge "$(date -u -d "$start" +%s)"
check "later window: waited for it" test $((t1 - t0)) -ge 2

# 4. No reboot starts after the window closes: slow commands (400 ms
# each) use up a 4 s window before the reboot step.
apply_plan closing --only w7so-009 --estimate 2
out=$(kb_apply "$T_TMP/closing.json" "$T_TMP/run4" --window now/4s 2>&1)
rc=$?
check_eq "window closed: exit 3" 3 "$rc"
check_contains "window closed: deferred before the reboot" \
    "$(kbfix status "$T_TMP/run4")" \
    "the window closed before the reboot; resume with the next --window"
check "window closed: no reboot" \
    test -z "$(grep reboot-start "$FLEET/hosts/w7so-009/events.log")"
finish

#!/usr/bin/env bash
# valgrind: skip
# Progress an operator can trust (issue 15 item 6): per-wave final
# counts with rolled-back hosts counted as such, the host in a long step
# with its elapsed time and the time left in the window on the terminal's
# live line, timestamped lines per host step off a terminal, and one wave
# numbering (0 the canary, then the plan's waves) in progress, summary
# table and the plan's estimate.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.15.80
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so \
    --down-ms=w7so-000:2500 --down-ms=w7so-002:2500 || finish
apply_plan plan --waves 2
apply_bundle "$T_TMP/plan.json"
echo 0x80070005 >"$(host_dir w7so-002)/faults/add-package-fail"
# plan waves: w7so-000 1, w7so-001 2, w7so-002 1; canary: w7so-000
out=$(kb_apply "$T_TMP/plan.json" "$T_TMP/run" --window now/1h \
    --max-fail 100 2>"$T_TMP/log"); rc=$?
check_eq "exit 3 (one host rolled back)" 3 "$rc"
check_contains "log: wave 0 is the canary" "$T_TMP/log" \
    "wave 0 (canary, 1 of 3) finished: 1 done, 0 failed of 1"
check_contains "log: rolled back counted as such" "$T_TMP/log" \
    "wave 1 (2 of 3) finished: 0 done, 0 failed, 1 rolled back of 1"
check_contains "log: last wave" "$T_TMP/log" \
    "wave 2 (3 of 3) finished: 1 done, 0 failed of 1"
check_contains "log: window time left" "$T_TMP/log" "; window closes in 5"
check "log: timestamped step lines" \
    grep -qE '^20[0-9-]+T[0-9:]+Z w7so-001: install$' "$T_TMP/log"
check_contains "log: the end state with its reason" "$T_TMP/log" \
    "w7so-002: rolled-back (w7so-002: "
check_eq "table: the same wave numbers" "w7so-000 0
w7so-001 2
w7so-002 1" "$(printf '%s\n' "$out" | awk '$1 ~ /^w7so/ {print $1, $2}' | sort)"
check_contains "summary: rolled back apart" "$out" \
    "2 done, 0 failed, 1 rolled back, 0 interrupted, 0 manual, 0 other"
check_contains "plan estimate: counts the canary wave 0" \
    "$(kbfix plan -i "$FLEET/inventory.json" --format text 2>&1 | tr -s '\n ' '  ')" \
    "the canary wave 0 first (apply --canary 1)"

# On a terminal: the live line names the host in its reboot wait and its
# elapsed time, and the time left in the window.
if command -v script >/dev/null; then
	rm "$(host_dir w7so-002)/faults/add-package-fail"
	apply_plan one --only w7so-002
	script -qec "$KBFIX apply $T_TMP/one.json --bundle $T_TMP/bundle \
	    --run-dir $T_TMP/tty --known-hosts $FLEET/known_hosts \
	    -k $FLEET/id_ed25519 --reboot-delay 0 --window now/1h" \
	    "$T_TMP/tty.log" >/dev/null 2>&1
	check "terminal: the long step and its time" \
	    grep -qaE 'w7so-002: wait [0-9]+ s' "$T_TMP/tty.log"
	check_contains "terminal: window time left" "$T_TMP/tty.log" \
	    "window closes in "
fi
finish

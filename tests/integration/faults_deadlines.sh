#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenarios 5 to 8: deadlines compose and the wait for a reboot
# tells its endings apart.
#   (5) the first boot-time query after the reboot hangs: the probe is
#       given up (twice --connect-timeout), the next one sees the host;
#   (6) --command-timeout on apply (a hanging dism costs 3 s, not 600),
#       and resume and rollback take both timeouts;
#   (7) a reboot aborted with shutdown /a during its delay is reported as
#       aborted, not as "did not come back" after the whole timeout;
#   (8) a host key changed during the reboot is reported as such at once;
#   (9) issue 10: an aborted reboot on a host whose LastBootUpTime moved by
#       a second (faults/boot-drift) is still aborted, not a reboot: the
#       new boot must be later than the host's clock at shutdown /r;
#  (10) kbfix killed while the host is down, after the clock is
#       journaled: resume decides by it; the same journal without the
#       clock (an older kbfix's) decides boot against boot.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.50
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

check "fleet of 7 up" apply_fleet_up 7 --profiles=w7so \
    --down-ms=w7so-000:1000 --down-ms=w7so-003:4000 \
    --down-ms=w7so-005:4000 --down-ms=w7so-006:4000 || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
secs() { echo $(( ($2 - $1) / 1000000000 )); }

part5() {
	local H=w7so-000 t0 t1
	apply_plan p5 --only $H
	t0=$(date +%s%N)
	kb_apply_bg "$T_TMP/p5.json" "$T_TMP/r5" --canary 0 \
	    --reboot-timeout 40 --connect-timeout 2
	wait_journal "$T_TMP/r5" '"ev":"intent","host":"'$H'","step":"reboot"'
	echo "once wmic os get lastbootuptime" >"$(host_dir $H)/faults/hang"
	wait "$BG_PID"; rc=$?
	t1=$(date +%s%N)
	check_eq "(5) hung first probe: exit 0" 0 "$rc"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$T_TMP/r5.out"
	check_eq "(5) the probe did hang" 1 \
	    "$(grep -c 'fault hang' "$(host_dir $H)/events.log")"
	check "(5) within 25 s, not the 40 s timeout ($(secs $t0 $t1) s)" \
	    test "$(secs $t0 $t1)" -lt 25
	check_eq "(5) done, no error kept" "$H done " "$(kbfix status \
	    "$T_TMP/r5" --json | python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(h["name"], h["state"], h["error"] or "")')"
}

part6() {
	local H=w7so-001 t0 t1
	apply_plan p6 --only $H
	echo "once dism /online /add-package" >"$(host_dir $H)/faults/hang"
	t0=$(date +%s%N)
	out=$(kb_apply "$T_TMP/p6.json" "$T_TMP/r6" --canary 0 \
	    --command-timeout 3 --connect-timeout 5 2>&1); rc=$?
	t1=$(date +%s%N)
	check_eq "(6) hung dism: exit 0" 0 "$rc"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
	check "(6) within 30 s ($(secs $t0 $t1) s)" test "$(secs $t0 $t1)" -lt 30
	check_contains "(6) run.json keeps the timeouts" "$T_TMP/r6/run.json" \
	    '"connect_timeout_ms": 5000, "command_timeout_ms": 3000'
	out=$(kbfix resume "$T_TMP/r6" --command-timeout 0 2>&1); rc=$?
	check_eq "(6) resume --command-timeout 0: bad usage" 2 "$rc"
	out=$(kbfix resume "$T_TMP/r6" --command-timeout 4 \
	    --connect-timeout 4 2>&1); rc=$?
	check_eq "(6) resume with timeouts: nothing to do" 0 "$rc"
	out=$(kbfix rollback "$T_TMP/r6" --command-timeout 60 \
	    --connect-timeout 4 --reboot-timeout 30 2>&1); rc=$?
	check_eq "(6) rollback with timeouts: exit 0" 0 "$rc"
}

# apply_delayed PLAN RUN: apply in the background ($BG_PID), the reboot
# 10 s after shutdown /r (time for an ssh login and a shutdown /a on a
# loaded machine)
apply_delayed() {
	"$KBFIX" apply "$1" --bundle "$T_TMP/bundle" --run-dir "$2" \
	    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
	    --reboot-delay 10 --canary 0 --reboot-timeout 120 >"$2.out" 2>&1 &
	BG_PID=$!
}

# aborted_checks N HOST RUN: told as aborted, no reboot, never down
aborted_checks() {
	check_contains "($1) reason" "$(kbfix status "$3")" \
	    "$2: the reboot was aborted (shutdown /a?)"
	check_eq "($1) no reboot recorded" 0 \
	    "$(journal_has "$3" '"ev":"done","host":"'$2'","step":"reboot"')"
	check_eq "($1) the host never went down" 0 \
	    "$(grep -c reboot-start "$(host_dir $2)/events.log")"
}

part7() {
	local H=w7so-002 t0 t1
	apply_plan p7 --only $H
	t0=$(date +%s%N)
	apply_delayed "$T_TMP/p7.json" "$T_TMP/r7"
	# once the host has the reboot scheduled, the operator aborts it
	wait_for_text "$(host_dir $H)/events.log" reboot-scheduled
	ssh -F "$FLEET/ssh_config" $H 'shutdown /a' >/dev/null 2>&1
	wait "$BG_PID"; rc=$?
	t1=$(date +%s%N)
	check_eq "(7) aborted reboot: exit 3" 3 "$rc"
	check "(7) told within 60 s, not the 120 s timeout ($(secs $t0 $t1) s)" \
	    test "$(secs $t0 $t1)" -lt 60
	aborted_checks 7 $H "$T_TMP/r7"
}

part8() {
	local H=w7so-003 t0 t1
	apply_plan p8 --only $H
	# the new key is made first and renamed into place while the host is
	# down (4 s): sshd, started again at the reboot, never finds no key
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$T_TMP/newkey"
	t0=$(date +%s%N)
	kb_apply_bg "$T_TMP/p8.json" "$T_TMP/r8" --canary 0 \
	    --reboot-timeout 60
	wait_journal "$T_TMP/r8" '"ev":"intent","host":"'$H'","step":"reboot"'
	mv "$T_TMP/newkey.pub" "$FLEET/sshd/$H/ssh_host_ed25519_key.pub"
	mv "$T_TMP/newkey" "$FLEET/sshd/$H/ssh_host_ed25519_key"
	wait "$BG_PID"; rc=$?
	t1=$(date +%s%N)
	check_eq "(8) changed host key: exit 3" 3 "$rc"
	check "(8) told within 20 s ($(secs $t0 $t1) s)" \
	    test "$(secs $t0 $t1)" -lt 20
	st=$(kbfix status "$T_TMP/r8")
	check_contains "(8) the real reason" "$st" \
	    "$H: HOST KEY CHANGED for ["
	check_contains "(8) after the reboot" "$st" "(after the reboot)"
	check_eq "(8) the host named once" 1 "$(printf '%s\n' "$st" |
	    grep "^$H " | grep -o "$H" | wc -l | awk '{print $1 - 1}')"
}

part9() {
	local H=w7so-004
	apply_plan p9 --only $H
	apply_delayed "$T_TMP/p9.json" "$T_TMP/r9"
	wait_journal "$T_TMP/r9" '"host":"'$H'","step":"reboot".*"clock":"'
	# the clock is corrected: LastBootUpTime moves by a second
	echo 1000 >"$(host_dir $H)/faults/boot-drift"
	ssh -F "$FLEET/ssh_config" $H 'shutdown /a' >/dev/null 2>&1
	wait "$BG_PID"; rc=$?
	check_eq "(9) aborted reboot, boot time drifted 1 s: exit 3" 3 "$rc"
	aborted_checks 9 $H "$T_TMP/r9"
	check_contains "(9) the drifted boot time was read" \
	    "$(ssh -F "$FLEET/ssh_config" $H 'wmic os get lastbootuptime /value')" \
	    "LastBootUpTime="
}

# kill kbfix once the clock is journaled (the host is down 4 s), resume
p10_run() {
	local H=$1 run=$2 strip=${3:-}
	apply_plan "p10$H" --only $H
	kb_apply_bg "$T_TMP/p10$H.json" "$run" --canary 0 --reboot-timeout 60
	wait_journal "$run" '"host":"'$H'","step":"reboot".*"clock":"'
	kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null
	# the resume meets a host that went down (on a loaded machine it
	# could reach it before, and reboot it again, without this wait)
	wait_for_text "$(host_dir $H)/events.log" reboot-start
	[ -n "$strip" ] && sed -i 's/,"clock":"[^"]*"//' "$run/journal.jsonl"
	kbfix resume "$run" >"$run.resume" 2>&1
}

part10() {
	local H=w7so-005 r=$T_TMP/r10 clock after
	p10_run $H "$r"
	check_eq "(10) resume after a kill while down: exit 0" 0 "$?"
	[ "$(host_states "$r")" = "$H done" ] || sed 's/^/#   /' "$r.resume"
	check_eq "(10) done" "$H done" "$(host_states "$r")"
	check_eq "(10) one reboot" 1 "$(grep -c reboot-start \
	    "$(host_dir $H)/events.log")"
	read -r clock after < <(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("ev") == "done" and r.get("step") == "reboot":
        print(r.get("clock", "-"), r.get("boot_after", "-"))' "$r/journal.jsonl")
	check "(10) the reboot's record keeps the clock ($clock) and the new boot ($after)" \
	    test "$clock" != - -a "$after" \> "${clock%.*}"
	H=w7so-006 r=$T_TMP/r10b
	p10_run $H "$r" strip
	check_eq "(10) a journal without the clock: boot against boot, done" \
	    "$H done" "$(host_states "$r")"
	[ "$(host_states "$r")" = "$H done" ] || sed 's/^/#   /' "$r.resume"
	check_eq "(10) no clock recorded then" 0 "$(journal_has "$r" '"clock"')"
}

for p in 5 6 7 8 9 10; do part$p >"$T_TMP/part$p" 2>&1 & done
wait
cat "$T_TMP"/part[5678] "$T_TMP"/part9 "$T_TMP"/part10
T_FAILS=$((T_FAILS + $(cat "$T_TMP"/part[5678] "$T_TMP"/part9 "$T_TMP"/part10 |
    grep -c '^not ok')))
finish

#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenarios 10 and 12:
#   (10) rollback compares each value with what kbfix set: one an
#        operator changed since is left as it is, the host ends
#        rollback-failed naming the value before kbfix, the one kbfix
#        set and the one now; --force restores it;
#   (12) a host resumed into its reboot wait is not shown "in" connect;
#        errors name the host once.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.60
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

check "fleet of 2 up" apply_fleet_up 2 --profiles=mix \
    --down-ms=mix-001:3000 || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
snap_all before
CEIP='HKLM\Software\Microsoft\SQMClient\Windows'
ceip() { ssh -F "$FLEET/ssh_config" "$1" "reg query \"$CEIP\" /v CEIPEnable" |
    tr -d '\r' | awk '/CEIPEnable/{print $3}'; }

part10() {
	local H=mix-000 R=$T_TMP/r10 st
	apply_plan p10 --only $H
	out=$(kb_apply "$T_TMP/p10.json" $R --canary 0 2>&1); rc=$?
	check_eq "(10) apply: exit 0" 0 "$rc"
	ssh -F "$FLEET/ssh_config" $H \
	    "reg add \"$CEIP\" /v CEIPEnable /t REG_DWORD /d 5 /f" >/dev/null
	out=$(kbfix rollback $R --reboot-timeout 30 2>&1); rc=$?
	check_eq "(10) rollback: exit 3" 3 "$rc"
	check_eq "(10) rollback-failed" "$H rollback-failed" "$(host_states $R)"
	st=$(kbfix status $R)
	check_contains "(10) names before, set and now" "$st" \
	    "$H: CEIPEnable was changed since kbfix set it: before kbfix REG_DWORD 0x1, kbfix set REG_DWORD 0x0, now REG_DWORD 0x5; left as it is"
	check_eq "(10) the operator's value kept" 0x5 "$(ceip $H)"
	check_contains "(10) the rest undone: package gone" \
	    "$(snap_now $H)" "mcast_ipv4=enabled"
	check "(10) the rest undone: no package" \
	    test -z "$(snap_now $H | grep KB4345459)"
	out=$(kbfix rollback $R --force --reboot-timeout 30 2>&1); rc=$?
	check_eq "(10) rollback --force: exit 0" 0 "$rc"
	[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
	check_eq "(10) --force: host as before apply" "$(snap_was $H before)" \
	    "$(snap_now $H)"
}

part12() {
	local H=mix-001 R=$T_TMP/r12 inflight
	apply_plan p12 --only $H
	kb_apply_bg "$T_TMP/p12.json" $R --canary 0 --reboot-timeout 30
	wait_journal $R '"ev":"intent","host":"'$H'","step":"reboot"'
	sleep 0.3
	kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null
	kbfix resume $R >"$T_TMP/r12.resume" 2>&1 &
	local pid=$!
	wait_journal $R '"op":"resume"' 
	sleep 0.5
	inflight=$(kbfix status $R --json | python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(h["state"], h["inflight"] or h["step"])')
	check_eq "(12) resumed into the wait: not shown in connect" \
	    "running reboot" "$inflight"
	wait $pid; rc=$?
	check_eq "(12) resume: exit 0" 0 "$rc"
	check_eq "(12) done" "$H done" "$(host_states $R)"
}

for p in 10 12; do part$p >"$T_TMP/part$p" 2>&1 & done
wait
cat "$T_TMP"/part10 "$T_TMP"/part12
T_FAILS=$((T_FAILS + $(cat "$T_TMP"/part1[02] | grep -c '^not ok')))
finish

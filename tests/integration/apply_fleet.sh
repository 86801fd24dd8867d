#!/usr/bin/env bash
# valgrind: skip
# kbfix apply on 30 simulated hosts of mixed profiles, from plan to
# verified (checked in the simulators' state), status, a manual host's
# runbook, resume of a finished run, then rollback of the whole run back
# to the captured prior state.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/apply/common.sh"

check "fleet of 30 up" apply_fleet_up 30 || finish
apply_plan plan --manual s08-005 --groups 5
apply_bundle "$T_TMP/plan.json"
snap_all before
RUN=$T_TMP/run

t0=$(date +%s.%N); out=$(kb_apply "$T_TMP/plan.json" "$RUN" --parallel 10 2>&1); rc=$?; echo "# apply took $(echo "$(date +%s.%N) - $t0" | bc) s"
check_eq "apply exit 4 (the manual host remains)" 4 "$rc"
check_contains "summary counts" "$out" "29 done, 0 failed, 0 rolled back, 0 interrupted, 1 manual, 0 other"

# Every host as planned, read from the simulator's own state.
bad=""
for h in "$FLEET"/hosts/*/; do
	n=$(basename "$h")
	s=$($MKRUN snapshot "$h")
	case $n in
	w7so-*|mix-*) want="pkg Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed	6.1.7601.24168" ;;
	w7x86-*) want="pkg Package_for_KB4345459~31bf3856ad364e35~x86~~6.1.1.1	Installed	6.1.7601.24168" ;;
	r2mr-*) want="pkg Package_for_KB4338821~31bf3856ad364e35~amd64~~6.1.1.1	Installed	6.1.7601.24168" ;;
	s12r2-*) want="ver C:\\Windows\\System32\\drivers\\tcpip.sys	6.3.9600.19067" ;;
	w10-*) want="ver C:\\Windows\\System32\\drivers\\tcpip.sys	10.0.17134.167" ;;
	s08-005) want="mcast_ipv4=enabled" ;;	# manual: untouched
	s08-*) want="mcast_ipv4=disabled" ;;
	esac
	printf '%s\n' "$s" | grep -qxF "$want" || bad="$bad $n"
	case $n in w7so-*|w7x86-*)
		printf '%s\n' "$s" | grep -q 'CEIPEnable	REG_DWORD	0x0$' ||
		    bad="$bad $n(ceip)" ;;
	esac
	printf '%s\n' "$s" | grep -qx 'uploads none' || bad="$bad $n(uploads)"
done
check_eq "every host installed, configured and cleaned up" "" "$bad"
check_eq "manual host untouched" "$(snap_was s08-005 before)" \
    "$(snap_now s08-005)"

st=$(kbfix status "$RUN")
check_eq "status: 29 done" 29 "$(printf '%s\n' "$st" | grep -c ' done ')"
check_contains "status: manual host" "$st" "s08-005                  manual"
check_eq "status --json: 29 done + 1 manual" "29 1" \
    "$(host_states "$RUN" | awk '$2=="done"{d++} $2=="manual"{m++} END{print d, m}')"
check "journal sequence complete" journal_seq_ok "$RUN"
check_contains "journal holds prior registry state" "$RUN/journal.jsonl" \
    '"ev":"prior","host":"w7so-000","kind":"registry","key":"HKLM\\Software\\Microsoft\\SQMClient\\Windows","value":"CEIPEnable","existed":true,"type":"REG_DWORD","data":"0x1"'
check_contains "journal holds the package identity" "$RUN/journal.jsonl" \
    '"identity":"Package_for_KB4338821~31bf3856ad364e35~amd64~~6.1.1.1"'

check "runbook written" test -f "$RUN/runbooks/s08-005.cmd"
check_contains "runbook disables multicast" "$RUN/runbooks/s08-005.cmd" \
    "netsh interface ipv4 set global multicastforwarding=disabled"
check_contains "rollback runbook restores it" \
    "$RUN/runbooks/s08-005-rollback.cmd" \
    "multicastforwarding=enabled"

n=$(wc -l <"$RUN/journal.jsonl")
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "resume of a finished run: exit 4 (the manual host)" 4 "$rc"
check_eq "resume touches no host" 2 $(($(wc -l <"$RUN/journal.jsonl") - n))

t0=$(date +%s.%N); out=$(kbfix rollback "$RUN" 2>&1); rc=$?; echo "# rollback took $(echo "$(date +%s.%N) - $t0" | bc) s"; printf "%s\n" "$out" | tail -3
check_eq "rollback exit 0" 0 "$rc"
check_contains "rollback summary" "$out" "29 rolled back, 0 failed"
bad=""
for h in "$FLEET"/hosts/*/; do
	n=$(basename "$h")
	[ "$(snap_now "$n")" = "$(snap_was "$n" before)" ] ||
	    bad="$bad $n"
done
check_eq "every host back to its prior state" "" "$bad"
check_eq "status after rollback" 29 \
    "$(host_states "$RUN" | grep -c ' rolled-back$')"
finish

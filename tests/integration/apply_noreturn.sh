#!/usr/bin/env bash
# valgrind: skip
# A host that does not come back from its reboot within --reboot-timeout
# is failed (not rolled back: it cannot be reached), the others finish;
# once it is back, `kbfix rollback --host` restores it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=mix,w7so,w7so \
    --down-ms=mix-000:6000 || finish
apply_plan plan
apply_bundle "$T_TMP/plan.json"
snap_all before
RUN=$T_TMP/run

out=$(kb_apply "$T_TMP/plan.json" "$RUN" --canary 0 --max-fail 100 \
    --reboot-timeout 2 2>&1); rc=$?
check_eq "exit 3" 3 "$rc"
check_eq "states" "mix-000 failed
w7so-001 done
w7so-002 done" "$(host_states "$RUN" | sort)"
check_contains "reason" "$(kbfix status "$RUN")" \
    "mix-000: did not come back within 2 s after the reboot"

# Wait for it to come back (6 s down), then roll it back.
for i in $(seq 1 100); do
	grep -q reboot-end "$(host_dir mix-000)/events.log" && break
	sleep 0.1
done
check "host is back" grep -q reboot-end "$(host_dir mix-000)/events.log"
out=$(kbfix rollback "$RUN" --host mix-000 --reboot-timeout 20 2>&1); rc=$?; printf "%s\n" "$out" | sed "s/^/# /"
check_eq "rollback --host: exit 0" 0 "$rc"
check_contains "rollback --host: one host" "$out" "1 rolled back, 0 failed"
check_eq "registry, multicast and package restored" \
    "$(snap_was mix-000 before)" "$(snap_now mix-000)"
check_eq "the other hosts keep the fix" "done done" \
    "$(host_states "$RUN" | awk '$1!="mix-000"{printf "%s%s", s, $2; s=" "}')"
check_eq "package identity removed as recorded" 1 \
    "$(grep -c '"ev":"intent","host":"mix-000","step":"rb-remove","kb":"KB4345459","identity":"Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1"' "$RUN/journal.jsonl")"
out=$(kbfix rollback "$RUN" --host nosuch 2>&1); rc=$?
check_eq "rollback of an unknown host: exit 2" 2 "$rc"
finish

#!/usr/bin/env bash
# valgrind: skip
# Retry and narrow a run (issue 15 item 3): RUN_DIR/retry lists the hosts
# not done; a host back after its reboot timeout is picked up by a plain
# resume and verified; resume --retry-failed --limit @RUN_DIR/retry
# restarts a failed host from its real state after the fault is cleared,
# keeping the first capture (rollback puts the original value back);
# apply --limit narrows a fresh run and continues an existing one.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.15.40
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so \
    --down-ms=w7so-002:5000 || finish
apply_plan plan
apply_bundle "$T_TMP/plan.json"
snap_all before
RUN=$T_TMP/run
CEIP='HKEY_LOCAL_MACHINE\Software\Microsoft\SQMClient\Windows'

# w7so-001's install fails (left failed with its workaround set: no
# auto rollback); w7so-002 is down longer than --reboot-timeout.
echo 0x80070005 >"$(host_dir w7so-001)/faults/add-package-fail"
out=$(kb_apply "$T_TMP/plan.json" "$RUN" --canary 0 --max-fail 100 \
    --no-auto-rollback --reboot-timeout 2 2>&1); rc=$?
check_eq "apply: exit 3" 3 "$rc"
check_eq "apply: states" "w7so-000 done
w7so-001 failed
w7so-002 failed" "$(host_states "$RUN" | sort)"
check_eq "retry file: the hosts not done" "w7so-001
w7so-002" "$(cat "$RUN/retry")"
check_contains "the workaround stays set on the failed host" \
    "$(snap_now w7so-001)" "CEIPEnable	REG_DWORD	0x0"

# A plain resume: w7so-002 came back, is verified; w7so-001 stays failed.
for i in $(seq 100); do
	grep -q reboot-end "$(host_dir w7so-002)/events.log" && break
	sleep 0.1
done
out=$(kbfix resume "$RUN" --reboot-timeout 20 2>&1); rc=$?
check_eq "resume: exit 3 (w7so-001 still failed)" 3 "$rc"
check_eq "resume: the host back after its timeout is done" "w7so-000 done
w7so-001 failed
w7so-002 done" "$(host_states "$RUN" | sort)"
check_contains "resume: verified" "$(kbfix status "$RUN" --json)" \
    '"name": "w7so-002", "state": "done", "step": "cleanup"'
check_eq "retry file: only w7so-001 left" "w7so-001" "$(cat "$RUN/retry")"

# Fault cleared: --retry-failed --limit @RUN/retry finishes it, from its
# real state: the first capture stands (CEIPEnable 1, not the 0 it has
# now).
rm "$(host_dir w7so-001)/faults/add-package-fail"
n0=$(grep -c '"ev":"prior","host":"w7so-001"' "$RUN/journal.jsonl")
out=$(kbfix resume "$RUN" --retry-failed --limit "@$RUN/retry" 2>&1); rc=$?
check_eq "retry: exit 0" 0 "$rc"
check_eq "retry: all done" "w7so-000 done
w7so-001 done
w7so-002 done" "$(host_states "$RUN" | sort)"
check_eq "retry: no second capture" "$n0" \
    "$(grep -c '"ev":"prior","host":"w7so-001"' "$RUN/journal.jsonl")"
check "retry file removed when all are done" test ! -e "$RUN/retry"
out=$(kbfix rollback "$RUN" --reboot-timeout 20 2>&1); rc=$?
check_eq "rollback: exit 0" 0 "$rc"
for h in w7so-000 w7so-001 w7so-002; do
	check_eq "rollback: $h as before the run" "$(snap_was $h before)" \
	    "$(snap_now $h)"
done
check_contains "rollback: the first prior came back" \
    "$(snap_now w7so-001)" "CEIPEnable	REG_DWORD	0x1"

# apply --limit: a fresh run of one host, then the same plan and run
# directory for another: one journal.
RUN2=$T_TMP/run2
out=$(kb_apply "$T_TMP/plan.json" "$RUN2" --limit w7so-000 2>&1); rc=$?
check_eq "limit: exit 0" 0 "$rc"
check_eq "limit: one host run" "w7so-000 done" "$(host_states "$RUN2")"
check_eq "limit: retry file lists the others" "w7so-001
w7so-002" "$(cat "$RUN2/retry")"
out=$(kb_apply "$T_TMP/plan.json" "$RUN2" --limit "@$RUN2/retry" 2>&1); rc=$?
check_eq "limit into the same run: exit 0" 0 "$rc"
check_eq "limit into the same run: one journal" "w7so-000 done
w7so-001 done
w7so-002 done" "$(host_states "$RUN2" | sort)"
check "limit into the same run: sequence intact" journal_seq_ok "$RUN2"
out=$(kb_apply "$T_TMP/plan.json" "$T_TMP/run3" --limit nosuch 2>&1); rc=$?
check_eq "limit: unknown host exit 2" 2 "$rc"
check_contains "limit: names it" "$out" "host 'nosuch' is not in the plan"
apply_plan other --only w7so-000
out=$(kb_apply "$T_TMP/other.json" "$RUN2" --limit w7so-000 2>&1); rc=$?
check_eq "limit: another plan into the run exit 2" 2 "$rc"
finish

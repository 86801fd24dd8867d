#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenario 1: the run's intent is in the journal.  kbfix
# rollback is killed (SIGKILL) after it restored the registry; status
# says the rollback did not finish, and resume continues the rollback
# (never re-applies the fix): the host ends as it was before apply.
# Also an apply that was undoing a host after a refusal goes on undoing
# it on resume.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.2
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

check "fleet of 2 up" apply_fleet_up 2 --profiles=mix,mix || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
snap_all before
RUN=$T_TMP/run
H=mix-000

apply_plan one --only $H
out=$(kb_apply "$T_TMP/one.json" "$RUN" --canary 0 2>&1); rc=$?
check_eq "apply: exit 0" 0 "$rc"
check_contains "apply: begin names its intent" "$RUN/journal.jsonl" \
    '"ev":"begin","op":"apply","intent":"apply"'

# Slow commands widen the gap between the registry restore and the end.
echo 250 >"$(host_dir $H)/faults/slow"
"$KBFIX" rollback "$RUN" >"$T_TMP/rb.out" 2>&1 &
pid=$!
check "rollback restored the registry" wait_journal "$RUN" \
    '"ev":"done","host":"'$H'","step":"rb-registry"'
kill -KILL "$pid"; wait "$pid" 2>/dev/null
rm -f "$(host_dir $H)/faults/slow"
check_contains "rollback begin names its intent" "$RUN/journal.jsonl" \
    '"ev":"begin","op":"rollback","intent":"rollback"'
check_contains "status: the rollback did not finish" \
    "$(kbfix status "$RUN")" "the last rollback run did not finish"
nrec=$(wc -l <"$RUN/journal.jsonl")
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "resume: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "resume: host rolled back" "$H rolled-back" "$(host_states "$RUN")"
check_eq "host state as before apply" "$(snap_was $H before)" \
    "$(snap_now $H)"
check_contains "resume's begin continues the rollback" "$RUN/journal.jsonl" \
    '"ev":"begin","op":"resume","intent":"rollback"'
check_eq "resume sent no apply step" 0 "$(tail -n +"$((nrec + 1))" \
    "$RUN/journal.jsonl" | grep -c '"step":"\(workaround\|install\|upload\|reboot\|verify\)"')"
check_eq "the fix's value was set once (by apply)" 1 \
    "$(grep -c '^[0-9]* cmd reg add .*CEIPEnable .*/d 0' "$(host_dir $H)/events.log")"
check_eq "one package install in all" 1 \
    "$(grep -c 'status [0-9]* dism /online /add-package' "$(host_dir $H)/events.log")"
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "a second resume has nothing to do" 0 "$rc"

# An apply undoing a host (the package was refused) killed mid-undo:
# resume goes on undoing it, with the first error.
H2=mix-001
echo 0x80070005 >"$(host_dir $H2)/faults/add-package-fail"
apply_plan two --only $H2
"$KBFIX" apply "$T_TMP/two.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run2" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --reboot-delay 0 --canary 0 \
    >"$T_TMP/two.out" 2>&1 &
pid=$!
echo 250 >"$(host_dir $H2)/faults/slow"
check "apply started undoing" wait_journal "$T_TMP/run2" \
    '"ev":"done","host":"'$H2'","step":"rb-registry"'
kill -KILL "$pid"; wait "$pid" 2>/dev/null
rm -f "$(host_dir $H2)/faults/slow"
out=$(kbfix resume "$T_TMP/run2" 2>&1); rc=$?
check_eq "undo resumed: rolled back" "$H2 rolled-back" \
    "$(host_states "$T_TMP/run2")"
check_contains "undo resumed: the first error kept" \
    "$(kbfix status "$T_TMP/run2")" "0x80070005"
check_eq "undo resumed: host as before" "$(snap_was $H2 before)" \
    "$(snap_now $H2)"
check_eq "undo resumed: the fix's value set once" 1 \
    "$(grep -c '^[0-9]* cmd reg add .*CEIPEnable .*/d 0' "$(host_dir $H2)/events.log")"
finish

#!/usr/bin/env bash
# valgrind: skip
# Back-out at any hour (issue 15 item 1): kbfix rollback ignores the
# plan's and the apply's window (it runs now, before a future window and
# after a closed one), leaves the journal state of hosts it does not undo
# as it was, undoes hosts in any end state that changed something
# (failed included) and is harmless when run again.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.15.2
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so,w7so,mix || finish
# plan_window PLAN START DURATION_S: give a plan a window
plan_window() {
	python3 - "$@" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["window"] = {"start": sys.argv[2], "duration_s": int(sys.argv[3])}
json.dump(p, open(sys.argv[1], "w"), indent=1)
PY
}
# log_lines HOST: commands the host has seen so far
kbt() { timeout 60 $KBFIX_WRAP "$KBFIX" "$@"; }
log_lines() { wc -l <"$(host_dir "$1")/events.log"; }

apply_plan plan
apply_bundle "$T_TMP/plan.json"
snap_all before
RUN=$T_TMP/run
# The plan's window is next week; the operator ran apply now.
plan_window "$T_TMP/plan.json" "$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)" 7200
# mix-002's install fails and is not undone at once: failed, with its
# workarounds set.
echo 0x80070005 >"$(host_dir mix-002)/faults/add-package-fail"
out=$(kb_apply "$T_TMP/plan.json" "$RUN" --window now/30m --canary 0 \
    --max-fail 100 --no-auto-rollback 2>&1); rc=$?
check_eq "apply: exit 3" 3 "$rc"
check_eq "apply: states" "mix-002 failed
w7so-000 done
w7so-001 done" "$(host_states "$RUN" | sort)"
rm -f "$(host_dir mix-002)/faults/add-package-fail"

# 1. Before the plan's (future) window: rollback of one host runs now.
t0=$(date +%s)
out=$(kbt rollback "$RUN" --host w7so-000 --reboot-timeout 20 \
    2>&1); rc=$?
t1=$(date +%s)
check_eq "before the window: rollback --host exit 0" 0 "$rc"
check "before the window: ran at once" test $((t1 - t0)) -lt 30
check_eq "before the window: host restored" "$(snap_was w7so-000 before)" \
    "$(snap_now w7so-000)"
check_eq "other hosts keep their journal state" "mix-002 failed
w7so-000 rolled-back
w7so-001 done" "$(host_states "$RUN" | sort)"
check_eq "no state record for hosts not undone" 0 \
    "$(awk '/"op":"rollback"/{r=1} r' "$RUN/journal.jsonl" |
    grep -c '"ev":"state","host":"\(w7so-001\|mix-002\)"')"

# 2. The whole run: the failed host (workarounds set) and the done one
# are undone; the one already rolled back is not touched again.
n0=$(log_lines w7so-000)
out=$(kbt rollback "$RUN" --reboot-timeout 20 2>&1); rc=$?
check_eq "rollback: exit 0" 0 "$rc"
check_contains "rollback: summary" "$out" "2 rolled back, 0 failed"
for h in mix-002 w7so-001; do
	check_eq "rollback: $h restored" "$(snap_was $h before)" \
	    "$(snap_now $h)"
done
check_eq "rollback: rolled-back host untouched" "$n0" "$(log_lines w7so-000)"

# 3. Again: nothing left to undo, nothing sent.
n1=$(cat "$FLEET"/hosts/*/events.log | wc -l)
out=$(kbt rollback "$RUN" 2>&1); rc=$?
check_eq "rollback again: exit 0" 0 "$rc"
check_eq "rollback again: no command" "$n1" \
    "$(cat "$FLEET"/hosts/*/events.log | wc -l)"

# 4. After the plan's window closed.
apply_plan late --only w7so-001
plan_window "$T_TMP/late.json" "$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)" 3600
out=$(kb_apply "$T_TMP/late.json" "$T_TMP/run2" --window now/30m 2>&1); rc=$?
check_eq "closed window: apply with --window exit 0" 0 "$rc"
# rollback --window: it waits for that window (and a Ctrl-C ends the wait
# at once, leaving every state as it was)
later=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
"$KBFIX" rollback "$T_TMP/run2" --window "$later/1h" >"$T_TMP/rbw.out" 2>&1 &
pid=$!
check "rollback --window: said what it waits for" \
    wait_for_text "$T_TMP/rbw.out" "waiting for the window at $later"
t0=$(date +%s)
kill -INT "$pid"
wait "$pid"; rc=$?
check_eq "rollback --window: waits, stopped: exit 3" 3 "$rc"
check "rollback --window: ended within 5 s of the signal" \
    test $(($(date +%s) - t0)) -le 5
check_eq "rollback --window: state kept" "w7so-001 done" \
    "$(host_states "$T_TMP/run2")"
# the connection options may be given (a new key at 3 a.m.)
out=$(kbt rollback "$T_TMP/run2" --reboot-timeout 20 \
    -k "$FLEET/id_ed25519" --known-hosts "$FLEET/known_hosts" 2>&1); rc=$?
check_eq "closed window: rollback exit 0" 0 "$rc"
check_eq "closed window: host restored" "$(snap_was w7so-001 before)" \
    "$(snap_now w7so-001)"
finish

#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenarios 3 and 4: the window is kept as instants in run.json
# (a resume never re-anchors now/3s at its own start), a host stranded
# half-way by the window's close is listed by status with what is left,
# resume after the close starts nothing on it, and rollback undoes it.
# (Finishing it with a new window needs resume --window, issue 15.)
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.40
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

check "fleet of 1 up" apply_fleet_up 1 --profiles=w7so || finish
H=w7so-000
apply_plan p --estimate 1
apply_bundle "$T_TMP/p.json"
snap_all before
RUN=$T_TMP/run

# Slow commands use up a 3 s window before the reboot step.
echo 300 >"$(host_dir $H)/faults/slow"
out=$(kb_apply "$T_TMP/p.json" "$RUN" --canary 0 --window now/3s 2>&1); rc=$?
rm -f "$(host_dir $H)/faults/slow"
check_eq "apply: exit 3" 3 "$rc"
check "run.json keeps the window as instants" grep -Eq \
    '"window": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z/3s"' "$RUN/run.json"
check_eq "stranded: deferred" "$H deferred" "$(host_states "$RUN")"
st=$(kbfix status "$RUN")
check_contains "status: why" "$st" "the window closed before the reboot"
check_contains "status: what is left" "$st" "left: reboot, verify, cleanup"
check_contains "status --json: what is left" "$(kbfix status "$RUN" --json)" \
    '"left": "reboot, verify, cleanup"'
check_contains "host half-patched: package pending" "$(snap_now $H)" \
    "Install Pending"
check_eq "no reboot after the close" 0 \
    "$(grep -c reboot-start "$(host_dir $H)/events.log")"

# A resume after the close: the window is the one the operator gave.
n=$(wc -l <"$(host_dir $H)/events.log")
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "resume after the close: exit 3" 3 "$rc"
check_eq "resume after the close: still deferred" "$H deferred" \
    "$(host_states "$RUN")"
check_contains "resume after the close: the window is closed" \
    "$(kbfix status "$RUN")" "the window closes in -"
check_eq "resume after the close: no command on the host" "$n" \
    "$(wc -l <"$(host_dir $H)/events.log")"

# rollback undoes the stranded host.
out=$(kbfix rollback "$RUN" --reboot-timeout 30 2>&1); rc=$?
check_eq "rollback: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "rollback: host as before apply" "$(snap_was $H before)" \
    "$(snap_now $H)"
finish

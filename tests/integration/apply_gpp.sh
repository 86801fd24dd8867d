#!/usr/bin/env bash
# valgrind: skip
# CEIP set back by a Group Policy preference (issue 11 item 6, seed 002
# note 2).  Three Windows 7 hosts with the CEIP workaround and the July
# 2018 hotfix planned: w7so-000 has a Group Policy Preferences item that
# writes CEIPEnable=1 at each refresh (winsim gpupdate), w7so-001 none,
# w7so-002 the same item but no domain controller answers.  apply: 000
# (the canary) blocked with the GPO setting named, nothing installed, no
# reboot, the run stopped; resume: 001 and 002 done, 000 left blocked.
# rollback --host puts 000's value back; the GPO changed, a new apply
# finishes it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so --gpp=w7so-000 \
    --gpp=w7so-002 --faults=w7so-002:gpupdate-no-dc= || finish
apply_plan plan --gpp-check
apply_bundle "$T_TMP/plan.json"
RUN=$T_TMP/run
CEIP1='reg HKEY_LOCAL_MACHINE\Software\Microsoft\SQMClient\Windows	CEIPEnable	REG_DWORD	0x1'
CEIP0='reg HKEY_LOCAL_MACHINE\Software\Microsoft\SQMClient\Windows	CEIPEnable	REG_DWORD	0x0'
PKG='pkg Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed	6.1.7601.24168'
debug() { [ -z "${GPP_DEBUG:-}" ] || printf '%s\n' "$1"; }
gpupdates() { grep -c 'gpupdate computer' "$(host_dir "$1")/events.log"; }

check_contains "plan: the CEIP action names the GPO setting" \
    "$T_TMP/plan.json" "Deploying Windows Feedback Forwarding"

out=$(kb_apply "$T_TMP/plan.json" "$RUN" --parallel 3 2>&1); rc=$?
debug "$out"
check_eq "apply exit 3 (a host blocked)" 3 "$rc"
check_contains "summary counts the blocked host as failed" "$out" \
    "0 done, 1 failed, 0 rolled back"
check_contains "the canary blocked stops the run (the GPO covers the rest)" \
    "$out" "run stopped: the canary wave failed"
line=$(printf '%s\n' "$out" | grep '^w7so-000 ')
check_contains "w7so-000 blocked at the workaround" "$line" \
    " blocked          workaround "
check_contains "reason names Group Policy Preferences and the value" \
    "$line" "Group Policy Preferences set CEIPEnable back: REG_DWORD 0x1 after gpupdate /target:computer /force (kbfix set 0)"
check_contains "reason says which GPO setting to change" "$line" \
    "Registry; step 6 of Microsoft's Deploying Windows Feedback Forwarding, seed 002 note 2): change its value data from 1 to 0"

s0=$(snap_now w7so-000)
check_contains "w7so-000: CEIPEnable as Group Policy left it" "$s0" "$CEIP1"
check "w7so-000: nothing installed" \
    bash -c "! printf '%s\n' \"\$1\" | grep -qF \"\$2\"" _ "$s0" "$PKG"
check "w7so-000: no reboot" bash -c "! grep -q 'cmd shutdown' \"\$1\"" \
    _ "$(host_dir w7so-000)/events.log"
check_eq "w7so-000: gpupdate ran once" 1 "$(gpupdates w7so-000)"

# resume continues the hosts not started and leaves the blocked one
out=$(kbfix resume "$RUN" -k "$FLEET/id_ed25519" 2>&1); rc=$?
debug "$out"
check_eq "resume: exit 3 (one host still blocked)" 3 "$rc"
check_eq "resume: no second gpupdate on the blocked host" 1 \
    "$(gpupdates w7so-000)"
for n in w7so-001 w7so-002; do
	s=$(snap_now $n)
	check_contains "$n: CEIPEnable 0 kept" "$s" "$CEIP0"
	check_contains "$n: hotfix installed" "$s" "$PKG"
	check_contains "$n: rebooted" "$(host_dir $n)/events.log" "cmd shutdown"
done
check_contains "w7so-002: gpupdate ran and found no domain controller" \
    "$(host_dir w7so-002)/events.log" "status 1 gpupdate /target:computer /force"

st=$(kbfix status "$RUN")
check_contains "status: blocked with the reason" \
    "$(printf '%s\n' "$st" | grep '^w7so-000 ')" \
    "blocked          workaround   w7so-000: Group Policy Preferences set CEIPEnable back"
check_contains "journal: the change to undo is recorded" "$RUN/journal.jsonl" \
    '"ev":"done","host":"w7so-000","step":"workaround","action":0'
kbfix report "$RUN" --format md >"$T_TMP/report.md" 2>&1
check_contains "report: the reason" "$T_TMP/report.md" \
    "Group Policy Preferences set CEIPEnable back"

out=$(kbfix rollback "$RUN" --host w7so-000 -k "$FLEET/id_ed25519" 2>&1)
debug "$out"
check_contains "rollback --host: w7so-000 rolled back" \
    "$(printf '%s\n' "$out" | grep '^w7so-000 ')" "rolled-back"
check_contains "rollback: CEIPEnable as before kbfix" "$(snap_now w7so-000)" \
    "$CEIP1"

# The operator changes the GPO item (value data 0): the next refresh
# writes 0.  The run ended in a rollback (it goes on rolling back): a
# new run of the same plan, for that host, finishes it.
printf 'V\tHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\tCEIPEnable\tREG_DWORD\t0x0\n' \
    >"$(host_dir w7so-000)/gpp"
out=$(kb_apply "$T_TMP/plan.json" "$T_TMP/run2" --limit w7so-000 2>&1); rc=$?
debug "$out"
check_eq "apply again after the GPO change: exit 0" 0 "$rc"
check_contains "w7so-000 done after the GPO change" \
    "$(printf '%s\n' "$out" | grep '^w7so-000 ')" " done "
s0=$(snap_now w7so-000)
check_contains "w7so-000: CEIPEnable 0" "$s0" "$CEIP0"
check_contains "w7so-000: hotfix installed" "$s0" "$PKG"
finish

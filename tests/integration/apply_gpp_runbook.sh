#!/usr/bin/env bash
# The runbook of a manual Windows 7 host whose Group Policy preference
# sets CEIPEnable back (issue 11 item 6), run through winsim's batch
# interpreter: it refreshes Group Policy after setting the value, stops
# BLOCKED naming the GPO setting, installs nothing; the result imports as
# blocked with the reason; once the GPO item says 0 it goes on.
. "$(dirname "$0")/../lib.sh"
ST=$T_TMP/hosts
H=w7so-000
cat >"$T_TMP/inv.json" <<'JSON'
{"hosts": [
 {"name": "w7so-000", "os": "windows-7", "version": "6.1.7601", "arch": "x64",
  "installed": ["KB4338823"],
  "registry": {"HKLM\\Software\\Microsoft\\SQMClient\\Windows\\CEIPEnable": 1},
  "winsim": {"gpp": {"HKLM\\Software\\Microsoft\\SQMClient\\Windows\\CEIPEnable": 1}},
  "address": "127.0.15.252", "port": 2222, "user": "winsim"}]}
JSON
python3 "$TOP/tests/fleet/fleetctl.py" state "$T_TMP/inv.json" "$ST" \
    >/dev/null || { not_ok "winsim state"; finish; }
python3 "$TOP/tests/apply/mkrun.py" plan "$T_TMP/inv.json" "$T_TMP/plan.json" \
    --manual $H --gpp-check
python3 "$TOP/tests/apply/mkrun.py" bundle "$T_TMP/plan.json" "$T_TMP/bundle" \
    "$TOP/tests/winsim/mkmsu"
RUN=$T_TMP/run
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$RUN" 2>&1); rc=$?
check_eq "apply: exit 4 (manual host)" 4 "$rc"
rb=$RUN/runbooks/$H.cmd
check_contains "runbook refreshes Group Policy after the value" "$rb" \
    "gpupdate /target:computer /force"
check_contains "runbook names the GPO setting" "$rb" \
    "echo in the GPO that deploys CEIP, the Group Policy Preferences registry item setting CEIPEnable"

mkdir -p "$ST/$H/C/kbfix"
cp "$rb" "$RUN/runbooks/$H-rollback.cmd" "$T_TMP"/bundle/files/* \
    "$ST/$H/C/kbfix/"
batch() {
	WINSIM_STATE=$ST/$H WINSIM_HOST=$H "$TOP/$BUILD/winsim" --batch \
	    "C:\\kbfix\\$1"
}
ceip() { grep -o 'CEIPEnable	REG_DWORD	0x[0-9a-f]*' "$ST/$H/registry"; }

out=$(batch $H.cmd 2>&1); rc=$?
check_eq "runbook: exit 1 (blocked)" 1 "$rc"
check_contains "runbook: says BLOCKED" "$out" \
    "kbfix: BLOCKED: Group Policy Preferences set CEIPEnable back after gpupdate"
check_eq "runbook: CEIPEnable as Group Policy left it" \
    "CEIPEnable	REG_DWORD	0x1" "$(ceip)"
check "runbook: nothing installed, no reboot" bash -c \
    '! grep -q " cmd dism /online /add-package" "$1" && test ! -e "$2"' \
    _ "$ST/$H/events.log" "$ST/$H/shutdown"
check_contains "runbook: result" "$ST/$H/C/kbfix/$H-result.txt" \
    "state blocked workaround-0"
cp "$ST/$H/C/kbfix/$H-result.txt" "$T_TMP/blocked.txt"
out=$(kbfix status "$RUN" --import "$T_TMP/blocked.txt" 2>&1); rc=$?
check_eq "import: exit 0" 0 "$rc"
check_contains "import: blocked with the GPO setting" "$out" \
    "$H                 blocked          -            $H: Group Policy Preferences set CEIPEnable back after gpupdate (the runbook); in the GPO that deploys CEIP"
printf 'kbfix-result/1 %s apply\r\nstate blocked\r\n' $H >"$T_TMP/bad.txt"
n=$(wc -l <"$RUN/journal.jsonl")
out=$(kbfix status "$RUN" --import "$T_TMP/bad.txt" 2>&1); rc=$?
check_eq "import 'state blocked' without its step: exit 2" 2 "$rc"
check_eq "bad import: journal untouched" "$n" "$(wc -l <"$RUN/journal.jsonl")"

# The GPO item says 0 now: the next refresh writes 0, the runbook goes on.
printf 'V\tHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\tCEIPEnable\tREG_DWORD\t0x0\n' \
    >"$ST/$H/gpp"
out=$(batch $H.cmd 2>&1); rc=$?
check_eq "after the GPO change: exit 0" 0 "$rc"
check_eq "after the GPO change: CEIPEnable 0" "CEIPEnable	REG_DWORD	0x0" "$(ceip)"
check_contains "after the GPO change: installed, reboot pending" \
    "$ST/$H/C/kbfix/$H-result.txt" "state reboot-pending"
finish

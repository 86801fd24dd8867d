#!/usr/bin/env bash
# Manual hosts (issue 15 item 5 of the issue, brief item 4): their own
# state, exit 4, runbooks run through winsim's batch interpreter (winsim
# --batch): a workaround-only host is not rebooted; a failing wusa
# (negative HRESULT) fails the runbook; after a fix it installs, reboots,
# and a second run verifies; results are imported into the journal.
. "$(dirname "$0")/../lib.sh"
ST=$T_TMP/hosts
cat >"$T_TMP/inv.json" <<'JSON'
{"hosts": [
 {"name": "s08-000", "os": "windows-server-2008", "version": "6.0.6002",
  "arch": "x64", "multicast_forwarding": true,
  "address": "127.0.15.250", "port": 2222, "user": "winsim"},
 {"name": "s08-001", "os": "windows-server-2008", "version": "6.0.6002",
  "arch": "x64", "multicast_forwarding": true,
  "address": "127.0.15.251", "port": 2222, "user": "winsim"}]}
JSON
python3 "$TOP/tests/fleet/fleetctl.py" state "$T_TMP/inv.json" "$ST" \
    >/dev/null || { not_ok "winsim state"; finish; }
python3 "$TOP/tests/apply/mkrun.py" plan "$T_TMP/inv.json" "$T_TMP/plan.json" \
    --manual s08-000,s08-001
# s08-001 also gets the NT 6.0 package (wusa) and its reboot.
python3 - "$T_TMP/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    if h["name"] == "s08-001":
        h["actions"][-1:-1] = [{"kind": "install", "kb": "KB4345397",
                                "advisory": "tcpip-2018-07",
                                "tcpip_min": "6.0.6002.24439"},
                               {"kind": "reboot"}]
p["packages"] = [{"kb": "KB4345397", "product": "Windows Server 2008",
                  "arch": "x64", "hosts": ["s08-001"]}]
json.dump(p, open(sys.argv[1], "w"))
PY
python3 "$TOP/tests/apply/mkrun.py" bundle "$T_TMP/plan.json" "$T_TMP/bundle" \
    "$TOP/tests/winsim/mkmsu"
RUN=$T_TMP/run
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$RUN" 2>&1); rc=$?
check_eq "apply: exit 4 (manual hosts remain)" 4 "$rc"
check_contains "apply: counted manual, not done" "$out" \
    "0 done, 0 failed, 0 rolled back, 0 interrupted, 2 manual"
check_contains "status: manual" "$(kbfix status "$RUN")" "s08-000                  manual"
rb=$RUN/runbooks
check "workaround-only runbook: no shutdown" \
    bash -c '! grep -qi shutdown "$1" "$2"' _ "$rb/s08-000.cmd" \
    "$rb/s08-000-rollback.cmd"
check "exact exit checks, no 'if errorlevel 1 if not errorlevel'" \
    bash -c '! grep -q "if not errorlevel 3010" "$1"' _ "$rb/s08-001.cmd"

# batch HOST SCRIPT: run C:\kbfix\SCRIPT on HOST as its Administrator
batch() {
	WINSIM_STATE=$ST/$1 WINSIM_HOST=$1 "$TOP/$BUILD/winsim" --batch \
	    "C:\\kbfix\\$2"
}
for h in s08-000 s08-001; do
	mkdir -p "$ST/$h/C/kbfix"
	cp "$rb/$h.cmd" "$rb/$h-rollback.cmd" "$T_TMP"/bundle/files/* \
	    "$ST/$h/C/kbfix/"
done

# 1. Workaround only: applied, verified, no reboot.
out=$(batch s08-000 s08-000.cmd 2>&1); rc=$?
check_eq "workaround-only: exit 0" 0 "$rc"
check_contains "workaround-only: multicast off" "$ST/s08-000/profile" \
    "mcast_ipv4=disabled"
check "workaround-only: no reboot scheduled" test ! -e "$ST/s08-000/shutdown"
check_contains "workaround-only: result" "$ST/s08-000/C/kbfix/s08-000-result.txt" \
    "state done"
cp "$ST/s08-000/C/kbfix/s08-000-result.txt" "$T_TMP/"
out=$(kbfix status "$RUN" --import "$T_TMP/s08-000-result.txt" 2>&1); rc=$?
check_eq "import: exit 0" 0 "$rc"
check_contains "import: s08-000 done" "$out" "s08-000                  done"

# 2. wusa fails with 0x80240017, not applicable (errorlevel -2145124329,
# which `if errorlevel 1` would let through): the runbook fails, says so,
# does not reboot.
echo KB4345397 >"$ST/s08-001/faults/not-applicable"
out=$(batch s08-001 s08-001.cmd 2>&1); rc=$?
check_eq "failing wusa: exit 1" 1 "$rc"
check_contains "failing wusa: says so" "$out" "FAILED at install-1 (exit -2145124329)"
check "failing wusa: no 'done'" bash -c '! grep -q "kbfix: done" <<<"$1"' _ "$out"
check "failing wusa: no reboot" test ! -e "$ST/s08-001/shutdown"
cp "$ST/s08-001/C/kbfix/s08-001-result.txt" "$T_TMP/fail.txt"
out=$(kbfix status "$RUN" --import "$T_TMP/fail.txt" 2>&1); rc=$?
check_contains "import: failed with the code" "$out" \
    "failed at install-1 (exit -2145124329 = 0x80240017)"

# 3. Fault cleared: installs (3010), reboots; after the reboot a second
# run finds it installed and verifies.
rm "$ST/s08-001/faults/not-applicable"
out=$(batch s08-001 s08-001.cmd 2>&1); rc=$?
check_eq "wusa: exit 0" 0 "$rc"
check "wusa: reboot scheduled (planned)" test -e "$ST/s08-001/shutdown"
check_contains "wusa: result says reboot pending" \
    "$ST/s08-001/C/kbfix/s08-001-result.txt" "state reboot-pending"
WINSIM_STATE=$ST/s08-001 WINSIM_HOST=s08-001 "$TOP/$BUILD/winsim" --boot \
    >/dev/null 2>&1
out=$(batch s08-001 s08-001.cmd 2>&1); rc=$?
check_eq "after the reboot: exit 0" 0 "$rc"
check "after the reboot: no second install" \
    test "$(grep -c ' cmd wusa' "$ST/s08-001/events.log")" -eq 2
check_contains "after the reboot: verified" \
    "$ST/s08-001/C/kbfix/s08-001-result.txt" "state done"
cp "$ST/s08-001/C/kbfix/s08-001-result.txt" "$T_TMP/ok.txt"
out=$(kbfix status "$RUN" --import "$T_TMP/ok.txt" 2>&1)
check_contains "import: s08-001 done" "$out" "s08-001                  done"
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "resume keeps the imported states: exit 0" 0 "$rc"

# 4. The workaround-only rollback: restored, no reboot, imported.
out=$(batch s08-000 s08-000-rollback.cmd 2>&1); rc=$?
check_eq "rollback runbook: exit 0" 0 "$rc"
check_contains "rollback runbook: multicast back on" "$ST/s08-000/profile" \
    "mcast_ipv4=enabled"
check "rollback runbook: no reboot" test ! -e "$ST/s08-000/shutdown"
cp "$ST/s08-000/C/kbfix/s08-000-result.txt" "$T_TMP/rb.txt"
out=$(kbfix status "$RUN" --import "$T_TMP/rb.txt" 2>&1)
check_contains "import: rolled back" "$out" "s08-000                  rolled-back"

# Bad result files: exit 2, journal untouched.
n=$(wc -l <"$RUN/journal.jsonl")
printf 'kbfix-result/1 nosuch apply\r\nstate done\r\n' >"$T_TMP/bad1.txt"
printf 'kbfix-result/1 s08-000 apply\r\nstate failed x;y 1\r\n' >"$T_TMP/bad2.txt"
printf 'kbfix-result/1 s08-000 apply\r\nworkaround 0 ok\r\n' >"$T_TMP/bad3.txt"
printf 'kbfix-result/1  s08-000 apply extra\r\nstate done\r\n' >"$T_TMP/bad4.txt"
printf 'hello\r\n' >"$T_TMP/bad5.txt"
for f in bad1 bad2 bad3 bad4 bad5; do
	out=$(kbfix status "$RUN" --import "$T_TMP/$f.txt" 2>&1); rc=$?
	check_eq "import $f: exit 2" 2 "$rc"
done
check_contains "import of a file that is not a result: says so" "$out" \
    "bad5.txt: line 1: not a kbfix runbook result (kbfix-result/1 HOST apply|rollback)"
check_eq "bad imports: journal untouched" "$n" "$(wc -l <"$RUN/journal.jsonl")"
finish

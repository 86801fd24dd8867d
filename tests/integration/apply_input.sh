#!/usr/bin/env bash
# apply, status, resume and rollback without hosts: bad input refused
# with exit 2 before anything starts, manual hosts' runbooks, status of a
# journal cut short by a crash (torn last line).
. "$(dirname "$0")/../lib.sh"

cat >"$T_TMP/inv.json" <<'JSON'
{"hosts": [
 {"name": "mix-000", "address": "127.0.5.250", "port": 2222, "user": "winsim",
  "arch": "x64"},
 {"name": "s08-001", "address": "127.0.5.251", "port": 2222, "user": "winsim",
  "arch": "x64"}]}
JSON
python3 "$TOP/tests/apply/mkrun.py" plan "$T_TMP/inv.json" "$T_TMP/plan.json" \
    --manual mix-000,s08-001
. "$TOP/tests/apply/manual_bundle.sh"
manual_bundle "$T_TMP/bundle"

# Manual hosts only: no connection, runbooks written, exit 0.
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run" 2>&1); rc=$?
check_eq "manual hosts: exit 4 (work remains)" 4 "$rc"
check_contains "manual hosts: summary" "$out" "0 done, 0 failed, 0 rolled back, 0 interrupted, 2 manual"
rb=$T_TMP/run/runbooks
check "runbook per host" test -f "$rb/mix-000.cmd" -a -f "$rb/s08-001.cmd"
check_contains "runbook: registry workaround" "$rb/mix-000.cmd" \
    'reg add "HKLM\Software\Microsoft\SQMClient\Windows" /v "CEIPEnable" /t REG_DWORD /d "0" /f'
check_contains "runbook: saves the prior value" "$rb/mix-000.cmd" \
    'reg export "HKLM\Software\Microsoft\SQMClient\Windows"'
check_contains "runbook: install" "$rb/mix-000.cmd" \
    'dism /online /add-package /packagepath:"%KBDIR%\KB4345459\Windows6.1-KB4345459-x64.cab" /quiet /norestart'
check_contains "runbook: reboot" "$rb/mix-000.cmd" \
    'shutdown /r /t 60 /d p:2:17 /c "kbfix: hotfix reboot"'
check_contains "rollback runbook: value restored or deleted" \
    "$rb/mix-000-rollback.cmd" \
    'reg delete "HKLM\Software\Microsoft\SQMClient\Windows" /v "CEIPEnable" /f'
check_contains "rollback runbook: package removed" \
    "$rb/mix-000-rollback.cmd" 'wusa /uninstall /kb:4345459 /quiet /norestart'
check "runbook: CRLF lines" grep -q $'\r$' "$rb/mix-000.cmd"
check_contains "status: manual" "$(kbfix status "$T_TMP/run")" \
    "mix-000                  manual"

# Vista / Server 2008 have no dism.exe (and their wusa no /uninstall):
# the runbook installs the .msu with wusa, run locally.
python3 - "$T_TMP/plan.json" "$T_TMP/plan08.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    if h["name"] == "s08-001":
        h["version"] = "6.0.6002"
        h["actions"][-1:-1] = [{"kind": "install", "kb": "KB4345397",
                                "advisory": "tcpip-2018-07"},
                               {"kind": "reboot"}]
json.dump(p, open(sys.argv[2], "w"))
PY
kbfix apply "$T_TMP/plan08.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run08" >/dev/null 2>&1
check_eq "NT 6.0 runbook: apply exit 4 (manual hosts remain)" 4 $?
check_contains "NT 6.0 runbook: wusa installs the .msu" \
    "$T_TMP/run08/runbooks/s08-001.cmd" 'wusa "%~dp0KB4345397" /quiet /norestart'
check "NT 6.0 runbook: no dism" \
    bash -c '! grep -qi dism "$1"' _ "$T_TMP/run08/runbooks/s08-001.cmd"
check_contains "NT 6.0 rollback runbook: says how to remove it" \
    "$T_TMP/run08/runbooks/s08-001-rollback.cmd" "remove KB4345397 in Control Panel"

# Value names and REG_SZ data with spaces and parentheses stay one argument
# each and cannot end the rollback's if/else block (issue 16).
python3 - "$T_TMP/plan.json" "$T_TMP/plansp.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    for a in h["actions"]:
        if a["kind"] == "registry":
            a["value"], a["type"], a["data"] = \
                "Path Value (x86)", "REG_SZ", "C:\\Program Files (x86)\\x"
json.dump(p, open(sys.argv[2], "w"))
PY
kbfix apply "$T_TMP/plansp.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/runsp" >/dev/null 2>&1
check_contains "runbook: a value name with spaces is quoted" \
    "$T_TMP/runsp/runbooks/mix-000.cmd" \
    '/v "Path Value (x86)" /t REG_SZ /d "C:\Program Files (x86)\x" /f'
check_contains "rollback runbook: the name stays one argument" \
    "$T_TMP/runsp/runbooks/mix-000-rollback.cmd" \
    'reg delete "HKLM\Software\Microsoft\SQMClient\Windows" /v "Path Value (x86)" /f'

# The run directory is not reused by a second apply.
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run" 2>&1); rc=$?
check_eq "second apply into the run dir: exit 2" 2 "$rc"
check_contains "second apply: hint" "$out" "kbfix resume"

# Bad input: exit 2, no journal.
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/r2" --window tonight/4h 2>&1); rc=$?
check_eq "bad window: exit 2" 2 "$rc"
check_contains "bad window: message" "$out" "window 'tonight/4h': start: 'tonight' is not a time"
check "bad window: no journal" test ! -e "$T_TMP/r2/journal.jsonl"
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/r3" --max-fail 101 2>&1); rc=$?
check_eq "bad --max-fail: exit 2" 2 "$rc"
check_contains "bad --max-fail: message" "$out" "--max-fail '101'"
printf '{"format": "kbfix-plan/1", "hosts": [' >"$T_TMP/bad.json"
out=$(kbfix apply "$T_TMP/bad.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/r4" 2>&1); rc=$?
check_eq "broken plan: exit 2" 2 "$rc"
check_contains "broken plan: names the file" "$out" "bad.json"
sed 's/KB4345459/KB43;del/' "$T_TMP/plan.json" >"$T_TMP/meta.json"
out=$(kbfix apply "$T_TMP/meta.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/r5" 2>&1); rc=$?
check_eq "metacharacters in a KB: exit 2" 2 "$rc"
check "metacharacters in a KB: nothing written" test ! -e "$T_TMP/r5/journal.jsonl"
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/nobundle" \
    --run-dir "$T_TMP/r6" 2>&1); rc=$?
check_eq "missing bundle: exit 2" 2 "$rc"
out=$(kbfix resume "$T_TMP/nothing" 2>&1); rc=$?
check_eq "resume without a run: exit 2" 2 "$rc"
out=$(kbfix apply 2>&1); rc=$?
check_eq "apply without arguments: exit 2" 2 "$rc"
check_contains "apply --help" "$(kbfix apply --help)" "--max-fail PCT"

# The SSH options are one table, one parse and one help text
# (cmd/ssh_opts.c): the same words and the same message everywhere.
ssh_help() { sed -n '/--known-hosts FILE  OpenSSH/,/--command-timeout S per host/p'; }
want=$(kbfix discover --help | ssh_help)
check_contains "discover --help: the SSH options" "$want" "--accept-new        trust unknown host keys"
for c in apply resume rollback evidence; do
	check_eq "$c --help: the SSH options in discover's words" "$want" \
	    "$(kbfix $c --help | ssh_help)"
done
for c in "discover -i $T_TMP/inv.json -o $T_TMP/d.json" \
    "apply $T_TMP/plan.json --bundle $T_TMP/bundle --run-dir $T_TMP/r7" \
    "resume $T_TMP/run" "rollback $T_TMP/run" "evidence $T_TMP/run"; do
	out=$(kbfix $c --connect-timeout 0 2>&1); rc=$?
	check_eq "${c%% *} --connect-timeout 0: exit 2" 2 "$rc"
	check_contains "${c%% *} --connect-timeout 0: the one message" "$out" \
	    "kbfix: --connect-timeout '0': expected a number from 1 to 86400"
	[ "${c%% *}" = rollback ] && continue
	out=$(kbfix $c --parallel x 2>&1); rc=$?
	check_eq "${c%% *} --parallel x: exit 2" 2 "$rc"
	check_contains "${c%% *} --parallel x: the one message" "$out" \
	    "kbfix: --parallel 'x': expected a number from 1 to 10000"
done
check "bad SSH options: nothing written" test ! -e "$T_TMP/d.json" -a ! -e "$T_TMP/r7"
for c in "apply $T_TMP/plan.json --bundle $T_TMP/bundle --run-dir $T_TMP/r7" \
    "resume $T_TMP/run" "rollback $T_TMP/run"; do
	out=$(kbfix $c --reboot-timeout 0 2>&1); rc=$?
	check_eq "${c%% *} --reboot-timeout 0: exit 2" 2 "$rc"
	check_contains "${c%% *} --reboot-timeout 0: the one message" "$out" \
	    "kbfix: --reboot-timeout '0': expected a number from 1 to 86400"
done
out=$(kbfix rollback "$T_TMP/run" --parallel 3 2>&1); rc=$?
check_eq "rollback --parallel: not a rollback option (exit 2)" 2 "$rc"
# SSH options given to resume replace the run's and are recorded
cp "$T_TMP/run/run.json" "$T_TMP/run.json.orig"
kbfix resume "$T_TMP/run" -u ops2 -p 7 --accept-new --command-timeout 9 >/dev/null 2>&1
check_eq "resume -u -p --accept-new --command-timeout: recorded in run.json" \
    "ops2 7 true 9000" \
    "$(jq -r '"\(.user) \(.parallel) \(.accept_new) \(.command_timeout_ms)"' "$T_TMP/run/run.json")"
cp "$T_TMP/run.json.orig" "$T_TMP/run/run.json"

# Status of a journal cut by a crash in the middle of a line.
mkdir -p "$T_TMP/crash"
cat >"$T_TMP/crash/journal.jsonl" <<'J'
{"seq":1,"ev":"begin","op":"apply"}
{"seq":2,"ev":"intent","host":"web01","step":"connect"}
{"seq":3,"ev":"done","host":"web01","step":"connect"}
{"seq":4,"ev":"intent","host":"web01","step":"reboot","boot":"20261121121712.076000+000"}
{"seq":5,"ev":"state","host":"db01","state":"failed","error":"db01: dism exited 0x800f081e"}
{"seq":6,"ev":"do
J
printf '%s' "$(cat "$T_TMP/crash/journal.jsonl")" >"$T_TMP/crash/journal.jsonl"
out=$(kbfix status "$T_TMP/crash"); rc=$?
check_eq "torn journal: status exit 0" 0 "$rc"
check_contains "torn journal: host mid-reboot" "$out" \
    "web01                    running          reboot"
check_contains "torn journal: failed host" "$out" \
    "db01                     failed"
check_contains "torn journal: run not finished" "$out" "kbfix resume"
json=$(kbfix status "$T_TMP/crash" --json)
check_eq "status --json" "web01 running reboot
db01 failed -" "$(printf '%s' "$json" | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hosts"]:
    print(h["name"], h["state"], h["inflight"] or "-")')"
# A bundle file that is a link (to a key, say) or has changed since fetch
# is refused before any host is contacted (issue 16 M1).
for kind in link changed; do
	cp -r "$T_TMP/bundle" "$T_TMP/b-$kind"
	f="$T_TMP/b-$kind/files/windows6.1-kb4345459-x64_0123.msu"
	if [ $kind = link ]; then
		printf 'PRIVATE KEY' > "$T_TMP/secret"
		rm "$f"; ln -s "$T_TMP/secret" "$f"
		want="not a regular file"
	else
		printf 'MSCF-really-not' > "$f"	# same size, other bytes
		want="SHA-256"
	fi
	out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/b-$kind" \
	    --run-dir "$T_TMP/run-$kind" 2>&1); rc=$?
	check_eq "bundle file $kind: exit 2" 2 "$rc"
	check_contains "bundle file $kind: says why" "$out" "$want"
	check "bundle file $kind: no run started" test ! -e "$T_TMP/run-$kind/journal.jsonl"
done
finish

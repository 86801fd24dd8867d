#!/usr/bin/env bash
# kbfix plan / explain / advisories: every report format, -o, --prefer,
# --window, --advisories.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
inv=examples/inventory.json

md=$(kbfix plan -i $inv --format markdown)
check_contains "markdown: summary" "$md" "## 1. Summary and justification"
check_contains "markdown: packages table" "$md" "| KB4345459 | Windows 7 | x64 | Updates | 1 |"
check_contains "markdown: per-host actions" "$md" "### fw01 (needs-action"
check_contains "markdown: reboot count" "$md" "| Reboots | 10 |"

html=$(kbfix plan -i $inv --format html)
check_contains "html: a page" "$html" "<!DOCTYPE html>"
check_contains "html: escaped quotes in reasons" "$html" \
    "&quot;Turn off Windows Customer Experience Improvement Program&quot;"
check "html: no raw quote in text" bash -c '! grep -q "GPO setting \"Turn" <<< "$1"' _ "$html"

csv=$(kbfix plan -i $inv --format csv)
check_contains "csv: header" "$csv" "host,status,wave,step,kind,kb,advisory,product,arch,detail"
check_contains "csv: one row per action" "$csv" \
    "fw01,needs-action,1,1,install,KB979278,wfp-two-callouts,Windows 7,x86,install KB979278"
check_eq "csv: rows for fw01 (install, reboot, verify)" 3 \
    "$(grep -c '^fw01,' <<< "$csv")"

json=$(kbfix plan -i $inv --format json)
check_contains "json: the plan document" "$json" '"format": "kbfix-plan/1"'
check_contains "json: install carries advisory and tcpip_min" "$json" \
    '{"kind": "install", "kb": "KB979278", "advisory": "wfp-two-callouts", "tcpip_min": "6.1.7600.20648"}'
check_contains "json: host fields" "$json" '"address": "127.0.0.2"'

out=$T_TMP/report.md
kbfix plan -i $inv -o "$out" --format markdown
check_contains "-o writes the chosen format" "$out" "# Change request"
check "-o leaves no temporary file" bash -c '[ "$(ls "$1" | wc -l)" = 1 ]' _ "$T_TMP"

min=$(kbfix plan -i $inv --prefer minimal --format csv)
check_contains "--prefer minimal: KB4345459 on top of KB4338818" "$min" \
    "web02,needs-action,1,1,install,KB4345459"
lat=$(kbfix plan -i $inv --prefer latest --format csv)
check_contains "--prefer latest: the August rollup" "$lat" \
    "web02,needs-action,1,1,install,KB4343900"
check_status "--prefer bogus" 2 kbfix plan -i $inv --prefer bogus

win=$(kbfix plan -i $inv --window 2026-11-21T22:00:00Z/4h --format json)
check_contains "--window recorded" "$win" \
    '"window": {"start": "2026-11-21T22:00:00Z", "duration_s": 14400}'
check_contains "--window fit in text" \
    "$(kbfix plan -i $inv --window 2026-11-21T22:00:00Z/4h)" "for 240 min: fits"
check_status "--window without duration" 2 kbfix plan -i $inv --window 2026-11-21T22:00:00Z

ex=$(kbfix explain -i $inv web02)
check_contains "explain: normalised os" "$ex" \
    'Windows Server 2008 R2 (inventory: "Windows Server 2008 R2 Enterprise")'
check_contains "explain: channel and why" "$ex" \
    "monthly-rollup (inferred from installed KB4338818)"
check_contains "explain: actions" "$ex" "1. install KB4338821"
ex=$(kbfix explain -i $inv mcast01)
check_contains "explain: manual transport on Server 2008" "$ex" \
    "manual (Win32-OpenSSH does not run on Vista / Server 2008)"
check_status "explain: unknown host" 2 kbfix explain -i $inv nohost
check_contains "explain: unknown host named" \
    "$(kbfix explain -i $inv nohost 2>&1)" "nohost: no such host"

adv=$(kbfix advisories)
for a in tcpip-2018-07 wfp-classify-handle ws2-unload-ceip wfp-two-callouts \
    multicast-forwarding; do
	check_contains "advisories lists $a" "$adv" "$a"
done
# issue 11 item 6: the GPO setting a Group Policy preference may own
check_contains "advisories: CEIP names the Group Policy preference" "$adv" \
    "group policy: apply reads it again after gpupdate; set back, the host is blocked: in the GPO that deploys CEIP"
check_contains "explain: the CEIP action is read again after gpupdate" \
    "$(kbfix explain -i $inv web01 2>&1)" \
    "CEIPEnable = 0 (REG_DWORD), then gpupdate /target:computer /force and read again (set back by a Group Policy preference: blocked)"
check_contains "advisories --json" "$(kbfix advisories --json)" \
    '"id": "wfp-classify-handle", "title": "Stop 0x50'

# An operator adds an advisory without rebuilding.
mkdir -p "$T_TMP/adv"
cat > "$T_TMP/adv/test-hotfix.json" <<'JSON'
{"id": "test-hotfix", "kb": "KB999999", "title": "A test hotfix", "model": "hotfix",
 "reboot": true, "os": ["Windows Server 2012 R2"], "file": "tcpip.sys",
 "trigger": {"fact": "wfp_callout_drivers", "min": 0, "text": "nothing special"},
 "targets": [{"os": ["Windows Server 2012 R2"], "build": "6.3.9600",
   "branches": [{"name": "gdr", "from": 16000, "to": 19999, "fixed": "6.3.9600.19000"}]}]}
JSON
check_contains "--advisories DIR adds to the list" \
    "$(kbfix advisories --advisories "$T_TMP/adv")" "test-hotfix"
cat > "$T_TMP/h.csv" <<'CSV'
name,os,version,arch,installed,files,wfp_callout_drivers
s1,Windows Server 2012 R2 Standard,6.3.9600,x64,KB4343898,tcpip.sys=6.3.9600.18000,0
CSV
check_contains "--advisories DIR is planned with" \
    "$(kbfix plan -i "$T_TMP/h.csv" --advisories "$T_TMP/adv" --hotfix-policy exposed --format csv)" \
    "s1,needs-action,1,1,install,KB999999,test-hotfix"
# by default (--hotfix-policy evidence) a hotfix needs the host to experience it
check_contains "--hotfix-policy evidence: exposed, not planned" \
    "$(kbfix plan -i "$T_TMP/h.csv" --advisories "$T_TMP/adv" --format csv)" \
    "s1,exposed,0,"
check_contains "--hotfix-policy evidence: the reason says how to plan it" \
    "$(kbfix explain -i "$T_TMP/h.csv" --advisories "$T_TMP/adv" s1)" \
    "add \"test-hotfix\" to the host's experiencing, or plan with --hotfix-policy exposed"
check_status "--hotfix-policy bogus: exit 2" 2 kbfix plan -i "$T_TMP/h.csv" --hotfix-policy bogus
# The README's complete example loads and plans.
mkdir -p "$T_TMP/readme"
awk '/A complete example/ {s=1} s && /^```json$/ {f=1; next} f && /^```$/ {exit} f' \
    README.md > "$T_TMP/readme/example.json"
check_contains "README example advisory loads" \
    "$(kbfix advisories --advisories "$T_TMP/readme")" "example-hotfix"
cat > "$T_TMP/r.csv" <<'CSV'
name,os,version,arch,installed,files,wfp_callout_drivers
r1,Windows Server 2008 R2 Standard,6.1.7601,x64,KB4343900,tcpip.sys=6.1.7601.17514,3
CSV
check_contains "README example advisory plans" \
    "$(kbfix plan -i "$T_TMP/r.csv" --advisories "$T_TMP/readme" --hotfix-policy exposed --format csv)" \
    "r1,needs-action,1,1,install,KB9999999,example-hotfix"
echo '{"id": "broken", "title": "x"}' > "$T_TMP/adv/zz.json"
check_status "malformed advisory refused" 2 kbfix advisories --advisories "$T_TMP/adv"
check_contains "malformed advisory: file and field named" \
    "$(kbfix advisories --advisories "$T_TMP/adv" 2>&1)" "zz.json: reboot: missing"
# Manual hosts (Vista / Server 2008: a runbook, no SSH) are marked in
# every report the change board reads (issue 15).
txt=$(kbfix plan -i $inv --format text 2>/dev/null)
check_contains "text: manual host marked" "$txt" "MANUAL (runbook)"
check "text: only manual hosts marked" test "$(printf '%s\n' "$txt" | grep -c 'MANUAL (runbook)')" = \
    "$(kbfix plan -i $inv -o - 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for h in json.load(sys.stdin)["hosts"] if h.get("transport")=="manual" and h.get("actions")))')"
check_contains "markdown: manual hosts named" "$(kbfix plan -i $inv --format markdown 2>/dev/null)" "manual host(s)"
check_contains "html: manual hosts marked" "$(kbfix plan -i $inv --format html 2>/dev/null)" "(manual)"
# Reboot group budgets (issue 14 item 6): 40 members at 25 % plan in 4
# waves of 10, the reports say so; an explicit wave over a budget is kept
# with a warning.
python3 - "$T_TMP/farm.json" <<'PY'
import json, sys
h = {"os": "Windows 7 Professional", "version": "6.1.7601", "arch": "x64",
     "installed": ["KB4338823"], "group": "web"}
hosts = [dict(h, name="web%02d" % i) for i in range(40)]
hosts += [dict(h, name="sql%d" % i, group="sql", wave=1) for i in range(3)]
json.dump({"groups": {"web": {"max_unavailable": "25%"},
                      "sql": {"max_unavailable": 2}}, "hosts": hosts},
          open(sys.argv[1], "w"))
PY
kbfix plan -i "$T_TMP/farm.json" -o "$T_TMP/farm-plan.json" 2>"$T_TMP/farm.err"
check_eq "budgets: plan exit 0" 0 $?
check_eq "budgets: web in 4 waves of 10" "1 10,2 10,3 10,4 10" "$(python3 -c '
import collections, json, sys
p = json.load(open(sys.argv[1]))
c = collections.Counter(h["wave"] for h in p["hosts"] if h.get("group") == "web")
print(",".join("%d %d" % kv for kv in sorted(c.items())))' "$T_TMP/farm-plan.json")"
check_contains "budgets: the explicit wave over the budget is a warning" \
    "$(cat "$T_TMP/farm.err")" "wave 1 holds 3 members of reboot group sql, over its max_unavailable 2"
check_contains "budgets: the text report names them" \
    "$(kbfix plan -i "$T_TMP/farm.json" 2>/dev/null | tr -s ' \n' '  ')" \
    "sql 2 of 3 over 1 wave(s); web 10 of 40 (25%) over 4 wave(s)"
check_contains "budgets: the markdown report too" \
    "$(kbfix report "$T_TMP/farm-plan.json" --format markdown 2>/dev/null)" \
    "web 10 of 40 (25%) over 4 wave(s)"
finish

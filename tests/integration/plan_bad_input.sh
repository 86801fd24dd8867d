#!/usr/bin/env bash
# Bad inventories: a message naming the file and the field or line, exit
# status 2, and no output file left behind.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

# bad NAME CONTENT EXPECTED_MESSAGE
bad() {
	local name=$1 file=$T_TMP/$2 want=$4 err rc
	printf '%b' "$3" > "$file"
	rm -f "$T_TMP/out.json"
	kbfix plan -i "$file" -o "$T_TMP/out.json" 2> "$T_TMP/err"; rc=$?
	err=$(cat "$T_TMP/err")
	check_eq "$name: exit 2" 2 "$rc"
	check_contains "$name: message" "$err" "$want"
	check "$name: no output file" test ! -e "$T_TMP/out.json"
	check "$name: no temporary file" bash -c '! ls "$1"/out.json.*tmp* 2>/dev/null' _ "$T_TMP"
}

bad "invalid JSON" i.json '{"hosts": [\n  {"name": "a" "os": "x"}\n]}' \
    "i.json: line 2, column"
bad "wrong type" t.json '{"hosts": [{"name": "a", "wfp_callout_drivers": "two"}]}' \
    "t.json: hosts[0] (a).wfp_callout_drivers: must be an integer"
bad "duplicate names" d.json '{"hosts": [{"name": "web01"}, {"name": "WEB01"}]}' \
    "d.json: hosts[1] (WEB01).name: duplicate host name 'WEB01' (also hosts[0] (web01): names are compared regardless of case)"
bad "duplicate names (CSV)" d.csv 'name,os\nweb01,Windows 7\nWEB01,Windows 7\n' \
    "d.csv: line 3 (WEB01): name: duplicate host name 'WEB01' (also line 2 (web01)"
bad "duplicate address" a.json '{"hosts": [{"name": "web01", "address": "10.0.0.1"}, {"name": "web02", "address": "10.0.0.1"}]}' \
    "a.json: hosts[1] (web02).address: '10.0.0.1' port 22 is also hosts[0] (web01)'s"
bad "a name that is another host's address" b.json '{"hosts": [{"name": "web01"}, {"name": "alias", "address": "WEB01"}]}' \
    "b.json: hosts[1] (alias).address: 'WEB01' port 22 is also hosts[0] (web01)'s"
bad "malformed KB" k.json '{"hosts": [{"name": "a", "installed": ["KB43388"]}]}' \
    "k.json: hosts[0] (a).installed: 'KB43388' is not a KB id"
bad "malformed version" v.json '{"hosts": [{"name": "a", "version": "seven"}]}' \
    "v.json: hosts[0] (a).version: 'seven' is not a Windows version"
# Reboot group budgets (issue 14 item 6).
bad "budget 0" g0.json '{"groups": {"web": {"max_unavailable": 0}}, "hosts": [{"name": "a", "group": "web"}]}' \
    "g0.json: groups.web.max_unavailable: 0 must be a count of at least 1 or a percentage"
bad "budget over 100%" g1.json '{"groups": {"web": {"max_unavailable": "150%"}}, "hosts": [{"name": "a", "group": "web"}]}' \
    "g1.json: groups.web.max_unavailable: '150%' must be"
bad "budget not a number" g2.json '{"groups": {"web": {"max_unavailable": "half"}}, "hosts": [{"name": "a", "group": "web"}]}' \
    "g2.json: groups.web.max_unavailable: 'half' must be"
bad "budget: unknown key" g3.json '{"groups": {"web": {"max_unavail": 2}}, "hosts": [{"name": "a", "group": "web"}]}' \
    "g3.json: groups.web.max_unavail: unknown field (a group has max_unavailable only)"
bad "ragged CSV" r.csv 'name,os\nweb01,Windows 7\nweb02\n' \
    "r.csv: line 3: 1 fields, the header has 2"
bad "bad host name" n.csv 'name\nweb;01\n' "n.csv: line 2: name"
bad "binary file" b.json '\x7fELF\x02\x01\x01\x00\x00\x00' "b.json: binary data"
bad "registry path" g.json '{"hosts": [{"name": "a", "registry": {"HKCU\\\\X\\\\Y": 1}}]}' \
    "g.json: hosts[0] (a).registry: 'HKCU\\X\\Y' is not a plain HKLM"

# An os kbfix does not know is that host's answer (unknown, the string
# quoted), never the inventory's refusal: the other hosts are planned.
printf '%s' '{"hosts": [{"name": "a", "os": "Windows 95"}, {"name": "b",
  "os": "Windows 11 Pro", "version": "10.0.22631"}, {"name": "c", "os":
  "Windows 7", "version": "6.1.7601", "arch": "x64", "installed": ["KB4338823"]}]}' > "$T_TMP/o.json"
kbfix plan -i "$T_TMP/o.json" --format json > "$T_TMP/o.out" 2> "$T_TMP/err"; rc=$?
check_eq "unknown OS: exit 0" 0 "$rc"
check_contains "unknown OS: quoted in the reason" "$(cat "$T_TMP/o.out")" \
    "The os 'Windows 95' is not a Windows product kbfix knows"
check "unknown OS: the others planned" jq -e '(.hosts[0].status == "unknown")
  and (.hosts[1].status == "not-applicable") and (.hosts[2].status == "needs-action")' "$T_TMP/o.out"

# An address shared on purpose: both hosts say so, a warning, both planned.
printf '%s' '{"hosts": [{"name": "a", "address": "10.0.0.1", "shared_address": true},
  {"name": "b", "address": "10.0.0.1", "shared_address": true},
  {"name": "c", "address": "10.0.0.1", "port": 2222}]}' > "$T_TMP/s.json"
kbfix plan -i "$T_TMP/s.json" --format csv > "$T_TMP/s.out" 2> "$T_TMP/err"; rc=$?
check_eq "shared_address: exit 0" 0 "$rc"
check_contains "shared_address: warned, naming both" "$(cat "$T_TMP/err")" \
    "warning: $T_TMP/s.json: hosts[1] (b) and hosts[0] (a) share address 10.0.0.1 port 22 (shared_address: true)"
check_eq "shared_address: all three planned" "a b c" \
    "$(cut -d, -f1 "$T_TMP/s.out" | sed 1d | sort -u | tr '\n' ' ' | sed 's/ $//')"

# An experiencing entry that names no advisory is a warning, not an error.
printf '%s' '{"hosts": [{"name": "a", "experiencing": ["wfp-two-calouts"]}]}' > "$T_TMP/x.json"
kbfix plan -i "$T_TMP/x.json" > /dev/null 2> "$T_TMP/err"; rc=$?
check_eq "experiencing typo: exit 0" 0 "$rc"
check_contains "experiencing typo: warned" "$(cat "$T_TMP/err")" \
    "warning: $T_TMP/x.json: a: experiencing names 'wfp-two-calouts', which no advisory has"

# --skip-invalid: every bad row reported, the rest planned, exit 3.
printf 'name,address,port,os,installed\nweb01,10.0.0.1,,Windows 7,KB4338823\nWEB01,10.0.0.2,,Windows 7,-\nweb02,10.0.0.1,,Windows 7,-\nweb06,,,Windows 7,KB1\nweb07,,x,Windows 7,-\nok,,,Windows 7,-\n' > "$T_TMP/k.csv"
kbfix plan -i "$T_TMP/k.csv" -o "$T_TMP/skip.json" 2> "$T_TMP/err"; rc=$?
check_eq "without --skip-invalid: exit 2" 2 "$rc"
check "without --skip-invalid: nothing written" test ! -e "$T_TMP/skip.json"
kbfix plan -i "$T_TMP/k.csv" --skip-invalid -o "$T_TMP/skip.json" 2> "$T_TMP/err"; rc=$?
check_eq "--skip-invalid: exit 3" 3 "$rc"
for want in "skipped: $T_TMP/k.csv: line 3 (WEB01): name: duplicate host name 'WEB01' (also line 2 (web01)" \
    "skipped: $T_TMP/k.csv: line 4 (web02): address: '10.0.0.1' port 22 is also line 2 (web01)'s" \
    "skipped: $T_TMP/k.csv: line 5 (web06): installed: 'KB1' is not a KB id" \
    "skipped: $T_TMP/k.csv: line 6 (web07): port: 'x' is not a port" \
    "$T_TMP/k.csv: 4 host(s) skipped (--skip-invalid), 2 planned"; do
	check_contains "--skip-invalid reports: ${want:0:60}" "$(cat "$T_TMP/err")" "$want"
done
check_eq "--skip-invalid: the rest planned" "web01 ok" \
    "$(jq -r '[.hosts[].name] | join(" ")' "$T_TMP/skip.json")"

# A huge file is refused before it is read.
truncate -s 300M "$T_TMP/huge.json"
kbfix plan -i "$T_TMP/huge.json" 2> "$T_TMP/err"; rc=$?
check_eq "huge file: exit 2" 2 "$rc"
check_contains "huge file: message" "$T_TMP/err" "huge.json: file is too large"
rm -f "$T_TMP/huge.json"

check_status "missing file" 2 kbfix plan -i "$T_TMP/none.json"
check_contains "missing file named" "$(kbfix plan -i "$T_TMP/none.json" 2>&1)" \
    "none.json: No such file"

# An existing output is kept when the input is bad.
echo keep > "$T_TMP/keep.json"
kbfix plan -i "$T_TMP/t.json" -o "$T_TMP/keep.json" 2>/dev/null
check_eq "bad input leaves an existing -o file alone" keep "$(cat "$T_TMP/keep.json")"
finish

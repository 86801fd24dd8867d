#!/usr/bin/env bash
# kbfix discover from CSV and Active Directory export inventories (read by
# the planner's reader, decided by content): an AD export whose hosts are
# unreachable (listed as failed, exit 3, their facts kept), CSVs with a bad
# row (exit 2, the line named, no output), and, as root, a 3-host simulated
# fleet (127.0.8.x) discovered from a CSV inventory.
. "$(dirname "$0")/../lib.sh"
HERE=$TOP/tests/integration
export FLEET_BASE=${FLEET_BASE:-127.0.8.2}
F=$T_TMP/fleet
field() {	# field FILE HOST EXPR: python expression over host h
	python3 -c 'import json,sys
h=[h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]==sys.argv[2]][0]
print(eval(sys.argv[3]))' "$@"
}

ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/key" </dev/null
: >"$T_TMP/known_hosts"
SSH=(--known-hosts "$T_TMP/known_hosts" -k "$T_TMP/key" --connect-timeout 3)

# 1. An AD export, hosts on loopback addresses where nothing listens.
cat >"$T_TMP/ad.txt" <<'EOF'
#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer
"Name","DNSHostName","OperatingSystem","OperatingSystemVersion","OperatingSystemServicePack"
"SQL01","127.0.8.200","Windows Server 2008 R2 Enterprise","6.1 (7601)","Service Pack 1"
"PC042","127.0.8.201","Windows 7 Professional","6.1 (7600)",""
EOF
kbfix discover -i "$T_TMP/ad.txt" -o "$T_TMP/ad.json" "${SSH[@]}" \
    2>"$T_TMP/ad.err"
check_eq "AD export, hosts unreachable: exit 3" 3 $?
check_contains "AD export: both listed as failed" "$T_TMP/ad.err" \
    "0 host(s) discovered, 2 failed"
check_contains "AD export: SQL01's reason" "$T_TMP/ad.err" "SQL01: connect to 127.0.8.200 port 22"
check_contains "AD export: PC042's reason" "$T_TMP/ad.err" "PC042: connect to 127.0.8.201 port 22"
check_eq "AD export: output keeps SQL01's inventory facts" \
    "127.0.8.200|Windows Server 2008 R2 Enterprise|6.1.7601" \
    "$(field "$T_TMP/ad.json" SQL01 '"|".join([h["address"], h["os"], h["version"]])')"
check_eq "AD export: output keeps PC042's inventory facts" \
    "127.0.8.201|Windows 7 Professional|6.1.7600" \
    "$(field "$T_TMP/ad.json" PC042 '"|".join([h["address"], h["os"], h["version"]])')"
kbfix plan -i "$T_TMP/ad.json" >"$T_TMP/ad.plan" 2>&1
check_contains "kbfix plan reads the output" "$T_TMP/ad.plan" "PC042"

# By content, not by name: a CSV called .json is read as CSV.
cp "$T_TMP/ad.txt" "$T_TMP/ad-really-csv.json"
kbfix discover -i "$T_TMP/ad-really-csv.json" -o "$T_TMP/ad2.json" \
    "${SSH[@]}" 2>"$T_TMP/ad2.err"
check_eq "CSV named .json: read as CSV (exit 3, 2 failed)" "3 SQL01" \
    "$? $(field "$T_TMP/ad2.json" SQL01 'h["name"]')"

# 2. Bad rows: exit 2, file, line and field named, no output, no connection.
bad() {	# bad NAME CSV NEEDLE
	printf '%s' "$2" >"$T_TMP/bad.csv"
	kbfix discover -i "$T_TMP/bad.csv" -o "$T_TMP/bad.json" "${SSH[@]}" \
	    2>"$T_TMP/bad.err"
	check_eq "$1: exit 2" 2 $?
	check_contains "$1: message names file, line and field" \
	    "$T_TMP/bad.err" "$T_TMP/bad.csv: $3"
	check "$1: no output file" test ! -e "$T_TMP/bad.json"
	check_eq "$1: stopped before any connection" 0 \
	    "$(grep -c 'discovered\|connect' "$T_TMP/bad.err")"
}
bad "port out of range (planner's reader)" \
    $'name,address,port\nok1,127.0.8.200,22\nbad2,127.0.8.201,99999\n' \
    "line 3 (bad2): port: '99999' is not a port 1-65535"
bad "row with a missing field" \
    $'name,address,port\nok1,127.0.8.200,22\nbad2,127.0.8.201\n' \
    "line 3: 2 fields, the header has 3"
bad "registry path with & (the planner's check)" \
    $'name,address,registry\nok1,127.0.8.200,HKLM\\Software\\X\\V=1\n\nbad3,127.0.8.201,HKLM\\Software\\X\\V&calc=1\n' \
    "line 4 (bad3): registry: 'HKLM\Software\X\V&calc' is not a plain HKLM"
bad "KB id of five digits (the planner's check)" \
    $'name,address,installed\nok1,127.0.8.200,kb4338823\nbad2,127.0.8.201,kb12345\n' \
    "line 3 (bad2): installed: 'kb12345' is not a KB id"
bad "AD export, bad name" \
    $'"Name","DNSHostName","OperatingSystem"\n"A1","127.0.8.200","Windows 7 Enterprise"\n"B&2","127.0.8.201","Windows 7 Enterprise"\n' \
    "line 3: name: 'B&2' is not 1-63 of [A-Za-z0-9._-]"

# 3. A simulated fleet from a CSV inventory.
if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "discover CSV fleet test skipped (need root, sshd, bwrap)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
python3 "$HERE/mixed_inventory.py" 3 >"$T_TMP/inv.json"
check "fleet up (3 hosts)" "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$F"
# The fleet's inventory (addresses, ports, users) as CSV, with a stale fact
# (installed) that discover must replace and group/roles it must keep.
python3 - "$F/inventory.json" >"$T_TMP/inv.csv" <<'PY'
import csv, json, sys
cols = ["name", "address", "port", "user", "os", "version", "arch",
        "installed", "files", "registry", "group", "roles", "custom"]
w = csv.writer(sys.stdout, lineterminator="\r\n")
w.writerow(cols)
for h in json.load(open(sys.argv[1]))["hosts"]:
    w.writerow([h["name"], h["address"], h["port"], h["user"], h["os"],
                h["version"], h["arch"], "KB4338818",
                ";".join(f"{k}={v}" for k, v in h.get("files", {}).items()),
                ";".join(f"{k}={v}" for k, v in h.get("registry", {}).items()),
                h["group"], "sim;csv", "x"])
PY
kbfix discover -i "$T_TMP/inv.csv" -o "$T_TMP/out.json" \
    --known-hosts "$F/known_hosts" -k "$F/id_ed25519" 2>"$T_TMP/err"
check_eq "discover from CSV (exit 0)" 0 $?
check_contains "3 discovered" "$T_TMP/err" "3 host(s) discovered, 0 failed"
check "fields match the simulators' state" \
    python3 "$HERE/check_discovered.py" "$T_TMP/out.json" "$F" h001 h002 h003
check_eq "CSV fields kept (group, roles, port)" "g1 ['sim', 'csv'] 2222" \
    "$(field "$T_TMP/out.json" h002 '" ".join(map(str, [h["group"], h["roles"], h["port"]]))')"
kbfix plan -i "$T_TMP/out.json" >"$T_TMP/plan.out" 2>&1
check_contains "kbfix plan reads the output" "$T_TMP/plan.out" "h003"
finish

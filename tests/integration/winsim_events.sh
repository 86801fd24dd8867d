#!/usr/bin/env bash
# winsim's event store driven directly (no sshd): wevtutil qe in the
# captured shape, the XPath subset kbfix sends (event ids, provider, the
# timediff window), newest first, /c: honoured, errors (issue 12).
. "$(dirname "$0")/../lib.sh"
WINSIM=${WINSIM:-$TOP/$BUILD/winsim}
ST=$T_TMP/state
python3 - "$T_TMP/inv.json" <<'PY'
import json, sys
json.dump({"hosts": [{"name": "web01", "os": "windows-7",
    "version": "6.1.7601", "arch": "x64", "winsim": {"events": [
        {"kind": "bugcheck", "code": "0xD1", "ago": 40 * 86400},
        {"kind": "afd", "ago": 7200},
        {"kind": "kp41", "code": "0xD1", "ago": 3 * 86400,
         "params": ["ffffd20e53b6e010", "2", "0", "1"]},
        {"kind": "scm", "id": 7011, "service": "W3SVC", "ago": 3600},
        {"kind": "appcrash", "module": "ws2_32.dll", "app": "w3wp.exe",
         "at": "2026-01-02T03:04:05Z"}]}}]}, open(sys.argv[1], "w"))
PY
python3 "$TOP/tests/fleet/fleetctl.py" state "$T_TMP/inv.json" "$ST" \
    >/dev/null || { not_ok "fleetctl.py state"; finish; }

OUT=$T_TMP/out ERR=$T_TMP/err RC=0
ws() {
	WINSIM_STATE=$ST/web01 WINSIM_HOST=WEB01 $KBFIX_WRAP "$WINSIM" -c "$1" \
	    >"$OUT" 2>"$ERR"
	RC=$?
}
ids() { grep -o '>[0-9]*</EventID>' "$OUT" | tr -dc '0-9\n' | paste -sd' '; }
Q30="TimeCreated[timediff(@SystemTime) <= 2592000000]"

ws "wevtutil qe System \"/q:*[System[(EventID=1001 or EventID=41 or EventID=16002 or EventID=7011) and $Q30]]\" /f:xml /rd:true"
check_eq "30 days, newest first: the 40-day-old 1001 left out" "7011 16002 41" "$(ids)"
check_eq "exit 0" 0 "$RC"
check_contains "captured shape: Kernel-Power 41, code in decimal" \
    "$(cat "$OUT")" "<Provider Name='Microsoft-Windows-Kernel-Power' Guid='{331c3b3a-2005-44c2-ac5e-77220c37d6b4}'/><EventID>41</EventID>"
check_contains "BugcheckCode 209, parameters in hex" "$(cat "$OUT")" \
    "<Data Name='BugcheckCode'>209</Data><Data Name='BugcheckParameter1'>0xffffd20e53b6e010</Data>"
check_contains "7011: timeout first, service second" "$(cat "$OUT")" \
    "<EventData><Data Name='param1'>30000</Data><Data Name='param2'>W3SVC</Data></EventData>"
check_contains "no root element, no separator" "$(cat "$OUT")" "</Event><Event xmlns="
check_eq "starts with an Event" "<Event xmlns=" "$(head -c 13 "$OUT")"

ws "wevtutil qe System \"/q:*[System[(EventID=1001 or EventID=41 or EventID=16002 or EventID=7011) and $Q30]]\" /f:xml /c:2 /rd:true"
check_eq "/c:2" "7011 16002" "$(ids)"
ws "wevtutil qe System /f:xml /c:2"
check_eq "oldest first without /rd" "1001 41" "$(ids)"
check_contains "1001 in the captured shape" "$(cat "$OUT")" \
    "EventSourceName='BugCheck'/><EventID Qualifiers='16384'>1001</EventID>"
check_contains "1001 param1" "$(cat "$OUT")" \
    "<Data Name='param1'>0x000000d1 (0x0000000000000000, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000)</Data>"

ws "wevtutil qe Application \"/q:*[System[Provider[@Name='Application Error'] and (EventID=1000)]]\" /f:xml"
check_contains "Application Error 1000, faulting module" "$(cat "$OUT")" \
    "<Data Name='ModuleName'>ws2_32.dll</Data>"
check_contains "its time" "$(cat "$OUT")" \
    "<TimeCreated SystemTime='2026-01-02T03:04:05.0000000Z'/>"
ws "wevtutil qe Application \"/q:*[System[Provider[@Name='AFD'] and (EventID=1000)]]\" /f:xml"
check_eq "provider filter: nothing" "" "$(cat "$OUT")"

ws 'wevtutil qe System "/q:*[System[Level=2]]" /f:xml'
check_eq "a query outside the subset: 15001 & 0xff" 153 "$RC"
check_contains "its message" "$(cat "$ERR")" "The specified query is invalid."
ws 'wevtutil qe Security /f:xml'
check_contains "unknown log" "$(cat "$ERR")" "The specified channel could not be found."

python3 "$TOP/tests/fleet/fleetctl.py" event "$ST/web01" \
    '{"kind": "bugcheck", "code": "0x50"}'
ws "wevtutil qe System \"/q:*[System[EventID=1001 and $Q30]]\" /f:xml /c:1 /rd:true"
check_contains "fleetctl.py event: now, newest" "$(cat "$OUT")" "0x00000050 ("
: >"$ST/web01/faults/wevtutil-denied"
ws 'wevtutil qe System /f:xml'
check_eq "wevtutil-denied: exit 5" 5 "$RC"
check_eq "wevtutil-denied: message" "Failed to read events. Access is denied." \
    "$(tr -d '\r' <"$ERR")"
check_eq "wevtutil-denied: no output" "" "$(cat "$OUT")"
finish

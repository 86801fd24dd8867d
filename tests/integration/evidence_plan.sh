#!/usr/bin/env bash
# valgrind: skip
# Evidence in the inventory, the plan and the reports (issue 12): discover
# on the simulated fleet records each host's evidence (the events, the
# window, "unknown" when the log cannot be read); the plan puts the
# experiencing host first, its findings say what was seen, every report
# counts experiencing / exposed / unknown; the run review embeds what
# `kbfix evidence` wrote and flags the host that crashed again.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.12.40}
. "$TOP/tests/apply/common.sh"

# Four Windows 7 hosts: w7so-002 crashed with 0xD1 two days ago (and
# logged a message body that must not be kept); w7so-003's System log
# cannot be read; w7so-000 and w7so-001 have clean logs.
$MKRUN inventory 4 "$T_TMP/inv0.json" --profiles=w7so || finish
python3 - "$T_TMP/inv0.json" "$T_TMP/inv.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
ev = {"w7so-002": [
    {"kind": "bugcheck", "code": "0xD1", "ago": 2 * 86400,
     "params": ["0", "2", "0", "fffff8074b2e1234"]},
    {"kind": "bugcheck", "code": "0xD1", "ago": 86400}]}
for h in inv["hosts"]:
    h.setdefault("winsim", {})["events"] = ev.get(h["name"], [])
json.dump(inv, open(sys.argv[2], "w"))
PY
check "fleet of 4 up" env BUILD="$BUILD" "$TOP/tests/fleet/fleet" up \
    "$T_TMP/inv.json" "$FLEET" || finish
: >"$FLEET/hosts/w7so-003/faults/wevtutil-denied"

kbfix discover -i "$FLEET/inventory.json" -o "$T_TMP/disc.json" \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
    2>"$T_TMP/disc.err"
check_eq "discover: exit 0" 0 "$?"
evsum=$(python3 - "$T_TMP/disc.json" <<'PY'
import json, sys
for h in json.load(open(sys.argv[1]))["hosts"]:
    e = h["evidence"]
    days = (int(e["read_at"][8:10]) - int(e["since"][8:10])) % 30
    ids = " ".join(f"{x['advisory']}/{x['event_id']}/{x.get('bugcheck', '-')}"
                   for x in e["events"])
    print(h["name"], e["state"], e.get("error", "-"), ids or "-")
PY
)
check_eq "discover: evidence per host, unknown when not read" \
"w7so-000 read - -
w7so-001 read - -
w7so-002 read - multicast-forwarding/1001/0x000000D1 tcpip-2018-07/1001/0x000000D1 multicast-forwarding/1001/0x000000D1 tcpip-2018-07/1001/0x000000D1
w7so-003 unknown wevtutil exited 5: Failed to read events. Access is denied. -" "$evsum"
check_eq "discover: only the named fields kept (no message body)" 0 \
    "$(python3 -c 'import json,sys; print(json.dumps([h["evidence"] for h in json.load(open(sys.argv[1]))["hosts"]]))' "$T_TMP/disc.json" |
    grep -c -i -e fffff8074b2e1234 -e 'rebooted from' -e params)"
check_contains "discover: the window covered" \
    "$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["hosts"][0]["evidence"]; print(sorted(e))' "$T_TMP/disc.json")" \
    "'read_at', 'since', 'state'"

# plan: the experiencing host first, the finding text, the counts.
kbfix plan -i "$T_TMP/disc.json" -o "$T_TMP/plan.json" 2>/dev/null
check_eq "plan: exit 0" 0 "$?"
check_eq "plan: the experiencing host first" "w7so-002 w7so-000 w7so-001 w7so-003" \
    "$(python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(open(sys.argv[1]))["hosts"]))' "$T_TMP/plan.json")"
# the text report folds long cells: compare with the folds undone
text=$(kbfix report "$T_TMP/plan.json" --format text 2>&1 | tr -s ' \n' '  ')
check_contains "text: the finding says what was seen" "$text" \
    "experiencing: 2 bug checks 0xD1 in the last 30 days (latest $(date -u -d '-1 day' +%Y-%m-%d)T"
check_contains "text: exposed, no crash seen" "$text" \
    "exposed, no crash seen in the last 30 days"
check_contains "text: unknown, not no crash" "$text" \
    "evidence unknown: the event log could not be read (wevtutil exited 5"
check_contains "text: counts" "$text" \
    "evidence tcpip-2018-07: 1 experiencing, 2 exposed (no crash seen), 1 evidence unknown"
md=$(kbfix report "$T_TMP/plan.json" --format markdown 2>&1)
check_contains "markdown: counts in the summary table" "$md" \
    "| Experiencing | Exposed, no crash seen | Evidence unknown |"
check_contains "markdown: tcpip counts" "$(printf '%s\n' "$md" | grep '^| tcpip-2018-07')" \
    " 1 | 2 | 1 |"
html=$(kbfix report "$T_TMP/plan.json" --format html 2>&1)
check_contains "html: a card per advisory" "$html" \
    "<div class=\"card evidence\"><b>1</b>tcpip-2018-07: 1 experiencing, 2 exposed (no crash seen), 1 evidence unknown</div>"
check_eq "json: counts" '{"experiencing": 1, "exposed": 2, "unknown": 1}' \
    "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["evidence_counts"]["tcpip-2018-07"]))' "$T_TMP/plan.json")"
expl=$(kbfix explain -i "$T_TMP/disc.json" w7so-002 2>&1)
check_contains "explain: the same sentence" "$expl" \
    "experiencing: 2 bug checks 0xD1 in the last 30 days"
finish

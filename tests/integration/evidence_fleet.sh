#!/usr/bin/env bash
# valgrind: skip
# kbfix evidence on the simulated fleet (issue 12): hosts with and without
# crashes in their event logs (winsim.events), apply with a reboot, a
# crash injected after the reboot on one host; evidence reports exactly
# the seeded events before the run, flags the host that crashed again,
# shows none for the others, and says "evidence unknown" for a host
# whose log cannot be read.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.12.2}
. "$TOP/tests/apply/common.sh"

# Four Windows 7 hosts (tcpip-2018-07 applies): w7so-000 crashed twice
# with 0xD1 (the second also as Kernel-Power 41: one crash) and logged
# AFD 16002; w7so-001 and w7so-003 have a clean log; w7so-002 crashed
# 40 days ago, outside the 30 days looked at.
$MKRUN inventory 4 "$T_TMP/inv0.json" --profiles=w7so || finish
python3 - "$T_TMP/inv0.json" "$T_TMP/inv.json" <<'PY'
import json, sys
inv = json.load(open(sys.argv[1]))
ev = {
    "w7so-000": [
        {"kind": "bugcheck", "code": "0xD1", "ago": 3 * 86400,
         "params": ["0", "2", "0", "fffff8074b2e1234"]},
        {"kind": "kp41", "code": "0xD1", "ago": 86400 + 300},
        {"kind": "bugcheck", "code": "0xD1", "ago": 86400},
        {"kind": "afd", "ago": 7200},
        {"kind": "scm", "id": 7036, "service": "Print Spooler", "ago": 60}],
    "w7so-002": [{"kind": "bugcheck", "code": "0xD1", "ago": 40 * 86400}],
}
for h in inv["hosts"]:
    h.setdefault("winsim", {})["events"] = ev.get(h["name"], [])
json.dump(inv, open(sys.argv[2], "w"))
PY
check "fleet of 4 up" env BUILD="$BUILD" "$TOP/tests/fleet/fleet" up \
    "$T_TMP/inv.json" "$FLEET" || finish

# discover reads the same logs: the advisories the seeded events point to
# become the hosts' `experiencing` (0xD1 points to multicast-forwarding
# too; the planner decides what applies), the 40-day-old crash only with
# --since 60, nothing with --no-evidence.
exp() {
	python3 -c 'import json, sys
for h in json.load(open(sys.argv[1]))["hosts"]:
    print(h["name"], ",".join(h.get("experiencing", [])) or "-")' "$1"
}
disc() {
	kbfix discover -i "$FLEET/inventory.json" -o "$T_TMP/disc.json" \
	    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" "$@"
}
disc 2>"$T_TMP/disc.err"
check_eq "discover: exit 0" 0 "$?"
check_eq "discover: experiencing from the logs" "w7so-000 multicast-forwarding,tcpip-2018-07
w7so-001 -
w7so-002 -
w7so-003 -" "$(exp "$T_TMP/disc.json")"
check_contains "discover: says so" "$(cat "$T_TMP/disc.err")" \
    "w7so-000: 3 event(s) in its logs point to an advisory"
disc --since 60 2>/dev/null
check_eq "discover --since 60: the old crash too" "w7so-002 multicast-forwarding,tcpip-2018-07" \
    "$(exp "$T_TMP/disc.json" | grep w7so-002)"
disc --no-evidence 2>/dev/null
check_eq "discover --no-evidence" "-" \
    "$(exp "$T_TMP/disc.json" | awk '$1=="w7so-000"{print $2}')"

apply_plan all
apply_bundle "$T_TMP/all.json"
out=$(kb_apply "$T_TMP/all.json" "$T_TMP/run" --canary 0 --parallel 4 2>&1)
check_eq "apply: exit 0" 0 "$?"

# A crash after w7so-001's reboot; w7so-003's log can no longer be read.
check "crash injected after the fix" python3 "$TOP/tests/fleet/fleetctl.py" \
    event "$FLEET/hosts/w7so-001" '{"kind": "kp41", "code": "0xD1"}'
: >"$FLEET/hosts/w7so-003/faults/wevtutil-denied"

ev() {
	kbfix evidence "$T_TMP/run" --known-hosts "$FLEET/known_hosts" \
	    -k "$FLEET/id_ed25519" "$@"
}
json=$(ev --json 2>"$T_TMP/ev.err"); rc=$?
check_eq "evidence: exit 3 (one host unknown)" 3 "$rc"
check_contains "progress on stderr" "$(cat "$T_TMP/ev.err")" \
    "evidence: w7so-000: 3 event(s) point to an advisory"
summary=$(python3 - "$json" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
for h in doc["hosts"]:
    if h["evidence"] == "unknown":
        print(h["name"], h["state"], "unknown", h["error"])
        continue
    a = {x["id"]: x for x in h["advisories"]}["tcpip-2018-07"]
    kinds = " ".join(f"{e['event_id']}/{e.get('bugcheck', '-')}/{e['when']}"
                     for e in a["events"])
    print(h["name"], h["state"], a["before"], a["after"],
          a["crashed_after_fix"], kinds)
PY
)
check_eq "evidence: exactly the seeded events, the crash after the fix" \
"w7so-000 done 3 0 False 16002/-/before 1001/0x000000D1/before 1001/0x000000D1/before
w7so-001 done 0 1 True 41/0x000000D1/after
w7so-002 done 0 0 False 
w7so-003 done unknown wevtutil exited 5: Failed to read events. Access is denied." \
    "$summary"
check_eq "evidence: the 7036 (no advisory) and the old crash not reported" 0 \
    "$(printf '%s' "$json" | grep -c -e 7036 -e Spooler)"

text=$(ev 2>/dev/null)
check_contains "text: the host that crashed again is flagged" "$text" \
    "w7so-001: fixed"
check_contains "text: flag" "$(printf '%s\n' "$text" | grep 'w7so-001: fixed' |
    head -1)" "after the fix: $(date -u +%Y-%m-%d): 1 bug check 0xD1  CRASHED AGAIN AFTER THE FIX"
check_contains "text: before the run, per kind" "$text" \
    "before the run: 1 AFD 16002, 2 bug check 0xD1; after the fix: none"
check_eq "text: only w7so-001 flagged" 1 \
    "$(printf '%s\n' "$text" | grep -c 'CRASHED AGAIN')"
check_contains "text: unknown, not no crash" "$text" \
    "w7so-003: fixed"
check_contains "text: unknown reason" "$text" "evidence unknown (wevtutil exited 5"
check_contains "text: an advisory not planned for the host" "$text" \
    "w7so-001: not planned for this advisory; before the run: none; after the run: $(date -u +%Y-%m-%d): 1 bug check 0xD1"
check_contains "text: summary" "$text" \
    "4 host(s): 1 crashed again after the fix, 1 with evidence unknown"

# The review embeds what kbfix evidence wrote into the run directory.
check "evidence: RUN_DIR/evidence.json written" \
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["format"] == "kbfix-evidence/1"' \
    "$T_TMP/run/evidence.json"
rv=$(kbfix report "$T_TMP/run" 2>&1)
check_contains "review: evidence read" "$rv" \
    "Evidence: kbfix evidence read the logs at"
check_contains "review: one host crashed again" "$rv" \
    "1 host(s) crashed again after the fix"
check_eq "review: fits 100 columns" "" "$(printf '%s\n' "$rv" | awk 'length > 100')"
check_eq "review: the host flagged, per advisory, before / after" \
    "w7so-001 tcpip-2018-07 0 0 1 CRASHED AGAIN AFTER THE FIX" \
    "$(printf '%s\n' "$rv" | grep 'CRASHED AGAIN' | tr -s ' ')"
check_contains "review: w7so-000's crashes were before the run" "$rv" \
    "$(printf '%-18s %-22s %-6s %-6s %-5s -' w7so-000 tcpip-2018-07 3 0 0)"
check_contains "review: unknown, not no crash" "$rv" \
    "w7so-003           -                      -      -      -     evidence unknown: wevtutil exited 5"
rvmd=$(kbfix report "$T_TMP/run" --format markdown 2>&1)
check_contains "review markdown: the table" "$rvmd" \
    "| w7so-001 | tcpip-2018-07 | 0 | 0 | 1 | CRASHED AGAIN AFTER THE FIX |"
rvjson=$(kbfix report "$T_TMP/run" --format json 2>&1)
check_eq "review json: crashed again" "1 w7so-001" "$(printf '%s' "$rvjson" |
    python3 -c 'import json,sys; e=json.load(sys.stdin)["evidence"]; print(e["crashed_again"], " ".join(r["host"] for r in e["rows"] if r["crashed_after_fix"]))')"
check_contains "review html: the row marked" "$(kbfix report "$T_TMP/run" --format html 2>&1)" \
    "<tr class=\"late\"><td>w7so-001</td><td>tcpip-2018-07</td><td>0</td><td>0</td><td>1</td><td>CRASHED AGAIN AFTER THE FIX</td></tr>"
# A bad evidence file: refused, naming the field; none: the review says so.
cp "$T_TMP/run/evidence.json" "$T_TMP/evidence.good"
python3 - "$T_TMP/run/evidence.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["hosts"][1]["advisories"][0]["after"] = "many"
json.dump(d, open(sys.argv[1], "w"))
PY
out=$(kbfix report "$T_TMP/run" 2>&1); rc=$?
check_eq "review: a bad evidence.json: exit 2" 2 "$rc"
check_contains "review: names the field" "$out" \
    "evidence.json: hosts[1].advisories[0].after: must be a count"
rm "$T_TMP/run/evidence.json"
check_contains "review without evidence: says how to get it" \
    "$(kbfix report "$T_TMP/run" 2>&1)" \
    "Evidence: none: run \`kbfix evidence RUN_DIR\` to compare crashes"

# Bad usage: a folder that is no run.
out=$(kbfix evidence "$T_TMP" 2>&1); rc=$?
check_eq "no run directory: exit 2" 2 "$rc"
out=$(kbfix evidence "$T_TMP/run" --since 0 2>&1); rc=$?
check_eq "--since 0: exit 2" 2 "$rc"
finish

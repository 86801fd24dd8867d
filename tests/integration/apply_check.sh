#!/usr/bin/env bash
# valgrind: skip
# kbfix apply --check (issue 15 item 4): connects, runs preflight and
# capture, prints per host what apply would change (values old -> new,
# packages, reboot) and drift, and changes nothing: every file of the
# simulated hosts' state stays byte for byte the same (the command log
# aside), and no journal is written.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.15.60
. "$TOP/tests/apply/common.sh"

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so,mix,w7so || finish
apply_plan plan
apply_bundle "$T_TMP/plan.json"
# w7so-002: the plan was made for another build (drift).
python3 - "$T_TMP/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    if h["name"] == "w7so-002":
        h["version"] = "6.1.7600"
json.dump(p, open(sys.argv[1], "w"))
PY
# state_sums: every state file but the command log and the lock
state_sums() {
	(cd "$FLEET/hosts/" && find -L . -type f ! -name events.log \
	    ! -name lock -print0 | sort -z | xargs -0 sha256sum)
}
before=$(state_sums)
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" --check \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" 2>"$T_TMP/err")
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
check_eq "check: exit 3 (a host drifted)" 3 "$rc"
check_contains "check: registry old -> new" "$out" \
    'registry HKLM\Software\Microsoft\SQMClient\Windows\CEIPEnable: REG_DWORD 0x1 -> REG_DWORD 0'
check_contains "check: multicast" "$out" \
    "multicast forwarding (ipv4): enabled -> disabled"
check_contains "check: package (no identity in the bundle)" "$out" \
    "package KB4345459: install Windows6.1-KB4345459-x64.cab from windows6.1-kb4345459-x64_"
check_contains "check: no identity: says what dism is checked for" "$out" \
    "identity unknown (no package_identity in the bundle), dism is checked for Package_for_KB4345459"
check_contains "check: reboot" "$out" "reboot: yes, after the install (planned)"
check_contains "check: drift" "$out" \
    "w7so-002: drifted: build is 6.1.7601, the plan was made for 6.1.7600 [drifted]"
check_contains "check: summary" "$out" "2 checked, 1 drifted or not read, 0 failed; nothing was changed"
check_eq "check: host state byte for byte unchanged" "$before" "$(state_sums)"
check "check: commands were run (it did connect)" \
    grep -q " cmd reg query" "$FLEET/hosts/w7so-000/events.log"
check "check: no change command" bash -c '! grep -qE " cmd (reg add|dism /online /add|netsh .* set|shutdown)" "$@"' _ \
    "$FLEET"/hosts/*/events.log
# a bundle from kbfix fetch carries the package's identity: --check shows
# what dism will list, then the .cab and the file
apply_bundle "$T_TMP/plan.json" --identity
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" --check \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
    --limit w7so-000 2>&1)
check_contains "check: package identity and KB" "$out" \
    "package KB4345459: install Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1 (Windows6.1-KB4345459-x64.cab from windows6.1-kb4345459-x64_"
check "check: with the identity, no 'unknown'" \
    bash -c '! grep -q "identity unknown" <<<"$1"' _ "$out"
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" --check \
    --run-dir "$T_TMP/run" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --limit w7so-000 2>&1); rc=$?
check_eq "check --limit: exit 0" 0 "$rc"
check "check: no journal, no run directory" test ! -e "$T_TMP/run"
# after a real apply, check says there is nothing left to do
out=$(kb_apply "$T_TMP/plan.json" "$T_TMP/run" --limit w7so-000 2>&1)
out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" --check \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
    --limit w7so-000 2>&1)
check_contains "check after apply: value as planned" "$out" \
    "REG_DWORD 0x0, as planned already"
check_contains "check after apply: package installed" "$out" \
    "package KB4345459: installed already as Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1"
check_contains "check after apply: no reboot" "$out" "reboot: no (nothing to install)"
finish

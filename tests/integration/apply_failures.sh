#!/usr/bin/env bash
# valgrind: skip
# Failures on the simulated fleet: a failing canary stops the run; a dism
# failure is rolled back automatically to the exact prior registry and
# multicast state; --max-fail decides whether later waves start; a
# package that is not applicable fails with that reason.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/apply/common.sh"

F=add-package-fail=0x80070005
check "fleet of 13 up" apply_fleet_up 13 \
    --profiles=mix,w7so,w7so,mix,w7so,w7so,w7so,mix,w7so,w7so,w7so,w7so,w7so \
    --faults=mix-000:$F --faults=mix-003:$F --faults=mix-007:$F \
    --faults=w7so-011:not-applicable= \
    --faults=w7so-012:drop=add-package || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
snap_all before

# 1. The canary (first host) fails: nothing else starts.
apply_plan canary --only mix-000,w7so-001,w7so-002
out=$(kb_apply "$T_TMP/canary.json" "$T_TMP/run1" 2>&1); rc=$?
check_eq "failing canary: exit 3" 3 "$rc"
check_contains "failing canary: run stopped" "$out" \
    "run stopped: the canary wave failed"
check_eq "failing canary: others not started" \
    "mix-000 rolled-back
w7so-001 not-started
w7so-002 not-started" "$(host_states "$T_TMP/run1")"
check_eq "others untouched" "$(snap_was w7so-001 before)
$(snap_was w7so-002 before)" "$(snap_now w7so-001)
$(snap_now w7so-002)"
check_contains "failure reason" "$(kbfix status "$T_TMP/run1")" \
    "mix-000: KB4345459 was not installed: dism /add-package exited 0x80070005 (access denied)"

# 2. The dism failure was rolled back exactly: CEIPEnable 0x1 and
# multicast forwarding enabled again (the workarounds had changed both).
check_contains "workarounds had been applied" "$T_TMP/run1/journal.jsonl" \
    '"ev":"done","host":"mix-000","step":"workaround","action":1'
check_eq "auto rollback restores registry and multicast exactly" \
    "$(snap_was mix-000 before)" "$(snap_now mix-000)"
check_contains "rollback steps journaled" "$T_TMP/run1/journal.jsonl" \
    '"ev":"done","host":"mix-000","step":"rb-multicast"'

# 3. --max-fail 0 (default): a failure in wave 1 stops before wave 2.
apply_plan mf0 --only mix-003,w7so-004,w7so-005,w7so-006
out=$(kb_apply "$T_TMP/mf0.json" "$T_TMP/run2" --canary 0 --parallel 2 2>&1)
rc=$?
check_eq "max-fail 0: exit 3" 3 "$rc"
check_eq "max-fail 0: wave 2 not started" \
    "mix-003 rolled-back
w7so-004 done
w7so-005 not-started
w7so-006 not-started" "$(host_states "$T_TMP/run2")"
check_contains "max-fail 0: reason" "$out" \
    "run stopped: 1 of 2 hosts failed (--max-fail 0%)"

# 4. --max-fail 50: one failure of two is within it, wave 2 runs.
apply_plan mf50 --only mix-007,w7so-008,w7so-009,w7so-010
out=$(kb_apply "$T_TMP/mf50.json" "$T_TMP/run3" --canary 0 --parallel 2 \
    --max-fail 50 2>&1); rc=$?
check_eq "max-fail 50: exit 3 (one failed)" 3 "$rc"
check_eq "max-fail 50: wave 2 ran" \
    "mix-007 rolled-back
w7so-008 done
w7so-009 done
w7so-010 done" "$(host_states "$T_TMP/run3" | sort)"

# 5. Not applicable: failed with the reason, and rolled back.
apply_plan na --only w7so-011
out=$(kb_apply "$T_TMP/na.json" "$T_TMP/run4" 2>&1); rc=$?
check_eq "not applicable: exit 3" 3 "$rc"
check_contains "not applicable: reason" "$out" \
    "KB4345459 is not applicable to this host"
check_eq "not applicable: host as before" "$(snap_was w7so-011 before)" \
    "$(snap_now w7so-011)"

# 6. The connection drops right after dism /add-package: kbfix
# reconnects, finds the package installed, records it and goes on.
apply_plan drop --only w7so-012
out=$(kb_apply "$T_TMP/drop.json" "$T_TMP/run6" 2>&1); rc=$?
check_eq "dropped connection: exit 0" 0 "$rc"
check "dropped connection: the simulator did drop it" \
    grep -q "drop" "$(host_dir w7so-012)/events.log"
check_contains "dropped connection: install recorded with its identity" \
    "$T_TMP/run6/journal.jsonl" \
    '"ev":"done","host":"w7so-012","step":"install","action":1,"state":"reboot-required","kb":"KB4345459","identity":"Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1"'
check_contains "dropped connection: installed" "$(snap_now w7so-012)" \
    "KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed"

# 7. Bad input: a KB missing from the bundle is refused before anything.
python3 - "$T_TMP/canary.json" "$T_TMP/bad.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["hosts"][1]["actions"][1]["kb"] = "KB4999999"
json.dump(p, open(sys.argv[2], "w"))
PY
out=$(kb_apply "$T_TMP/bad.json" "$T_TMP/run5" 2>&1); rc=$?
check_eq "KB not in bundle: exit 2" 2 "$rc"
check_contains "KB not in bundle: message" "$out" \
    "no file for KB4999999 (x64) needed by host w7so-001"
check "KB not in bundle: no journal" test ! -s "$T_TMP/run5/journal.jsonl"
finish

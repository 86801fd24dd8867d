#!/usr/bin/env bash
# valgrind: skip
# kbfix report RUN_DIR: the review after the window, from the journal
# (issue 13, item 4).  An interrupted run (SIGKILL mid-run) shows the
# hosts still pending; a report beside a running resume neither waits for
# nor disturbs it; the finished run shows waves and hosts planned against
# actual, the failure with its error and the rollback.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.13.2}
. "$TOP/tests/apply/common.sh"

if ! apply_fleet_up 3 --profiles=w7so,r2mr \
    --faults=r2mr-001:add-package-fail=0x80070005; then
	not_ok "fleet of 3 up"
	finish
fi
apply_plan plan --groups 2 --waves 2
apply_bundle "$T_TMP/plan.json"
RUN=$T_TMP/run

# 1. killed after 10 journal records: interrupted, hosts pending
KBFIX_TEST_KILL_AFTER=10 kb_apply "$T_TMP/plan.json" "$RUN" --parallel 2 \
    --max-fail 100 --window now/2h >/dev/null 2>&1
txt=$(kbfix report "$RUN"); rc=$?
check_eq "report of an interrupted run: exit 0" 0 "$rc"
check_contains "interrupted run: no end record" "$txt" "running or interrupted"
check_contains "interrupted run: hosts still pending" "$txt" " pending"
check_contains "interrupted run: pending hosts listed" \
    "$(kbfix report "$RUN" --format markdown)" "## Still pending"
check_eq "text fits 100 columns" "" \
    "$(kbfix report "$RUN" | awk 'length > 100')"
st=$(kbfix status "$RUN")
check_contains "status: the current wave" "$st" "wave 0 of 3 running"
check_contains "status: the time left in the window" "$st" "left in the window (ends"
# colours only on a terminal, never with NO_COLOR
check_contains "a terminal gets colours" \
    "$(script -qec "$KBFIX report $RUN" /dev/null)" $'\033['
check_eq "NO_COLOR: none" "0" \
    "$(NO_COLOR=1 script -qec "$KBFIX report $RUN" /dev/null | grep -c $'\033\\[')"
check_eq "not a terminal: none" "0" "$(kbfix report "$RUN" | grep -c $'\033\\[')"

# 2. beside a running resume: no lock taken, the resume is not disturbed
echo 250 >"$FLEET/hosts/w7so-002/faults/slow"
kbfix resume "$RUN" >"$T_TMP/resume.out" 2>&1 &
rpid=$!
sleep 1
during=$(kbfix report "$RUN" --format json); rc=$?
check_eq "report beside a running resume: exit 0" 0 "$rc"
check "report beside a running resume: a kbfix-review/1 document" \
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(d["format"] != "kbfix-review/1")' "$during"
wait $rpid; rc=$?
rm -f "$FLEET/hosts/w7so-002/faults/slow"
check_eq "the resume finished undisturbed (one host failed: exit 3)" 3 "$rc"
check "the resume never saw another kbfix" \
    bash -c "! grep -q 'another kbfix' '$T_TMP/resume.out'"

# 3. the finished run: planned against actual, failure, rollback
md=$(kbfix report "$RUN" --format markdown)
check_contains "finished" "$md" "| Run | finished |"
check_contains "the plan's hash" "$md" \
    "$(sha256sum "$T_TMP/plan.json" | cut -d' ' -f1)"
check_contains "waves planned and actual" "$md" \
    "| Wave | Hosts | Planned start | Planned end | Actual start | Actual end |"
check "every wave has an actual start" python3 - "$RUN" "$KBFIX" <<'PY'
import json, subprocess, sys
d = json.loads(subprocess.check_output([sys.argv[2], "report", sys.argv[1],
                                        "--format", "json"]))
ok = d["waves"] and all(w["start_ms"] > 0 and w["end_ms"] >= w["start_ms"] for w in d["waves"])
hosts = {h["name"]: h for h in d["hosts"]}
ok = ok and hosts["r2mr-001"]["state"] == "rolled-back" and hosts["r2mr-001"]["rolled_back"]
ok = ok and all(h["reboot_ms"] > 0 for n, h in hosts.items() if h["state"] == "done")
ok = ok and all(any(s["step"] == "verify" for s in h["steps"]) for h in hosts.values() if h["state"] == "done")
sys.exit(0 if ok else 1)
PY
check_contains "the failure with its error" "$md" "0x80070005"
check_contains "rollbacks name the host" \
    "$(printf '%s\n' "$md" | sed -n '/^## Rollbacks/,/^## D/p')" "- r2mr-001"
check_contains "reboot downtime per host" "$md" "| Reboot downtime |"
html=$(kbfix report "$RUN" --format html)
check_contains "html: actual timeline per host" "$html" \
    '<g class="actual" data-host="r2mr-001">'
check_contains "html: the failed step drawn" "$html" '<rect class="fail"'
check_status "csv is not a review format" 2 kbfix report "$RUN" --format csv
check_status "a directory without a run" 2 kbfix report "$T_TMP/bundle"
finish

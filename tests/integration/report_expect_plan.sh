#!/usr/bin/env bash
# kbfix apply --expect-plan: the approved plan is the plan that runs.  A
# plan with another SHA-256 is refused with exit 2 before anything starts
# (no run directory); the run records the hash (issue 13, item 2).  Manual
# hosts only: no connection needed.
. "$(dirname "$0")/../lib.sh"

cat >"$T_TMP/inv.json" <<'JSON'
{"hosts": [
 {"name": "mix-000", "address": "127.0.5.250", "port": 2222, "user": "winsim",
  "arch": "x64"}]}
JSON
python3 "$TOP/tests/apply/mkrun.py" plan "$T_TMP/inv.json" "$T_TMP/plan.json" \
    --manual mix-000
. "$TOP/tests/apply/manual_bundle.sh"
manual_bundle "$T_TMP/bundle"
sha=$(sha256sum "$T_TMP/plan.json" | cut -d' ' -f1)
# the approved plan, then one changed by a byte
cp "$T_TMP/plan.json" "$T_TMP/edited.json"
printf ' ' >>"$T_TMP/edited.json"

out=$(kbfix apply "$T_TMP/edited.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run-edited" --expect-plan "$sha" 2>&1); rc=$?
check_eq "another plan: exit 2" 2 "$rc"
check_contains "another plan: says which hash and why" "$out" \
    "not the approved $sha"
check "another plan: no run directory written" test ! -e "$T_TMP/run-edited"

out=$(kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run-bad" --expect-plan 1234 2>&1); rc=$?
check_eq "a hash that is not SHA-256: exit 2" 2 "$rc"
check_contains "a hash that is not SHA-256: says so" "$out" \
    "not a SHA-256 (64 hex digits)"
check "bad hash: no run directory written" test ! -e "$T_TMP/run-bad"

upper=$(printf '%s' "$sha" | tr a-f A-F)
kbfix apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run" --expect-plan "$upper" >/dev/null 2>&1
# exit 4: it ran, and its manual hosts still need hands (their runbooks)
check_eq "the approved plan runs (hex in any case)" 4 $?
check_contains "run.json records the plan's SHA-256" "$T_TMP/run/run.json" \
    "\"plan_sha256\": \"$sha\""
check_eq "the run's copy of the plan has that hash" "$sha" \
    "$(sha256sum "$T_TMP/run/plan.json" | cut -d' ' -f1)"
finish

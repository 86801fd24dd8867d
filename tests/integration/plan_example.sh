#!/usr/bin/env bash
# The example inventory gives exactly the expected plan (examples/), and the
# README's first command (./dev example) prints its report.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

out=$T_TMP/plan.json
kbfix plan -i examples/inventory.json -o "$out"
check "plan -o writes a plan" test -s "$out"
# "created" is the only field that changes from run to run
diff <(grep -v '"created"' examples/expected-plan.json) \
    <(grep -v '"created"' "$out") > "$T_TMP/diff"
check "plan equals examples/expected-plan.json (created dropped)" \
    test ! -s "$T_TMP/diff"
head -20 "$T_TMP/diff"

KBFIX_NOW=2026-11-21T12:00:00Z kbfix plan -i examples/inventory.json \
    --format json > "$T_TMP/now.json"
check "KBFIX_NOW makes the whole plan reproducible" \
    cmp -s examples/expected-plan.json "$T_TMP/now.json"

text=$(kbfix plan -i examples/inventory.json --format text)
check_contains "text summary counts every status" "$text" \
    "needs-action 12, blocked 1, unknown 1, exposed 0, compliant 2, not-applicable 1"
# --hotfix-policy evidence: legacy08 has two WFP drivers but no experiencing:
# exposed to KB979278, shown, not planned
check_contains "example has an exposed finding (no evidence)" \
    "$(grep -E '"advisory": "wfp-two-callouts", "state": "exposed"' examples/expected-plan.json)" \
    "No later service pack of Windows Server 2008 lists the fix."
for s in needs-action blocked unknown compliant not-applicable; do
	check_contains "example covers status $s" "$(grep "\"status\": \"$s\"" \
	    examples/expected-plan.json | head -1)" "$s"
done
for a in tcpip-2018-07 wfp-classify-handle ws2-unload-ceip wfp-two-callouts \
    multicast-forwarding; do
	check_contains "example has an $a action or blocked finding" \
	    "$(grep -E "\"advisory\": \"$a\", \"state\": \"(affected|blocked)\"" \
	    examples/expected-plan.json | head -1)" "$a"
done
check_contains "Windows 7 and 2008 R2 KBs are separate packages" "$text" \
    "KB4338821  Windows Server 2008 R2   x64      2  web02 web03"

for f in examples/inventory.csv examples/ad-export.csv; do
	kbfix plan -i "$f" --format json > "$T_TMP/o.json"
	check "plan reads $f" grep -q '"format": "kbfix-plan/1"' "$T_TMP/o.json"
done
check_contains "AD export hosts are unknown until discovered" \
    "$(kbfix plan -i examples/ad-export.csv)" "unknown 5"
finish

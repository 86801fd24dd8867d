#!/usr/bin/env bash
# The example plan's Markdown is a change request a CAB can approve: every
# section is there and filled from the plan (issue 13, item 1).
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

plan=$T_TMP/plan.json
kbfix plan -i examples/inventory.json --created 2026-11-21T12:00:00Z \
    --window 2026-11-21T23:00:00+01:00/4h -o "$plan"
md=$(kbfix report "$plan" --format markdown)
sha=$(sha256sum "$plan" | cut -d' ' -f1)

for s in "## 1. Summary and justification" "## 2. Risk and impact" \
    "## 3. Schedule" "## 4. Implementation steps" \
    "## 5. Verification and abort criteria" "## 6. Back-out plan" \
    "## 7. Prerequisites" "## 8. Approval"; do
	check_contains "section: $s" "$md" "$s"
done
# summary: every advisory with its KB and symptoms, counts from findings
check_contains "advisory row with KB and symptoms" "$md" \
    "| wfp-classify-handle | KB976527 | Stop 0x50 in tcpip.sys"
check_contains "tcpip advisory counts 7 affected, 1 unknown" "$md" \
    "W3SVC stuck stopping) | 7 | 0 | 1 |"
check_contains "hosts and reboots from the plan" "$md" "| Reboots | 10 |"
# risk: roles per wave, reboot groups, largest blast radius, blocked why
check_contains "wave 1 names its roles and groups" "$md" \
    "| 1 | 10 | 8 | 3 | iis | iis, sql |"
check_contains "wave 2 names sql" "$md" "| 2 | 2 | 2 | 0 | sql | iis, sql |"
check_contains "largest blast radius" "$md" \
    "Largest blast radius: wave 1, 10 host(s) at once (roles: iis)"
check_contains "blocked host with its reason" "$md" \
    "- kiosk01 (blocked): ws2-unload-ceip: CEIPEnable=1"
check_contains "unknown host with the fact to collect" "$md" \
    "- new01 (unknown): tcpip-2018-07: The inventory does not list"
# schedule in UTC and in the window's own offset
check_contains "window in UTC and +01:00" "$md" \
    "2026-11-21 22:00 UTC to 2026-11-22 02:00 UTC (2026-11-21 23:00 +01:00 to 2026-11-22 03:00 +01:00)"
check_contains "wave 2 planned start and end, both clocks" "$md" \
    "| 2 | 2 | 2026-11-21 22:12 UTC | 2026-11-21 22:25 UTC | 2026-11-21 23:12 +01:00 | 2026-11-21 23:25 +01:00 | yes |"
# verification, abort, back-out, prerequisites
check_contains "verification names the installs" "$md" \
    "DISM lists each installed package as Installed (10 install(s))"
check_contains "canary abort" "$md" "when the canary fails"
check_contains "max-fail abort" "$md" "--max-fail PCT"
check_contains "back-out command" "$md" "kbfix rollback RUN_DIR --host NAME"
check_contains "WSUS classification" "$md" "classification \"Updates\""
check_contains "package listed as Updates" "$md" \
    "| KB4338821 | Windows Server 2008 R2 | x64 | Updates | 2 |"
check_contains "OpenSSH prerequisite counts ssh hosts" "$md" \
    "9 host(s) reached over SSH: Win32-OpenSSH"
# approval: the file's SHA-256 and the exact apply command
check_contains "SHA-256 of the plan file" "$md" "| Plan SHA-256 | \`$sha\` |"
check_contains "exact apply command" "$md" \
    "    kbfix apply $plan --bundle bundle/ --run-dir RUN_DIR --expect-plan $sha"
# plan --format markdown hashes the document plan -o writes
check_contains "plan --format markdown names the same hash" \
    "$(kbfix plan -i examples/inventory.json --created 2026-11-21T12:00:00Z \
    --window 2026-11-21T23:00:00+01:00/4h --format markdown)" "$sha"
# the text report: 100 columns, colours only on a terminal without NO_COLOR
check_eq "plan text fits 100 columns" "" \
    "$(kbfix plan -i examples/inventory.json | awk 'length > 100')"
check "plan on a terminal: colours" bash -c "script -qec '$KBFIX plan -i \
    examples/inventory.json' /dev/null | grep -q $'\033\\['"
check_eq "plan with NO_COLOR: none" 0 "$(NO_COLOR=1 script -qec \
    "$KBFIX plan -i examples/inventory.json" /dev/null | grep -c $'\033\\[')"
check_status "report of a missing plan is bad input" 2 \
    kbfix report "$T_TMP/nope.json"
finish

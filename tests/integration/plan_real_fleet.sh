#!/usr/bin/env bash
# Issue 11: a 10,000-host Active Directory export with machines outside
# every advisory (Windows 11, Server 2019/2022/2025), semi-annual Server
# 1803, and strings kbfix does not know (XP, Server 2003, Embedded) plans
# whole, and the summary counts them.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

python3 - "$T_TMP/ad.csv" <<'PY'
import sys
rows = [
    ("Windows 7 Professional", "6.1 (7601)"),
    ("Windows 11 Enterprise", "10.0 (22631)"),
    ("Windows Server 2022 Datacenter", "10.0 (20348)"),
    ("Windows Server 2019 Standard", "10.0 (17763)"),
    ("Windows Server 2025 Datacenter", "10.0 (26100)"),
    ("Windows Server Datacenter", "10.0 (17134)"),
    ("Windows XP Professional", "5.1 (2600)"),
    ("Windows Server 2003", "5.2 (3790)"),
    ("Windows Embedded Standard", "6.1 (7601)"),
    ("Windows 10 Enterprise", "10.0 (17134)"),
]
with open(sys.argv[1], "w") as f:
    f.write("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer\n")
    f.write('"Name","DNSHostName","OperatingSystem","OperatingSystemVersion"\n')
    for i in range(10000):
        os_, ver = rows[i % len(rows)]
        f.write('"PC%05d","pc%05d.corp.example.com","%s","%s"\n' % (i, i, os_, ver))
PY
kbfix plan -i "$T_TMP/ad.csv" --format json -o "$T_TMP/plan.json" 2>"$T_TMP/err"; rc=$?
check_eq "10,000-host AD export: exit 0" 0 "$rc"
check_eq "every host planned" 10000 "$(jq '.hosts | length' "$T_TMP/plan.json")"
# outside every advisory: Windows 11, Server 2022, 2019, 2025 (4 of 10)
check_eq "summary: not-applicable counted" 4000 "$(jq '.summary["not-applicable"]' "$T_TMP/plan.json")"
check_eq "summary: every host counted once" 10000 \
    "$(jq '.summary | to_entries | map(select(.key != "hosts") | .value) | add' "$T_TMP/plan.json")"
check_contains "XP: unknown, the string quoted" \
    "$(jq -r '.hosts[] | select(.name == "PC00006") | .findings[0].reason' "$T_TMP/plan.json")" \
    "The os 'Windows XP Professional' is not a Windows product kbfix knows"
check_eq "Server 1803 (semi-annual) is the Catalog's Windows Server 2016" \
    "Windows Server 2016|unknown" \
    "$(jq -r '.hosts[] | select(.name == "PC00005") | "\(.os)|\(.findings[] | select(.advisory == "tcpip-2018-07") | .state)"' "$T_TMP/plan.json")"
text=$(kbfix plan -i "$T_TMP/ad.csv")
check_contains "text summary counts them" "$text" "not-applicable 4000"
finish

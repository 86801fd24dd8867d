#!/usr/bin/env bash
# kbfix discover on a host without wmic.exe (Windows 11 24H2, Server 2025;
# winsim's no_wmic profile): the host is discovered from the registry and
# dism, its tcpip.sys version and last_boot are left as they were, and a
# warning line names the host, both fields and the fix; a host with wmic
# next to it gets no warning.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.3.40}
F=$T_TMP/fleet

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "discover without wmic test skipped (need root, sshd, bwrap)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
cat >"$T_TMP/inv.json" <<'EOF2'
{"hosts": [
 {"name": "w11", "os": "windows-10", "version": "10.0.17134", "arch": "x64",
  "installed": ["KB4338819"], "files": {"tcpip.sys": "10.0.17134.1"},
  "last_boot": "2026-01-02T03:04:05Z", "winsim": {"no_wmic": true}},
 {"name": "w10", "os": "windows-10", "version": "10.0.17134", "arch": "x64",
  "installed": ["KB4338819"], "files": {"tcpip.sys": "10.0.17134.1"},
  "last_boot": "2026-01-02T03:04:05Z"}
]}
EOF2
check "fleet up (2 hosts)" "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$F"
check_contains "w11 has no wmic" "$(ssh -F "$F/ssh_config" w11 \
    'wmic os get lastbootuptime /value' 2>&1)" "'wmic' is not recognized"
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out.json" \
    --known-hosts "$F/known_hosts" -k "$F/id_ed25519" 2>"$T_TMP/err"
check_eq "discover: exit 0 (both discovered)" 0 $?
check_contains "both discovered" "$T_TMP/err" "2 host(s) discovered, 0 failed"
check_contains "the warning: host, fields, reason, fix" "$T_TMP/err" \
    "kbfix: warning: w11: no wmic.exe (removed in Windows 11 24H2 and Windows Server 2025): files.tcpip.sys and last_boot not read, left as they were, and installed holds only the KBs dism names (a cumulative update shows as rollup); install the WMIC feature on demand (DISM /Online /Add-Capability /CapabilityName:WMIC~~~~), then discover it again"
check_eq "one warning, none for w10" 1 "$(grep -c warning "$T_TMP/err")"
# the cumulative update KB4338819 is a RollupFix: without wmic qfe it is
# known by its revision only (rollup 17134.165)
check_eq "fields: w11's kept, w10's read" \
    "w11 10.0.17134.1 2026-01-02T03:04:05Z [] 17134.165.1.5 True|w10 10.0.17134.1 read ['KB4338819'] 17134.165.1.5 True" \
    "$(python3 -c '
import json, sys
out = []
for h in json.load(open(sys.argv[1]))["hosts"]:
    lb = h.get("last_boot")
    out.append("%s %s %s %s %s %s" % (h["name"], h["files"]["tcpip.sys"],
        lb if lb == "2026-01-02T03:04:05Z" else "read", h["installed"],
        h.get("rollup"), "discovered" in h))
print("|".join(out))' "$T_TMP/out.json")"
finish

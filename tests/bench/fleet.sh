#!/usr/bin/env bash
# valgrind: skip
# Figures for the test fleet itself: winsim's cost per command, `fleet up`
# and `fleet down` of 100 hosts, one ssh command on each of them with 50
# at a time.  No pass/fail on timing.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.4.100 FLEET_PORT=2222
FLEET=$TOP/tests/fleet/fleet
WINSIM=$TOP/$BUILD/winsim
D=$T_TMP/fleet
trap '"$FLEET" down "$D" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
ms() { date +%s%3N; }

python3 - "$T_TMP/inv.json" <<'EOF'
import json, sys
os_ = ["windows-7", "windows-server-2008-r2", "windows-10", "windows-8.1"]
ver = ["6.1.7601", "6.1.7601", "10.0.17134", "6.3.9600"]
hosts = [{"name": "h%03d" % i, "os": os_[i % 4], "version": ver[i % 4],
          "installed": ["KB4338823"]} for i in range(100)]
json.dump({"hosts": hosts}, open(sys.argv[1], "w"))
EOF
python3 "$TOP/tests/fleet/fleetctl.py" state "$T_TMP/inv.json" "$T_TMP/st" h000 >/dev/null
s=$(ms)
for i in $(seq 1 500); do
	WINSIM_STATE=$T_TMP/st/h000 "$WINSIM" -c 'reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CurrentBuild & wmic qfe get HotFixID /format:list' >/dev/null
done
e=$(ms)
echo "winsim: 500 command lines in $((e - s)) ms ($(((e - s) * 1000 / 500)) us each)"

s=$(ms)
"$FLEET" up "$T_TMP/inv.json" "$D" >/dev/null || { not_ok "fleet up"; finish; }
e=$(ms)
echo "fleet up, 100 hosts: $((e - s)) ms"
ok "fleet up of 100 hosts"

s=$(ms)
cut -d' ' -f2 "$D/hosts.txt" | xargs -P 50 -I{} ssh -o BatchMode=yes \
    -o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=yes \
    -i "$D/id_ed25519" -p 2222 winsim@{} 'ver' >"$T_TMP/ver.out" 2>&1
e=$(ms)
echo "ssh 'ver' on 100 hosts, 50 at a time: $((e - s)) ms"
check_eq "every host answered" 100 "$(grep -c 'Microsoft Windows \[Version' "$T_TMP/ver.out")"

s=$(ms)
"$FLEET" down "$D" >/dev/null
e=$(ms)
echo "fleet down, 100 hosts: $((e - s)) ms"
finish

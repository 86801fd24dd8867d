#!/usr/bin/env bash
# kbfix discover against a fleet of 20 simulated Windows hosts (real sshd's
# on 127.0.3.x): every field against the simulators' state, a changed host
# key, a wrong client key, hosts that are down or hang, and inventories with
# cmd.exe metacharacters refused before any connection.
# valgrind: skip
. "$(dirname "$0")/../lib.sh"
HERE=$TOP/tests/integration
export FLEET_BASE=${FLEET_BASE:-127.0.3.2}
F=$T_TMP/fleet

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "discover fleet tests skipped (need root, sshd, bwrap)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT

python3 "$HERE/mixed_inventory.py" 20 >"$T_TMP/mixed.json"
check "fleet up (20 hosts)" "$TOP/tests/fleet/fleet" up "$T_TMP/mixed.json" "$F"
names=$(python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(open(sys.argv[1]))["hosts"]))' "$F/inventory.json")
SSH=(--known-hosts "$F/known_hosts" -k "$F/id_ed25519")

# Keys without values (reg.exe prints no line for them): a pending reboot
# told by the RebootPending or RebootRequired key alone.
printf 'K\t%s\n' 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' \
    >>"$F/hosts/h003/registry"
printf 'K\t%s\n' 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired' \
    >>"$F/hosts/h005/registry"

# 1. All 20 hosts, every field.
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out.json" "${SSH[@]}" \
    --parallel 8 2>"$T_TMP/err1"
check_eq "discover 20 hosts (exit 0)" 0 $?
check_contains "summary on stderr" "$T_TMP/err1" "20 host(s) discovered, 0 failed"
check "every field matches the simulators' state" \
    python3 "$HERE/check_discovered.py" "$T_TMP/out.json" "$F" $names
check_eq "pending reboots found (h003 h005 h006 h013 h020)" "h003 h005 h006 h013 h020" \
    "$(python3 -c 'import json,sys; print(" ".join(h["name"] for h in json.load(open(sys.argv[1]))["hosts"] if h.get("pending_reboot")))' "$T_TMP/out.json")"
check_eq "unknown fields kept" '{"kept": 7}' \
    "$(python3 -c 'import json,sys; print(json.dumps([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]=="h008"][0]["custom_field"]))' "$T_TMP/out.json")"
check_eq "plan-readable fields are typed" "True True True" \
    "$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["hosts"][3]; print(isinstance(h["installed"], list), isinstance(h["multicast_forwarding"], bool), isinstance(h["files"]["tcpip.sys"], str))' "$T_TMP/out.json")"

# 2. A changed host key is refused, with its fingerprint; the others go on.
victim=h004
sed "/^\[$(awk -v n=$victim '$1==n {print $2}' "$F/hosts.txt")\]:/d" \
    "$F/known_hosts" >"$T_TMP/kh_changed"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/other" </dev/null
addr=$(awk -v n=$victim '$1==n {print $2}' "$F/hosts.txt")
echo "[$addr]:2222 $(cut -d' ' -f1,2 "$T_TMP/other.pub")" >>"$T_TMP/kh_changed"
fp=$(ssh-keygen -lf "$F/sshd/$victim/ssh_host_ed25519_key.pub" | awk '{print $2}')
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out2.json" \
    --known-hosts "$T_TMP/kh_changed" -k "$F/id_ed25519" 2>"$T_TMP/err2"
check_eq "changed host key: exit 3" 3 $?
check_contains "changed host key refused with its fingerprint" "$T_TMP/err2" \
    "$victim: HOST KEY CHANGED for [$addr]:2222: it now offers ssh-ed25519 $fp"
check_contains "the other 19 hosts discovered" "$T_TMP/err2" "19 host(s) discovered, 1 failed"
check_eq "refused host keeps what the input had" \
    "$(python3 -c 'import json,sys; print([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]==sys.argv[2]][0])' "$F/inventory.json" $victim)" \
    "$(python3 -c 'import json,sys; print([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]==sys.argv[2]][0])' "$T_TMP/out2.json" $victim)"

# 3. Unknown host key: refused, then --accept-new records it.
head -3 "$F/known_hosts" >"$T_TMP/kh_partial"
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out3.json" \
    --known-hosts "$T_TMP/kh_partial" -k "$F/id_ed25519" 2>"$T_TMP/err3"
check_eq "unknown host keys: exit 3" 3 $?
check_contains "unknown key refused, fingerprint shown" "$T_TMP/err3" \
    "is not known (ssh-ed25519 SHA256:"
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out3.json" \
    --known-hosts "$T_TMP/kh_partial" -k "$F/id_ed25519" --accept-new 2>"$T_TMP/err3b"
check_eq "--accept-new: exit 0" 0 $?
check_eq "--accept-new recorded 17 keys" 20 "$(wc -l <"$T_TMP/kh_partial")"

# 4. A wrong client key is refused.
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/wrongkey" </dev/null
kbfix discover -i "$F/inventory.json" -o "$T_TMP/out4.json" \
    --known-hosts "$F/known_hosts" -k "$T_TMP/wrongkey" 2>"$T_TMP/err4"
check_eq "wrong client key: exit 3" 3 $?
check_contains "wrong client key refused" "$T_TMP/err4" \
    "h001: public key authentication refused for user winsim (key $T_TMP/wrongkey)"
check_eq "nothing discovered with a wrong key" \
    "$(python3 -m json.tool "$F/inventory.json")" "$(python3 -m json.tool "$T_TMP/out4.json")"

# 5. A host that is down, one that hangs and one whose connection drops
# mid-command do not hold up the others.
python3 - "$F/inventory.json" "$T_TMP/down.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["hosts"].append({"name": "gone01", "address": "127.0.3.90", "port": 2222,
                   "user": "winsim", "os": "windows-7", "installed": ["KB4338823"]})
json.dump(d, open(sys.argv[2], "w"))
PY
echo "" >"$F/hosts/h010/faults/hang"
echo "" >"$F/hosts/h012/faults/drop"
start=$(date +%s%N)
kbfix discover -i "$T_TMP/down.json" -o "$T_TMP/out5.json" "${SSH[@]}" \
    --command-timeout 3 2>"$T_TMP/err5"
check_eq "down + hanging host: exit 3" 3 $?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rm -f "$F/hosts/h010/faults/hang" "$F/hosts/h012/faults/drop"
check_contains "down host reported" "$T_TMP/err5" \
    "gone01: connect to 127.0.3.90 port 2222: Connection refused"
check_contains "hanging host reported" "$T_TMP/err5" "h010: command timed out after 3 s"
check_contains "dropped connection reported" "$T_TMP/err5" \
    "h012: connection dropped during command"
check_contains "the others discovered" "$T_TMP/err5" "18 host(s) discovered, 3 failed"
check "done within the command timeout (${ms} ms)" test "$ms" -lt 8000
check "others' fields still match" \
    python3 "$HERE/check_discovered.py" "$T_TMP/out5.json" "$F" h001 h002 h009 h011 h020
check_eq "down host kept as it was" '["KB4338823"]' \
    "$(python3 -c 'import json,sys; print(json.dumps([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]=="gone01"][0]["installed"]))' "$T_TMP/out5.json")"

# 6. cmd.exe metacharacters in the inventory: exit 2 before any connection.
# (Registry data is not among them: discover never sends it anywhere, and
# the planner reads it as data.)
logs() { cat "$F"/sshd/*/sshd.log | wc -l; }
before=$(logs)
bad() {
	local label=$1 expr=$2 want=$3
	python3 - "$F/inventory.json" "$T_TMP/bad.json" "$expr" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["hosts"][1]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
	rm -f "$T_TMP/bad-out.json"
	kbfix discover -i "$T_TMP/bad.json" -o "$T_TMP/bad-out.json" "${SSH[@]}" 2>"$T_TMP/err6"
	check_eq "$label: exit 2" 2 $?
	check_contains "$label: message names host and field" "$T_TMP/err6" "$want"
	check "$label: no output written" test ! -e "$T_TMP/bad-out.json"
}
# The planner's reader and messages: what discover accepts, plan accepts.
bad "hostname with &" 'h["name"] = "h002&calc"' \
    'hosts[1].name: must be a string of 1-63 [A-Za-z0-9._-]'
bad "registry path with ^" 'h["registry"] = {"HKLM\\Software\\X^Y\\V": 1}' \
    "hosts[1] (h002).registry: 'HKLM\Software\X^Y\V' is not a plain HKLM"
bad "registry path outside HKLM" 'h["registry"] = {"HKCU\\Software\\X\\V": 1}' \
    "hosts[1] (h002).registry: 'HKCU\Software\X\V' is not a plain HKLM"
bad "KB id with %" 'h["installed"] = ["KB4338823%PATH%"]' \
    "hosts[1] (h002).installed: 'KB4338823%PATH%' is not a KB id"
bad "KB id of five digits" 'h["installed"] = ["kb12345"]' \
    "hosts[1] (h002).installed: 'kb12345' is not a KB id"
bad "address with ;" 'h["address"] = "127.0.0.1;calc"' \
    "hosts[1] (h002).address: '127.0.0.1;calc' is not a host name"
check_eq "no connection was made for a bad inventory" "$before" "$(logs)"

finish

#!/usr/bin/env bash
# kbfix discover on a 4-host simulated fleet (also run under valgrind by
# `make valgrind`): every field against the simulators' state, one
# connection at a time (--parallel 1) and all at once.
. "$(dirname "$0")/../lib.sh"
HERE=$TOP/tests/integration
export FLEET_BASE=${FLEET_BASE:-127.0.3.2}
F=$T_TMP/fleet

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "discover small fleet test skipped (need root, sshd, bwrap)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
python3 "$HERE/mixed_inventory.py" 4 >"$T_TMP/inv.json"
check "fleet up (4 hosts)" "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$F"
for p in 1 4; do
	kbfix discover -i "$F/inventory.json" -o "$T_TMP/out$p.json" \
	    --known-hosts "$F/known_hosts" -k "$F/id_ed25519" --parallel $p \
	    2>"$T_TMP/err$p"
	check_eq "discover --parallel $p (exit 0)" 0 $?
	check_contains "--parallel $p: 4 discovered" "$T_TMP/err$p" \
	    "4 host(s) discovered, 0 failed"
	check "--parallel $p: fields match the simulators' state" \
	    python3 "$HERE/check_discovered.py" "$T_TMP/out$p.json" "$F" \
	    h001 h002 h003 h004
done
# In place: -o may name the input.
cp "$F/inventory.json" "$T_TMP/inplace.json"
kbfix discover -i "$T_TMP/inplace.json" -o "$T_TMP/inplace.json" \
    --known-hosts "$F/known_hosts" -k "$F/id_ed25519" 2>/dev/null
check "output may replace the input" \
    python3 "$HERE/check_discovered.py" "$T_TMP/inplace.json" "$F" h001 h004
kbfix discover -i "$F/inventory.json" 2>"$T_TMP/err-usage"
check_eq "missing -o: exit 2" 2 $?
check_contains "missing -o: says so" "$T_TMP/err-usage" "-o OUT.json are required"
kbfix discover --help >"$T_TMP/help"
check_contains "--help describes --accept-new" "$T_TMP/help" "--accept-new"
finish

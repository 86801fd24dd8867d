#!/usr/bin/env bash
# discover survives Ctrl-C (issue 15 item 7), on a simulated fleet: one host
# hangs; progress names it with its time (timestamped lines off a
# terminal); SIGINT ends the run within a second, writes the hosts already
# read (facts as the simulators hold them) and keeps the unfinished one as
# the input had it, listed as interrupted; the run dies of SIGINT.
# valgrind: skip (signals to a background kbfix and timings; run it with the
# ASAN build instead)
. "$(dirname "$0")/../lib.sh"
HERE=$TOP/tests/integration
export FLEET_BASE=${FLEET_BASE:-127.0.25.2}
F=$T_TMP/fleet

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "discover interrupt test skipped (need root, sshd, bwrap)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; rm -rf "$T_TMP"' EXIT
python3 "$HERE/mixed_inventory.py" 4 >"$T_TMP/inv.json"
check "fleet up (4 hosts)" "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$F"
# h003's commands never answer
echo "" >"$F/hosts/h003/faults/hang"

$KBFIX_WRAP "$KBFIX" discover -i "$F/inventory.json" -o "$T_TMP/out.json" \
    --known-hosts "$F/known_hosts" -k "$F/id_ed25519" 2>"$T_TMP/err" &
pid=$!
for i in $(seq 100); do
	grep -q "h003 (reading" "$T_TMP/err" 2>/dev/null && break
	sleep 0.1
done
check_contains "progress: the two quick hosts end" "$T_TMP/err" "discover: h002: discovered"
check_contains "progress: the slow host named, with its time" "$T_TMP/err" \
    "discover: 3/4 host(s) done, 0 failed; reading h003 (reading, "
check "progress: timestamped lines off a terminal" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z kbfix: discover: h001: discovered \([0-9]/4\)$' "$T_TMP/err"
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "SIGINT: dies of SIGINT (130)" 130 "$rc"
check "SIGINT: ends within 3 s ($ms ms)" test "$ms" -lt 3000
check_contains "SIGINT: the hanging host listed as interrupted" "$T_TMP/err" \
    "h003: not discovered: interrupted while reading it"
check_contains "SIGINT: says what it wrote" "$T_TMP/err" \
    "discover: SIGINT: stopped; $T_TMP/out.json written with the hosts read so far"
check_contains "SIGINT: summary" "$T_TMP/err" "3 host(s) discovered, 1 failed"
check "SIGINT: the hosts read are written, as the simulators hold them" \
    python3 "$HERE/check_discovered.py" "$T_TMP/out.json" "$F" h001 h002 h004
check_eq "SIGINT: the interrupted host kept as the input had it" \
    "$(python3 -c 'import json,sys; print(json.dumps([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]=="h003"][0], sort_keys=True))' "$F/inventory.json")" \
    "$(python3 -c 'import json,sys; print(json.dumps([h for h in json.load(open(sys.argv[1]))["hosts"] if h["name"]=="h003"][0], sort_keys=True))' "$T_TMP/out.json")"
check "SIGINT: the output is a plannable inventory" kbfix plan -i "$T_TMP/out.json" -o "$T_TMP/plan.json"
finish

#!/usr/bin/env bash
# Benchmark: kbfix apply on 100 simulated hosts (300 ms reboot) with
# --parallel 50.  Prints the wall time, kbfix's CPU time, and the ratio of
# the wall time to (the slowest host's own time x the number of waves):
# 1.0 would mean the waves cost nothing beyond their slowest host.
# Target: at most 1.5.
. "$(dirname "$0")/../lib.sh"
FLEET_DOWN_MS=300
. "$TOP/tests/apply/common.sh"

N=${BENCH_HOSTS:-100}
check "fleet of $N up" apply_fleet_up "$N" --profiles=w7so,r2mr,s12r2,w10,mix ||
    finish
apply_plan plan
apply_bundle "$T_TMP/plan.json"

/usr/bin/time -f '%e %U %S' -o "$T_TMP/time" \
    "$KBFIX" apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --reboot-delay 0 --parallel 50 \
    >"$T_TMP/out" 2>&1
rc=$?
check_eq "apply: exit 0" 0 "$rc"
check_contains "apply: all done" "$T_TMP/out" "$N done, 0 failed"

read -r wall user sys <"$T_TMP/time"
python3 - "$T_TMP/run/journal.jsonl" "$wall" "$user" "$sys" <<'PY'
import json, sys
start, end, waves = {}, {}, 0
first = last = None
for line in open(sys.argv[1]):
    r = json.loads(line)
    first = r["ms"] if first is None else first
    last = r["ms"]
    h = r.get("host")
    if h and r["ev"] == "intent" and r.get("step") == "connect":
        start.setdefault(h, r["ms"])
    if h and r["ev"] == "state":
        end[h] = r["ms"]
own = {h: end[h] - start[h] for h in end if h in start}
slow = max(own.values()) / 1000
wall, user, sysc = map(float, sys.argv[2:5])
hosts = len(own)
canary = 1
waves = 1 + -(-(hosts - canary) // 50)
print(f"hosts {hosts}, waves {waves} (canary 1, then --parallel 50)")
print(f"wall time          {wall:8.2f} s")
print(f"kbfix CPU time     {user + sysc:8.2f} s (user {user:.2f}, sys {sysc:.2f})")
print(f"slowest host       {slow:8.2f} s of its own steps")
print(f"mean host          {sum(own.values()) / hosts / 1000:8.2f} s")
print(f"ratio wall / (slowest x waves) = {wall / (slow * waves):.2f} (target <= 1.5)")
PY
finish

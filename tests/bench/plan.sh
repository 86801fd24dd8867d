#!/usr/bin/env bash
# Planner speed: plan a generated 100,000-host inventory (every case of
# examples/inventory.json, mixed) to JSON; print the time, the peak memory,
# and the JSON floor (cJSON parse + print of the same file, nothing else).
# Memory is also measured at 25,000 hosts to show it grows linearly.
# Figures only; no pass/fail on timing (tests/run.sh bench).
# valgrind: skip
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
N=${BENCH_HOSTS:-100000}
FLOOR=$TOP/$BUILD/tests/bench/json_floor

gen() {
	python3 - "$1" "$2" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
tpl = json.load(open("examples/inventory.json"))["hosts"]
hosts = []
for i in range(n):
    h = dict(tpl[i % len(tpl)])
    h["name"] = "h%06d" % i
    h.pop("address", None)
    h.pop("wave", None)
    if i % 3 == 0:
        h["group"] = "g%d" % (i % 997)
    hosts.append(h)
json.dump({"defaults": {"user": "ops"}, "hosts": hosts}, open(out, "w"), indent=1)
PY
}

# run LABEL COMMAND...: wall seconds, CPU seconds (user + system), peak RSS
run() {
	local label=$1 secs user sys kb; shift
	/usr/bin/time -f "%e %U %S %M" -o "$T_TMP/time" "$@" > "$T_TMP/out" || {
		not_ok "$label"; return; }
	read -r secs user sys kb < "$T_TMP/time"
	printf '%-30s %6.2f s wall %6.2f s CPU %7.1f MiB\n' "$label" "$secs" \
	    "$(echo "$user + $sys" | bc)" "$(echo "$kb/1024" | bc -l)"
	eval "${label%% *}_s=$secs; ${label%% *}_cpu=$(echo "$user + $sys" | bc); ${label%% *}_kb=$kb"
}

gen 25000 "$T_TMP/inv25k.json"
gen "$N" "$T_TMP/inv.json"
printf 'inventory: %d hosts, %d bytes; %s\n' "$N" "$(stat -c %s "$T_TMP/inv.json")" \
    "$(uptime | sed 's/.*load/load/')"
run "small plan (25000 hosts)" "$KBFIX" plan -i "$T_TMP/inv25k.json" --format json
run "plan ($N hosts, JSON)" "$KBFIX" plan -i "$T_TMP/inv.json" --format json
printf 'plan output: %d bytes\n' "$(stat -c %s "$T_TMP/out")"
run "floor (cJSON parse + print)" "$FLOOR" "$T_TMP/inv.json"
echo "plan/floor wall: $(echo "scale=2; $plan_s / $floor_s" | bc) (target <= 2, and plan < 1.5 s)"
echo "plan/floor CPU:  $(echo "scale=2; $plan_cpu / $floor_cpu" | bc) (the plan uses two threads)"
echo "memory 100k/25k: $(echo "scale=2; $plan_kb / $small_kb" | bc) (linear: about 4)"
check "bench ran" test -n "${plan_s:-}"
finish

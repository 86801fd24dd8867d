#!/usr/bin/env bash
# Planner cost: plan generated inventories of 25,000, 50,000 and 100,000
# hosts (every case of examples/inventory.json, mixed) to JSON, and the JSON
# floor of the same files (cJSON parse + print, nothing else).  Prints CPU
# time, peak memory and the targets (docs/DEVELOPERS.md "plan"):
#   plan CPU <= 2 x floor CPU; peak RSS <= 4 KiB a host; linear in hosts.
# PASS/FAIL is printed for each target but does not fail the run: timing on
# a shared machine is a figure, not a test (tests/run.sh bench).
# BENCH_HOSTS="25000 50000 100000" sets the sizes (the last is the main one).
# valgrind: skip
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
SIZES=${BENCH_HOSTS:-"25000 50000 100000"}
FLOOR=$TOP/$BUILD/tests/bench/json_floor
CPU_RATIO_MAX=2
KB_PER_HOST_MAX=4

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

# measure NAME COMMAND...: sets NAME_cpu (user + system seconds), NAME_kb
# (peak RSS) and NAME_s (wall seconds)
measure() {
	local name=$1 secs user sys kb; shift
	/usr/bin/time -f "%e %U %S %M" -o "$T_TMP/time" "$@" > "$T_TMP/out" ||
	    { not_ok "$name ran"; return 1; }
	read -r secs user sys kb < "$T_TMP/time"
	printf -v "${name}_cpu" '%s' "$(echo "$user + $sys" | bc)"
	printf -v "${name}_kb" '%s' "$kb"
	printf -v "${name}_s" '%s' "$secs"
}

verdict() { if [ "$(echo "$1" | bc)" = 1 ]; then echo PASS; else echo FAIL; fi; }

echo "$(uptime | sed 's/.*load/load/'); $(nproc) CPUs"
printf '%8s %10s %9s %9s %7s %9s %9s\n' hosts "input B" "plan CPU" \
    "floor CPU" ratio "plan RSS" "B/host"
for n in $SIZES; do
	gen "$n" "$T_TMP/inv$n.json"
	measure plan "$KBFIX" plan -i "$T_TMP/inv$n.json" --format json \
	    --created 2026-01-01T00:00:00Z || continue
	measure floor "$FLOOR" "$T_TMP/inv$n.json" || continue
	printf '%8d %10d %8.2fs %8.2fs %7.2f %7.1fMiB %9d\n' "$n" \
	    "$(stat -c %s "$T_TMP/inv$n.json")" "$plan_cpu" "$floor_cpu" \
	    "$(echo "scale=2; $plan_cpu / $floor_cpu" | bc)" \
	    "$(echo "$plan_kb / 1024" | bc -l)" $((plan_kb * 1024 / n))
	eval "cpu_$n=$plan_cpu kb_$n=$plan_kb floorcpu_$n=$floor_cpu"
	last=$n
	first=${first:-$n}
	rm -f "$T_TMP/inv$n.json"
done
check "bench ran" test -n "${last:-}"
[ -n "${last:-}" ] || finish
eval "cpu=\$cpu_$last kb=\$kb_$last floor=\$floorcpu_$last"
eval "cpu0=\$cpu_$first kb0=\$kb_$first"
ratio=$(echo "scale=2; $cpu / $floor" | bc)
perhost=$(echo "scale=2; $kb / $last" | bc)
echo "plan CPU / floor CPU at $last hosts: $ratio (target <= $CPU_RATIO_MAX):" \
    "$(verdict "$ratio <= $CPU_RATIO_MAX")"
echo "peak RSS per host at $last hosts: $perhost KiB (target <= $KB_PER_HOST_MAX):" \
    "$(verdict "$perhost <= $KB_PER_HOST_MAX")"
if [ "$first" != "$last" ]; then
	x=$(echo "scale=2; $last / $first" | bc)
	cx=$(echo "scale=2; $cpu / $cpu0" | bc)
	mx=$(echo "scale=2; $kb / $kb0" | bc)
	# linear: growing the hosts x times grows CPU and memory at most 1.25x as much
	echo "hosts x$x: CPU x$cx, RSS x$mx (linear: at most x$(echo "scale=2; $x * 1.25" | bc)):" \
	    "$(verdict "$cx <= $x * 1.25 && $mx <= $x * 1.25")"
fi
finish

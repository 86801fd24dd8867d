#!/usr/bin/env bash
# Test runner: tests/run.sh [-j N] unit|integration|all|bench [SCRIPT...]
#   unit         every $BUILD/tests/test_* (cmocka)
#   integration  every tests/integration/*.sh; each prints "ok - NAME" or
#                "not ok - NAME" lines and exits non-zero on any failure
#   bench        every tests/bench/*.sh (one at a time: they time things)
#   SCRIPT...    only these scripts (integration or bench; a path or a name)
# -j N (or TEST_JOBS=N) runs N scripts at once (default 3; 1 under
# VALGRIND=1).  Each running script gets its own slot, exported as
# KBFIX_TEST_NET (fleets on 127.SLOT.x.y, tests/README.md "Running the
# tests"): slots KBFIX_TEST_NET .. KBFIX_TEST_NET+N-1 when that is set,
# else 1..N.  The longest scripts start first (the last run's times in
# $BUILD/test-times, else the list below).  Each script's output is
# printed whole, in name order: "== SCRIPT", its lines, "== SCRIPT: N s".
# VALGRIND=1 runs unit tests under valgrind and sets KBFIX to a valgrind
# wrapper for integration scripts (a script marked "# valgrind: skip" is
# skipped then).  Ends with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TOP=$(pwd)
export BUILD TOP
export KBFIX="$TOP/$BUILD/kbfix"
. tests/python.sh
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
if [ "${VALGRIND:-0}" = 1 ]; then
	export KBFIX_WRAP="$VG"
else
	export KBFIX_WRAP=""
fi
pass=0 fail=0 skipped=0
failed_names=()

# Seconds each script took on a loaded 2-core machine (-j 3): the order
# for a clean checkout, before $BUILD/test-times exists.  Scripts not
# listed count as 60 s (a new fleet script is rarely shorter).
STATIC_TIMES="
"

usage() {
	echo "usage: tests/run.sh [-j N] unit|integration|all|bench [SCRIPT...]" >&2
	exit 2
}

jobs=${TEST_JOBS:-}
while [ $# -gt 0 ]; do
	case $1 in
	-j)	[ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	-j*)	jobs=${1#-j}; shift ;;
	--)	shift; break ;;
	-*)	usage ;;
	*)	break ;;
	esac
done
if [ -z "$jobs" ]; then
	if [ -n "$KBFIX_WRAP" ]; then jobs=1; else jobs=3; fi
fi
case $jobs in
''|*[!0-9]*|0) echo "tests/run.sh: -j $jobs: not a number of jobs (1 or more)" >&2; exit 2 ;;
esac
first_slot=${KBFIX_TEST_NET:-1}
case $first_slot in
''|*[!0-9]*|0) echo "tests/run.sh: KBFIX_TEST_NET=$first_slot: not 1 to 254" >&2; exit 2 ;;
esac
if [ $((first_slot + jobs - 1)) -gt 254 ]; then
	echo "tests/run.sh: slots $first_slot..$((first_slot + jobs - 1)) (KBFIX_TEST_NET, -j) go past 254" >&2
	exit 2
fi

run_unit() {
	local t out p f
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		[ "${t%.d}" = "$t" ] || continue
		if [ -n "$KBFIX_WRAP" ]; then
			out=$($KBFIX_WRAP "$t" 2>&1); rc=$?
		else
			out=$("$t" 2>&1); rc=$?
		fi
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
			fail=$((fail + 1))
		fi
		[ "$rc" -eq 0 ] || failed_names+=("$(basename "$t")")
	done
}

# The expected seconds of script $1: the last run's, the static list's, 60.
expected_time() {
	local n
	n=$(awk -v s="$1" '$2 == s { t = $1 } END { print t }' \
	    "$BUILD/test-times" 2>/dev/null)
	[ -n "$n" ] || n=$(printf '%s\n' "$STATIC_TIMES" |
	    awk -v s="$1" '$2 == s { print $1 }')
	echo "${n:-60}"
}

OUT=""
running=()	# running[K] = pid of the script in slot K (empty: free)
slot_of=()	# slot_of[PID] = its slot K

# Every process below $1, deepest first, then $1.
tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$c"; done
	echo "$1"
}

stop_all() {
	local p
	trap '' INT TERM
	for p in "${running[@]}"; do
		[ -n "$p" ] && kill -TERM $(tree "$p") 2>/dev/null
	done
	wait
	[ -z "$OUT" ] || rm -rf "$OUT"
	echo "tests/run.sh: interrupted" >&2
	exit 130
}

busy() {
	local p
	for p in "${running[@]}"; do [ -z "$p" ] || return 0; done
	return 1
}

# Wait for one running script to end and free its slot.
reap() {
	local pids=() p done_pid
	for p in "${running[@]}"; do [ -z "$p" ] || pids+=("$p"); done
	wait -n -p done_pid "${pids[@]}"
	running[${slot_of[$done_pid]}]=""
	print_ready
}

# Print the results of scripts[$printed...] that are finished, in order.
print_ready() {
	local i s p f rc
	while [ "$printed" -lt ${#scripts[@]} ] && [ -f "$OUT/$printed.rc" ]; do
		i=$printed; s=${scripts[$i]}
		read -r rc <"$OUT/$i.rc"
		echo "== $s"
		cat "$OUT/$i.out"
		echo "== $s: $(cat "$OUT/$i.time") s"
		p=$(grep -c '^ok - ' "$OUT/$i.out")
		f=$(grep -c '^not ok - ' "$OUT/$i.out")
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$rc" -ne 0 ]; then
			[ "$f" -gt 0 ] || fail=$((fail + 1))
			failed_names+=("$s")
		fi
		printed=$((printed + 1))
	done
}

# Script number $1 with KBFIX_TEST_NET=$2; output and status in $OUT/$1.*
run_one() {
	local i=$1 net=$2 t0 rc
	t0=$(date +%s)
	KBFIX_TEST_NET=$net bash "${scripts[$i]}" >"$OUT/$i.out" 2>&1 </dev/null
	rc=$?
	echo $(( $(date +%s) - t0 )) >"$OUT/$i.time"
	echo "$rc" >"$OUT/$i.rc.tmp" && mv "$OUT/$i.rc.tmp" "$OUT/$i.rc"
}

run_scripts() {
	local dir=$1 njobs=$2 s i k free order
	shift 2
	scripts=()
	if [ $# -gt 0 ]; then
		for s in "$@"; do
			[ -f "$s" ] || s=$dir/${s%.sh}.sh
			[ -f "$s" ] || { echo "tests/run.sh: $s: no such script" >&2; exit 2; }
			scripts+=("$s")
		done
	else
		for s in "$dir"/*.sh; do
			[ -f "$s" ] || continue
			if [ -n "$KBFIX_WRAP" ] && grep -q '^# valgrind: skip' "$s"; then
				skipped=$((skipped + 1))
				continue
			fi
			scripts+=("$s")
		done
	fi
	[ ${#scripts[@]} -gt 0 ] || return 0
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/kbfix-run.XXXXXX")
	trap stop_all INT TERM
	# Longest first: indexes sorted by expected time, descending.
	order=$(for i in "${!scripts[@]}"; do
		echo "$(expected_time "${scripts[$i]}") $i"
	done | sort -k1,1nr -k2,2n | cut -d' ' -f2)
	printed=0
	running=()
	for k in $(seq 0 $((njobs - 1))); do running[k]=""; done
	for i in $order; do
		while :; do
			free=""
			for k in "${!running[@]}"; do
				[ -n "${running[k]}" ] || { free=$k; break; }
			done
			[ -n "$free" ] && break
			reap
		done
		run_one "$i" $((first_slot + free)) &
		running[free]=$!
		slot_of[$!]=$free
	done
	while busy; do reap; done
	print_ready
	trap - INT TERM
	# the times of this run, for the next one's order
	for i in "${!scripts[@]}"; do
		[ -f "$OUT/$i.time" ] && echo "$(cat "$OUT/$i.time") ${scripts[$i]}"
	done >"$OUT/times"
	if [ -d "$BUILD" ]; then
		{ cat "$BUILD/test-times" 2>/dev/null; cat "$OUT/times"; } |
		    awk '{ t[$2] = $1 } END { for (s in t) print t[s], s }' |
		    sort -k2 >"$OUT/times.all" &&
		    mv "$OUT/times.all" "$BUILD/test-times"
	fi
	rm -rf "$OUT"
	OUT=""
}

what=${1:-all}
[ $# -eq 0 ] || shift
case $what in
unit)		[ $# -eq 0 ] || usage; run_unit ;;
integration)	run_scripts tests/integration "$jobs" "$@" ;;
all)		[ $# -eq 0 ] || usage; run_unit; run_scripts tests/integration "$jobs" ;;
bench)		run_scripts tests/bench 1 "$@" ;;
*)		usage ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed_names[@]}"
fi
[ "$skipped" -eq 0 ] || echo "($skipped scripts skipped under valgrind)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

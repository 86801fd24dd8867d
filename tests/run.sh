#!/usr/bin/env bash
# Test runner: tests/run.sh [-j N] unit|integration|all|bench [SCRIPT...]
#   unit         every $BUILD/tests/test_* (cmocka)
#   integration  every tests/integration/*.sh; each prints "ok - NAME" or
#                "not ok - NAME" lines and exits non-zero on any failure
#   all          both, as one set of jobs
#   bench        every tests/bench/*.sh (one at a time: they time things)
#   SCRIPT...    only these scripts (a path, or a name in the folder)
# -j N (or TEST_JOBS=N) runs N jobs (unit test programs, scripts) at once,
# default 3 (1 under VALGRIND=1).  Each running job gets its own slot,
# exported as KBFIX_TEST_NET (fleets on 127.SLOT.x.y): slots
# KBFIX_TEST_NET .. KBFIX_TEST_NET+N-1 when that is set, else 1..N.  The
# longest jobs start first (the last run's times in $BUILD/test-times,
# else STATIC_TIMES below).  Outputs are printed whole, in name order; a
# script's as "== SCRIPT", its lines, "== SCRIPT: N s".  A job still
# running after TEST_TIMEOUT seconds (1800; 7200 under valgrind) is
# stopped and fails.
# VALGRIND=1 runs unit tests under valgrind and sets KBFIX to a valgrind
# wrapper for integration scripts (a script marked "# valgrind: skip" is
# skipped then).  Ends with the line "N passed, N failed".
# tests/README.md, "Running the tests".
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

# Seconds the longest jobs took (-j 3, load 10 to 15 on the 2-core
# machine): the order for a clean checkout, before $BUILD/test-times exists.
# Others count as 60 s (a script) or 5 s (a unit test program).
STATIC_TIMES="
700 export_fleet.sh
430 export_ansible.sh
420 apply_crash.sh
380 apply_fleet.sh
160 e2e.sh
140 apply_failures.sh
110 apply_signals.sh
100 apply_window.sh
100 e2e_locales.sh
80 fleet.sh
80 apply_retry.sh
75 test_transport_ssh
70 discover_fleet.sh
70 journal_hostile.sh
70 catalog_fetch.sh
60 faults_intent.sh
30 test_catalog_bundle
"

usage() {
	echo "usage: tests/run.sh [-j N] unit|integration|all|bench [SCRIPT...]" >&2
	exit 2
}

njobs=${TEST_JOBS:-}
while [ $# -gt 0 ]; do
	case $1 in
	-j)	[ $# -ge 2 ] || usage; njobs=$2; shift 2 ;;
	-j*)	njobs=${1#-j}; shift ;;
	--)	shift; break ;;
	-*)	usage ;;
	*)	break ;;
	esac
done
if [ -z "$njobs" ]; then
	if [ -n "$KBFIX_WRAP" ]; then njobs=1; else njobs=3; fi
fi
case $njobs in
''|*[!0-9]*|0) echo "tests/run.sh: -j $njobs: not a number of jobs (1 or more)" >&2; exit 2 ;;
esac
tmo=${TEST_TIMEOUT:-}
if [ -z "$tmo" ]; then
	if [ -n "$KBFIX_WRAP" ]; then tmo=7200; else tmo=1800; fi
fi
case $tmo in
''|*[!0-9]*|0) echo "tests/run.sh: TEST_TIMEOUT=$tmo: not a number of seconds" >&2; exit 2 ;;
esac
first_slot=${KBFIX_TEST_NET:-1}
case $first_slot in
''|*[!0-9]*|0) echo "tests/run.sh: KBFIX_TEST_NET=$first_slot: not 1 to 254" >&2; exit 2 ;;
esac
if [ $((first_slot + njobs - 1)) -gt 254 ]; then
	echo "tests/run.sh: slots $first_slot..$((first_slot + njobs - 1)) (KBFIX_TEST_NET, -j) go past 254" >&2
	exit 2
fi

# The expected seconds of job $1: the last run's, the static list's, or
# the default (by file name: the same with another $BUILD).
expected_time() {
	local b=${1##*/} n
	n=$(awk -v b="$b" '{ k = split($2, p, "/") } p[k] == b { t = $1 }
	    END { print t }' "$BUILD/test-times" 2>/dev/null)
	[ -n "$n" ] || n=$(printf '%s\n' "$STATIC_TIMES" |
	    awk -v b="$b" '$2 == b { print $1 }')
	if [ -z "$n" ]; then
		if is_unit "$1"; then n=5; else n=60; fi
	fi
	echo "$n"
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

# Print the results of jobs[$printed...] that are finished, in order: a
# unit test's output as it is, a script's between "== SCRIPT" lines.
print_ready() {
	local i s p f rc
	while [ "$printed" -lt ${#jobs[@]} ] && [ -f "$OUT/$printed.rc" ]; do
		i=$printed; s=${jobs[$i]}
		read -r rc <"$OUT/$i.rc"
		if is_unit "$s"; then
			cat "$OUT/$i.out"
			p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$OUT/$i.out" | tail -1)
			f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$OUT/$i.out" | tail -1)
			s=$(basename "$s")
		else
			echo "== $s"
			cat "$OUT/$i.out"
			echo "== $s: $(cat "$OUT/$i.time") s"
			p=$(grep -c '^ok - ' "$OUT/$i.out")
			f=$(grep -c '^not ok - ' "$OUT/$i.out")
		fi
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${f:-0}))
		if [ "$rc" -ne 0 ]; then
			[ "${f:-0}" -gt 0 ] || fail=$((fail + 1))
			failed_names+=("$s")
		fi
		printed=$((printed + 1))
	done
}

is_unit() { case $1 in *.sh) return 1 ;; esac; }

# Job number $1 with KBFIX_TEST_NET=$2; output and status in $OUT/$1.*
run_one() {
	local i=$1 net=$2 t0 rc
	t0=$(date +%s)
	if is_unit "${jobs[$i]}"; then
		KBFIX_TEST_NET=$net timeout -k 30 "$tmo" $KBFIX_WRAP "${jobs[$i]}" \
		    >"$OUT/$i.out" 2>&1 </dev/null
	else
		KBFIX_TEST_NET=$net timeout -k 30 "$tmo" bash "${jobs[$i]}" \
		    >"$OUT/$i.out" 2>&1 </dev/null
	fi
	rc=$?
	[ "$rc" -ne 124 ] ||
	    echo "# tests/run.sh: stopped after $tmo s (TEST_TIMEOUT)" >>"$OUT/$i.out"
	echo $(( $(date +%s) - t0 )) >"$OUT/$i.time"
	echo "$rc" >"$OUT/$i.rc.tmp" && mv "$OUT/$i.rc.tmp" "$OUT/$i.rc"
}

# add_unit: every $BUILD/tests/test_* to jobs
add_unit() {
	local t
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		[ "${t%.d}" = "$t" ] || continue
		jobs+=("$t")
	done
}

# add_scripts DIR [SCRIPT...]: those scripts of DIR (all by default)
add_scripts() {
	local dir=$1 s
	shift
	if [ $# -gt 0 ]; then
		for s in "$@"; do
			[ -f "$s" ] || s=$dir/${s%.sh}.sh
			[ -f "$s" ] || { echo "tests/run.sh: $s: no such script" >&2; exit 2; }
			jobs+=("$s")
		done
		return
	fi
	for s in "$dir"/*.sh; do
		[ -f "$s" ] || continue
		if [ -n "$KBFIX_WRAP" ] && grep -q '^# valgrind: skip' "$s"; then
			skipped=$((skipped + 1))
			continue
		fi
		jobs+=("$s")
	done
}

# run_jobs N: every job of jobs[], N at once
run_jobs() {
	local njobs=$1 i k free order
	[ ${#jobs[@]} -gt 0 ] || return 0
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/kbfix-run.XXXXXX")
	trap stop_all INT TERM
	# Longest first: indexes sorted by expected time, descending.
	order=$(for i in "${!jobs[@]}"; do
		echo "$(expected_time "${jobs[$i]}") $i"
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
	for i in "${!jobs[@]}"; do
		[ -f "$OUT/$i.time" ] && echo "$(cat "$OUT/$i.time") ${jobs[$i]}"
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

jobs=()
what=${1:-all}
[ $# -eq 0 ] || shift
case $what in
unit)		[ $# -eq 0 ] || usage; add_unit; run_jobs "$njobs" ;;
integration)	add_scripts tests/integration "$@"; run_jobs "$njobs" ;;
all)		[ $# -eq 0 ] || usage; add_unit; add_scripts tests/integration
		run_jobs "$njobs" ;;
bench)		add_scripts tests/bench "$@"; run_jobs 1 ;;
*)		usage ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed_names[@]}"
fi
[ "$skipped" -eq 0 ] || echo "($skipped scripts skipped under valgrind)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

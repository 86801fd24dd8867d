#!/usr/bin/env bash
# Test runner: tests/run.sh unit|integration|all|bench
#   unit         every $BUILD/tests/test_* (cmocka)
#   integration  every tests/integration/*.sh; each prints "ok - NAME" or
#                "not ok - NAME" lines and exits non-zero on any failure
#   bench        every tests/bench/*.sh
# VALGRIND=1 runs unit tests under valgrind and sets KBFIX to a valgrind
# wrapper for integration scripts (a script marked "# valgrind: skip" is
# skipped then).  Ends with the line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TOP=$(pwd)
export BUILD TOP
export KBFIX="$TOP/$BUILD/kbfix"
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
if [ "${VALGRIND:-0}" = 1 ]; then
	export KBFIX_WRAP="$VG"
else
	export KBFIX_WRAP=""
fi
pass=0 fail=0 skipped=0
failed_names=()

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

run_scripts() {
	local dir=$1 s out rc p f
	for s in "$dir"/*.sh; do
		[ -f "$s" ] || continue
		if [ -n "$KBFIX_WRAP" ] && grep -q '^# valgrind: skip' "$s"; then
			skipped=$((skipped + 1))
			continue
		fi
		echo "== $s"
		t0=$(date +%s)
		out=$(bash "$s" 2>&1); rc=$?
		printf '%s\n' "$out"
		echo "== $s: $(( $(date +%s) - t0 )) s"
		p=$(printf '%s\n' "$out" | grep -c '^ok - ')
		f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
		pass=$((pass + p))
		fail=$((fail + f))
		if [ "$rc" -ne 0 ]; then
			[ "$f" -gt 0 ] || fail=$((fail + 1))
			failed_names+=("$s")
		fi
	done
}

case "${1:-all}" in
unit)		run_unit ;;
integration)	run_scripts tests/integration ;;
all)		run_unit; run_scripts tests/integration ;;
bench)		run_scripts tests/bench ;;
*)		echo "usage: tests/run.sh unit|integration|all|bench" >&2; exit 2 ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed_names[@]}"
fi
[ "$skipped" -eq 0 ] || echo "($skipped scripts skipped under valgrind)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

# Sourced by integration tests and benchmarks.  Each check prints
# "ok - NAME" or "not ok - NAME"; finish() exits non-zero after any failure.
# $KBFIX is the binary; kbfix() runs it (under valgrind with VALGRIND=1).
set -u
: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILD:=build}"
: "${KBFIX:=$TOP/$BUILD/kbfix}"
: "${KBFIX_WRAP:=}"
. "$TOP/tests/python.sh"
T_FAILS=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kbfix-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

kbfix() { $KBFIX_WRAP "$KBFIX" "$@"; }

# test_addr ADDR: where a fleet puts ADDR.  tests/run.sh gives each running
# script a slot, KBFIX_TEST_NET=N, and tests/fleet moves a 127.0.x.y
# FLEET_BASE to 127.N.x.y; a check on an address goes through this (or
# reads the fleet's hosts.txt / inventory.json), never a literal.
test_addr() {
	case ${KBFIX_TEST_NET:-} in
	'') echo "$1" ;;
	*) case $1 in 127.0.*) echo "127.$KBFIX_TEST_NET.${1#127.0.}" ;; *) echo "$1" ;; esac ;;
	esac
}

# Each check returns non-zero when it fails, so that
# `check_eq ... || cat "$log"` shows why and `check ... || finish` stops.
ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; T_FAILS=$((T_FAILS + 1)); return 1; }

# check NAME COMMAND...: passes when COMMAND exits 0
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"; printf '#   expected: %s\n#   actual:   %s\n' "$2" "$3"
		return 1
	fi
}

# check_contains NAME FILE_OR_STRING NEEDLE
check_contains() {
	local hay=$2
	[ -f "$hay" ] && hay=$(cat "$hay")
	if printf '%s' "$hay" | grep -qF -- "$3"; then ok "$1"; else
		not_ok "$1"; printf '#   missing: %s\n' "$3"
		return 1
	fi
}

# check_status NAME EXPECTED_STATUS COMMAND...
check_status() {
	local name=$1 want=$2 rc; shift 2
	"$@"; rc=$?
	check_eq "$name (exit $want)" "$want" "$rc"
}

# wait_for_text FILE TEXT [SECONDS]: until FILE holds TEXT (default 60 s,
# for a condition that is not what the test times)
wait_for_text() {
	local end=$((SECONDS + ${3:-60}))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

finish() { [ "$T_FAILS" -eq 0 ]; exit $?; }

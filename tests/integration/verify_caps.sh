#!/usr/bin/env bash
# kbfix verify and hostile Cabinets (issue 16): an MSZIP bomb (2.7 MB that
# would expand to 1.7 GB) and an .msu of 60,000 members are refused within
# a second of CPU, before anything is unpacked, with a message naming the file
# and the limit (exit 2); real-shaped packages (gcab, stored and MSZIP)
# still verify.  The files are built by tests/catalog-server/hostile_cab.py.
source "$(dirname "$0")/../lib.sh"
MK=$TOP/tests/catalog-server/hostile_cab.py

# run_verify KIND: builds the bundle, runs verify; sets OUT, RC, MS (CPU
# time, user and system: the machine's load does not change it), KB (peak
# RSS)
run_verify() {
	python3 "$MK" "$T_TMP/$1" "$1" >/dev/null || not_ok "$1: bundle built"
	OUT=$(/usr/bin/time -f "%U %S %M" -o "$T_TMP/rss" $KBFIX_WRAP "$KBFIX" verify "$T_TMP/$1" 2>&1); RC=$?
	read -r u s KB < <(tail -1 "$T_TMP/rss")
	MS=$(python3 -c "print(int(($u + $s) * 1000))")
}

run_verify good
check_eq "gcab package: verifies (exit 0)" 0 "$RC"
check_contains "gcab package: 1 checked, 0 bad" "$OUT" "1 file(s) checked, 0 bad"

run_verify mszip
check_eq "MSZIP package: verifies (exit 0)" 0 "$RC"

run_verify bomb
check_eq "MSZIP bomb: refused (exit 2)" 2 "$RC"
check_contains "MSZIP bomb: the limit named" "$OUT" \
    "compressed members that expand to more than"
check_contains "MSZIP bomb: not an update package" "$OUT" \
    "(at most 32 times, and 2147483648 bytes in all): not an update package"
if [ -z "$KBFIX_WRAP" ]; then	# timings and memory are valgrind's under it
	check "MSZIP bomb: refused within 1 s of CPU ($MS ms)" test "$MS" -lt 1000
	check "MSZIP bomb: nothing expanded in memory ($KB KB)" test "$KB" -lt 65536
fi

run_verify ratio
check_eq "MSZIP past the ratio: refused (exit 2)" 2 "$RC"

run_verify members
check_eq "60,000 members: refused (exit 2)" 2 "$RC"
check_contains "60,000 members: the count named" "$OUT" \
    "60003 members, more than 256: not an update package"
[ -n "$KBFIX_WRAP" ] ||
    check "60,000 members: refused within 1 s of CPU ($MS ms)" test "$MS" -lt 1000

# a bundle whose file only does not match its manifest is still exit 1
run_verify good
printf 'x' | dd of="$(ls "$T_TMP"/good/files/*.msu)" bs=1 seek=100 conv=notrunc 2>/dev/null
OUT=$(kbfix verify "$T_TMP/good" 2>&1); RC=$?
check_eq "damaged byte: a mismatch (exit 1)" "1" "$RC"
finish

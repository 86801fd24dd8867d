#!/usr/bin/env bash
# A short libFuzzer run of every parser fed from outside (make fuzz runs
# them longer): inventories, advisories, Update Catalog pages and the
# bundle manifest, Windows command output, the run journal.  Seeds:
# tests/fuzz/corpus/.
# valgrind: skip
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
for t in inventory advisory catalog winparse journal; do
	bin=build-fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "ok - fuzz_$t skipped (clang's libFuzzer runtime is missing)"
		continue
	fi
	mkdir -p "$T_TMP/corpus-$t"
	if [ "$t" = catalog ]; then
		# the saved Catalog pages as seeds, each behind the byte that
		# picks its parser (0 search, 1 details, 2 download dialog)
		for f in tests/fixtures/catalog/*.html; do
			case $f in
			*search*) b='\000' ;; *scopedview*) b='\001' ;; *) b='\002' ;;
			esac
			{ printf "$b"; cat "$f"; } > "$T_TMP/corpus-$t/${f##*/}"
		done
	fi
	check "fuzz_$t: 3 s without a crash" "$bin" -max_total_time=3 \
	    -max_len=16384 -artifact_prefix="$T_TMP/" "$T_TMP/corpus-$t" \
	    tests/fuzz/corpus/$t
done 2> "$T_TMP/fuzz.log"
grep -E "^==[0-9]+==ERROR|^SUMMARY" "$T_TMP/fuzz.log" | head -5
finish

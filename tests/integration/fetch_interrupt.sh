#!/usr/bin/env bash
# fetch survives Ctrl-C (issue 15 item 7): a fetch interrupted mid-download
# removes its temporary folder, keeps its part files in the cache and says
# so; the next fetch asks the local HTTPS Catalog only for the rest (Range
# requests in the server's log) and the bundle verifies.  Also: a server
# that ignores Range (200) or answers another range, SIGTERM, an interrupt
# during the lookups, a folder left by a killed fetch, and progress lines.
# valgrind: skip (signals to a background kbfix and timings; run it with the
# ASAN build instead)
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
# 4 MB packages sent at 2 MB/s a connection: each download takes 2 s
CATSRV_OPTS="--rate 2" catsrv_start --pad-mb 4 || { not_ok "catalog server starts"; finish; }
export KBFIX_CATALOG_URL=$CATSRV_URL
PLAN=$TOP/tests/data/catalog-plan.json
DL=/d/msdownload/update/software/updt/2018/07/

# fetch_bg OUT CACHE [options]: kbfix fetch in the background (the binary
# itself, so that the signal reaches it); sets PID
fetch_bg() {
	local out=$1 cache=$2; shift 2
	$KBFIX_WRAP "$KBFIX" fetch "$PLAN" -o "$out" --cacert "$CATSRV_CA" \
	    --cache "$cache" "$@" >"$T_TMP/out" 2>"$T_TMP/err" &
	PID=$!
}

# wait_for PATTERN [N]: until the server's log has N lines (1) matching
wait_for() {
	local i
	for i in $(seq 200); do
		[ "$(grep -c -- "$1" "$CATSRV_LOG")" -ge "${2:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}

# interrupt SIGNAL: signal PID, wait; sets RC and SECS (signal to exit)
interrupt() {
	local t0
	t0=$(date +%s%N)
	kill -"$1" "$PID"
	wait "$PID"; RC=$?
	SECS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

no_tmp() { ! ls -d "$1".kbfix-tmp.* >/dev/null 2>&1; }

# wait_parts CACHE: until the 4 downloads have each written 1 MB or more
# of their part files there (at most 10 s)
wait_parts() {
	local i n
	for i in $(seq 200); do
		n=$(find "$1/packages" -name '*.part' -size +1000k 2>/dev/null | wc -l)
		[ "$n" -ge 4 ] && return 0
		sleep 0.05
	done
	return 1
}

# 1. SIGINT in the middle of the downloads
: >"$CATSRV_LOG"
fetch_bg "$T_TMP/b1" "$T_TMP/c1"
wait_for "GET $DL" 4 || not_ok "downloads start"
wait_parts "$T_TMP/c1" || not_ok "downloads under way"
interrupt INT
check_eq "SIGINT: dies of SIGINT (130)" 130 "$RC"
check "SIGINT: exits within 3 s ($SECS ms)" test "$SECS" -lt 3000
check "SIGINT: no bundle" test ! -e "$T_TMP/b1"
check "SIGINT: temporary folder removed" no_tmp "$T_TMP/b1"
check_contains "SIGINT: says it removed the temporary folder" "$T_TMP/err" \
    "removed the temporary folder $T_TMP/b1.kbfix-tmp."
check_contains "SIGINT: says what it kept" "$T_TMP/err" \
    "kept in $T_TMP/c1/packages: 0 verified file(s) (0 downloaded now), 4 partial file(s)"
check_contains "SIGINT: says how to go on" "$T_TMP/err" "run the same command again"
nparts=$(ls "$T_TMP/c1/packages"/*.part 2>/dev/null | wc -l)
check_eq "SIGINT: 4 part files in the cache" 4 "$nparts"
declare -A had
short=0
for p in "$T_TMP/c1/packages"/*.part; do
	n=$(basename "$p" .part)
	had[$n]=$(stat -c %s "$p")
	[ "${had[$n]}" -gt 0 ] && [ "${had[$n]}" -lt "$(stat -c %s "$CATSRV_DIR/files/$n")" ] && short=$((short + 1))
done
check_eq "SIGINT: every part file holds some bytes, not all" 4 "$short"

# 2. the next fetch asks only for the rest
: >"$CATSRV_LOG"
out=$(kbfix fetch "$PLAN" -o "$T_TMP/b1" --cacert "$CATSRV_CA" --cache "$T_TMP/c1" 2>"$T_TMP/err"); rc=$?
check_eq "resume: exit 0" 0 "$rc"
asked=0 full=0
for n in "${!had[@]}"; do
	grep -qF "GET $DL$n bytes=${had[$n]}- 206" "$CATSRV_LOG" && asked=$((asked + 1))
	grep -qF "GET $DL$n - 200" "$CATSRV_LOG" && full=$((full + 1))
done
check_eq "resume: each file asked from the byte its part file ended (Range, 206)" 4 "$asked"
check_eq "resume: no file downloaded whole again" 0 "$full"
check_contains "resume: says it continues" "$T_TMP/err" "continuing from byte"
total=0
for n in "${!had[@]}"; do total=$((total + $(stat -c %s "$CATSRV_DIR/files/$n") - had[$n])); done
check_contains "resume: only the rest crossed the network" "$out" \
    "4 downloaded ($total bytes)"
check "resume: the bundle verifies" kbfix verify "$T_TMP/b1"
check "resume: sha256sum -c in the bundle" sh -c "cd '$T_TMP/b1' && sha256sum -c --quiet SHA256SUMS"
check_eq "resume: no part file left" 0 "$(ls "$T_TMP/c1/packages"/*.part 2>/dev/null | wc -l)"
check "resume: no temporary folder" no_tmp "$T_TMP/b1"

# 3. a server that ignores Range: the file starts over (200) and verifies
partial_run() {	# OUT CACHE: interrupted after the downloads started
	: >"$CATSRV_LOG"
	fetch_bg "$1" "$2"
	wait_for "GET $DL" 4 || not_ok "downloads start"
	wait_parts "$2" || not_ok "downloads under way"
	interrupt INT
}
partial_run "$T_TMP/b3" "$T_TMP/c3"
catsrv_fault range ignore
: >"$CATSRV_LOG"
kbfix fetch "$PLAN" -o "$T_TMP/b3" --cacert "$CATSRV_CA" --cache "$T_TMP/c3" >/dev/null 2>&1; rc=$?
check_eq "Range ignored: exit 0" 0 "$rc"
check_eq "Range ignored: asked with Range, answered 200" 4 "$(grep -c "GET $DL.* bytes=[0-9]*- 200" "$CATSRV_LOG")"
check "Range ignored: the bundle verifies" kbfix verify "$T_TMP/b3"

# 4. a 206 for a range not asked for: the file starts over
catsrv_clear
catsrv_fault rate 2
partial_run "$T_TMP/b4" "$T_TMP/c4"
catsrv_fault range wrong
: >"$CATSRV_LOG"
kbfix fetch "$PLAN" -o "$T_TMP/b4" --cacert "$CATSRV_CA" --cache "$T_TMP/c4" >/dev/null 2>"$T_TMP/err4"; rc=$?
check_eq "wrong Content-Range: exit 0" 0 "$rc"
check_eq "wrong Content-Range: started over without Range" 4 "$(grep -c "GET $DL.* - 200" "$CATSRV_LOG")"
check "wrong Content-Range: the bundle verifies" kbfix verify "$T_TMP/b4"
catsrv_clear
catsrv_fault rate 2

# 5. SIGTERM does the same
: >"$CATSRV_LOG"
fetch_bg "$T_TMP/b5" "$T_TMP/c5"
wait_for "GET $DL" 4 || not_ok "downloads start"
interrupt TERM
check_eq "SIGTERM: dies of SIGTERM (143)" 143 "$RC"
check "SIGTERM: temporary folder removed" no_tmp "$T_TMP/b5"
check_contains "SIGTERM: named" "$T_TMP/err" "SIGTERM: stopped; no bundle was written"

# 6. Ctrl-C while the Catalog is looked up (pages take 1.5 s)
catsrv_fault slow 1500
: >"$CATSRV_LOG"
fetch_bg "$T_TMP/b6" "$T_TMP/c6" --progress
wait_for "Search.aspx" 1 || sleep 0.5
sleep 0.3
interrupt INT
catsrv_clear
catsrv_fault rate 2
check_eq "lookups: dies of SIGINT" 130 "$RC"
check "lookups: exits within 3 s ($SECS ms)" test "$SECS" -lt 3000
check_contains "lookups: nothing downloaded" "$T_TMP/err" "no bundle was written"
check "lookups: no temporary folder" no_tmp "$T_TMP/b6"
check_eq "lookups: no download asked" 0 "$(grep -c "GET $DL" "$CATSRV_LOG")"
check "lookups: progress shown as timestamped lines" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z kbfix: fetch: Catalog searches \(one per KB\): 0/4$' "$T_TMP/err"

# 7. a fetch killed outright (SIGKILL) leaves its folder: the next one
# removes it, says so, and resumes the part files
: >"$CATSRV_LOG"
fetch_bg "$T_TMP/b7" "$T_TMP/c7"
wait_for "GET $DL" 4 || not_ok "downloads start"
wait_parts "$T_TMP/c7" || not_ok "downloads under way"
kill -KILL "$PID"; wait "$PID" 2>/dev/null
check "SIGKILL: its temporary folder stays" ls -d "$T_TMP"/b7.kbfix-tmp.*
left=$(ls -d "$T_TMP"/b7.kbfix-tmp.*)
: >"$CATSRV_LOG"
kbfix fetch "$PLAN" -o "$T_TMP/b7" --cacert "$CATSRV_CA" --cache "$T_TMP/c7" \
    --progress >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "after SIGKILL: exit 0" 0 "$rc"
check_contains "after SIGKILL: the old folder removed, and said" "$T_TMP/err" \
    "removed $left, left by an earlier fetch that did not finish"
check "after SIGKILL: no temporary folder" no_tmp "$T_TMP/b7"
check_eq "after SIGKILL: resumed with Range" 4 "$(grep -c "GET $DL.* bytes=[0-9]*- 206" "$CATSRV_LOG")"
check "after SIGKILL: the bundle verifies" kbfix verify "$T_TMP/b7"
# progress: the total is the Catalog's before the first byte, and the
# percentage never goes down
pcts=$(grep -o 'download [0-9]*%' "$T_TMP/err" | grep -o '[0-9]*')
check "progress: download lines" test -n "$pcts"
check "progress: never goes backwards ($(echo $pcts))" \
    sh -c 'prev=0; for p in $0; do [ "$p" -ge "$prev" ] || exit 1; prev=$p; done' "$pcts"
check_contains "progress: the whole size from the start" "$(grep 'fetch: download [0-9]' "$T_TMP/err" | head -1)" "of 16.0 MB"
check_contains "progress: ends at 100%" "$T_TMP/err" "download 100%, 16.0 of 16.0 MB, 4 of 4 file(s) ended"
finish

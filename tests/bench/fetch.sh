#!/usr/bin/env bash
# make bench: kbfix fetch of 16 files of 32 MB from the local HTTPS Catalog
# with --parallel 4 (Catalog lookups and verification included: SHA-1,
# SHA-256, MSU structure, fsync), against curl --parallel --parallel-max 4
# fetching the same URLs from the same server, rounds alternating:
#   network  the server sends each connection at BENCH_RATE MB/s (25), as
#            a link that is not loopback would: the figure that matters,
#            target kbfix <= 1.05 x curl's wall time;
#   loopback as fast as loopback goes: CPU-bound (TLS, and kbfix's two
#            digests on one core), for information only.
# Prints each run's wall time, the client's CPU (user + sys) and the
# server's CPU read from /proc; no pass/fail on timing.  BENCH_ROUNDS
# (default 3), BENCH_FILES (16), BENCH_MB (32), BENCH_RATE (25).
# valgrind: skip
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
N=${BENCH_FILES:-16}
MB=${BENCH_MB:-32}
ROUNDS=${BENCH_ROUNDS:-3}
RATE=${BENCH_RATE:-25}
echo "# building $N files of $MB MB"
catsrv_start --bench "$N" --pad-mb "$MB" || { not_ok "catalog server starts"; finish; }
python3 - "$CATSRV_DIR/catalog.json" "$T_TMP/plan.json" "$T_TMP/urls" "$CATSRV_URL" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1]))
pk = cat["bench_plan"]
hosts = [{"name": p["hosts"][0], "status": "needs-action", "findings": [],
          "actions": [{"kind": "install", "kb": p["kb"]}]} for p in pk]
json.dump({"format": "kbfix-plan/1", "created": "2026-11-21T12:00:00Z",
           "packages": pk, "hosts": hosts}, open(sys.argv[2], "w"))
with open(sys.argv[3], "w") as f:
    for u in cat["updates"]:
        for n in u["files"]:
            f.write("url = \"%s/d/msdownload/update/software/updt/2018/07/%s\"\n"
                    "output = \"%s\"\n" % (sys.argv[4], n, n))
PY
cat "$CATSRV_DIR"/files/* >/dev/null	# warm the page cache for both
best() { sort -n | head -1; }
srv_cpu() { awk '{ print $14 + $15 }' "/proc/$CATSRV_PID/stat"; }
# each run prints "WALL CPU SERVER_CPU" (seconds; CPU = user + sys)
timed() {
	local s0 s1
	s0=$(srv_cpu)
	/usr/bin/time -o "$T_TMP/time" -f '%e %U %S' "$@" >/dev/null || return 1
	s1=$(srv_cpu)
	awk -v s="$((s1 - s0))" -v hz="$(getconf CLK_TCK)" \
	    '{ printf "%.2f %.2f %.2f\n", $1, $2 + $3, s / hz }' "$T_TMP/time"
}
run_kbfix() {
	rm -rf "$T_TMP/kb"
	timed "$KBFIX" fetch "$T_TMP/plan.json" -o "$T_TMP/kb" --parallel 4 \
	    --no-cache --no-progress --cacert "$CATSRV_CA" \
	    --catalog-url "$CATSRV_URL"
}
run_curl() {
	rm -rf "$T_TMP/cu"; mkdir "$T_TMP/cu"
	(cd "$T_TMP/cu" && timed curl -s --no-progress-meter --parallel \
	    --parallel-max 4 --cacert "$CATSRV_CA" -K "$T_TMP/urls")
}
# rounds MODE: kbfix and curl alternately into $T_TMP/{kb,cu}.MODE
rounds() {
	local m=$1 r
	: >"$T_TMP/kb.$m"; : >"$T_TMP/cu.$m"
	for r in $(seq "$ROUNDS"); do
		run_kbfix >>"$T_TMP/kb.$m" || not_ok "$m: kbfix fetch round $r"
		run_curl >>"$T_TMP/cu.$m" || not_ok "$m: curl round $r"
	done
	check_eq "bench $m: kbfix bundle has $N files" "$N" "$(ls "$T_TMP/kb/files" | wc -l)"
	check "bench $m: kbfix bundle verifies (sha256sum -c)" sh -c "cd '$T_TMP/kb' && sha256sum -c --quiet SHA256SUMS"
	check_eq "bench $m: curl got $N files" "$N" "$(ls "$T_TMP/cu" | wc -l)"
}
col() { cut -d' ' -f"$2" "$T_TMP/$1" | best; }
runs() { awk '{ printf "%s/%s/%s ", $1, $2, $3 }' "$T_TMP/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# report MODE TITLE TARGET
report() {
	local m=$1 kb cu
	kb=$(col "kb.$m" 1); cu=$(col "cu.$m" 1)
	echo "# $2"
	echo "#   runs, seconds of wall/client CPU/server CPU:"
	echo "#   kbfix fetch --parallel 4: $(runs "kb.$m")"
	echo "#   curl --parallel-max 4:    $(runs "cu.$m")"
	echo "#   best wall: kbfix $kb s, curl $cu s, kbfix/curl $(ratio "$kb" "$cu") $3"
	echo "#   least CPU: kbfix $(col "kb.$m" 2) s (server $(col "kb.$m" 3) s), curl $(col "cu.$m" 2) s (server $(col "cu.$m" 3) s)"
}
catsrv_fault rate "$RATE"
rounds network
catsrv_fault rate 0
rounds loopback
echo "# $N files of $MB MB over HTTPS from 127.0.0.1, $ROUNDS rounds each, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
report network "(a) network-bound: server at $RATE MB/s per connection ($((4 * RATE)) MB/s for 4)" "(target <= 1.05)"
report loopback "(b) loopback, CPU-bound: for information only (kbfix also hashes 2 x $((N * MB)) MB, checks each MSU, fsyncs)" "(information only)"
finish

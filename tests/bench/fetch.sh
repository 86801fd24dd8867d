#!/usr/bin/env bash
# make bench: kbfix fetch of 16 files of 32 MB from the local HTTPS Catalog
# with --parallel 4 (verification included: SHA-1, SHA-256, MSU structure),
# against curl --parallel --parallel-max 4 fetching the same URLs.
# Prints both wall times and their ratio, and the CPU each used (the
# client's user + sys, and the server's, read from /proc: on a 2-core
# machine the sum of the two bounds the wall time from below); no
# pass/fail on timing.  BENCH_ROUNDS (default 5) runs alternate.
# valgrind: skip
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
N=${BENCH_FILES:-16}
MB=${BENCH_MB:-32}
ROUNDS=${BENCH_ROUNDS:-5}
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
: >"$T_TMP/kb.t"; : >"$T_TMP/cu.t"
for r in $(seq "$ROUNDS"); do
	run_kbfix >>"$T_TMP/kb.t" || not_ok "kbfix fetch round $r"
	run_curl >>"$T_TMP/cu.t" || not_ok "curl round $r"
done
kb=$(cut -d' ' -f1 "$T_TMP/kb.t" | best)
cu=$(cut -d' ' -f1 "$T_TMP/cu.t" | best)
kbc=$(cut -d' ' -f2 "$T_TMP/kb.t" | best)
cuc=$(cut -d' ' -f2 "$T_TMP/cu.t" | best)
kbs=$(cut -d' ' -f3 "$T_TMP/kb.t" | best)
cus=$(cut -d' ' -f3 "$T_TMP/cu.t" | best)
check_eq "bench: kbfix bundle has $N files" "$N" "$(ls "$T_TMP/kb/files" | wc -l)"
check "bench: kbfix bundle verifies (sha256sum -c)" sh -c "cd '$T_TMP/kb' && sha256sum -c --quiet SHA256SUMS"
check_eq "bench: curl got $N files" "$N" "$(ls "$T_TMP/cu" | wc -l)"
echo "# $N files of $MB MB over HTTPS from 127.0.0.1, $ROUNDS rounds, seconds of wall/client CPU/server CPU each:"
echo "# kbfix fetch --parallel 4 (verification included): $(awk '{ printf "%s/%s/%s ", $1, $2, $3 }' "$T_TMP/kb.t")"
echo "# curl --parallel --parallel-max 4:                $(awk '{ printf "%s/%s/%s ", $1, $2, $3 }' "$T_TMP/cu.t")"
echo "# best wall: kbfix $kb s, curl $cu s, ratio $(awk -v a="$kb" -v b="$cu" 'BEGIN { printf "%.2f", a / b }') (target <= 1.1)"
echo "# least CPU: kbfix $kbc s + server $kbs s, curl $cuc s + server $cus s (kbfix's extra: SHA-1 + SHA-256 of $((N * MB)) MB, the MSU checks, the Catalog lookups, fsync)"
echo "# wall floor on $(nproc) cores: kbfix $(awk -v a="$kbc" -v b="$kbs" -v n="$(nproc)" 'BEGIN { printf "%.2f", (a + b) / n }') s ((client + server CPU) / cores; its threads share the cores with the server), curl $(awk -v a="$cuc" -v b="$cus" -v n="$(nproc)" 'BEGIN { c = (a + b) / n; if (a > c) c = a; printf "%.2f", c }') s (one thread: at least its own CPU)"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
finish

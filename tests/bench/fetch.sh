#!/usr/bin/env bash
# make bench: kbfix fetch of 16 files of 32 MB from the local HTTPS Catalog
# with --parallel 4 (verification included: SHA-1, SHA-256, MSU structure),
# against curl --parallel --parallel-max 4 fetching the same URLs.
# Prints both wall times and their ratio; no pass/fail on timing.
# valgrind: skip
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
N=${BENCH_FILES:-16}
MB=${BENCH_MB:-32}
ROUNDS=${BENCH_ROUNDS:-3}
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
run_kbfix() {
	rm -rf "$T_TMP/kb"
	local t0 t1
	t0=$(date +%s.%N)
	"$KBFIX" fetch "$T_TMP/plan.json" -o "$T_TMP/kb" --parallel 4 \
	    --no-cache --no-progress --cacert "$CATSRV_CA" \
	    --catalog-url "$CATSRV_URL" >/dev/null || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
run_curl() {
	rm -rf "$T_TMP/cu"; mkdir "$T_TMP/cu"
	local t0 t1
	t0=$(date +%s.%N)
	(cd "$T_TMP/cu" && curl -s --no-progress-meter --parallel --parallel-max 4 \
	    --cacert "$CATSRV_CA" -K "$T_TMP/urls") || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
kb_times=() cu_times=()
for r in $(seq "$ROUNDS"); do
	kb_times+=("$(run_kbfix)") || not_ok "kbfix fetch round $r"
	cu_times+=("$(run_curl)") || not_ok "curl round $r"
done
kb=$(printf '%s\n' "${kb_times[@]}" | best)
cu=$(printf '%s\n' "${cu_times[@]}" | best)
check_eq "bench: kbfix bundle has $N files" "$N" "$(ls "$T_TMP/kb/files" | wc -l)"
check "bench: kbfix bundle verifies (sha256sum -c)" sh -c "cd '$T_TMP/kb' && sha256sum -c --quiet SHA256SUMS"
check_eq "bench: curl got $N files" "$N" "$(ls "$T_TMP/cu" | wc -l)"
echo "# kbfix fetch --parallel 4 (verification included): ${kb_times[*]} s (best $kb s)"
echo "# curl --parallel --parallel-max 4:                ${cu_times[*]} s (best $cu s)"
echo "# ratio kbfix/curl: $(awk -v a="$kb" -v b="$cu" 'BEGIN { printf "%.3f", a / b }') (target <= 1.1)"
finish

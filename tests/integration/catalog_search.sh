#!/usr/bin/env bash
# search and show against the local HTTPS Update Catalog (tests/catalog-server).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
catsrv_start || { not_ok "catalog server starts"; finish; }
export KBFIX_CATALOG_URL=$CATSRV_URL
CA=(--cacert "$CATSRV_CA")
W7=5eed0001-4b1d-4c2a-9e10-000000000001

out=$(kbfix search KB4345459 "${CA[@]}"); rc=$?
check_eq "search: exit 0" 0 "$rc"
check_eq "search: 5 rows for KB4345459" 5 "$(printf '%s\n' "$out" | wc -l)"
check_contains "search: text row" "$out" "$W7  2018-07-16"
check_contains "search: products shown" "$out" "[Windows Server 2008 R2]"

kbfix search KB4345459 --json "${CA[@]}" >"$T_TMP/s.json"
check_eq "search --json: keys exactly" \
    '["classification", "date", "products", "size", "title", "update_id", "version"]' \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(sorted(d[0])))' "$T_TMP/s.json")"
check_eq "search --json: values" \
    "$W7|2018-07-16|Windows 7|Updates|n/a|True" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]; print("|".join([d["update_id"],d["date"],d["products"],d["classification"],d["version"],str(d["size"]>1000)]))' "$T_TMP/s.json")"
check_eq "search --json: size is the file's bytes" \
    "$(stat -c %s "$CATSRV_DIR"/files/windows6.1-kb4345459-x64_*.msu | head -1)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["size"])' "$T_TMP/s.json")"

out=$(kbfix search "no such update" --json "${CA[@]}"); rc=$?
check_eq "search: no results is [] and exit 0" "[]|0" "$out|$rc"

# paging: 60 rows over 3 pages, 2019 markup (postback) then 2025 (?p=)
n=$(kbfix search paging-test "${CA[@]}" | wc -l)
check_eq "search 2019 markup: all 3 pages read" 60 "$n"
check_eq "search 2019 markup: 2 postbacks" 2 "$(catsrv_count 'POST /Search.aspx?q=paging-test')"
n=$(kbfix search paging-test --limit 30 "${CA[@]}" | wc -l)
check_eq "search --limit 30 stops at 30" 30 "$n"
catsrv_fault markup 2025
n=$(kbfix search paging-test --json "${CA[@]}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check_eq "search 2025 markup: all 3 pages read" 60 "$n"
check_eq "search 2025 markup: pages by ?p=" "1 1" \
    "$(catsrv_count 'GET /Search.aspx?q=paging-test&p=1 ') $(catsrv_count 'GET /Search.aspx?q=paging-test&p=2 ')"
n=$(kbfix search KB4345459 "${CA[@]}" | wc -l)
check_eq "search 2025 markup: rows" 5 "$n"
catsrv_clear

# retries: 503 and 8DDD0010 then success; always 503 is a clear error
catsrv_fault search_503 2
out=$(kbfix search KB4345424 "${CA[@]}"); rc=$?
check_eq "search: 503 twice then success" "0|3" "$rc|$(printf '%s\n' "$out" | wc -l)"
check_eq "search: the two 503s were served" 2 "$(catsrv_count 'KB4345424 - 503')"
catsrv_fault search_8ddd 1
out=$(kbfix search KB4345424 "${CA[@]}"); rc=$?
check_eq "search: 8DDD0010 page then success" "0|3" "$rc|$(printf '%s\n' "$out" | wc -l)"
check_eq "search: 8DDD0010 retried (3 + 2 requests)" 5 "$(catsrv_count 'GET /Search.aspx?q=KB4345424 ')"
catsrv_fault search_503 99
kbfix search KB4345424 "${CA[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "search: 503 forever exits 1" 1 "$rc"
check_contains "search: 503 error says so" "$T_TMP/err" "gave up after 5 attempts"
check_contains "search: 503 error names the status" "$T_TMP/err" "HTTP 503"
catsrv_clear

# a page that trickles (a byte every 500 ms) ends at --request-timeout,
# retries included
catsrv_fault trickle 500
before=$(catsrv_count 'GET /Search.aspx?q=KB4345424 ')
t0=$(date +%s)
timeout 60 $KBFIX_WRAP "$KBFIX" search KB4345424 "${CA[@]}" --request-timeout 2 >/dev/null 2>"$T_TMP/err"; rc=$?
t=$(( $(date +%s) - t0 ))
check_eq "search: trickled page exits 1" 1 "$rc"
check_contains "search: trickled page names the URL and the deadline" "$T_TMP/err" \
    "$CATSRV_URL/Search.aspx?q=KB4345424: no complete answer within 2 s (--request-timeout)"
check "search: trickled page given up at the deadline (${t} s)" test "$t" -lt 10
check_eq "search: trickled page not retried" 1 \
    "$(( $(catsrv_count 'GET /Search.aspx?q=KB4345424 ') - before ))"
catsrv_clear
timeout 60 $KBFIX_WRAP "$KBFIX" show $W7 "${CA[@]}" --request-timeout x >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "show: --request-timeout x is bad usage" 2 "$rc"
check_contains "show: --request-timeout x says so" "$T_TMP/err" "--request-timeout"

# show
out=$(kbfix show $W7 "${CA[@]}"); rc=$?
check_eq "show: exit 0" 0 "$rc"
check_contains "show: title" "$out" "2018-07 Update for Windows 7 for x64-based Systems (KB4345459)"
check_contains "show: KB" "$out" "KB              KB4345459"
check_contains "show: restart" "$out" "Can request restart"
check_contains "show: supersedes" "$out" "Security Only Quality Update for Windows 7 (KB4338823)"
check_contains "show: file url" "$out" "$CATSRV_URL/d/msdownload/update/software/updt/2018/07/windows6.1-kb4345459-x64_"
kbfix show $W7 --json "${CA[@]}" >"$T_TMP/show.json"
f=$(ls "$CATSRV_DIR"/files/windows6.1-kb4345459-x64_*.msu)
check_eq "show --json: file sha1 from the digest" "$(sha1sum "$f" | cut -d' ' -f1)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["sha1"])' "$T_TMP/show.json")"
check_eq "show --json: no sha256 unless given" "None" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["sha256"])' "$T_TMP/show.json")"
catsrv_fault sha256 1
kbfix show $W7 --json "${CA[@]}" >"$T_TMP/show.json"
check_eq "show --json: sha256 when given" "$(sha256sum "$f" | cut -d' ' -f1)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["sha256"])' "$T_TMP/show.json")"
catsrv_clear
kbfix show 5eed0001-4b1d-4c2a-9e10-0000000000ff "${CA[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "show: unknown id exits 1" 1 "$rc"
check_contains "show: unknown id is 'not found'" "$T_TMP/err" "not found in the Update Catalog"
kbfix show not-a-guid "${CA[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "show: a non-GUID is bad input" 2 "$rc"

# KBFIX_CATALOG_URL may be plain http://
catsrv_start_plain
out=$(KBFIX_CATALOG_URL=$CATSRV_HTTP_URL kbfix search KB4345459 --json); rc=$?
check_eq "search over http://: 5 rows" "0|5" \
    "$rc|$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
out=$(kbfix fetch "$TOP/tests/data/catalog-plan.json" -o "$T_TMP/hb" --no-cache \
    --catalog-url "$CATSRV_HTTP_URL" 2>&1); rc=$?
check_eq "fetch over http://: exit 0" 0 "$rc"
check "fetch over http://: hashes check out" sh -c "cd '$T_TMP/hb' && sha256sum -c --quiet SHA256SUMS"

# TLS is verified: without the test CA the server is refused
kbfix search KB4345459 >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "search: untrusted certificate refused" 1 "$rc"
check_contains "search: untrusted certificate message" "$T_TMP/err" "certificate"
finish

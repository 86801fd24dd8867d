#!/usr/bin/env bash
# kbfix supersede --refresh against the local HTTPS Update Catalog serving a
# modelled "superseded by" chain (KB4345459 -> KB4343900 -> KB4457144, and
# a link back), then plan --supersede DIR: a host past the fix by an update
# the built-in data does not know is fixed, and nothing is planned for it.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
catsrv_start --supersede-chain || { not_ok "catalog server starts"; finish; }
CA=(--catalog-url "$CATSRV_URL" --cacert "$CATSRV_CA")

kbfix supersede --refresh -o "$T_TMP/sup" "${CA[@]}" 2>"$T_TMP/err"; rc=$?
check_eq "refresh: exit 0" 0 "$rc"
check "refresh: a file per product" test -s "$T_TMP/sup/windows-7.json" -a \
    -s "$T_TMP/sup/windows-server-2008-r2.json" -a -s "$T_TMP/sup/windows-10.json"
check_eq "refresh: Windows 7's chains, each link once per fix" \
    "KB4345459 KB4343900 2018-08-14|KB4345459 KB4457144 2018-09-11|KB4343900 KB4457144 2018-09-11" \
    "$(jq -r '[.updates[] | "\(.fix) \(.kb) \(.date)"] | join("|")' "$T_TMP/sup/windows-7.json")"
check_eq "refresh: Server 2008 R2 from its own entry" "KB4343900" \
    "$(jq -r '[.updates[].kb] | join(" ")' "$T_TMP/sup/windows-server-2008-r2.json")"
check_eq "refresh: titles and ids from the Catalog" \
    "2018-09 Security Monthly Quality Rollup for Windows 7 for x64-based Systems (KB4457144)|5eed0041-4b1d-4c2a-9e10-000000000041" \
    "$(jq -r '.updates[1] | "\(.title)|\(.update_id)"' "$T_TMP/sup/windows-7.json")"
check_eq "refresh: dated today" "$(date -u +%Y-%m-%d)" \
    "$(jq -r '.refreshed[:10]' "$T_TMP/sup/windows-7.json")"
check "refresh: timestamped progress on stderr" grep -Eq \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z supersede: Windows 7: KB4345459: 2 entries, 2 later updates$' "$T_TMP/err"
check_contains "refresh: a fix the Catalog lacks is said" "$(cat "$T_TMP/err")" \
    "Windows 7: KB4338821: not in the Catalog for this product"
check_eq "refresh: each details page fetched once per fix (no loop)" 2 \
    "$(catsrv_count 'ScopedViewInline.aspx?updateid=5eed0041')"
kbfix supersede --supersede "$T_TMP/sup" >"$T_TMP/show"
check_contains "supersede lists the refreshed file" "$(cat "$T_TMP/show")" \
    "$T_TMP/sup/windows-7.json"

cat >"$T_TMP/inv.json" <<'INV'
{"hosts": [
 {"name": "w7", "os": "Windows 7 Professional", "version": "6.1.7601", "arch": "x64",
  "installed": ["KB4338818", "KB4457144"], "registry": {}}
]}
INV
kbfix plan -i "$T_TMP/inv.json" --format json >"$T_TMP/p1.json"
check_eq "without the data: the July preview rollup is planned" "KB4338821" \
    "$(jq -r '.packages[].kb' "$T_TMP/p1.json")"
kbfix plan -i "$T_TMP/inv.json" --supersede "$T_TMP/sup" --format json >"$T_TMP/p2.json"; rc=$?
check_eq "plan --supersede: exit 0" 0 "$rc"
check_eq "plan --supersede: fixed, nothing planned" "compliant|0|0" \
    "$(jq -r '"\(.hosts[0].status)|\(.hosts[0].actions | length)|\(.packages | length)"' "$T_TMP/p2.json")"
check_contains "plan --supersede: the reason names the update and the data" \
    "$(jq -r '.hosts[0].findings[] | select(.advisory == "tcpip-2018-07") | .reason' "$T_TMP/p2.json")" \
    "KB4457144 (2018-09 Security Monthly Quality Rollup for Windows 7 for x64-based Systems (KB4457144), 2018-09-11) is installed and contains the fix KB4345459"
out=$(kbfix explain -i "$T_TMP/inv.json" --supersede "$T_TMP/sup" w7)
check_contains "explain --supersede agrees" "$out" "contains the fix KB4345459"

# A bad data file is refused with its name and field, exit 2.
mkdir -p "$T_TMP/bad"
printf '{"format": "kbfix-supersede/1", "product": "Windows 7", "refreshed": "2026-12-02T08:00:00Z", "source": "x", "updates": [{"advisory": "tcpip-2018-07", "fix": "KB4345459", "kb": "& calc"}]}' >"$T_TMP/bad/w.json"
kbfix plan -i "$T_TMP/inv.json" --supersede "$T_TMP/bad" 2>"$T_TMP/err" >/dev/null; rc=$?
check_eq "bad data file: exit 2" 2 "$rc"
check_contains "bad data file: named" "$(cat "$T_TMP/err")" "w.json: updates[0].kb: must look like"

# The Catalog failing leaves nothing half-written.
catsrv_fault search_503 1000
kbfix supersede --refresh -o "$T_TMP/sup2" "${CA[@]}" --request-timeout 3 2>/dev/null; rc=$?
check_eq "Catalog down: exit 1" 1 "$rc"
check "Catalog down: nothing written" test ! -e "$T_TMP/sup2/windows-7.json"

# The Catalog options are fetch's (cmd/catalog_opts.c): same words in
# --help, same checks.
opts() { sed -n '/^  --catalog-url/,/^$/p'; }
check_eq "supersede --help: the Catalog options in fetch's words" \
    "$(kbfix fetch --help | opts)" "$(kbfix supersede --help | opts)"
check_contains "supersede --help: names --request-timeout" \
    "$(kbfix supersede --help)" "give up a Catalog page"
kbfix supersede --refresh -o "$T_TMP/sup3" "${CA[@]}" --request-timeout 0 2>"$T_TMP/err"; rc=$?
check_eq "supersede --request-timeout 0: bad usage" 2 "$rc"
check_contains "supersede --request-timeout 0: says so" "$(cat "$T_TMP/err")" "--request-timeout: "
check "supersede --request-timeout 0: nothing written" test ! -e "$T_TMP/sup3"
kbfix supersede --refresh -o "$T_TMP/sup3" --catalog-url "ftp://x" 2>"$T_TMP/err"; rc=$?
check_eq "supersede --catalog-url ftp://: bad usage" 2 "$rc"
check_contains "supersede --catalog-url ftp://: says so" "$(cat "$T_TMP/err")" "must start with http:// or https://"
finish

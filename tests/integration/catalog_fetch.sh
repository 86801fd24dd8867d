#!/usr/bin/env bash
# fetch and verify against the local HTTPS Update Catalog: the example plan
# end to end, the cache, archives, and the faults of issue 3.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
catsrv_start || { not_ok "catalog server starts"; finish; }
export KBFIX_CATALOG_URL=$CATSRV_URL
PLAN=$TOP/tests/data/catalog-plan.json
CA=(--cacert "$CATSRV_CA")
W7FILE=$(cd "$CATSRV_DIR/files" && ls windows6.1-kb4345459-x64_*.msu)
W60FILE=$(cd "$CATSRV_DIR/files" && ls windows6.0-kb4345397-x86_*.msu | while read -r f; do
	gcab -x -C "$T_TMP" "$CATSRV_DIR/files/$f" >/dev/null
	iconv -f UTF-16LE -t UTF-8 "$T_TMP"/Windows6.0-KB4345397-x86-pkgProperties.txt |
	    grep -q 'Architecture="x86"' && echo "$f"; done)
B=$T_TMP/bundle

# no partial bundle and no temporary folder beside DIR
no_leftovers() {
	local d=$1
	[ ! -e "$d" ] && ! ls -d "$d".kbfix-tmp.* >/dev/null 2>&1
}

out=$(kbfix fetch "$PLAN" -o "$B" "${CA[@]}" --cache "$T_TMP/cache" \
    --archive "$T_TMP/bundle.tar.gz" 2>"$T_TMP/err"); rc=$?
check_eq "fetch: exit 0" 0 "$rc"
check_contains "fetch: summary" "$out" "5 update(s), 4 file(s): 4 downloaded"
for f in manifest.json UpdateIDs.txt SHA1SUMS SHA256SUMS Import-ToWsus.ps1 \
    Install-Offline.cmd README.txt "files/$W7FILE"; do
	check "bundle has $f" test -s "$B/$f"
done
check_eq "bundle: 4 files, nothing else" 4 "$(ls "$B/files" | wc -l)"
check "bundle: sha1sum -c passes" sh -c "cd '$B' && sha1sum -c --quiet SHA1SUMS"
check "bundle: sha256sum -c passes" sh -c "cd '$B' && sha256sum -c --quiet SHA256SUMS"
check_eq "bundle: shared Windows 7 / 2008 R2 file downloaded once" 1 \
    "$(catsrv_count "GET /d/msdownload/update/software/updt/2018/07/$W7FILE")"
check_eq "bundle: UpdateIDs.txt" "5eed0001-4b1d-4c2a-9e10-000000000001
5eed0002-4b1d-4c2a-9e10-000000000002
5eed0007-4b1d-4c2a-9e10-000000000007
5eed0009-4b1d-4c2a-9e10-000000000009
5eed000a-4b1d-4c2a-9e10-00000000000a" "$(cat "$B/UpdateIDs.txt")"
check_eq "manifest: per-update fields" \
    "kbfix-bundle/1|5|KB4345459|Windows Server 2008 R2|x64|Updates|db01|Windows6.1-KB4345459-x64.cab|files/$W7FILE|$(sha256sum "$CATSRV_DIR/files/$W7FILE" | cut -d' ' -f1)" \
    "$(python3 - "$B/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
u = m["updates"][1]
f = u["files"][0]
print("|".join([m["format"], str(len(m["updates"])), u["kb"], u["product"],
    u["arch"], u["classification"], ",".join(u["hosts"]), f["package_cab"],
    f["path"], f["sha256"]]))
PY
)"
check_contains "Import-ToWsus.ps1: 2008 R2 id with its file" "$B/Import-ToWsus.ps1" \
    "Import-One '5eed0002-4b1d-4c2a-9e10-000000000002' '2018-07 Update for Windows Server 2008 R2 for x64-based Systems (KB4345459)' @('files\\$W7FILE')"
check_contains "Import-ToWsus.ps1: ImportUpdateFromCatalogSite" "$B/Import-ToWsus.ps1" \
    '$wsus.ImportUpdateFromCatalogSite($Id, $paths)'
check_contains "Import-ToWsus.ps1: TLS 1.2 note" "$B/Import-ToWsus.ps1" "SchUseStrongCrypto"
check_eq "Import-ToWsus.ps1: one import per update id" 5 "$(grep -c '^Import-One' "$B/Import-ToWsus.ps1")"
check_contains "Install-Offline.cmd: expand + dism per package" "$B/Install-Offline.cmd" \
    "call :install KB4345459 \"$W7FILE\" \"Windows6.1-KB4345459-x64.cab\" x64"
check_eq "Install-Offline.cmd: one install per file (wusa for NT 6.0)" 4 "$(grep -cE '^call :(install|wusa)' "$B/Install-Offline.cmd")"
check_contains "Install-Offline.cmd: 3010 interpreted" "$B/Install-Offline.cmd" '"%E%"=="3010"'
check_contains "Install-Offline.cmd: DISM not applicable interpreted" "$B/Install-Offline.cmd" '"%E%"=="-2146498530"'

# progress on request (stderr, timestamped lines off a terminal), none by
# default off a terminal
check_eq "fetch: stderr quiet off a terminal" "" "$(cat "$T_TMP/err")"
kbfix fetch "$PLAN" -o "$T_TMP/bp" "${CA[@]}" --no-cache --progress >/dev/null 2>"$T_TMP/err"
check_contains "fetch --progress: timestamped lines off a terminal" "$T_TMP/err" \
    "Z kbfix: fetch: download 100%"
check_contains "fetch --progress: lookups shown" "$T_TMP/err" \
    "kbfix: fetch: download dialogs (one per package): 5/5"

# verify
out=$(kbfix verify "$B"); rc=$?
check_eq "verify: clean bundle" "0|$B: 4 file(s) checked, 0 bad" "$rc|$out"

# archive
mkdir "$T_TMP/x"
tar -xzf "$T_TMP/bundle.tar.gz" -C "$T_TMP/x"
check "archive tar.gz: sha256sum -c inside" sh -c "cd '$T_TMP/x/bundle' && sha256sum -c --quiet SHA256SUMS"
check "archive tar.gz: extracted bundle verifies" kbfix verify "$T_TMP/x/bundle"

# the cache: a second fetch downloads nothing
before=$(catsrv_count 'GET /d/msdownload')
out=$(kbfix fetch "$PLAN" -o "$T_TMP/bundle2" "${CA[@]}" --cache "$T_TMP/cache" \
    --archive "$T_TMP/bundle2.zip" 2>&1); rc=$?
check_eq "fetch again: exit 0" 0 "$rc"
check_contains "fetch again: all from the cache" "$out" "0 downloaded (0 bytes), 4 from the cache"
check_eq "fetch again: no download request" "$before" "$(catsrv_count 'GET /d/msdownload')"
mkdir "$T_TMP/z"
(cd "$T_TMP/z" && unzip -q "$T_TMP/bundle2.zip")
check "archive zip: sha1sum -c inside" sh -c "cd '$T_TMP/z/bundle2' && sha1sum -c --quiet SHA1SUMS"

# a damaged cache entry is not trusted: re-downloaded
# (cache entries are hard links of bundle files: damage a copy, not the inode)
cp "$T_TMP/cache/packages/$W7FILE" "$T_TMP/dmg" && printf 'x' >>"$T_TMP/dmg"
mv "$T_TMP/dmg" "$T_TMP/cache/packages/$W7FILE"
out=$(kbfix fetch "$PLAN" -o "$T_TMP/bundle3" "${CA[@]}" --cache "$T_TMP/cache" 2>&1); rc=$?
check_contains "damaged cache entry downloaded again" "$out" "1 downloaded"

# verify names a file that no longer matches
printf 'x' >>"$B/files/$W7FILE"
out=$(kbfix verify "$B"); rc=$?
check_eq "verify: damaged bundle exits 1" 1 "$rc"
check_contains "verify: names the file" "$out" "BAD files/$W7FILE: size mismatch"
check_contains "verify: counts it" "$out" "4 file(s) checked, 1 bad"

# faults: fetch without the cache so every file is downloaded
NC=(--no-cache)
catsrv_fault corrupt "$W7FILE"
kbfix fetch "$PLAN" -o "$T_TMP/f1" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "hash mismatch: exit 1" 1 "$rc"
check_contains "hash mismatch: expected and actual" "$T_TMP/err" \
    "$W7FILE: refused: $W7FILE: SHA-1 (from the file name) mismatch: expected ${W7FILE:25:40}, got "
check "hash mismatch: no partial bundle" no_leftovers "$T_TMP/f1"
catsrv_clear

catsrv_fault cut "$W7FILE"
out=$(kbfix fetch "$PLAN" -o "$T_TMP/f2" "${CA[@]}" "${NC[@]}" 2>"$T_TMP/err"); rc=$?
check_eq "cut download: resumed, exit 0" 0 "$rc"
check_eq "cut download: resumed with a Range request" 1 \
    "$(grep -c "GET /d/.*$W7FILE bytes=[1-9][0-9]*- 206" "$CATSRV_LOG")"
check "cut download: file verifies" kbfix verify "$T_TMP/f2"
catsrv_clear

catsrv_fault dl_503 2
out=$(kbfix fetch "$PLAN" -o "$T_TMP/f3" "${CA[@]}" "${NC[@]}" 2>"$T_TMP/err"); rc=$?
check_eq "503 then success: exit 0" 0 "$rc"
check_eq "503 then success: two 503s served" 2 "$(catsrv_count '^GET /d/.* - 503$')"
catsrv_clear

catsrv_fault redirect "$W7FILE"
before=$(catsrv_count "GET /d/.*$W7FILE - 200")
kbfix fetch "$PLAN" -o "$T_TMP/f4" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "redirect off the allow list: exit 1" 1 "$rc"
check_contains "redirect off the allow list: refused" "$T_TMP/err" \
    "redirect refused: https://localhost:$CATSRV_PORT/d/msdownload/update/software/updt/2018/07/$W7FILE: https://localhost:$CATSRV_PORT is not on the download allow list"
check "redirect off the allow list: no partial bundle" no_leftovers "$T_TMP/f4"
check_eq "redirect off the allow list: nothing fetched from it" "$before" \
    "$(catsrv_count "GET /d/.*$W7FILE - 200")"
# --allow-host HOST is HOST on the default port (443), not any port
kbfix fetch "$PLAN" -o "$T_TMP/f4a" "${CA[@]}" "${NC[@]}" --allow-host localhost >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "redirect to an allowed host on another port: refused" "1|$before" \
    "$rc|$(catsrv_count "GET /d/.*$W7FILE - 200")"
check_contains "redirect to an allowed host on another port: says so" "$T_TMP/err" \
    "https://localhost:$CATSRV_PORT is not on the download allow list (add it with --allow-host HOST:PORT)"
out=$(kbfix fetch "$PLAN" -o "$T_TMP/f4b" "${CA[@]}" "${NC[@]}" --allow-host "localhost:$CATSRV_PORT" 2>&1); rc=$?
check_eq "redirect to an --allow-host mirror: followed" 0 "$rc"
check "redirect to an --allow-host mirror: bundle verifies" sh -c "cd '$T_TMP/f4b' && sha1sum -c --quiet SHA1SUMS"
kbfix fetch "$PLAN" -o "$T_TMP/f4c" "${CA[@]}" --allow-host "localhost:0" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "--allow-host with a bad port: bad usage" 2 "$rc"
check_contains "--allow-host with a bad port: says so" "$T_TMP/err" "--allow-host 'localhost:0': the port must be 1-65535"
# the Catalog's own host on another port (a plain HTTP server there): refused
catsrv_start_plain
PLAIN_PORT=${CATSRV_HTTP_URL##*:}
catsrv_fault redirect_to "https://127.0.0.1:$PLAIN_PORT"
kbfix fetch "$PLAN" -o "$T_TMP/f4d" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "redirect to the Catalog host on another port: exit 1" 1 "$rc"
check_contains "redirect to the Catalog host on another port: refused" "$T_TMP/err" \
    "$W7FILE: https://127.0.0.1:$PLAIN_PORT is not on the download allow list"
check "redirect to the Catalog host on another port: no partial bundle" no_leftovers "$T_TMP/f4d"
# https never downgrades, even to an allowed host and port
catsrv_fault redirect_to "$CATSRV_HTTP_URL"
before=$(catsrv_count "GET /d/.*$W7FILE - 200")
kbfix fetch "$PLAN" -o "$T_TMP/f4e" "${CA[@]}" "${NC[@]}" --allow-host "127.0.0.1:$PLAIN_PORT" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "redirect from https to http: exit 1" 1 "$rc"
check_contains "redirect from https to http: refused" "$T_TMP/err" \
    "$CATSRV_HTTP_URL/d/msdownload/update/software/updt/2018/07/$W7FILE: a redirect from https to http is refused"
check_eq "redirect from https to http: nothing fetched over http" "$before" \
    "$(catsrv_count "GET /d/.*$W7FILE - 200")"
check "redirect from https to http: no partial bundle" no_leftovers "$T_TMP/f4e"
catsrv_clear

# a download larger than the Catalog says is cut off at once and removed:
# an endless body, a 2 GB Content-Length
W7SIZE=$(stat -c %s "$CATSRV_DIR/files/$W7FILE")
for fault in endless biglen; do
	catsrv_fault "$fault" "$W7FILE"
	before=$(catsrv_count "GET /d/.*$W7FILE ")
	timeout 60 $KBFIX_WRAP "$KBFIX" fetch "$PLAN" -o "$T_TMP/$fault" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
	check_eq "$fault download: exit 1" 1 "$rc"
	check_contains "$fault download: refused at the Catalog's size" "$T_TMP/err" \
	    "$W7FILE: $CATSRV_URL/d/msdownload/update/software/updt/2018/07/$W7FILE: larger than $W7SIZE bytes (the Catalog's size for it); refused"
	check_eq "$fault download: one request, not retried" 1 \
	    "$(( $(catsrv_count "GET /d/.*$W7FILE ") - before ))"
	check "$fault download: no partial bundle" no_leftovers "$T_TMP/$fault"
	catsrv_clear
done

# a download that trickles (a byte every 200 ms) ends at --download-timeout
catsrv_fault dl_trickle 200
t0=$(date +%s)
timeout 60 $KBFIX_WRAP "$KBFIX" fetch "$PLAN" -o "$T_TMP/trickle" "${CA[@]}" "${NC[@]}" --download-timeout 2 >/dev/null 2>"$T_TMP/err"; rc=$?
t=$(( $(date +%s) - t0 ))
check_eq "trickled download: exit 1" 1 "$rc"
check_contains "trickled download: names the URL and the deadline" "$T_TMP/err" \
    "$W7FILE: $CATSRV_URL/d/msdownload/update/software/updt/2018/07/$W7FILE: not downloaded within 2 s (--download-timeout)"
check "trickled download: given up at the deadline (${t} s)" test "$t" -lt 15
check "trickled download: no partial bundle" no_leftovers "$T_TMP/trickle"
kbfix fetch "$PLAN" -o "$T_TMP/t0" "${CA[@]}" --download-timeout 0 >/dev/null 2>&1; rc=$?
check_eq "--download-timeout 0: bad usage" 2 "$rc"
catsrv_clear

catsrv_fault wrong_arch 1
kbfix fetch "$PLAN" -o "$T_TMP/f5" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "wrong architecture: exit 1" 1 "$rc"
check_contains "wrong architecture: refused with both values" "$T_TMP/err" \
    "wrong architecture: expected x86, pkgProperties.txt says x64"
check "wrong architecture: no partial bundle" no_leftovers "$T_TMP/f5"
catsrv_clear

kbfix fetch "$PLAN" -o "$T_TMP/f6" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "untrusted certificate: exit 1" 1 "$rc"
check_contains "untrusted certificate: refused" "$T_TMP/err" "certificate"
check "untrusted certificate: no partial bundle" no_leftovers "$T_TMP/f6"

# ambiguity and no match are errors listing the candidates
sed 's/"arch": "x86", "hosts": \["legacy01"\]/"arch": "arm64", "hosts": ["legacy01"]/' "$PLAN" >"$T_TMP/arm.json"
before=$(catsrv_count 'GET /d/')
kbfix fetch "$T_TMP/arm.json" -o "$T_TMP/f7" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "no Catalog entry: exit 1" 1 "$rc"
check_contains "no Catalog entry: lists what exists" "$T_TMP/err" \
    "KB4345397 for Windows Server 2008 arm64: no Catalog entry matches"
check_eq "no Catalog entry: nothing downloaded" "$before" "$(catsrv_count 'GET /d/')"
check "no Catalog entry: no partial bundle" no_leftovers "$T_TMP/f7"
# Windows 7 x64 twice in the Catalog: ambiguity lists both ids
catsrv_fault duplicate 1
kbfix fetch "$PLAN" -o "$T_TMP/f9" "${CA[@]}" "${NC[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "ambiguous entry: exit 1" 1 "$rc"
check_contains "ambiguous entry: says so" "$T_TMP/err" \
    "KB976527 for Windows 7 x64: 2 Catalog entries match, choose one:"
check_contains "ambiguous entry: lists both ids" "$T_TMP/err" \
    "5eed000a-4b1d-4c2a-9e10-00000000dddd  Hotfix for Windows 7 for x64-based Systems (KB976527) - re-release"
check "ambiguous entry: no partial bundle" no_leftovers "$T_TMP/f9"
catsrv_clear

# a slow Catalog (pages after 300 ms, like the real one): once a lookup
# has been slow the rest run on parallel connections; same bundle
catsrv_fault slow 300
kbfix fetch "$PLAN" -o "$T_TMP/slow" "${CA[@]}" --cache "$T_TMP/cache" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "slow Catalog: exit 0" 0 "$rc"
check_eq "slow Catalog: the same update ids" "$(cat "$B/UpdateIDs.txt")" \
    "$(cat "$T_TMP/slow/UpdateIDs.txt")"
check "slow Catalog: lookups ran in parallel" python3 -c '
import json, sys
sys.exit(json.loads(sys.argv[1]).get("max_inflight", 0) < 2)' \
    "$(curl -sf --cacert "$CATSRV_CA" "$CATSRV_URL/_fault?set=slow&arg=0")"
catsrv_clear
# a fast one: one keep-alive connection (not under valgrind, where kbfix
# itself takes longer than LOOKUP_SLOW_MS for a page)
if [ -z "$KBFIX_WRAP" ]; then
	catsrv_fault slow 1
	kbfix fetch "$PLAN" -o "$T_TMP/fast" "${CA[@]}" --cache "$T_TMP/cache" >/dev/null 2>"$T_TMP/err"; rc=$?
	check_eq "fast Catalog: one lookup at a time" "0|1" "$rc|$(curl -sf --cacert "$CATSRV_CA" "$CATSRV_URL/_fault?set=slow&arg=0" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("max_inflight"))')"
	catsrv_clear
fi

# an unwritable output folder (read-only bind) and a full disk (small tmpfs)
mkdir -p "$T_TMP/ro"
if bwrap --dev-bind / / --ro-bind "$T_TMP/ro" "$T_TMP/ro" true 2>/dev/null; then
	bwrap --dev-bind / / --ro-bind "$T_TMP/ro" "$T_TMP/ro" \
	    "$KBFIX" fetch "$PLAN" -o "$T_TMP/ro/b" "${CA[@]}" "${NC[@]}" \
	    >/dev/null 2>"$T_TMP/err"; rc=$?
	check_eq "unwritable folder: exit 1" 1 "$rc"
	check_contains "unwritable folder: clear error" "$T_TMP/err" \
	    "ro/b: cannot create a temporary folder beside it: Read-only file system"
	check_eq "unwritable folder: nothing written" "" "$(ls "$T_TMP/ro")"
	mkdir -p "$T_TMP/full"
	bwrap --dev-bind / / --size 12288 --tmpfs "$T_TMP/full" \
	    sh -c "'$KBFIX' fetch '$PLAN' -o '$T_TMP/full/b' --cacert '$CATSRV_CA' --no-cache; echo \$? >'$T_TMP/full.rc'; ls -A '$T_TMP/full' >'$T_TMP/full.ls'" \
	    >/dev/null 2>"$T_TMP/err"
	check_eq "full disk: exit 1" 1 "$(cat "$T_TMP/full.rc")"
	check_contains "full disk: clear error" "$T_TMP/err" "No space left on device"
	check_eq "full disk: no partial bundle" "" "$(cat "$T_TMP/full.ls")"
else
	not_ok "bwrap is needed for the unwritable-folder and full-disk checks"
fi

# bad input
kbfix fetch "$T_TMP/nope.json" -o "$T_TMP/f8" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "missing plan: exit 2" 2 "$rc"
kbfix fetch "$PLAN" -o "$B" "${CA[@]}" >/dev/null 2>"$T_TMP/err"; rc=$?
check_eq "existing bundle folder: exit 2" 2 "$rc"
check_contains "existing bundle folder: says so" "$T_TMP/err" "already exists"
finish

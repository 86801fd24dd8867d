#!/usr/bin/env bash
# winsim prints what real Windows prints (issue 10 item 7): its output
# compared byte for byte with each capture of tests/fixtures/windows of the
# same command, once host-specific values (boot time, install time) are
# substituted.  No fleet: winsim runs on state directories made by
# fleetctl.py.
. "$(dirname "$0")/../lib.sh"
FIX=$TOP/tests/fixtures/windows

cat >"$T_TMP/inv.json" <<'EOF2'
{"hosts": [
 {"name": "wine", "os": "windows-7", "version": "6.1.7601", "registry": {
   "HKCU\\Software\\Wine\\reg_test\\Test1": "Hello, World",
   "HKCU\\Software\\Wine\\reg_test\\Test2": 291,
   "HKCU\\Software\\Wine\\reg_test\\Wine": "First instance",
   "HKCU\\Software\\Wine\\reg_test\\subkey\\Test3": "Some string data",
   "HKCU\\Software\\Wine\\reg_test\\subkey\\Test4": 2748,
   "HKCU\\Software\\Wine\\reg_test\\subkey\\Wine": "Second instance"}},
 {"name": "de7", "os": "Windows 7 Ultimate N", "version": "6.1.7601",
  "installed": ["KB976902"], "winsim": {"locale": "de-DE"}},
 {"name": "fr7", "os": "Windows 7 Enterprise", "version": "6.1.7601",
  "installed": ["KB976902"], "winsim": {"locale": "fr-FR"}},
 {"name": "w10", "os": "Windows 10 Pro", "version": "10.0.14393"},
 {"name": "r2de", "os": "Windows Server 2012 R2 Standard", "version": "6.3.9600",
  "multicast_forwarding": true, "winsim": {"locale": "de-DE"}}
]}
EOF2
python3 "$TOP/tests/fleet/fleetctl.py" state "$T_TMP/inv.json" "$T_TMP/st" >/dev/null
check_eq "state directories" 0 $?
ws() {	# ws HOST LINE: winsim's stdout
	WINSIM_STATE=$T_TMP/st/$1 WINSIM_HOST=$1 "$TOP/$BUILD/winsim" -c "$2"
}

# reg query: Wine's byte-exact expectations of real reg.exe
for t in "test2_v_one_value:reg query HKCU\\Software\\Wine\\reg_test /v Test1" \
    "test3_values_and_subkey:reg query HKCU\\Software\\Wine\\reg_test" \
    "test4_subkey_values:reg query HKCU\\Software\\Wine\\reg_test\\subkey:partial" \
    "test6_recursive:reg query HKCU\\Software\\Wine\\reg_test /s"; do
	IFS=: read -r name line mode <<<"$t"
	ws wine "$line" >"$T_TMP/out"
	if [ "$mode" = partial ]; then
		# the capture has two of the subkey's three values
		grep -v 'Wine    REG_SZ' "$T_TMP/out" >"$T_TMP/out2"
		mv "$T_TMP/out2" "$T_TMP/out"
	fi
	check "reg: $line = wine_query_$name.bin, byte for byte" \
	    cmp "$T_TMP/out" "$FIX/reg/wine_query_$name.bin"
done

# wmic through a pipe: ANSI, CR CR LF, padded table (the value substituted)
ws wine 'wmic os get LastBootUpTime' |
    sed 's/[0-9]\{14\}\.[0-9]\{6\}[-+][0-9]\{3\}/20260621145108.500000-300/' \
    >"$T_TMP/out"
check "wmic os get LastBootUpTime = the 19045 pipe capture, byte for byte" \
    cmp "$T_TMP/out" "$FIX/wmic/win10_19045_wmic_os_get_LastBootUpTime_pipe.bin"

# dism /get-packages /English: the package blocks of the captures
printf 'Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.321.1.5\tInstalled\t-\n' \
    >"$T_TMP/st/w10/packages"
ws w10 'dism /online /get-packages /English' |
    sed -n '/^Package Identity/,$p' | tr -d '\r' |
    sed 's|^Install Time : .*|Install Time : 10/13/2016 6:26 PM|' >"$T_TMP/out"
check "dism: an installed cumulative update = msdocs_win10_1607 capture" \
    cmp "$T_TMP/out" "$FIX/dism/msdocs_win10_1607_getpackages_rollupfix.txt"
printf 'Package_for_RollupFix~31bf3856ad364e35~amd64~~17134.345.1.5\tInstall Pending\t-\n' \
    >"$T_TMP/st/w10/packages"
ws w10 'dism /online /get-packages /English' |
    sed -n '/^Package Identity/,/^Install Time/p' | tr -d '\r' >"$T_TMP/out"
check "dism: Install Pending, no Install Time = azuredocs_win10_1803 capture" \
    cmp "$T_TMP/out" "$FIX/dism/azuredocs_win10_1803_getpackages_rollupfix_install_pending.txt"
printf '%s\tInstalled\t-\n' \
    'Package_for_KB2706045~31bf3856ad364e35~amd64~~6.1.1.0' \
    'Package_3_for_KB2706045~31bf3856ad364e35~amd64~~6.1.1.0' \
    'Package_for_KB2706045_SP1~31bf3856ad364e35~amd64~~6.1.1.0' \
    >"$T_TMP/st/wine/packages"
ws wine 'dism /online /get-packages /English' | tr -d '\r' |
    grep -E '^(Package Identity|State) ' >"$T_TMP/out"
check "dism: hotfix and sub-packages in the capture's order" \
    cmp "$T_TMP/out" <(grep -E '^(Package Identity|State) ' \
        "$FIX/dism/DERIVED_blog_win7_KB2706045_with_states.txt")
check_contains "dism without /English on a German host: translated labels" \
    "$(ws de7 'dism /online /get-packages')" "Paketidentit"
check_contains "dism /English on a German host: English" \
    "$(ws de7 'dism /online /get-packages /English')" "Package Identity : "

# systeminfo: German labels and value column as the capture; the list
# starts with a blank line, the CSV with its header row
ws de7 systeminfo | tr -d '\r' | sed 's/^\([^ ][^:]*\(: [^ ][^:]*\)*:  *\).*/\1/' |
    grep -v '^ ' | head -33 >"$T_TMP/out"
tr -d '\r' <"$FIX/systeminfo/wesng_7_sp1_x64_ultimaten_de_systeminfo.txt" |
    sed 's/^\([^ ][^:]*\(: [^ ][^:]*\)*:  *\).*/\1/' | grep -v '^ ' |
    head -33 >"$T_TMP/want"
check "systeminfo (de-DE): labels, their order and the value column = the capture" \
    cmp "$T_TMP/out" "$T_TMP/want"
# systeminfo (fr-FR): the French capture is in code page 850, as
# systeminfo writes to a pipe (winsim writes UTF-8); its labels (a no-break
# space before the colons of "Mémoire virtuelle : ...") and value column
WINSIM_FR=$FIX/systeminfo/wesng_7_sp1_x64_enterprise_fr_systeminfo_cmd.txt
ws fr7 systeminfo | tr -d '\r' | sed 's/^\([^ ][^:]*\(: [^ ][^:]*\)*:  *\).*/\1/' |
    grep -v '^ ' | head -33 >"$T_TMP/out"
iconv -f CP850 -t UTF-8 "$WINSIM_FR" | tr -d '\r' |
    sed 's/^\([^ ][^:]*\(: [^ ][^:]*\)*:  *\).*/\1/' | grep -v '^ ' |
    head -33 >"$T_TMP/want"
check "systeminfo (fr-FR): labels, their order and the value column = the capture" \
    cmp "$T_TMP/out" "$T_TMP/want"
# the fixed phrases, the counts and host values taken out: the OS version
# ("version" in French), the processor and network card sentences and the
# second line's "[01] :", the hotfix sentence
phrases() {	# phrases ENCODING < systeminfo output
	python3 -c '
import re, sys
t = sys.stdin.buffer.read().decode(sys.argv[1]).replace("\r", "")
lines = t.split("\n")
want = (2, 14, 30, 31)	# version, processors, hotfixes, NICs (0-based label)
labels = [i for i, l in enumerate(lines) if l and not l.startswith(" ")]
for k in want:
    i = labels[k]
    col = len(re.match(r"(.*?:\s+)", lines[i]).group(1))
    v = re.sub(r"^\d+ ", "N ", lines[i][col:])
    v = re.sub(r"^[\d.]+ (Service Pack 1) (\S+) \d+$", r"V \1 \2 B", v)
    nxt = lines[i + 1]
    item = nxt[col:col + 7].split(":")[0] + ":" if nxt.startswith(" ") else ""
    print(k, v, item)' "$1"
}
ws fr7 systeminfo | phrases utf-8 >"$T_TMP/out"
phrases cp850 <"$WINSIM_FR" >"$T_TMP/want"
check "systeminfo (fr-FR): version, processor, hotfix and NIC phrases = the capture" \
    cmp "$T_TMP/out" "$T_TMP/want"
[ -s "$T_TMP/want" ] && cmp -s "$T_TMP/out" "$T_TMP/want" ||
    diff "$T_TMP/out" "$T_TMP/want" | sed 's/^/#   /'
ws de7 systeminfo | phrases utf-8 >"$T_TMP/out"
phrases utf-8 <"$FIX/systeminfo/wesng_7_sp1_x64_ultimaten_de_systeminfo.txt" \
    >"$T_TMP/want"
check "systeminfo (de-DE): version, processor, hotfix and NIC phrases = the capture" \
    cmp "$T_TMP/out" "$T_TMP/want"
cmp -s "$T_TMP/out" "$T_TMP/want" || diff "$T_TMP/out" "$T_TMP/want" | sed 's/^/#   /'
# the CSV header: the real English capture (Windows 8.1 adds a 33rd
# column, Hyper-V Requirements); the derived German CSV's label column
# splits "...: Maximale Größe" at its colon, so only its first 24 are used
ws w10 'systeminfo /fo csv' | head -1 | tr -d '\r' | cut -d, -f1-32 >"$T_TMP/out"
head -1 "$FIX/systeminfo/memorypy_win81_fo_csv.txt" | tr -d '\r' | cut -d, -f1-32 \
    >"$T_TMP/want"
check "systeminfo /fo csv: header row = the 8.1 capture's, no blank line first" \
    cmp "$T_TMP/out" "$T_TMP/want"
ws de7 'systeminfo /fo csv' | head -1 | cut -d, -f1-24 >"$T_TMP/out"
head -1 "$FIX/systeminfo/derived_csv/wesng_7_sp1_x64_ultimaten_de_systeminfo.DERIVED.csv" |
    cut -d, -f1-24 >"$T_TMP/want"
check "systeminfo /fo csv (de-DE): the labels of the capture" \
    cmp "$T_TMP/out" "$T_TMP/want"
check_contains "French caption with a no-break space" \
    "$(ws fr7 'wmic os get Caption /value')" "Caption=Microsoft Windows$(printf '\xc2\xa0')7 Entreprise"
check_contains "netsh (fr-FR): translated, no English Multicast line" \
    "$(ws fr7 'netsh interface ipv4 show global')" "Transfert multidiffusion"
check_contains "MSFT_NetIPv4Protocol on 2012 R2 (German): untranslated 0/1" \
    "$(ws r2de 'wmic /namespace:\\root\StandardCimv2 path MSFT_NetIPv4Protocol get MulticastForwarding /value')" \
    "MulticastForwarding=1"
check_contains "MSFT_NetIPv4Protocol on Windows 7: no such namespace" \
    "$(ws fr7 'wmic /namespace:\\root\StandardCimv2 path MSFT_NetIPv4Protocol get MulticastForwarding /value' 2>&1)" \
    "Invalid namespace"
finish

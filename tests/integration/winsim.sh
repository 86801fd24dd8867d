#!/usr/bin/env bash
# winsim driven directly (no sshd): exact outputs and exit codes of each
# command family (FACTS.md section 4), cmd.exe chaining and refusals,
# dism pending until reboot, faults, the host lock.
. "$(dirname "$0")/../lib.sh"
WINSIM=${WINSIM:-$TOP/$BUILD/winsim}
MKMSU=$TOP/tests/winsim/mkmsu
ST=$T_TMP/state
python3 "$TOP/tests/fleet/fleetctl.py" state "$TOP/tests/fleet/small.json" \
    "$ST" >/dev/null || { not_ok "fleetctl.py state"; finish; }

# ws HOST LINE: runs winsim; stdout in $OUT, stderr in $ERR, status in $RC.
OUT=$T_TMP/out ERR=$T_TMP/err RC=0
ws() {
	WINSIM_STATE=$ST/$1 WINSIM_HOST=$1 $KBFIX_WRAP "$WINSIM" -c "$2" \
	    >"$OUT" 2>"$ERR"
	RC=$?
}
# check_bytes NAME EXPECTED FILE: the file holds exactly EXPECTED.
check_bytes() {
	if [ "$(printf '%s' "$2" | od -An -c)" = "$(od -An -c <"$3")" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   actual:   %s\n' \
		    "$(printf '%s' "$2" | od -An -c | head -c 400)" \
		    "$(od -An -c <"$3" | head -c 400)"
	fi
}
SQM='HKLM\Software\Microsoft\SQMClient\Windows'
NOTFOUND=$'ERROR: The system was unable to find the specified registry key or value.\r\n'
CBS='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'

# reg query -----------------------------------------------------------------
ws web01 "reg query \"$SQM\" /v CEIPEnable"
check_bytes "reg query value: exact output" \
    $'\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\r\n    CEIPEnable    REG_DWORD    0x1\r\n\r\n' "$OUT"
check_eq "reg query value: exit" 0 "$RC"
ws web01 'reg query hkey_local_machine\software\microsoft\sqmclient\WINDOWS /v ceipenable'
check_contains "reg query: names are case-insensitive" "$OUT" "CEIPEnable    REG_DWORD    0x1"
check_contains "reg query: key printed as typed, root expanded" "$OUT" \
    'HKEY_LOCAL_MACHINE\software\microsoft\sqmclient\WINDOWS'
ws web01 "reg query \"$SQM\" /v CEIPSampledIn"
check_bytes "reg query missing value: stderr" "$NOTFOUND" "$ERR"
check_eq "reg query missing value: exit" 1 "$RC"
check_eq "reg query missing value: no stdout" 0 "$(wc -c <"$OUT")"
ws web01 'reg query HKLM\Software\NoSuchVendor'
check_eq "reg query missing key: exit" 1 "$RC"
check_bytes "reg query missing key: stderr" "$NOTFOUND" "$ERR"
ws web01 'reg query HKXX\Software'
check_contains "reg query bad root" "$ERR" "ERROR: Invalid key name."
ws web01 'reg query HKLM\Software\Microsoft'
check_bytes "reg query key without values: subkeys only" \
    $'\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows NT\r\n' "$OUT"

# reg add / delete ----------------------------------------------------------
ws web01 "reg add \"$SQM\" /v CEIPEnable /t REG_DWORD /d 0"
check_eq "reg add without /f: refused" 1 "$RC"
check_contains "reg add without /f: says it would prompt" "$ERR" "pass /f"
check_contains "reg add without /f: value unchanged" "$ST/web01/registry" \
    $'CEIPEnable\tREG_DWORD\t0x1'
ws web01 "reg add \"$SQM\" /v CEIPEnable /t REG_DWORD /d 0 /f"
check_bytes "reg add /f: output" $'The operation completed successfully.\r\n' "$OUT"
check_eq "reg add /f: exit" 0 "$RC"
ws web01 "reg query \"$SQM\" /v CEIPEnable"
check_contains "reg add /f: new value read back" "$OUT" "CEIPEnable    REG_DWORD    0x0"
ws web01 'reg add HKLM\Software\Kbfix /v S /t REG_SZ /d "a b" /f & reg add HKLM\Software\Kbfix /v M /t REG_MULTI_SZ /d "x\0y" /f & reg add HKLM\Software\Kbfix /v B /t REG_BINARY /d 01ab /f & reg add HKLM\Software\Kbfix /v Q /t REG_QWORD /d 4294967296 /f & reg add HKLM\Software\Kbfix /v D /t REG_DWORD /d 0x10 /f'
ws web01 'reg add HKLM\Software\Kbfix\Sub\Deeper /f'
ws web01 'reg query HKLM\Software\Kbfix /s'
check_bytes "reg query /s: every key below, empty ones too" \
    $'\r\nHKEY_LOCAL_MACHINE\\Software\\Kbfix\r\n    S    REG_SZ    a b\r\n    M    REG_MULTI_SZ    x\\0y\r\n    B    REG_BINARY    01AB\r\n    Q    REG_QWORD    0x100000000\r\n    D    REG_DWORD    0x10\r\n\r\nHKEY_LOCAL_MACHINE\\Software\\Kbfix\\Sub\r\n\r\nHKEY_LOCAL_MACHINE\\Software\\Kbfix\\Sub\\Deeper\r\n\r\n' "$OUT"
ws web01 'reg query HKLM\Software\Kbfix'
check_bytes "reg value types and subkey: exact output" \
    $'\r\nHKEY_LOCAL_MACHINE\\Software\\Kbfix\r\n    S    REG_SZ    a b\r\n    M    REG_MULTI_SZ    x\\0y\r\n    B    REG_BINARY    01AB\r\n    Q    REG_QWORD    0x100000000\r\n    D    REG_DWORD    0x10\r\n\r\nHKEY_LOCAL_MACHINE\\Software\\Kbfix\\Sub\r\n' "$OUT"
ws web01 'reg add HKLM\Software\Kbfix /v D /t REG_DWORD /d 4294967296 /f'
check_eq "reg add: REG_DWORD out of range refused" 1 "$RC"
ws web01 'reg delete HKLM\Software\Kbfix /v S'
check_eq "reg delete without /f: refused" 1 "$RC"
ws web01 'reg delete HKLM\Software\Kbfix /v S /f'
check_eq "reg delete /f: exit" 0 "$RC"
ws web01 'reg query HKLM\Software\Kbfix /v S'
check_eq "reg delete /f: value gone" 1 "$RC"
ws web01 'reg delete HKLM\Software\Kbfix /v S /f'
check_bytes "reg delete missing value: error" "$NOTFOUND" "$ERR"
ws web01 'reg delete HKLM\Software\Kbfix /f & reg query HKLM\Software\Kbfix'
check_eq "reg delete key: gone" 1 "$RC"

# cmd.exe chaining and refusals ---------------------------------------------
ws web01 'reg query HKLM\Software\Nope & ver'
check_eq "a & b: status of the last command" 0 "$RC"
check_contains "a & b: both ran" "$OUT" "Microsoft Windows [Version 6.1.7601]"
check_contains "a & b: first one's error kept" "$ERR" "unable to find"
ws web01 'reg query HKLM\Software\Nope && ver'
check_eq "a && b: b skipped after failure" 0 "$(wc -c <"$OUT")"
check_eq "a && b: status of a" 1 "$RC"
ws web01 'reg query HKLM\Software\Nope || ver'
check_contains "a || b: b runs after failure" "$OUT" "Microsoft Windows"
check_eq "a || b: status of b" 0 "$RC"
ws web01 'ver || reg add HKLM\Software\Skipped /f'
check "a || b: b skipped after success" \
    bash -c "! grep -q Skipped '$ST/web01/registry'"
for bad in 'echo 100%' 'reg query HKLM ^& ver' 'reg query HKLM | find "x"' \
    'reg add HKLM\Software\Bad /f > C:\x.txt' 'type < C:\x.txt'; do
	ws web01 "$bad"
	check_eq "refused metacharacter: $bad (exit)" 1 "$RC"
	check_contains "refused metacharacter: $bad (message)" "$ERR" "refusing to simulate"
done
check "refused line ran nothing" bash -c "! grep -q Bad '$ST/web01/registry'"
ws web01 'reg query "HKLM\Software\A & B"'
check_eq "& inside quotes is literal" 1 "$RC"
ws web01 'echo "a  b" c & echo ==kbfix:x=='
check_bytes "echo: the rest of the line as typed" $'"a  b" c\r\n==kbfix:x==\r\n' "$OUT"
ws web01 'ver &'
check_eq "trailing & accepted" 0 "$RC"
ws web01 'ver &&'
check_eq "trailing && refused" 1 "$RC"
ws web01 'reg query HKLM\Software\Microsoft\SQMClient\ /v x'
check_bytes "backslash before a space ends the argument" "$NOTFOUND" "$ERR"
ws web01 'reg add "HKLM\Software\Q" /v "say \"hi\"" /d "C:\dir\\" /f'
ws web01 'reg query HKLM\Software\Q'
check_contains "MSVCRT quoting: \\\" and \\\\ before a quote" "$OUT" $'    say "hi"    REG_SZ    C:\\dir\\\r\n'
ws web01 'nosuchtool /x'
check_bytes "unknown command: cmd.exe message" \
    $'\'nosuchtool\' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n' "$ERR"
check_eq "unknown command: 9009 (low byte 49)" 49 "$RC"

# netsh ---------------------------------------------------------------------
ws web01 'netsh interface ipv4 show global'
check_contains "netsh show global: line" "$OUT" $'Multicast Forwarding                : disabled\r\n'
ws vista01 'netsh interface ipv4 show global'
check_contains "netsh: multicast_forwarding from inventory" "$OUT" \
    'Multicast Forwarding                : enabled'
ws vista01 'netsh interface ipv4 set global multicastforwarding=disabled'
check_bytes "netsh set global: output" $'Ok.\r\n\r\n' "$OUT"
ws vista01 'netsh int ipv4 show global'
check_contains "netsh set global: persisted" "$OUT" \
    'Multicast Forwarding                : disabled'
ws vista01 'netsh interface ipv6 show global'
check_contains "netsh ipv6 separate" "$OUT" 'Multicast Forwarding                : disabled'
ws vista01 'netsh interface ipv4 set global multicastforwarding=maybe'
check_eq "netsh set bad value" 1 "$RC"

# shutdown ------------------------------------------------------------------
ws web01 'shutdown /r /t 600 /c "kbfix maintenance" /d p:2:17'
check_eq "shutdown /r: exit" 0 "$RC"
check_contains "shutdown /r: scheduled in the state" "$ST/web01/shutdown" "kbfix maintenance"
ws web01 'shutdown /r /t 600 /d p:2:17'
check_bytes "shutdown twice: 1190 message" \
    $'A system shutdown has already been scheduled.(1190)\r\n' "$ERR"
check_eq "shutdown twice: 1190 (low byte 166)" 166 "$RC"
ws web01 'shutdown /a'
check_eq "shutdown /a: exit" 0 "$RC"
check "shutdown /a: schedule removed" test ! -e "$ST/web01/shutdown"
ws web01 'shutdown /a'
check_eq "shutdown /a with none: 1116 (low byte 92)" 92 "$RC"
ws vista01 'shutdown /r /t 601'
check_eq "shutdown /t over 600 on Vista/2008: 87" 87 "$RC"
ws web01 'shutdown /r /t 601 /d bogus'
check_eq "shutdown bad /d: 87" 87 "$RC"

# wmic and systeminfo -------------------------------------------------------
ws web01 'wmic qfe get HotFixID /format:list'
check_bytes "wmic qfe list: exact bytes (CR CR LF)" \
    $'\r\r\n\r\r\nHotFixID=KB4338823\r\r\n\r\r\n\r\r\n' "$OUT"
ws web02 'wmic qfe get HotFixID /format:list'
check_eq "wmic UTF-16LE host: BOM" "fffe0d000d000a00" "$(head -c 8 "$OUT" | od -An -tx1 | tr -d ' \n')"
check_eq "wmic UTF-16LE host: text" "HotFixID=KB4338818" \
    "$(iconv -f UTF-16LE -t UTF-8 <"$OUT" | tr -d '\r\n\357\273\277' )"
boot=$(sed -n 's/^boot_ms=//p' "$ST/web01/profile")
want=$(date -u -d "@$((boot / 1000))" +%Y%m%d%H%M%S).$(printf '%03d' $((boot % 1000)))000+000
ws web01 'wmic os get lastbootuptime /value'
check_bytes "wmic os lastbootuptime: exact" $'\r\r\n\r\r\nLastBootUpTime='"$want"$'\r\r\n\r\r\n\r\r\n' "$OUT"
ws desk01 'wmic os get Caption,Version,OSArchitecture /value'
check_contains "wmic os: caption" "$OUT" $'Caption=Microsoft Windows 7 Professional\r\r\n'
check_contains "wmic os: AD version normalised" "$OUT" $'Version=6.1.7600\r\r\n'
check_contains "wmic os: arch" "$OUT" 'OSArchitecture=32-bit'
ws web01 'wmic datafile where name="C:\\Windows\\System32\\drivers\\tcpip.sys" get Version /value'
check_contains "wmic datafile: tcpip.sys version" "$OUT" $'Version=6.1.7601.24168\r\r\n'
ws web01 "wmic logicaldisk where \"DeviceID='C:'\" get FreeSpace /value"
check_contains "wmic logicaldisk: free space of C:" "$OUT" $'FreeSpace=53687091200\r\r\n'
echo wmic_reads_stdin=1 >>"$ST/app01/profile"
( sleep 0.3; echo x ) | WINSIM_STATE=$ST/app01 timeout 2 "$WINSIM" -c 'wmic qfe get HotFixID' >"$OUT"
check_contains "wmic_reads_stdin: answers after EOF" "$OUT" "KB4338819"
WINSIM_STATE=$ST/app01 timeout 1 "$WINSIM" -c 'wmic qfe get HotFixID' < <(sleep 3) >/dev/null
check_eq "wmic_reads_stdin: waits while stdin stays open" 124 "$?"
ws app01 'ver'
check_eq "wmic_reads_stdin: other commands do not wait" 0 "$RC"
sed -i '/^wmic_reads_stdin=/d' "$ST/app01/profile"
ws web01 'wmic os get NoSuchProperty'
check "wmic invalid query fails" test "$RC" -ne 0
ws web01 'systeminfo /fo csv'
check_contains "systeminfo csv: header" "$OUT" '"Host Name","OS Name","OS Version"'
check_contains "systeminfo csv: values" "$OUT" \
    '"web01","Microsoft Windows Server 2008 R2 Enterprise","6.1.7601 Service Pack 1 Build 7601"'
check_contains "systeminfo csv: hotfixes" "$OUT" '"1 Hotfix(s) Installed.,[01]: KB4338823"'
check_contains "systeminfo csv: CRLF" "$OUT" $'"Network Card(s)"\r\n'

# files ---------------------------------------------------------------------
ws web01 'mkdir C:\Windows\Temp\kbfix\sub'
check "mkdir: created under C/" test -d "$ST/web01/C/Windows/Temp/kbfix/sub"
ws web01 'mkdir C:\WINDOWS\temp\KBFIX\sub'
check_eq "mkdir existing (case-insensitive): exit" 1 "$RC"
check_contains "mkdir existing: message" "$ERR" "already exists."
printf 'hello\r\n' >"$ST/web01/C/Windows/Temp/kbfix/a.txt"
ws web01 'type C:\windows\temp\kbfix\A.TXT'
check_bytes "type: content" $'hello\r\n' "$OUT"
ws web01 'type C:\Windows\Temp\kbfix\missing.txt'
check_bytes "type missing: message" $'The system cannot find the file specified.\r\n' "$ERR"
check_eq "type missing: exit" 1 "$RC"
ws web01 'del C:\Windows\Temp\kbfix\*'
check_eq "del * without /q: refused" 1 "$RC"
ws web01 'del /f /q C:\Windows\Temp\kbfix\a.txt'
check "del: file gone" test ! -e "$ST/web01/C/Windows/Temp/kbfix/a.txt"
ws web01 'del /q C:\Windows\Temp\kbfix\a.txt'
check_eq "del missing: exit 0 as cmd.exe" 0 "$RC"
check_contains "del missing: Could Not Find" "$ERR" 'Could Not Find C:\Windows\Temp\kbfix\a.txt'
ws web01 'rmdir /s /q C:\Windows\Temp\kbfix'
check "rmdir /s /q: tree gone" test ! -e "$ST/web01/C/Windows/Temp/kbfix"
ws web01 'type C:\Windows\..\etc\passwd'
check_eq "paths with .. refused" 1 "$RC"

# dism: pending until reboot ------------------------------------------------
T=$ST/web01/C/Windows/Temp
"$MKMSU" KB4345459 x64 6.1.7601.24200 "$T/windows6.1-kb4345459-x64.msu"
"$MKMSU" KB4345459 x86 6.1.7601.24200 "$T/windows6.1-kb4345459-x86.msu"
ws web01 'expand -F:* C:\Windows\Temp\windows6.1-kb4345459-x64.msu C:\Windows\Temp\kb'
check_contains "expand: missing destination refused" "$OUT" "Can't open output file"
ws web01 'mkdir C:\Windows\Temp\kb && expand -F:* C:\Windows\Temp\windows6.1-kb4345459-x64.msu C:\Windows\Temp\kb'
check_eq "expand: exit" 0 "$RC"
check_contains "expand: output" "$OUT" 'Adding C:\Windows\Temp\kb\Windows6.1-KB4345459-x64.cab to Extraction Queue'
check "expand: cab extracted" test -s "$T/kb/Windows6.1-KB4345459-x64.cab"
check "expand: pkgProperties extracted" test -s "$T/kb/Windows6.1-KB4345459-x64-pkgProperties.txt"
CAB='C:\Windows\Temp\kb\Windows6.1-KB4345459-x64.cab'
ID='Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1'
ws web01 "dism /online /add-package /packagepath:$CAB"
check_contains "dism without /norestart: refused (would prompt)" "$OUT" "pass /norestart"
ws web01 "dism /online /add-package /packagepath:$CAB /quiet /norestart"
check_eq "dism add: 3010 (low byte 194)" 194 "$RC"
check_eq "dism add /quiet: no output" 0 "$(wc -c <"$OUT")"
check "dism add: no reboot scheduled with /norestart" test ! -e "$ST/web01/shutdown"
ws web01 'dism /online /get-packages'
check_contains "dism get-packages: Install Pending" "$OUT" \
    $'Package Identity : '"$ID"$'\r\nState : Install Pending\r\n'
ws web01 "reg query \"$CBS\""
check_eq "CBS RebootPending present while pending" 0 "$RC"
ws web01 'wmic qfe get HotFixID /format:list'
check "pending package not in qfe yet" bash -c "! grep -q KB4345459 '$OUT'"
ws web01 "dism /online /add-package /packagepath:$CAB /quiet /norestart"
check_eq "dism add while pending: still 3010" 194 "$RC"
old_boot=$(sed -n 's/^boot_ms=//p' "$ST/web01/profile")
sleep 0.01
check "winsim --boot" env WINSIM_STATE="$ST/web01" $KBFIX_WRAP "$WINSIM" --boot
ws web01 'dism /online /get-packages'
check_contains "after reboot: Installed" "$OUT" $'Package Identity : '"$ID"$'\r\nState : Installed\r\n'
ws web01 "reg query \"$CBS\""
check_eq "after reboot: CBS RebootPending gone" 1 "$RC"
ws web01 'wmic datafile where name="C:\\Windows\\System32\\drivers\\tcpip.sys" get Version /value'
check_contains "after reboot: tcpip.sys at the package's version" "$OUT" 'Version=6.1.7601.24200'
check "after reboot: new boot time" test "$(sed -n 's/^boot_ms=//p' "$ST/web01/profile")" -gt "$old_boot"
ws web01 'wmic qfe get HotFixID'
check_contains "after reboot: qfe lists it" "$OUT" $'KB4345459  \r\r\n'
ws web01 "dism /online /add-package /packagepath:$CAB /quiet /norestart"
check_eq "dism add installed: 0x00240006 (low byte 6)" 6 "$RC"
ws web01 "dism /online /remove-package /packagename:$ID /quiet /norestart"
check_eq "dism remove: 3010" 194 "$RC"
ws web01 'dism /online /get-packages'
check_contains "dism remove: Uninstall Pending" "$OUT" $'State : Uninstall Pending\r\n'
ws web01 "dism /online /remove-package /packagename:$ID /quiet /norestart"
check_eq "dism remove again: 0x00240007 (low byte 7)" 7 "$RC"
env WINSIM_STATE="$ST/web01" "$WINSIM" --boot
ws web01 'dism /online /get-packages'
check "after reboot: removed package gone" bash -c "! grep -q KB4345459 '$OUT'"
ws web01 'wmic datafile where name="C:\\Windows\\System32\\drivers\\tcpip.sys" get Version /value'
check_contains "after removal and reboot: tcpip.sys back to its prior version" "$OUT" 'Version=6.1.7601.24168'
ws web01 'mkdir C:\Windows\Temp\kb86 & expand -F:* C:\Windows\Temp\windows6.1-kb4345459-x86.msu C:\Windows\Temp\kb86 & dism /online /add-package /packagepath:C:\Windows\Temp\kb86\Windows6.1-KB4345459-x86.cab /norestart'
check_eq "dism x86 package on x64: 0x800F081E (low byte 30)" 30 "$RC"
check_contains "dism not applicable: message" "$OUT" \
    $'Error: 0x800f081e\r\n\r\nThe specified package is not applicable to this image.\r\n'
ws web01 'dism /online /add-package /packagepath:C:\Windows\Temp\kb\nope.cab /quiet /norestart'
check_contains "dism missing cab: 0x80070002" "$OUT" 'Error: 0x80070002'
ws web01 "dism /online /add-package /packagepath:$CAB /quiet"
check_eq "dism /quiet without /norestart: 3010" 194 "$RC"
check "dism /quiet without /norestart: restarts by itself" test -e "$ST/web01/shutdown"
ws vista01 'dism /online /get-packages'
check_eq "no dism on NT 6.0: 9009" 49 "$RC"

# faults ----------------------------------------------------------------------
echo 0x80070005 >"$ST/web01/faults/add-package-fail"
rm -f "$ST/web01/shutdown"
env WINSIM_STATE="$ST/web01" "$WINSIM" --boot
ws web01 "dism /online /remove-package /packagename:$ID /norestart /quiet"
env WINSIM_STATE="$ST/web01" "$WINSIM" --boot
ws web01 "dism /online /add-package /packagepath:$CAB /quiet /norestart"
check_eq "fault add-package-fail: code" 5 "$RC"
check_contains "fault add-package-fail: message" "$OUT" "Error: 0x80070005"
rm "$ST/web01/faults/add-package-fail"
echo KB4345459 >"$ST/web01/faults/not-applicable"
ws web01 "dism /online /add-package /packagepath:$CAB /quiet /norestart"
check_eq "fault not-applicable: 0x800F081E" 30 "$RC"
rm "$ST/web01/faults/not-applicable"
echo 300 >"$ST/web02/faults/slow"
s=$(date +%s%N); ws web02 ver; e=$(date +%s%N)
check "fault slow: command delayed" test $(((e - s) / 1000000)) -ge 300
rm "$ST/web02/faults/slow"
echo 'wmic' >"$ST/web02/faults/hang"
s=$(date +%s%N)
WINSIM_STATE=$ST/web02 timeout 1 "$WINSIM" -c 'wmic os get caption' >/dev/null 2>&1
check_eq "fault hang: command never answers" 124 "$?"
ws web02 ver
check_eq "fault hang: other commands still answer" 0 "$RC"
rm "$ST/web02/faults/hang"
echo 'once hostname' >"$ST/web02/faults/hang"
WINSIM_STATE=$ST/web02 timeout 1 "$WINSIM" -c 'hostname' >/dev/null 2>&1
check_eq "fault hang once: first matching command hangs" 124 "$?"
ws web02 hostname
check_eq "fault hang once: the next one answers" 0 "$RC"
check "fault hang once: file consumed" test -e "$ST/web02/faults/hang.fired" -a ! -e "$ST/web02/faults/hang"

# schtasks --------------------------------------------------------------------
ws app01 'schtasks /create /tn kbfix-mark /tr "reg add HKLM\Software\Kbfix /v Ran /t REG_DWORD /d 1 /f" /sc once /st 23:59 /sd 12/31/2099 /ru SYSTEM /f'
check_bytes "schtasks /create: output" \
    $'SUCCESS: The scheduled task "kbfix-mark" has successfully been created.\r\n' "$OUT"
ws app01 'schtasks /create /tn kbfix-mark /tr "ver" /sc once /st 23:59 /ru SYSTEM'
check_eq "schtasks /create existing without /f: refused" 1 "$RC"
ws app01 'schtasks /query /tn kbfix-mark'
check_contains "schtasks /query: table" "$OUT" "kbfix-mark                               12/31/2099 11:59:00 PM Ready"
ws app01 'schtasks /run /tn kbfix-mark'
check_bytes "schtasks /run: output" $'SUCCESS: Attempted to run the scheduled task "kbfix-mark".\r\n' "$OUT"
for i in $(seq 1 50); do grep -q 'Ran' "$ST/app01/registry" && break; sleep 0.05; done
check_contains "schtasks /run: the task ran" "$ST/app01/registry" $'Ran\tREG_DWORD\t0x1'
ws app01 'schtasks /delete /tn kbfix-mark'
check_eq "schtasks /delete without /f: refused" 1 "$RC"
ws app01 'schtasks /delete /tn kbfix-mark /f'
check_contains "schtasks /delete /f" "$OUT" 'was successfully deleted.'
ws app01 'schtasks /query /tn kbfix-mark'
check_eq "schtasks /query deleted: exit" 1 "$RC"

# wusa: refused in a remote session, works from a SYSTEM task (FACTS.md 4)
"$MKMSU" KB4345459 x64 6.1.7601.24200 "$ST/web02/C/Windows/Temp/fix.msu"
ws web02 'wusa C:\Windows\Temp\fix.msu /quiet /norestart'
check_eq "wusa in a remote session: access denied (5)" 5 "$RC"
ws web02 'schtasks /create /tn kbfix-wusa /tr "wusa C:\Windows\Temp\fix.msu /quiet /norestart" /sc once /st 23:59 /sd 12/31/2099 /ru SYSTEM /f & schtasks /run /tn kbfix-wusa'
for i in $(seq 1 50); do grep -q KB4345459 "$ST/web02/packages" && break; sleep 0.05; done
check_contains "wusa as SYSTEM task: package pending" "$ST/web02/packages" \
    $'Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\tInstall Pending'
for i in $(seq 1 50); do grep -q 'task-status' "$ST/web02/events.log" && break; sleep 0.05; done
ws web02 'schtasks /query /tn kbfix-wusa /fo list /v'
check_contains "wusa as SYSTEM task: last result 3010" "$OUT" $'Last Result:   3010\r\n'
ws web02 'reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"'
check_eq "wusa: WindowsUpdate RebootRequired set" 0 "$RC"
env WINSIM_STATE="$ST/web02" "$WINSIM" --boot
ws web02 'reg query "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"'
check_eq "after reboot: WindowsUpdate RebootRequired gone" 1 "$RC"

# event log, lock ---------------------------------------------------------------
check_contains "events.log: commands logged" "$ST/web01/events.log" " cmd reg query"
check_contains "events.log: full status logged" "$ST/web01/events.log" " status 3010 dism"
check_contains "events.log: boot logged" "$ST/web01/events.log" " boot "
pids=()
for i in $(seq 1 20); do
	WINSIM_STATE=$ST/desk01 "$WINSIM" -c "reg add HKLM\\Software\\Par /v v$i /t REG_DWORD /d $i /f" >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
check_eq "20 concurrent reg add: none lost (host lock)" 20 \
    "$(grep -c 'Software\\Par' "$ST/desk01/registry")"
finish

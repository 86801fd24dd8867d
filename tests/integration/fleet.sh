#!/usr/bin/env bash
# valgrind: skip
# The test fleet with the real OpenSSH client: outputs and exit statuses
# over ssh, SFTP upload into the host's C:, a real reboot (port gone, back
# with a new boot time and the pending package installed), a host that
# never comes back, a connection dropped mid-command, and fleet down
# leaving no process behind.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.4.2 FLEET_PORT=2222 FLEET_DOWN_MS=1000
FLEET=$TOP/tests/fleet/fleet
D=$T_TMP/fleet
# host N's address (127.0.4.N, or its slot's net under tests/run.sh)
A() { test_addr "127.0.4.$1"; }
cleanup() {
	if [ "$T_FAILS" -gt 0 ]; then
		tail -n 4 "$D"/sshd/*/sshd.log "$D/supervisor.log" 2>/dev/null | sed 's/^/# /'
	fi
	"$FLEET" down "$D" >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap cleanup EXIT

if ! "$FLEET" up "$TOP/tests/fleet/small.json" "$D" >"$T_TMP/up.out" 2>&1; then
	not_ok "fleet up"; cat "$T_TMP/up.out"; finish
fi
ok "fleet up"
check_contains "fleet up: summary" "$T_TMP/up.out" "5 hosts up from $(A 2) port 2222"
for f in known_hosts id_ed25519 id_ed25519.pub inventory.json hosts.txt ssh_config; do
	check "fleet up wrote $f" test -s "$D/$f"
done
check_eq "inventory.json: addresses filled in" "$(A 2) 2222 winsim|$(A 6) 2222 winsim" \
    "$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["hosts"]; print("|".join("%s %s %s" % (x["address"], x["port"], x["user"]) for x in (h[0], h[4])))' "$D/inventory.json")"
check_contains "inventory.json: other fields kept" "$D/inventory.json" '"group": "web"'
check_eq "known_hosts: one key a host" 5 "$(grep -c "^\\[$(A '[2-6]')\\]:2222 ssh-ed25519 " "$D/known_hosts")"

printf '{"hosts": [{"name": "a"}, {"name": "A"}]}' >"$T_TMP/dup.json"
FLEET_BASE=127.0.4.40 "$FLEET" up "$T_TMP/dup.json" "$T_TMP/dup" >"$T_TMP/dup.out" 2>&1
check_eq "fleet up, bad inventory: exit 2" 2 "$?"
check_contains "fleet up, bad inventory: names the host" "$T_TMP/dup.out" "hosts[1].name: duplicate A"

SSH=(ssh -o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=yes
    -o BatchMode=yes -o ConnectTimeout=3 -i "$D/id_ed25519" -p 2222)
rsh() { "${SSH[@]}" "winsim@$1" "$2" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?; }
state() { echo "$D/hosts/$1"; }
port_open() { (exec 3<>"/dev/tcp/$1/2222") 2>/dev/null; }
# wait_port ADDR open|closed SECONDS
wait_port() {
	local i
	for i in $(seq 1 $(($3 * 20))); do
		if port_open "$1"; then [ "$2" = open ] && return 0
		else [ "$2" = closed ] && return 0; fi
		sleep 0.05
	done
	return 1
}

rsh "$(A 2)" 'reg query "HKLM\Software\Microsoft\SQMClient\Windows" /v CEIPEnable'
check_eq "ssh reg query: exact output" \
    "$(printf '\r\nHKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\r\n    CEIPEnable    REG_DWORD    0x1\r\n\r\n' | od -An -c)" \
    "$(od -An -c <"$T_TMP/out")"
check_eq "ssh reg query: exit" 0 "$RC"
rsh "$(A 2)" 'reg query "HKLM\Software\Microsoft\SQMClient\Windows" /v Nope'
check_eq "ssh reg query missing: exit status 1" 1 "$RC"
check_contains "ssh reg query missing: stderr" "$T_TMP/err" "unable to find the specified registry key"
rsh "$(A 6)" 'netsh interface ipv4 show global & hostname'
check_contains "ssh chained: netsh" "$T_TMP/out" "Multicast Forwarding                : enabled"
check_contains "ssh chained: each host knows its name" "$T_TMP/out" $'vista01\r\n'
rsh "$(A 3)" 'echo 50%'
check_eq "ssh metacharacter refused" 1 "$RC"
ssh -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -i "$D/id_ed25519" -p 2222 winsim@"$(A 2)" ver >/dev/null 2>&1
check_eq "unknown host key refused (StrictHostKeyChecking)" 255 "$?"

# The benchmark's other clients: parallel-ssh, and Ansible's raw module
# (which asks for a pty: the fleet permits one).
parallel-ssh -p 5 -h "$D/pssh-hosts.txt" -i -x "-o UserKnownHostsFile=$D/known_hosts \
    -o StrictHostKeyChecking=yes -i $D/id_ed25519" 'hostname' >"$T_TMP/pssh.out" 2>&1
check_eq "parallel-ssh: every host answers" 5 "$(grep -c '\[SUCCESS\]' "$T_TMP/pssh.out")"
if command -v ansible >/dev/null; then
	awk '{print $1, "ansible_host=" $2, "ansible_port=" $3, "ansible_user=" $4}' \
	    "$D/hosts.txt" >"$T_TMP/ansible.ini"
	ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$D/known_hosts -o StrictHostKeyChecking=yes" \
	    ansible all -i "$T_TMP/ansible.ini" --private-key "$D/id_ed25519" \
	    -m raw -a 'ver & hostname' -f 5 >"$T_TMP/ansible.out" 2>&1
	check_eq "ansible -m raw: every host answers" 5 "$(grep -c '| CHANGED | rc=0' "$T_TMP/ansible.out")"
fi

# SFTP to the Windows path lands in the host's state directory.
"$TOP/tests/winsim/mkmsu" KB4345459 x64 6.1.7601.24300 "$T_TMP/fix.msu"
printf 'put %s /C:/Windows/Temp/fix.msu\n' "$T_TMP/fix.msu" >"$T_TMP/batch"
sftp -q -o UserKnownHostsFile="$D/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -i "$D/id_ed25519" -P 2222 -b "$T_TMP/batch" \
    winsim@"$(A 2)" >"$T_TMP/sftp.out" 2>&1
check_eq "sftp put: exit" 0 "$?"
check_eq "sftp put: landed in STATE/C" "$(sha256sum <"$T_TMP/fix.msu")" \
    "$(sha256sum <"$(state web01)/C/Windows/Temp/fix.msu" 2>/dev/null)"

# Install, reboot for real, come back with the package installed.
rsh "$(A 2)" 'wmic os get lastbootuptime /value'
boot1=$(tr -d '\r' <"$T_TMP/out" | sed -n 's/^LastBootUpTime=//p')
rsh "$(A 2)" 'mkdir C:\Windows\Temp\kb & expand -F:* C:\Windows\Temp\fix.msu C:\Windows\Temp\kb & dism /online /add-package /packagepath:C:\Windows\Temp\kb\Windows6.1-KB4345459-x64.cab /quiet /norestart'
check_eq "ssh dism add: 3010 arrives as its low byte 194" 194 "$RC"
rsh "$(A 2)" 'shutdown /r /t 1 /c "kbfix" /d p:2:17'
check_eq "ssh shutdown /r: exit" 0 "$RC"
check "reboot: port closes" wait_port "$(A 2)" closed 30
check "reboot: other hosts stay up" port_open "$(A 3)"
check "reboot: port comes back" wait_port "$(A 2)" open 60
rsh "$(A 2)" 'wmic os get lastbootuptime /value & dism /online /get-packages & wmic datafile where name="C:\\Windows\\System32\\drivers\\tcpip.sys" get Version /value'
boot2=$(tr -d '\r' <"$T_TMP/out" | sed -n 's/^LastBootUpTime=//p')
check "reboot: new boot time ($boot1 -> $boot2)" test -n "$boot2" -a "$boot1" != "$boot2"
check_contains "reboot: package installed" "$T_TMP/out" \
    $'Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\r\nState : Installed'
check_contains "reboot: tcpip.sys at the package's version" "$T_TMP/out" "Version=6.1.7601.24300"
ev=$(awk '{print $2}' "$(state web01)/events.log" | grep -E '^(reboot-start|boot|reboot-end)$' | tr '\n' ' ')
check_eq "events.log: reboot-start, boot, reboot-end" "reboot-start boot reboot-end " "$ev"
start=$(awk '$2 == "reboot-start" {print $1}' "$(state web01)/events.log")
end=$(awk '$2 == "reboot-end" {print $1}' "$(state web01)/events.log")
check "events.log: down for about FLEET_DOWN_MS" test $((end - start)) -ge 1000

check_eq "fleetctl.py downtimes" "web01 $start $end" \
    "$(python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$D")"

# A connection dropped in the middle of a command.
echo systeminfo >"$(state desk01)/faults/drop"
rsh "$(A 4)" 'systeminfo /fo csv'
check_eq "fault drop: ssh sees the connection die" 255 "$RC"
part=$(wc -c <"$T_TMP/out")
rm -f "$(state desk01)/faults/drop"
rsh "$(A 4)" 'systeminfo /fo csv'
check_contains "fault drop removed: full output again" "$T_TMP/out" '"Network Card(s)"'
check "fault drop: only part of the output ($part bytes)" \
    test "$part" -lt "$(wc -c <"$T_TMP/out")"

# A host that never comes back.
touch "$(state web02)/faults/never-return"
rsh "$(A 3)" 'shutdown /r /t 0'
check "never-return: port closes" wait_port "$(A 3)" closed 30
sleep 2
check "never-return: still down after the down time" bash -c "! (exec 3<>/dev/tcp/$(A 3)/2222) 2>/dev/null"
check_contains "never-return: logged" "$(state web02)/events.log" "reboot-never-returns"
rm "$(state web02)/faults/never-return"
check "never-return removed: the host comes back" wait_port "$(A 3)" open 60
rsh "$(A 5)" ver
check_eq "other hosts unaffected" 0 "$RC"

# A hung command: the client gives up, the simulator goes with the session.
probe=hang-probe-$$
echo "$probe" >"$(state app01)/faults/hang"
timeout 2 "${SSH[@]}" winsim@"$(A 5)" "echo $probe" >/dev/null 2>&1
check_eq "fault hang: no answer (client timed out)" 124 "$?"
gone() { local i; for i in $(seq 1 60); do pgrep -f -- "$1" >/dev/null || return 0; sleep 0.05; done; return 1; }
check "fault hang: simulator leaves with the session" gone "winsim -c echo $probe"
rm -f "$(state app01)/faults/hang"

# A reboot at a clock time through a SYSTEM scheduled task.
# 15 s ahead: the ssh login that creates the task may take seconds on a
# loaded machine, and a task whose time has passed never runs
at=$(date -u -d '+15 seconds' '+%H:%M:%S %m/%d/%Y')
rsh "$(A 5)" "schtasks /create /tn kbfix-reboot /tr \"shutdown /r /t 0 /d p:2:17\" /sc once /st ${at% *} /sd ${at#* } /ru SYSTEM /f"
check_contains "schtasks /create over ssh" "$T_TMP/out" 'SUCCESS: The scheduled task "kbfix-reboot"'
check "scheduled reboot: port closes at the task's time" wait_port "$(A 5)" closed 40
check "scheduled reboot: host comes back" wait_port "$(A 5)" open 60
check_contains "scheduled reboot: run by the task" "$(state app01)/events.log" "task-run kbfix-reboot"

# fleet down leaves nothing behind.
"$FLEET" down "$D" >"$T_TMP/down.out" 2>&1
check_eq "fleet down: exit" 0 "$?"
no_proc() { ! pgrep -f -- "$1" >/dev/null; }
check "fleet down: no sshd of this fleet left" no_proc "$D/sshd/"
check "fleet down: supervisor gone" no_proc "fleetctl.py supervise $D"
check "fleet down: no winsim of this fleet left" no_proc "$D/hosts/"
check "fleet down: ports closed" bash -c "! (exec 3<>/dev/tcp/$(A 2)/2222) 2>/dev/null"
finish

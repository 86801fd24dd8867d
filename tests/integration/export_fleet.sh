#!/usr/bin/env bash
# valgrind: skip
# kbfix export --format ansible, run by real Ansible (ansible-playbook,
# ssh connection, ansible.builtin.raw) against simulated hosts (tests/
# fleet: sshd + winsim, which answers only cmd.exe command lines): a
# plan made by kbfix plan for a mixed fleet (packages on three releases,
# one host whose wmic answers in UTF-16, a registry workaround, multicast
# forwarding, a reboot group across two waves), its bundle, then:
#   - a closed window stops the run before any host is touched;
#   - a failing canary (too little disk) stops the run, the others
#     untouched;
#   - the run leaves every host as kbfix apply would (the simulators'
#     state), no two members of the reboot group down at once (fleetctl
#     downtimes), kbfix discover + kbfix plan find nothing left to do but
#     the runbook of vista (kbfix plan leaves Vista to a runbook: no
#     play targets it);
#   - a second run changes nothing;
#   - rollback.yml puts every host back as it was.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.14.100}

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null ||
    ! command -v ansible-playbook >/dev/null; then
	ok "export fleet test skipped (needs root, sshd, bwrap, ansible-playbook)"
	finish
fi
. "$TOP/tests/apply/common.sh"
export ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-local ANSIBLE_NOCOLOR=1 \
    ANSIBLE_HOME=$T_TMP/ansible-home ANSIBLE_FORKS=10
export KBFIX_NOW=2026-11-21T12:00:00Z
CEIP='HKLM\\Software\\Microsoft\\SQMClient\\Windows'

cat >"$T_TMP/inv.json" <<EOF
{"defaults": {"wfp_callout_drivers": 0},
 "hosts": [
  {"name": "w7so", "os": "Microsoft Windows 7 Professional", "version": "6.1.7601",
   "arch": "x64", "installed": ["KB4338823"], "registry": {}, "group": "farm",
   "winsim": {"free_disk": 1048576}},
  {"name": "r2mr", "os": "Windows Server 2008 R2 Enterprise", "version": "6.1.7601",
   "arch": "x64", "installed": ["KB4338818"], "registry": {}, "group": "farm"},
  {"name": "s12r2so", "os": "windows-server-2012-r2", "version": "6.3.9600",
   "arch": "x64", "installed": ["KB4338824"], "registry": {},
   "winsim": {"wmic_utf16": true}},
  {"name": "ceip", "os": "Microsoft Windows 7 Enterprise", "version": "6.1.7601",
   "arch": "x64", "installed": [],
   "registry": {"$CEIP\\\\CEIPEnable": 1, "$CEIP\\\\CEIPSampledIn": 1}},
  {"name": "vista", "os": "Windows Vista Business", "version": "6.0.6000",
   "arch": "x86", "installed": [], "registry": {}, "multicast_forwarding": true}
 ]}
EOF
BUILD=$BUILD "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$FLEET" \
    >"$T_TMP/fleet-up.log" 2>&1
check_eq "fleet of 5 up" 0 $? || { cat "$T_TMP/fleet-up.log"; finish; }
HOSTS="w7so r2mr s12r2so ceip vista"

# The plan (an open window), its bundle, the project.
start=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
kbfix plan -i "$FLEET/inventory.json" --format json --window "$start/6h" \
    -o "$T_TMP/plan.json"
check_eq "plan written" 0 $?
check_eq "plan: the farm in two waves, w7so first" "r2mr 2,w7so 1" \
    "$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(",".join(sorted("%s %d" % (h["name"], h["wave"]) for h in p["hosts"] if h.get("group") == "farm")))' "$T_TMP/plan.json")"
apply_bundle "$T_TMP/plan.json"
X=$T_TMP/project
kbfix export "$T_TMP/plan.json" --format ansible -o "$X" \
    --bundle "$T_TMP/bundle" --reboot-delay 0 --reboot-timeout 300 >/dev/null
check_eq "export written" 0 $?
cat >"$T_TMP/vars.json" <<EOF
{"ansible_ssh_private_key_file": "$FLEET/id_ed25519",
 "ansible_ssh_common_args": "-o UserKnownHostsFile=$FLEET/known_hosts",
 "ansible_ssh_timeout": 60,
 "kbfix_ssh_opts": ["-o", "UserKnownHostsFile=$FLEET/known_hosts"]}
EOF
play() {	# play DIR PLAYBOOK LOG
	(cd "$1" && timeout 1500 ansible-playbook "$2" -e "@$T_TMP/vars.json") \
	    >"$3" 2>&1
}
recap() {	# "host ok changed unreachable failed" lines of a log
	sed -n 's/^\([a-z0-9]*\) *: ok=\([0-9]*\) *changed=\([0-9]*\) *unreachable=\([0-9]*\) *failed=\([0-9]*\).*/\1 \2 \3 \4 \5/p' "$1" |
	    grep -v '^localhost ' | sort
}
events() { for h in $HOSTS; do wc -l <"$FLEET/hosts/$h/events.log"; done | paste -sd' '; }
snap_all before

# The commands go out as they are: cmd.exe lines, no PowerShell.
check "no PowerShell in the project" sh -c "! grep -rqi 'powershell -\|win_\|\.ps1' '$X'/*.yml '$X'/host_vars '$X'/tasks"
check_contains "inventory: a POSIX shell type (raw unchanged)" \
    "$X/inventory.yml" "ansible_shell_type: sh"
check_contains "host_vars: apply's command line for the install" \
    "$X/host_vars/w7so.yml" 'add: !unsafe "dism /online /add-package /packagepath:C:\\Windows\\Temp\\kbfix\\KB4345459\\Windows6.1-KB4345459-x64.cab /quiet /norestart /English"'

# 1. A closed window: nothing touches a host.
python3 - "$T_TMP/plan.json" "$T_TMP/closed.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["window"] = {"start": "2020-01-01T00:00:00Z", "duration_s": 3600}
json.dump(p, open(sys.argv[2], "w"))
PY
kbfix export "$T_TMP/closed.json" --format ansible -o "$T_TMP/closed" \
    --bundle "$T_TMP/bundle" >/dev/null
ev0=$(events)
play "$T_TMP/closed" site.yml "$T_TMP/closed.log"
check "closed window: ansible-playbook fails" test $? -ne 0
check_contains "closed window: says so" "$T_TMP/closed.log" "outside the window"
check_eq "closed window: no host touched (no command in any simulator)" \
    "$ev0" "$(events)"

# 2. The canary fails (w7so: 1 MiB free on C:): the run stops there.
play "$X" site.yml "$T_TMP/canary.log"
check "failing canary: ansible-playbook fails" test $? -ne 0
check_contains "failing canary: w7so failed its preflight" "$T_TMP/canary.log" \
    "fatal: [w7so]"
check_contains "failing canary: the run stops" "$T_TMP/canary.log" \
    "NO MORE HOSTS LEFT"
bad=""
for h in $HOSTS; do
	[ "$(snap_was $h before)" = "$(snap_now $h)" ] || bad="$bad $h"
	[ $h = w7so ] || ! grep -q "^$h " <(recap "$T_TMP/canary.log") || bad="$bad $h(ran)"
done
check_eq "failing canary: no host changed, no other host ran" "" "$bad"

# 3. Room on C:, and the run goes through.
sed -i 's/^free_disk=.*/free_disk=53687091200/' "$FLEET/hosts/w7so/profile"
t0=$(date +%s)
play "$X" site.yml "$T_TMP/run.log"
check_eq "run: exit 0" 0 $? || grep -A3 'fatal\|FAILED' "$T_TMP/run.log" | head -30 | sed 's/^/# /'
echo "# first run took $(($(date +%s) - t0)) s"
check_eq "run: every host ok, none failed or unreachable" \
    "ceip 0 0,r2mr 0 0,s12r2so 0 0,w7so 0 0" \
    "$(recap "$T_TMP/run.log" | awk '{print $1, $4, $5}' | paste -sd,)"
bad=""
for h in $HOSTS; do
	s=$(snap_now $h)
	case $h in
	w7so) want="pkg Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed	6.1.7601.24168" ;;
	r2mr) want="pkg Package_for_KB4338821~31bf3856ad364e35~amd64~~6.1.1.1	Installed	6.1.7601.24168" ;;
	s12r2so) want="ver C:\\Windows\\System32\\drivers\\tcpip.sys	6.3.9600.19067" ;;
	ceip) want="reg HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows	CEIPEnable	REG_DWORD	0x0" ;;
	vista) want="mcast_ipv4=enabled" ;;	# its runbook is not run
	esac
	printf '%s\n' "$s" | grep -qxF "$want" || bad="$bad $h"
	printf '%s\n' "$s" | grep -qx 'uploads none' || bad="$bad $h(uploads)"
done
check_eq "every host installed, configured and cleaned up (simulator state)" "" "$bad"
check_eq "the workaround-only hosts were not restarted; the others once" \
    "r2mr 1,s12r2so 1,w7so 1" \
    "$(python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$FLEET" | awk '{n[$1]++} END {for (h in n) print h, n[h]}' | sort | paste -sd,)"
python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$FLEET" >"$T_TMP/down"
check "the reboot group: never two members down at once" python3 -c '
import sys
farm = sorted((int(s), int(e)) for n, s, e in (l.split() for l in open(sys.argv[1]))
              if n in ("w7so", "r2mr"))
sys.exit(0 if len(farm) == 2 and farm[0][1] <= farm[1][0] else 1)' "$T_TMP/down"
check "prior state kept on the controller" test -s "$X/prior/ceip.json"

# 4. Nothing left to do: kbfix discover and kbfix plan say so.
kbfix discover -i "$FLEET/inventory.json" -o "$T_TMP/after.json" \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" 2>"$T_TMP/disc.err"
check_eq "discover after the run (exit 0)" 0 $? || cat "$T_TMP/disc.err"
kbfix plan -i "$T_TMP/after.json" --format json -o "$T_TMP/plan-after.json"
check_eq "plan after the run: no host needs an action" \
    "ceip not-applicable,r2mr compliant,s12r2so compliant,vista needs-action,w7so compliant" \
    "$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(",".join(sorted(h["name"] + " " + h["status"] for h in p["hosts"])))' "$T_TMP/plan-after.json")"

# 5. A second run: all ok, nothing changed, no restart.
play "$X" site.yml "$T_TMP/run2.log"
check_eq "second run: exit 0" 0 $? || grep -A3 'fatal\|FAILED' "$T_TMP/run2.log" | head -30 | sed 's/^/# /'
check_eq "second run: changed=0 on every host" "0 0 0 0" \
    "$(recap "$T_TMP/run2.log" | awk '{print $3}' | paste -sd' ')"
check_eq "second run: no restart" 3 \
    "$(python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$FLEET" | wc -l)"

# 6. rollback.yml: every host as it was before.
play "$X" rollback.yml "$T_TMP/rb.log"
check_eq "rollback.yml: exit 0" 0 $? || grep -A3 'fatal\|FAILED' "$T_TMP/rb.log" | head -30 | sed 's/^/# /'
bad=""
for h in $HOSTS; do
	[ "$(snap_was $h before)" = "$(snap_now $h)" ] || bad="$bad $h"
done
check_eq "rollback.yml: every host back to its prior state" "" "$bad"
finish

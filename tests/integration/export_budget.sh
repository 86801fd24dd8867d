#!/usr/bin/env bash
# valgrind: skip
# Issue 14 item 6 through Ansible: a plan with one wave of three members of
# a reboot group whose budget is max_unavailable 2 (the plan's "groups"),
# exported and run by real ansible-playbook against simulated hosts: the
# wave becomes two batch plays (2 + 1), every host ends installed, and the fleet's
# downtimes show at most two members down at once, and two were.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.14.140}

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null ||
    ! command -v ansible-playbook >/dev/null; then
	ok "export budget test skipped (needs root, sshd, bwrap, ansible-playbook)"
	finish
fi
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"
export ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-local ANSIBLE_NOCOLOR=1 \
    ANSIBLE_HOME=$T_TMP/ansible-home ANSIBLE_FORKS=10

check "fleet of 3 up" apply_fleet_up 3 --profiles=w7so \
    --down-ms=w7so-000:3000 --down-ms=w7so-001:3000 \
    --down-ms=w7so-002:3000 || finish
apply_plan budget --groups 1 --budget 2 --waves 1
apply_bundle "$T_TMP/budget.json"
X=$T_TMP/project
kbfix export "$T_TMP/budget.json" --format ansible -o "$X" \
    --bundle "$T_TMP/bundle" --canary 0 --reboot-delay 0 \
    --reboot-timeout 60 >/dev/null
check_eq "export written" 0 $?
check_eq "site.yml: wave 1 in two batch plays" \
    "kbfix_wave_1_batch_1 kbfix_wave_1_batch_2" \
    "$(sed -n 's/^  hosts: \(kbfix_wave_.*\)/\1/p' "$X/site.yml" | paste -sd' ')"
check_contains "host_vars: the group's budget" "$X/host_vars/w7so-000.yml" \
    "kbfix_group_max_unavailable: 2"
cat >"$T_TMP/vars.json" <<EOF2
{"ansible_ssh_private_key_file": "$FLEET/id_ed25519",
 "ansible_ssh_common_args": "-o UserKnownHostsFile=$FLEET/known_hosts",
 "kbfix_ssh_opts": ["-o", "UserKnownHostsFile=$FLEET/known_hosts"]}
EOF2
(cd "$X" && timeout 900 ansible-playbook site.yml -e "@$T_TMP/vars.json") \
    >"$T_TMP/run.log" 2>&1
check_eq "run: exit 0" 0 $? || grep -A3 'fatal\|FAILED' "$T_TMP/run.log" | head -30 | sed 's/^/# /'
bad=""
for h in w7so-000 w7so-001 w7so-002; do
	s=$(snap_now $h)
	printf '%s\n' "$s" | grep -q '^pkg Package_for_KB4345459.*Installed' ||
	    bad="$bad $h"
done
check_eq "every host installed (simulator state)" "" "$bad"
check_eq "each member restarted once" 3 \
    "$(python3 "$TOP/tests/fleet/fleetctl.py" downtimes "$FLEET" | wc -l)"
check_eq "at most 2 members down at once, and 2 were" 2 \
    "$(group_max_down "$T_TMP/budget.json")"
finish

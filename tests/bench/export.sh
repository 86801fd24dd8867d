#!/usr/bin/env bash
# valgrind: skip
# Benchmark, side by side: the same plan on the same simulated fleet
# (BENCH_HOSTS, default 50; 300 ms reboots), carried out once by kbfix
# apply (--parallel 50) and once by ansible-playbook of kbfix export's
# project (forks 50), the fleet rebuilt in between.  Prints each one's
# wall time and CPU time (the process and everything it waited for: for
# Ansible its workers and ssh/scp processes).  No pass/fail on timing.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.14.150}
FLEET_DOWN_MS=300
. "$TOP/tests/apply/common.sh"

N=${BENCH_HOSTS:-50}
if ! command -v ansible-playbook >/dev/null; then
	ok "export bench skipped (no ansible-playbook)"
	finish
fi
export ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-local ANSIBLE_NOCOLOR=1 \
    ANSIBLE_HOME=$T_TMP/ansible-home
PROFILES=--profiles=w7so,r2mr,s12r2,w10,mix
check "fleet of $N up" apply_fleet_up "$N" "$PROFILES" || finish
apply_plan plan
apply_bundle "$T_TMP/plan.json"

/usr/bin/time -f '%e %U %S' -o "$T_TMP/time.apply" \
    "$KBFIX" apply "$T_TMP/plan.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/run" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --reboot-delay 0 --parallel 50 \
    >"$T_TMP/out" 2>&1
check_eq "apply: exit 0" 0 $?
check_contains "apply: all done" "$T_TMP/out" "$N done, 0 failed"

# The same hosts as they were: a new fleet from the same inventory.
"$TOP/tests/fleet/fleet" down "$FLEET" >/dev/null 2>&1
BUILD=$BUILD "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$FLEET" \
    >"$T_TMP/fleet-up.log" 2>&1
check_eq "fleet rebuilt" 0 $?
"$KBFIX" export "$T_TMP/plan.json" --format ansible -o "$T_TMP/x" \
    --bundle "$T_TMP/bundle" --reboot-delay 0 >/dev/null
check_eq "export written" 0 $?
cat >"$T_TMP/vars.json" <<EOF
{"ansible_ssh_private_key_file": "$FLEET/id_ed25519",
 "ansible_ssh_common_args": "-o UserKnownHostsFile=$FLEET/known_hosts",
 "kbfix_ssh_opts": ["-o", "UserKnownHostsFile=$FLEET/known_hosts"]}
EOF
(cd "$T_TMP/x" && /usr/bin/time -f '%e %U %S' -o "$T_TMP/time.ansible" \
    ansible-playbook site.yml -f 50 -e "@$T_TMP/vars.json") \
    >"$T_TMP/ansible.log" 2>&1
check_eq "ansible-playbook: exit 0" 0 $?
check_eq "ansible-playbook: no host failed" 0 \
    "$(grep -c 'failed=[1-9]\|unreachable=[1-9]' "$T_TMP/ansible.log")"

read -r aw au as <"$T_TMP/time.apply"
read -r xw xu xs <"$T_TMP/time.ansible"
echo "# $N hosts, one wave with a canary of 1, then 50 at a time; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '# %-28s %10s %10s\n' "" "wall s" "CPU s"
printf '# %-28s %10.1f %10.1f\n' "kbfix apply --parallel 50" "$aw" "$(echo "$au + $as" | bc)"
printf '# %-28s %10.1f %10.1f\n' "ansible-playbook -f 50" "$xw" "$(echo "$xu + $xs" | bc)"
finish

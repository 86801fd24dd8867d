#!/usr/bin/env bash
# Discover on 100 simulated hosts: kbfix discover --parallel 50 against
# parallel-ssh -p 50 and ansible -m raw -f 50 running the same commands
# (kbfix discover --print-command: one cmd.exe line joined with " & ") on
# the same fleet.  Prints the wall times and kbfix's CPU time.
# valgrind: skip
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=${FLEET_BASE:-127.0.3.2}
N=${BENCH_HOSTS:-100}
P=50
F=$T_TMP/fleet

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ]; then
	ok "discover bench skipped (needs root and sshd)"
	finish
fi
trap '"$TOP/tests/fleet/fleet" down "$F" >/dev/null 2>&1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$T_TMP"' EXIT
python3 "$TOP/tests/integration/mixed_inventory.py" "$N" >"$T_TMP/inv.json"
"$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$F" >/dev/null || {
	not_ok "fleet up"; finish; }
CMD=$("$KBFIX" discover --print-command)

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# kbfix
t0=$(now)
/usr/bin/time -f '%U %S' -o "$T_TMP/cpu" "$KBFIX" discover -i "$F/inventory.json" \
    -o "$T_TMP/out.json" --parallel $P --known-hosts "$F/known_hosts" \
    -k "$F/id_ed25519" 2>"$T_TMP/kbfix.err"
rc=$?
t1=$(now)
kbfix_ms=$(ms "$t0" "$t1")
read -r u s <"$T_TMP/cpu"
check_eq "kbfix discover: all $N hosts (exit 0)" 0 "$rc"

# parallel-ssh (Debian's pssh)
PSSH=$(command -v parallel-ssh || command -v pssh)
t0=$(now)
"$PSSH" -p $P -h "$F/pssh-hosts.txt" -t 600 -o "$T_TMP/pssh-out" \
    -O "IdentityFile=$F/id_ed25519" -O IdentitiesOnly=yes \
    -O "UserKnownHostsFile=$F/known_hosts" -O StrictHostKeyChecking=yes \
    -O BatchMode=yes "$CMD" >"$T_TMP/pssh.log" 2>&1
t1=$(now)
pssh_ms=$(ms "$t0" "$t1")
check_eq "parallel-ssh: all $N hosts" "$N" "$(grep -c SUCCESS "$T_TMP/pssh.log")"

# ansible -m raw (one command per host: no ControlMaster, which would only
# add a master process per host and leave it running afterwards)
awk '{split($1, a, "@"); split(a[2], b, ":");
      printf "%s ansible_host=%s ansible_port=%s ansible_user=%s\n", NR, b[1], b[2], a[1]}' \
    "$F/pssh-hosts.txt" | sed 's/^/h/' >"$T_TMP/ansible.ini"
t0=$(now)
ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-tmp ANSIBLE_HOST_KEY_CHECKING=True \
ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$F/known_hosts -o IdentitiesOnly=yes -o ControlMaster=no" \
ANSIBLE_SSH_CONTROL_PATH_DIR=$T_TMP/cp ANSIBLE_SSH_USETTY=False \
ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_NOCOLOR=1 \
    ansible all -i "$T_TMP/ansible.ini" -m raw -a "$CMD" -f $P \
    --private-key "$F/id_ed25519" >"$T_TMP/ansible.log" 2>&1
t1=$(now)
ansible_ms=$(ms "$t0" "$t1")
check_eq "ansible: all $N hosts" "$N" "$(grep -c '| CHANGED' "$T_TMP/ansible.log")"

printf '# discover on %d hosts, parallel %d\n' "$N" "$P"
printf '#   kbfix discover   %6d ms wall, CPU %ss user %ss sys\n' "$kbfix_ms" "$u" "$s"
printf '#   parallel-ssh     %6d ms wall (%s x kbfix)\n' "$pssh_ms" \
    "$(awk -v a="$pssh_ms" -v b="$kbfix_ms" 'BEGIN {printf "%.1f", a / b}')"
printf '#   ansible -m raw   %6d ms wall (%s x kbfix)\n' "$ansible_ms" \
    "$(awk -v a="$ansible_ms" -v b="$kbfix_ms" 'BEGIN {printf "%.1f", a / b}')"
finish

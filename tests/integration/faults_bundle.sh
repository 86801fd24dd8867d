#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenario 11: a bundle that moved is given to resume with
# --bundle; a bundle file replaced after the run checked it is hashed
# again before its upload and refused (nothing reaches the host).
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.70
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

check "fleet of 2 up" apply_fleet_up 2 --profiles=w7so || finish
apply_plan all
apply_bundle "$T_TMP/all.json"

# A file swapped while the run works on the host, before its upload.
H=w7so-000
cp -r "$T_TMP/bundle" "$T_TMP/b1"
f=$(ls "$T_TMP"/b1/files/windows6.1-kb4345459-x64_*.msu)
check "another package built" "$TOP/tests/winsim/mkmsu" -p Windows6.1 \
    KB4345459 x64 6.1.7601.99999 "$T_TMP/evil.msu"
apply_plan p1 --only $H
echo 300 >"$(host_dir $H)/faults/slow"
"$KBFIX" apply "$T_TMP/p1.json" --bundle "$T_TMP/b1" --run-dir "$T_TMP/r1" \
    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
    --reboot-delay 0 --canary 0 >"$T_TMP/r1.out" 2>&1 &
pid=$!
wait_journal "$T_TMP/r1" '"ev":"done","host":"'$H'","step":"capture"'
mv "$T_TMP/evil.msu" "$f"
wait "$pid"; rc=$?
rm -f "$(host_dir $H)/faults/slow"
check_eq "swapped file: exit 3" 3 "$rc"
check_contains "swapped file: refused, with the reason" \
    "$(kbfix status "$T_TMP/r1")" "changed since the run checked it"
check_eq "swapped file: nothing uploaded" 0 \
    "$(journal_has "$T_TMP/r1" '"ev":"intent","host":"'$H'","step":"upload"')"
check_eq "swapped file: no install" 0 \
    "$(grep -c 'dism /online /add-package' "$(host_dir $H)/events.log")"

# A bundle that moved between a crash and the resume.
H=w7so-001
cp -r "$T_TMP/bundle" "$T_TMP/b2"
apply_plan p2 --only $H
KBFIX_TEST_KILL_AFTER=6 kbfix apply "$T_TMP/p2.json" --bundle "$T_TMP/b2" \
    --run-dir "$T_TMP/r2" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --reboot-delay 0 --canary 0 >/dev/null 2>&1
check_eq "killed" 6 "$(wc -l <"$T_TMP/r2/journal.jsonl")"
mv "$T_TMP/b2" "$T_TMP/b2-moved"
out=$(kbfix resume "$T_TMP/r2" 2>&1); rc=$?
check_eq "moved bundle: resume says so (exit 2)" 2 "$rc"
out=$(kbfix resume "$T_TMP/r2" --bundle "$T_TMP/b2-moved" 2>&1); rc=$?
check_eq "resume --bundle: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "resume --bundle: done" "$H done" "$(host_states "$T_TMP/r2")"
check_contains "resume --bundle: installed" "$(snap_now $H)" \
    "KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed"
finish

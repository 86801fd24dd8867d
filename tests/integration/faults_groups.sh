#!/usr/bin/env bash
# valgrind: skip
# Issue 17, scenario 2: a reboot group is a lease, held from shutdown /r
# until the member is seen up again, recorded in the journal (the reboot
# intent names the group; a "lease" record ends a lease the run stopped
# waiting for).  Checked from the simulators' event logs: no two members
# of a group are ever down together
#   (a) kbfix killed (SIGKILL) while a member is down, resumed at once;
#   (b) a member down longer than --reboot-timeout (failed, still down);
#   (c) SIGINT while a member is down and the other waits for the group:
#       no shutdown /r after the stop;
#   (d) issue 14: a budget (max_unavailable 2) in one wave of 8 members:
#       two down at once, never three, also across kill -9 and resume.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.17.20
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/apply/faults.sh"

D_HOSTS=$(seq -f 'w7so-%03g' 6 13 | paste -sd,)
check "fleet of 14 up" apply_fleet_up 14 --profiles=w7so \
    --down-ms=w7so-000:4000 --down-ms=w7so-001:4000 \
    --down-ms=w7so-002:8000 --down-ms=w7so-003:300 \
    --down-ms=w7so-004:5000 --down-ms=w7so-005:5000 \
    $(for h in ${D_HOSTS//,/ }; do echo "--down-ms=$h:2500"; done) || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
other() { [ "$1" = "$2" ] && echo "$3" || echo "$2"; }
rebooter() {	# the host of the first reboot intent with a group
	grep -o '"ev":"intent","host":"[^"]*","step":"reboot","group"' \
	    "$1/journal.jsonl" | head -1 | sed 's/.*"host":"\([^"]*\)".*/\1/'
}

# The three cases run at once, each on its own two hosts.
part_a() {
# (a) kill -9 while the first member is down, resume at once.
apply_plan a --groups 1 --only w7so-000,w7so-001
kb_apply_bg "$T_TMP/a.json" "$T_TMP/ra" --canary 0 --parallel 2 \
    --reboot-timeout 30
check "(a) a member went down" wait_journal "$T_TMP/ra" \
    '"step":"reboot","group":"g0"'
sleep 0.3
kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null
A=$(rebooter "$T_TMP/ra"); B=$(other "$A" w7so-000 w7so-001)
out=$(kbfix resume "$T_TMP/ra" 2>&1); rc=$?
check_eq "(a) resume: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "(a) both done" "w7so-000 done
w7so-001 done" "$(host_states "$T_TMP/ra" | sort)"
check_eq "(a) members never down together" 0 "$(group_overlaps "$T_TMP/a.json")"
check_eq "(a) each rebooted once" "1 1" \
    "$(grep -c reboot-start "$(host_dir $A)/events.log") $(grep -c \
    reboot-start "$(host_dir $B)/events.log")"

}

part_b() {
# (b) the first member stays down longer than --reboot-timeout: failed,
# and the group stays its own until it is seen up.
echo 250 >"$(host_dir w7so-003)/faults/slow"	# w7so-002 reboots first
apply_plan b --groups 1 --only w7so-002,w7so-003
out=$(kb_apply "$T_TMP/b.json" "$T_TMP/rb" --canary 0 --parallel 2 \
    --max-fail 100 --reboot-timeout 4 2>&1); rc=$?
rm -f "$(host_dir w7so-003)/faults/slow"
check_eq "(b) exit 3" 3 "$rc"
check_eq "(b) states" "w7so-002 failed
w7so-003 done" "$(host_states "$T_TMP/rb" | sort)"
[ "$rc" = 3 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_contains "(b) reason" "$(kbfix status "$T_TMP/rb")" \
    "w7so-002: did not come back within 4 s after the reboot"
check_eq "(b) members never down together" 0 "$(group_overlaps "$T_TMP/b.json")"
check_eq "(b) the lease ended when the member was seen up" 1 \
    "$(journal_has "$T_TMP/rb" '"ev":"lease","host":"w7so-002","state":"released","group":"g0"')"
s2=$(grep reboot-end "$(host_dir w7so-002)/events.log" | cut -d' ' -f1)
s3=$(grep reboot-start "$(host_dir w7so-003)/events.log" | cut -d' ' -f1)
check "(b) the other member rebooted after it was back" test "$s3" -gt "$s2"

}

part_c() {
# (c) SIGINT while one member is down and the other waits for the group.
apply_plan c --groups 1 --only w7so-004,w7so-005
kb_apply_bg "$T_TMP/c.json" "$T_TMP/rc" --canary 0 --parallel 2 \
    --reboot-timeout 30
check "(c) a member went down" wait_journal "$T_TMP/rc" \
    '"step":"reboot","group":"g0"'
A=$(rebooter "$T_TMP/rc"); B=$(other "$A" w7so-004 w7so-005)
check "(c) the other installed" wait_journal "$T_TMP/rc" \
    '"ev":"done","host":"'$B'","step":"install"'
sleep 0.8
t0=$(date +%s%N)
kill -INT "$BG_PID"; wait "$BG_PID"; rc=$?
t1=$(date +%s%N)
check_eq "(c) stopped: exit 3" 3 "$rc"
check "(c) stopped within 5 s" test $(( (t1 - t0) / 1000000 )) -lt 5000
check_eq "(c) no shutdown /r on the waiting member" 0 \
    "$(grep -c ' cmd shutdown /r' "$(host_dir $B)/events.log")"
check_eq "(c) the waiting member interrupted" "$B interrupted" \
    "$(host_states "$T_TMP/rc" | grep "^$B ")"
out=$(kbfix resume "$T_TMP/rc" 2>&1); rc=$?
check_eq "(c) resume: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "(c) members never down together" 0 "$(group_overlaps "$T_TMP/c.json")"
check_eq "(c) both done" "w7so-004 done
w7so-005 done" "$(host_states "$T_TMP/rc" | sort)"
}

part_d() {
# (d) max_unavailable 2, one wave of 8 members: kill -9 while two are
# down, resume at once; the budget holds throughout and is used.
apply_plan d --groups 1 --budget 2 --only "$D_HOSTS"
kb_apply_bg "$T_TMP/d.json" "$T_TMP/rd" --canary 0 --parallel 8 \
    --reboot-timeout 30
local k n=0
for k in $(seq 1 1500); do
	n=$(grep -c '"step":"reboot","group":"g0"' "$T_TMP/rd/journal.jsonl" \
	    2>/dev/null)
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.02
done
check "(d) two members went down together" test "${n:-0}" -ge 2
sleep 0.3
check_eq "(d) never three at once before the kill" 2 \
    "$(group_max_down "$T_TMP/d.json")"
kill -KILL "$BG_PID"; wait "$BG_PID" 2>/dev/null
out=$(kbfix resume "$T_TMP/rd" 2>&1); rc=$?
check_eq "(d) resume: exit 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check_eq "(d) all 8 done" 8 "$(host_states "$T_TMP/rd" | grep -c ' done$')"
check_eq "(d) at most 2 members down at once, and 2 were" 2 \
    "$(group_max_down "$T_TMP/d.json")"
check_eq "(d) each rebooted once" "1 1 1 1 1 1 1 1" "$(for h in \
    ${D_HOSTS//,/ }; do grep -c reboot-start "$(host_dir $h)/events.log"; \
    done | paste -sd' ')"
}

for p in a b c d; do part_$p >"$T_TMP/part_$p" 2>&1 & done
wait
cat "$T_TMP"/part_[abcd]
T_FAILS=$((T_FAILS + $(cat "$T_TMP"/part_[abcd] | grep -c '^not ok')))
finish

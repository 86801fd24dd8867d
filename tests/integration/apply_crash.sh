#!/usr/bin/env bash
# valgrind: skip
# Crash safety: kbfix apply killed with SIGKILL at every journal record of
# a host's run (23 points covering every step: connect, preflight,
# capture, workarounds, upload, install, reboot (the second intent holds
# the host's clock at the shutdown), verify, cleanup) and at
# 4 timed points in the middle of steps (the third right after dism
# installed, before its outcome is journaled; the last while the host is
# down for its reboot), then `kbfix resume`: every host
# ends in the same state as an uninterrupted run, with a journal that
# lost nothing (three of them crash again during the resume).  Also SIGINT: running hosts stop at a safe point, resume
# finishes them.
#
# KBFIX_TEST_KILL_AFTER=N (test only) makes kbfix SIGKILL itself right
# after the N-th journal record is on disk.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/apply/common.sh"

NKILL=23	# records of one uninterrupted host run (checked below)
NTIMED=4
N=$((NKILL + NTIMED + 1))
profiles=mix
for i in $(seq 2 $N); do profiles=$profiles,mix; done
profiles=$profiles,w7so,w7so,w7so,w7so
check "fleet up" apply_fleet_up $((N + 4)) --profiles=$profiles || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
name() { printf 'mix-%03d' "$1"; }
delays=(0.15 0.35)	# timed kills, after the first record, mid-step

# Reference: host 0, uninterrupted.
apply_plan p0 --only "$(name 0)"
kb_apply "$T_TMP/p0.json" "$T_TMP/run0" >/dev/null 2>&1
check_eq "reference run: $NKILL records" $NKILL \
    "$(wc -l <"$T_TMP/run0/journal.jsonl")"
ref=$(snap_now "$(name 0)")
check_contains "reference run installed the fix" "$ref" \
    "KB4345459~31bf3856ad364e35~amd64~~6.1.1.1	Installed"

# One case: apply killed, then resumed.  Runs in the background; results
# go to files checked afterwards.
crash_case() {
	local i=$1 h run rc
	h=$(name "$i")
	run=$T_TMP/run$i
	apply_plan "p$i" --only "$h"
	if [ "$i" -le $NKILL ]; then
		KBFIX_TEST_KILL_AFTER=$i kb_apply "$T_TMP/p$i.json" "$run" \
		    >/dev/null 2>&1
		rc=$?
	else
		# kbfix itself, not a subshell, must get the signal
		"$KBFIX" apply "$T_TMP/p$i.json" --bundle "$T_TMP/bundle" \
		    --run-dir "$run" --known-hosts "$FLEET/known_hosts" \
		    -k "$FLEET/id_ed25519" --reboot-delay 0 >/dev/null 2>&1 &
		local pid=$!
		if [ "$i" -eq $((NKILL + NTIMED - 1)) ]; then
			# dism has installed, its outcome not yet recorded
			for k in $(seq 1 1000); do
				grep -q "^[0-9]* status [0-9]* dism /online /add-package" \
				    "$(host_dir "$h")/events.log" && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.005
			done
		elif [ "$i" -eq $((NKILL + NTIMED)) ]; then
			# while the host is down for its reboot
			for k in $(seq 1 1000); do
				grep -q '"ev":"intent","host":"'"$h"'","step":"reboot"' \
				    "$run/journal.jsonl" 2>/dev/null && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.02
			done
			sleep 0.1
		else
			# from the first journal record, so that a slow start
			# on a busy machine does not move the kill before it
			for k in $(seq 1 1000); do
				[ -s "$run/journal.jsonl" ] && break
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.01
			done
			sleep "${delays[i - NKILL - 1]}"
		fi
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=$?
	fi
	echo "$rc" >"$run.killrc"
	cp "$run/journal.jsonl" "$run.atkill"
	kbfix status "$run" >"$run.status" 2>&1
	case $i in 8|14|17)	# the resume crashes too, 4 records later
		KBFIX_TEST_KILL_AFTER=$((i + 4)) kbfix resume "$run" \
		    >/dev/null 2>&1
		echo $? >"$run.kill2rc" ;;
	esac
	kbfix resume "$run" >"$run.resume" 2>&1
	echo $? >"$run.resumerc"
	snap_now "$h" >"$run.snap"
}

i=1
while [ $i -le $((NKILL + NTIMED)) ]; do
	for j in 0 1 2 3 4; do
		[ $((i + j)) -le $((NKILL + NTIMED)) ] && crash_case $((i + j)) &
	done
	wait
	i=$((i + 5))
done

steps="connect preflight capture workaround upload install reboot verify cleanup"
for i in $(seq 1 $((NKILL + NTIMED))); do
	run=$T_TMP/run$i
	h=$(name "$i")
	what="kill at record $i"
	[ "$i" -le $NKILL ] || what="timed kill $((i - NKILL))"
	check_eq "$what: killed" 137 "$(cat "$run.killrc")"
	if [ "$i" -le $NKILL ]; then
		check_eq "$what: journal holds exactly $i records" "$i" \
		    "$(wc -l <"$run.atkill")"
	fi
	if [ -f "$run.kill2rc" ]; then
		check_eq "$what: resume killed too" 137 "$(cat "$run.kill2rc")"
	fi
	check_eq "$what: status readable" 0 \
	    "$(grep -c '^kbfix:' "$run.status")"
	check_eq "$what: resume exit 0" 0 "$(cat "$run.resumerc")"
	[ "$(cat "$run.resumerc")" = 0 ] || sed 's/^/#   /' "$run.resume"
	check_eq "$what: same host state as uninterrupted" "$ref" \
	    "$(cat "$run.snap")"
	check "$what: journal sequence complete" journal_seq_ok "$run"
	check "$what: nothing before the kill lost" \
	    cmp -s "$run.atkill" <(head -n "$(wc -l <"$run.atkill")" \
	    "$run/journal.jsonl")
	missing=""
	for s in $steps; do
		grep -q "\"ev\":\"done\",\"host\":\"$h\",\"step\":\"$s\"" \
		    "$run/journal.jsonl" || missing="$missing $s"
	done
	check_eq "$what: every step done" "" "$missing"
	# the first prior record of each kind is the one rollback uses
	check_eq "$what: original prior state kept" \
	    '"existed":true,"type":"REG_DWORD","data":"0x1" "enabled":true "installed":false' \
	    "$(for k in registry multicast package; do
		grep "\"ev\":\"prior\",\"host\":\"$h\",\"kind\":\"$k\"" \
		    "$run/journal.jsonl" | head -1 |
		grep -o '"existed":[a-z]*,"type":"REG_DWORD","data":"0x[0-9]"\|"enabled":[a-z]*\|"installed":[a-z]*'
	    done | paste -sd' ')"
	check_eq "$what: host done" "$h done" "$(host_states "$run")"
done

# SIGINT: stop at a safe point, journal says where each host stands.
apply_plan int --only "$(printf 'w7so-%03d,' $N $((N + 1)) $((N + 2)) $((N + 3)))"
"$KBFIX" apply "$T_TMP/int.json" --bundle "$T_TMP/bundle" \
    --run-dir "$T_TMP/runi" --known-hosts "$FLEET/known_hosts" \
    -k "$FLEET/id_ed25519" --reboot-delay 0 --canary 0 \
    >"$T_TMP/int.out" 2>&1 &
pid=$!
for k in $(seq 1 100); do
	grep -q '"step":"capture"' "$T_TMP/runi/journal.jsonl" 2>/dev/null &&
	    break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"; rc=$?
check_eq "SIGINT: exit 3" 3 "$rc"
check_contains "SIGINT: reason" "$T_TMP/int.out" \
    "run stopped: interrupted by a signal"
check_eq "SIGINT: no host left running" 0 \
    "$(host_states "$T_TMP/runi" | grep -c ' running$')"
check "SIGINT: some host interrupted" \
    test "$(host_states "$T_TMP/runi" | grep -c ' interrupted$')" -gt 0
check_contains "SIGINT: journal closed" "$T_TMP/runi/journal.jsonl" \
    '"ev":"end","op":"apply","error":"run stopped: interrupted by a signal"'
out=$(kbfix resume "$T_TMP/runi" 2>&1); rc=$?
check_eq "SIGINT then resume: exit 0" 0 "$rc"
check_eq "SIGINT then resume: all done" 4 \
    "$(host_states "$T_TMP/runi" | grep -c ' done$')"
[ "$(host_states "$T_TMP/runi" | grep -c ' done$')" = 4 ] || {
	sed 's/^/#   /' "$T_TMP/int.out"; printf '%s\n' "$out" | sed 's/^/#   /'; }
finish

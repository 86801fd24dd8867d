#!/usr/bin/env bash
# valgrind: skip
# Signals always work (issue 15 item 2): SIGINT and SIGTERM while waiting
# for a window and during a reboot wait end apply within 5 s with the
# journal consistent, and resume (with a new window) finishes; a second
# signal ends a run stuck in a hung command at once.  Waiting says what
# it waits for and until when, as timestamped lines off a terminal and on
# the live line on one.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.15.20
. "$TOP/tests/apply/common.sh"

check "fleet of 5 up" apply_fleet_up 5 --profiles=w7so \
    --down-ms=w7so-002:4000 --down-ms=w7so-003:4000 || finish
apply_plan all
apply_bundle "$T_TMP/all.json"
# bg_apply RUN HOST [apply options]: kbfix apply of a plan for HOST in
# the background, stderr in RUN.err; its pid in $PID
bg_apply() {
	local run=$1 only=$2; shift 2
	apply_plan "$(basename "$run")" --only "$only"
	(exec $KBFIX_WRAP "$KBFIX" apply "$T_TMP/$(basename "$run").json" \
	    --bundle "$T_TMP/bundle" --run-dir "$run" \
	    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
	    --reboot-delay 0 --reboot-timeout 20 "$@" \
	    >"$run.out" 2>"$run.err") &
	PID=$!
}
# wait_for FILE TEXT: up to 20 s
wait_for() {
	local i
	for i in $(seq 200); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# stop_in SIG SECONDS: send SIG to $PID, wait for it; RC its status
# ("timeout" when it outlived SECONDS), TOOK the milliseconds it took
stop_in() {
	local t0 i
	RC=
	t0=$(date +%s%N)
	kill -"$1" "$PID"
	for i in $(seq $(($2 * 20))); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	TOOK=$((($(date +%s%N) - t0) / 1000000))
	if kill -0 "$PID" 2>/dev/null; then
		RC=timeout
		kill -9 "$PID"
	fi
	wait "$PID"; i=$?; [ "$RC" = timeout ] || RC=$i
}
# 23 h, not a day: a day ahead read within the same second is "1d 0h";
# read within that second it is "23h 0m", later "22h 59m"
later=$(date -u -d "+23 hours" +%Y-%m-%dT%H:%M:%SZ)

# 1. SIGINT and SIGTERM while waiting for a window a day away.
for sig in INT TERM; do
	RUN=$T_TMP/win$sig
	h=w7so-000; [ $sig = TERM ] && h=w7so-001
	bg_apply "$RUN" $h --window "$later/2h"
	check "$sig window: says what it waits for" wait_for "$RUN.err" \
	    "waiting for the window at $later (in 2[23]h"
	check "$sig window: timestamped line" \
	    grep -qE '^20[0-9-]+T[0-9:]+Z waiting for the window' "$RUN.err"
	stop_in $sig 5
	check "$sig window: exit within 5 s (${TOOK} ms)" test "$RC" != timeout
	check_eq "$sig window: exit 3" 3 "$RC"
	check "$sig window: journal consistent" journal_seq_ok "$RUN"
	check_eq "$sig window: host not started" "$h not-started" \
	    "$(host_states "$RUN")"
	check "$sig window: no command ran" \
	    bash -c '! grep -q " cmd " "$1"' _ "$(host_dir $h)/events.log"
	out=$(kbfix resume "$RUN" --window now/30m 2>&1); rc=$?
	check_eq "$sig window: resume with a new window exit 0" 0 "$rc"
	check_eq "$sig window: done" "$h done" "$(host_states "$RUN")"
	# as instants (issue 17): a later resume never re-anchors "now"
	check "$sig window: run.json keeps the new window" grep -qE \
	    '"window": "20[0-9-]+T[0-9:]+Z/1800s"' "$RUN/run.json"
done

# 2. SIGINT and SIGTERM while the host is down for its reboot (4 s).
for sig in INT TERM; do
	RUN=$T_TMP/reboot$sig
	h=w7so-002; [ $sig = TERM ] && h=w7so-003
	bg_apply "$RUN" $h
	check "$sig reboot: host went down" \
	    wait_for "$(host_dir $h)/events.log" reboot-start
	sleep 0.5
	stop_in $sig 5
	check "$sig reboot: exit within 5 s (${TOOK} ms)" test "$RC" != timeout
	check_eq "$sig reboot: exit 3" 3 "$RC"
	check "$sig reboot: journal consistent" journal_seq_ok "$RUN"
	check_eq "$sig reboot: interrupted" "$h interrupted" \
	    "$(host_states "$RUN")"
	check_contains "$sig reboot: the stop is logged" "$RUN.err" "stopping ("
	out=$(kbfix resume "$RUN" 2>&1); rc=$?
	check_eq "$sig reboot: resume exit 0" 0 "$rc"
	check_eq "$sig reboot: done" "$h done" "$(host_states "$RUN")"
	check_eq "$sig reboot: one reboot only" 1 \
	    "$(grep -c reboot-start "$(host_dir $h)/events.log")"
done

# 3. A hung dism: the first SIGINT waits for the safe point, a second one
# exits at once; the journal reads as after a crash and resume finishes.
RUN=$T_TMP/hang
echo "once add-package" >"$(host_dir w7so-004)/faults/hang"
bg_apply "$RUN" w7so-004
check "hang: dism started" wait_for "$(host_dir w7so-004)/events.log" \
    "fault hang"
kill -INT "$PID"
sleep 1
check "hang: first SIGINT waits for the running step" kill -0 "$PID"
stop_in INT 2
check "hang: second SIGINT exits at once (${TOOK} ms)" test "$RC" != timeout
check_eq "hang: exit 130" 130 "$RC"
check_contains "hang: says so" "$RUN.err" "stopped at once by a second signal"
check "hang: journal consistent" journal_seq_ok "$RUN"
check_contains "hang: status shows the step in flight" \
    "$(kbfix status "$RUN" --json)" '"inflight": "install"'
out=$(kbfix resume "$RUN" 2>&1); rc=$?
check_eq "hang: resume exit 0" 0 "$rc"
check_eq "hang: done" "w7so-004 done" "$(host_states "$RUN")"

# 4. On a terminal: the live line counts down to the window (SIGINT
# once it shows).
if command -v script >/dev/null; then
	apply_plan tty --only w7so-000
	script -qfec "exec $KBFIX apply $T_TMP/tty.json \
	    --bundle $T_TMP/bundle --run-dir $T_TMP/tty \
	    --known-hosts $FLEET/known_hosts -k $FLEET/id_ed25519 \
	    --window $later/1h" "$T_TMP/tty.log" >/dev/null 2>&1 &
	spid=$!
	wait_for_text "$T_TMP/tty.log" "waiting for the window at $later"
	kill -INT $(pgrep -P "$spid") 2>/dev/null
	wait "$spid"
	check_contains "terminal: live line" "$T_TMP/tty.log" \
	    "waiting for the window at $later (in 2"
	check_contains "terminal: the stop" "$T_TMP/tty.log" "stopping ("
fi
finish

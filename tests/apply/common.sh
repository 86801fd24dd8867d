# Sourced by tests/integration/apply_*.sh and tests/bench/apply.sh after
# tests/lib.sh: a simulated fleet (tests/fleet), a plan and a bundle for
# it, host state snapshots, and kbfix apply with the fleet's keys.
#
#   apply_fleet_up N [mkrun inventory options]   fleet of N hosts
#   apply_plan NAME [mkrun plan options]          $T_TMP/NAME.json
#   apply_bundle PLAN [--identity]                 $T_TMP/bundle
#   snap_all TAG                                   $T_TMP/snap/HOST.TAG
#   snap_diff HOST TAG                             diff against a snapshot
#   kb_apply PLAN RUN_DIR [options]                kbfix apply, fleet keys
export FLEET_BASE=${FLEET_BASE:-127.0.5.2}
export FLEET_DOWN_MS=${FLEET_DOWN_MS:-300}
MKRUN="python3 $TOP/tests/apply/mkrun.py"
FLEET=$T_TMP/fleet

apply_cleanup() {
	[ -f "$FLEET/supervisor.pid" ] &&
	    "$TOP/tests/fleet/fleet" down "$FLEET" >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap apply_cleanup EXIT

apply_fleet_up() {
	local n=$1; shift
	$MKRUN inventory "$n" "$T_TMP/inv.json" "$@" || return 1
	BUILD=$BUILD "$TOP/tests/fleet/fleet" up "$T_TMP/inv.json" "$FLEET" \
	    >"$T_TMP/fleet-up.log" 2>&1 || { cat "$T_TMP/fleet-up.log"; return 1; }
}

apply_plan() {
	local name=$1; shift
	$MKRUN plan "$FLEET/inventory.json" "$T_TMP/$name.json" "$@"
}

apply_bundle() {
	rm -rf "$T_TMP/bundle"
	$MKRUN bundle "$1" "$T_TMP/bundle" "$TOP/tests/winsim/mkmsu" "${@:2}"
}

host_dir() { echo "$FLEET/hosts/$1"; }

snap_all() {
	local h
	mkdir -p "$T_TMP/snap"
	for h in "$FLEET"/hosts/*/; do
		$MKRUN snapshot "$h" >"$T_TMP/snap/$(basename "$h").$1"
	done
}

snap_now() { $MKRUN snapshot "$(host_dir "$1")"; }

snap_was() { cat "$T_TMP/snap/$1.$2"; }

kb_apply() {
	local plan=$1 run=$2; shift 2
	kbfix apply "$plan" --bundle "$T_TMP/bundle" --run-dir "$run" \
	    --known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519" \
	    --reboot-delay 0 --reboot-timeout 20 "$@"
}

# journal_seq_ok RUN_DIR: sequence numbers 1..N, every line JSON
journal_seq_ok() {
	python3 - "$1/journal.jsonl" <<'PY'
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
sys.exit(0 if seqs == list(range(1, len(seqs) + 1)) else 1)
PY
}

# host_states RUN_DIR: "host state" lines from kbfix status --json
host_states() {
	kbfix status "$1" --json | python3 -c '
import json, sys
for h in json.load(sys.stdin)["hosts"]:
    print(h["name"], h["state"])'
}

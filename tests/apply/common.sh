# Sourced by tests/integration/apply_*.sh and tests/bench/apply.sh after
# tests/lib.sh: a simulated fleet (tests/fleet), a plan and a bundle for
# it, host state snapshots, and kbfix apply with the fleet's keys.
#
#   apply_fleet_up N [mkrun inventory options]   fleet of N hosts
#   fleet_up_inv INVENTORY                         fleet of that inventory
#   apply_plan NAME [mkrun plan options]          $T_TMP/NAME.json
#   apply_bundle PLAN [--identity]                 $T_TMP/bundle
#   snap_all TAG                                   $T_TMP/snap/HOST.TAG
#   snap_diff HOST TAG                             diff against a snapshot
#   kb_apply PLAN RUN_DIR [options]                kbfix apply, fleet keys
#   check_as_before TAG HOST...                    each host as snapshot TAG
#   fetch_for_plan PLAN BUNDLE                     a Catalog made for PLAN,
#                                                  kbfix fetch from it
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
	fleet_up_inv "$T_TMP/inv.json"
}

fleet_up_inv() {
	BUILD=$BUILD "$TOP/tests/fleet/fleet" up "$1" "$FLEET" \
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

# after a rollback: every host given as it was at snap_all TAG
check_as_before() {
	local tag=$1 h; shift
	for h in "$@"; do
		check_eq "$h: state after rollback as before apply" \
		    "$(snap_was "$h" "$tag")" "$(snap_now "$h")"
	done
}

# fetch_for_plan PLAN BUNDLE (after tests/catalog-server/lib.sh): kbfix
# fetch of PLAN into BUNDLE from a local Catalog whose entries are made for
# PLAN by tests/integration/e2e_catalog.py (.msu files built with winsim's
# mkmsu, whose packages bring the tcpip.sys versions apply verifies); the
# Catalog is stopped after.  fetch's status; its output in $T_TMP/fetch.out.
fetch_for_plan() {
	local rc i
	CATSRV_DIR=$T_TMP/catsrv
	mkdir -p "$CATSRV_DIR"
	catsrv_certs "$CATSRV_DIR" || return 1
	python3 "$TOP/tests/integration/e2e_catalog.py" "$1" \
	    "$CATSRV_DIR" "$TOP/tests/winsim/mkmsu" || return 1
	python3 "$TOP/tests/catalog-server/server.py" --root "$CATSRV_DIR" \
	    --port-file "$CATSRV_DIR/port" --cert "$CATSRV_DIR/server.pem" \
	    --key "$CATSRV_DIR/server.key" --log "$CATSRV_DIR/requests.log" &
	CATSRV_PID=$!
	for i in $(seq 1200); do [ -f "$CATSRV_DIR/port" ] && break; sleep 0.05; done
	kbfix fetch "$1" -o "$2" --no-cache --no-progress \
	    --catalog-url "https://127.0.0.1:$(cat "$CATSRV_DIR/port")" \
	    --cacert "$CATSRV_DIR/ca.pem" >"$T_TMP/fetch.out" 2>&1
	rc=$?
	catsrv_stop
	return "$rc"
}

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

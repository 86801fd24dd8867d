#!/usr/bin/env bash
# valgrind: skip
# End to end, the way an operator works: an inventory of ten simulated
# hosts (tests/fleet) -> kbfix discover on an inventory stripped of its
# facts -> kbfix plan (same decisions as planning from the full facts) ->
# a bundle for the plan's packages -> kbfix apply -> the simulators' state
# and kbfix status -> discover + plan again: nothing left to do -> kbfix
# rollback -> the state as it was before apply.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.7.2

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "end-to-end test skipped (needs root, sshd, bwrap)"
	finish
fi
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/catalog-server/lib.sh"
trap 'catsrv_stop; apply_cleanup' EXIT
export KBFIX_NOW=2026-11-21T12:00:00Z
SSH=(--known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519")
CEIP='HKLM\\Software\\Microsoft\\SQMClient\\Windows'

# 1. The inventory: one host per advisory and servicing channel that needs
# an install or a workaround, and one already compliant.
cat >"$T_TMP/inv.json" <<EOF
{"defaults": {"wfp_callout_drivers": 0},
 "hosts": [
  {"name": "w7so", "os": "Microsoft Windows 7 Professional", "version": "6.1.7601",
   "arch": "x64", "installed": ["KB4338823"], "registry": {}, "group": "desk"},
  {"name": "r2mr", "os": "Windows Server 2008 R2 Enterprise", "version": "6.1.7601",
   "arch": "x64", "installed": ["KB4338818"], "registry": {}, "group": "web"},
  {"name": "s12so", "os": "Windows Server 2012 Standard", "version": "6.2.9200",
   "arch": "x64", "installed": ["KB4338820"], "registry": {}, "group": "web"},
  {"name": "s12r2so", "os": "windows-server-2012-r2", "version": "6.3.9600",
   "arch": "x64", "installed": ["KB4338824"], "registry": {},
   "winsim": {"wmic_utf16": true}},
  {"name": "s16", "os": "Windows Server 2016 Datacenter", "version": "10.0.14393",
   "arch": "x64", "installed": ["KB4338814"], "registry": {}},
  {"name": "w7rtm", "os": "windows-7", "version": "6.1.7600", "arch": "x86",
   "installed": [], "files": {"tcpip.sys": "6.1.7600.16385"},
   "wfp_callout_drivers": 1, "registry": {},
   "experiencing": ["wfp-classify-handle"]},
  {"name": "ceip", "os": "Microsoft Windows 7 Enterprise", "version": "6.1.7601",
   "arch": "x64", "installed": [],
   "registry": {"$CEIP\\\\CEIPEnable": 1, "$CEIP\\\\CEIPSampledIn": 1}},
  {"name": "vista", "os": "Windows Vista Business", "version": "6.0.6000",
   "arch": "x86", "transport": "ssh", "installed": [], "registry": {},
   "multicast_forwarding": true},
  {"name": "s08", "os": "Windows Server 2008 Standard", "version": "6.0.6002",
   "arch": "x64", "installed": ["KB4295656"], "registry": {},
   "files": {"tcpip.sys": "6.0.6002.18005"}, "multicast_forwarding": false},
  {"name": "w7pend", "os": "windows-7", "version": "6.1.7601", "arch": "x64",
   "installed": ["KB4338823"], "registry": {}, "pending_reboot": true},
  {"name": "okr2", "os": "windows-server-2012-r2", "version": "6.3.9600",
   "arch": "x64", "installed": ["KB4338824", "KB4345424"], "registry": {},
   "files": {"tcpip.sys": "6.3.9600.19067"}}
 ]}
EOF
fleet_up_inv "$T_TMP/inv.json"
check_eq "fleet of 11 up" 0 $? || finish
# w7pend: someone installed KB4345459 and has not restarted yet
printf 'Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\tInstall Pending\t6.1.7601.24168\n' \
    >>"$FLEET/hosts/w7pend/packages"
printf 'K\t%s\n' 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending' \
    >>"$FLEET/hosts/w7pend/registry"

# decisions PLAN: "host status action;action..." lines, sorted
decisions() {
	python3 - "$1" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in sorted(p["hosts"], key=lambda h: h["name"]):
    acts = []
    for a in h["actions"]:
        acts.append(":".join(str(a.get(k, "")) for k in
                    ("kind", "kb", "tcpip_min", "key", "value", "data",
                     "family", "state")))
    print(h["name"], h["status"], h["transport"], ";".join(acts) or "-")
for k in sorted(p["packages"], key=lambda k: (k["kb"], k["product"])):
    print("package", k["kb"], k["product"], k["arch"], ",".join(k["hosts"]))
PY
}

kbfix plan -i "$FLEET/inventory.json" --format json -o "$T_TMP/plan-full.json"
check_eq "plan from the full inventory (exit 0)" 0 $?
decisions "$T_TMP/plan-full.json" >"$T_TMP/dec-full"
check_eq "full inventory: 9 hosts need action, okr2 compliant, w7pend blocked" \
    "9 okr2 w7pend" "$(grep -c ' needs-action ' "$T_TMP/dec-full") $(awk '$2=="compliant"{print $1}' "$T_TMP/dec-full") $(awk '$2=="blocked"{print $1}' "$T_TMP/dec-full")"

# 2. Discover fills what an operator's inventory lacks.  Drop every
# discoverable fact; three hosts keep only name, address and user.  s08
# (Server 2008: transport manual, no Win32-OpenSSH) keeps its facts, which
# an operator collects by hand; discover skips it.
python3 - "$FLEET/inventory.json" "$T_TMP/stripped.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for h in doc["hosts"]:
    if h["name"] == "s08":
        continue
    for k in ("installed", "registry", "files", "multicast_forwarding",
              "pending_reboot"):
        h.pop(k, None)
    if h["name"] in ("w7so", "s16", "vista"):
        for k in ("os", "version", "arch"):
            h.pop(k, None)
json.dump(doc, open(sys.argv[2], "w"), indent=1)
PY
kbfix plan -i "$T_TMP/stripped.json" --format json -o "$T_TMP/plan-stripped.json" 2>/dev/null
decisions "$T_TMP/plan-stripped.json" >"$T_TMP/dec-stripped" 2>/dev/null
check "the stripped inventory alone does not plan the same" \
    test "$(cat "$T_TMP/dec-stripped")" != "$(cat "$T_TMP/dec-full")"

kbfix discover -i "$T_TMP/stripped.json" -o "$T_TMP/discovered.json" \
    "${SSH[@]}" 2>"$T_TMP/disc1.err"
check_eq "discover (exit 0)" 0 $? || cat "$T_TMP/disc1.err"
check_contains "discover: 10 hosts, s08 (manual) skipped" "$T_TMP/disc1.err" \
    "10 host(s) discovered, 0 failed, 1 skipped (transport manual)"
kbfix plan -i "$T_TMP/discovered.json" --format json -o "$T_TMP/plan.json"
check_eq "plan from the discovered inventory (exit 0)" 0 $?
decisions "$T_TMP/plan.json" >"$T_TMP/dec-disc"
check_eq "discovered plan decides as the full inventory (status, actions, packages)" \
    "$(cat "$T_TMP/dec-full")" "$(cat "$T_TMP/dec-disc")"

check_contains "w7pend: blocked by the pending reboot, says what to do" \
    "$(kbfix explain -i "$T_TMP/discovered.json" w7pend)" \
    "a reboot is pending on the host (pending_reboot), so nothing is planned for it until it restarts: restart it, then discover and plan again"

# 3. kbfix fetch of the plan's packages from the local HTTPS Catalog
# (tests/catalog-server/server.py), whose entries are made for this plan:
# .msu files whose package brings the fixed tcpip.sys (tests/README.md
# "Packages"), built by e2e_catalog.py with the simulator's mkmsu.
fetch_for_plan "$T_TMP/plan.json" "$T_TMP/bundle"
check_eq "fetch from the local Catalog (exit 0)" 0 $? || sed 's/^/# /' "$T_TMP/fetch.out"
check_eq "bundle: one update per plan package" \
    "$(grep -c '^package ' "$T_TMP/dec-disc")" \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["updates"]))' "$T_TMP/bundle/manifest.json")"
check_contains "kbfix verify accepts the bundle" "$(kbfix verify "$T_TMP/bundle")" "7 file(s) checked, 0 bad"

# 4. Apply, then the simulators' own state.
snap_all before
RUN=$T_TMP/run
out=$(kb_apply "$T_TMP/plan.json" "$RUN" --parallel 8 2>&1)
check_eq "apply (exit 4: the manual host remains)" 4 $? || printf '%s\n' "$out" | sed 's/^/# /'
check_contains "apply: 8 done, s08 manual" "$out" "8 done, 0 failed, 0 rolled back, 0 interrupted, 1 manual, 0 other"

python3 - "$T_TMP/plan.json" "$FLEET/hosts" >"$T_TMP/state-check" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[1]))
root = sys.argv[2]
def ver(s):
    return tuple(int(x) for x in s.split("."))
for h in plan["hosts"]:
    if h["transport"] == "manual":
        continue
    d = os.path.join(root, h["name"])
    pk = [l.rstrip("\n").split("\t") for l in open(os.path.join(d, "packages"))]
    reg = [l.rstrip("\n").split("\t") for l in open(os.path.join(d, "registry"))]
    prof = dict(l.strip().split("=", 1) for l in open(os.path.join(d, "profile")) if "=" in l)
    tcp = [l.rstrip("\n").split("\t")[1] for l in open(os.path.join(d, "versions"))
           if l.lower().startswith("c:\\windows\\system32\\drivers\\tcpip.sys\t")][0]
    for a in h["actions"]:
        k = a["kind"]
        if k == "install":
            # by the KB dism names it with, or the simulator's KB column
            # of a Package_for_RollupFix (cumulative updates, rollups)
            st = [p[1] for p in pk if p[0].startswith("Package_for_%s~" % a["kb"])
                  or (len(p) > 4 and p[4] == a["kb"])]
            good = st == ["Installed"]
            if a.get("tcpip_min"):
                good = good and ver(tcp) >= ver(a["tcpip_min"])
            print(h["name"], "install", a["kb"], st, tcp, "ok" if good else "BAD")
        elif k == "registry":
            v = [r[4] for r in reg if r[0] == "V" and r[1].lower() ==
                 "hkey_local_machine" + a["key"][4:].lower() and
                 r[2].lower() == a["value"].lower()]
            print(h["name"], "registry", a["value"], v,
                  "ok" if v == ["0x%x" % a["data"]] else "BAD")
        elif k == "multicast-forwarding":
            v = prof.get("mcast_" + a["family"])
            print(h["name"], "multicast", v, "ok" if v == a["state"] else "BAD")
PY
check "every planned change is in the simulators' state" \
    grep -q . "$T_TMP/state-check"
bad=$(grep -v ' ok$' "$T_TMP/state-check")
check_eq "no planned change missing" "" "$bad"
check_eq "changes checked: 6 installs, 1 registry, 1 multicast" "6 1 1" \
    "$(grep -c ' install ' "$T_TMP/state-check") $(grep -c ' registry ' "$T_TMP/state-check") $(grep -c ' multicast ' "$T_TMP/state-check")"
check_contains "w7rtm: tcpip.sys at KB976527's 6.1.7600.16512" \
    "$T_TMP/state-check" "w7rtm install KB976527 ['Installed'] 6.1.7600.16512 ok"
check_eq "okr2 untouched" "$(snap_was okr2 before)" "$(snap_now okr2)"
check_eq "w7pend (blocked) untouched" "$(snap_was w7pend before)" "$(snap_now w7pend)"
check_eq "s08 (manual) untouched" "$(snap_was s08 before)" "$(snap_now s08)"
# Server 2008 has no dism.exe: its runbook installs the .msu with wusa,
# run locally (FACTS.md section 4).
rb=$RUN/runbooks/s08.cmd
check_contains "s08 runbook installs KB4345397 with wusa" "$rb" \
    "wusa \"%~dp0$(python3 -c 'import json,sys; print([f["name"] for u in json.load(open(sys.argv[1]))["updates"] if u["kb"]=="KB4345397" for f in u["files"]][0])' "$T_TMP/bundle/manifest.json")\" /quiet /norestart"
check "s08 runbook does not call dism (NT 6.0 has none)" \
    bash -c '! grep -qi dism "$1"' _ "$rb"

kbfix status "$RUN" >"$T_TMP/status.txt"
check_eq "status (exit 0)" 0 $?
check_eq "status --json: every host done" \
    "ceip done,r2mr done,s08 manual,s12r2so done,s12so done,s16 done,vista done,w7rtm done,w7so done" \
    "$(host_states "$RUN" | sort | paste -sd,)"
check_contains "status table names w7rtm" "$T_TMP/status.txt" "w7rtm"

# 5. The closing check: discover again and plan again, after the
# operator restarted w7pend as its finding said.
ssh -F "$FLEET/ssh_config" -o BatchMode=yes w7pend 'shutdown /r /t 0 /d p:2:17' >/dev/null 2>&1
for i in $(seq 200); do
	grep -q ' reboot-end' "$FLEET/hosts/w7pend/events.log" && break
	sleep 0.1
done
check_contains "w7pend restarted" "$FLEET/hosts/w7pend/events.log" " reboot-end"
$MKRUN snapshot "$FLEET/hosts/w7pend" >"$T_TMP/snap/w7pend.before"
kbfix discover -i "$T_TMP/stripped.json" -o "$T_TMP/after.json" \
    "${SSH[@]}" 2>"$T_TMP/disc2.err"
check_eq "discover after apply (exit 0)" 0 $? || cat "$T_TMP/disc2.err"
kbfix plan -i "$T_TMP/after.json" --format json -o "$T_TMP/plan-after.json"
check_eq "plan after apply (exit 0)" 0 $?
check_eq "after apply every host is compliant (not-applicable: nothing affects it now) but s08, whose runbook is still to run" \
    "ceip not-applicable,okr2 compliant,r2mr compliant,s08 needs-action,s12r2so compliant,s12so compliant,s16 compliant,vista not-applicable,w7pend compliant,w7rtm compliant,w7so compliant 1" \
    "$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(",".join(sorted(h["name"] + " " + h["status"] for h in p["hosts"])), len(p["packages"]))' "$T_TMP/plan-after.json")"

# 6. Rollback: back to the state before apply.
out=$(kbfix rollback "$RUN" 2>&1)
check_eq "rollback (exit 0)" 0 $? || printf '%s\n' "$out" | sed 's/^/# /'
check_as_before before w7so r2mr s12so s12r2so s16 w7rtm ceip vista s08 w7pend okr2
check_eq "status --json after rollback: every host rolled-back" \
    "ceip rolled-back,r2mr rolled-back,s08 manual,s12r2so rolled-back,s12so rolled-back,s16 rolled-back,vista rolled-back,w7rtm rolled-back,w7so rolled-back" \
    "$(host_states "$RUN" | sort | paste -sd,)"
finish

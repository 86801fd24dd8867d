#!/usr/bin/env bash
# kbfix export --format ansible, read back by real Ansible: the example
# plan and its bundle (fetched from the local HTTPS Catalog) as a project;
# ansible-inventory must see the plan's waves, hosts and actions (as the
# command lines kbfix apply sends; export_fleet.sh runs them on hosts),
# ansible-playbook --syntax-check must accept site.yml, a closed window
# must stop the run before any host is contacted, and a value with "{{" in
# it must stay text.  Bad input: exit 2, nothing written; an unwritable
# folder: exit 1, nothing left behind.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
export ANSIBLE_LOCAL_TEMP=$T_TMP/ansible-local ANSIBLE_NOCOLOR=1 \
    ANSIBLE_HOME=$T_TMP/ansible-home
if ! command -v ansible-playbook >/dev/null; then
	not_ok "ansible-playbook is installed (./dev deps installs it)"
	finish
fi
PLAN=$T_TMP/plan.json
kbfix plan -i "$TOP/examples/inventory.json" --format json \
    --created 2026-11-21T00:00:00Z -o "$PLAN"
check_eq "example plan: written" 0 $?
catsrv_start --plan "$PLAN" || { not_ok "catalog server starts"; finish; }
B=$T_TMP/bundle
kbfix fetch "$PLAN" -o "$B" --cacert "$CATSRV_CA" \
    --catalog-url "$CATSRV_URL" --no-cache >/dev/null 2>"$T_TMP/err"
check_eq "bundle fetched" 0 $?
catsrv_stop

X=$T_TMP/project
out=$(kbfix export "$PLAN" --format ansible -o "$X" --bundle "$B" \
    2>"$T_TMP/err"); rc=$?
check_eq "export: exit 0" 0 "$rc"
check_eq "export: stderr empty" "" "$(cat "$T_TMP/err")"
check_contains "export: summary" "$out" "left to runbooks"
for f in ansible.cfg inventory.yml site.yml rollback.yml group_vars/all.yml \
    tasks/kbfix-host.yml tasks/kbfix-rollback.yml tasks/kbfix-reboot.yml \
    README.txt; do
	check "export: $f written" test -s "$X/$f"
done
check_eq "export: no temporary folder left" "" \
    "$(ls -d "$T_TMP"/project.kbfix-tmp.* 2>/dev/null)"

# What Ansible reads, compared with the plan and the bundle (never with
# kbfix's own output).
(cd "$X" && ansible-inventory --list) >"$T_TMP/inv.json" 2>"$T_TMP/inv.err"
check_eq "ansible-inventory reads the inventory" 0 $?
report=$(python3 - "$PLAN" "$T_TMP/inv.json" "$B" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[1]))
inv = json.load(open(sys.argv[2]))
bundle = sys.argv[3]
bad = []
# values written with Ansible's !unsafe tag come back wrapped
def plain(x):
    if isinstance(x, dict):
        if set(x) == {"__ansible_unsafe"}:
            return x["__ansible_unsafe"]
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x
raw = inv["_meta"]["hostvars"]
hv = plain(raw)
def group(name):
    return set(inv.get(name, {}).get("hosts", []))
run = [h for h in plan["hosts"] if h["status"] == "needs-action" and h["actions"]]
manual = {h["name"] for h in run if h.get("transport") == "manual"}
ssh = [h for h in run if h["name"] not in manual]
waves = sorted({h["wave"] for h in ssh})
for w in waves:
    want = {h["name"] for h in ssh if h["wave"] == w}
    if group("kbfix_wave_%d" % w) != want:
        bad.append("wave %d: %s, want %s" % (w, sorted(group("kbfix_wave_%d" % w)), sorted(want)))
if group("kbfix_manual") != manual:
    bad.append("manual: %s, want %s" % (sorted(group("kbfix_manual")), sorted(manual)))
others = {h["name"] for h in plan["hosts"]} - {h["name"] for h in run}
for n in others:
    if n in hv:
        bad.append("%s has no action but is in the inventory" % n)
files = set(os.listdir(os.path.join(bundle, "files")))
for h in ssh:
    v = hv.get(h["name"], {})
    if v.get("ansible_host") != h.get("address", h["name"]):
        bad.append("%s: ansible_host %r" % (h["name"], v.get("ansible_host")))
    if v.get("ansible_port") != h.get("port", 22):
        bad.append("%s: ansible_port %r" % (h["name"], v.get("ansible_port")))
    kinds = [a["kind"] for a in h["actions"]]
    inst = [a["kb"] for a in h["actions"] if a["kind"] == "install"]
    got = [i["kb"] for i in v.get("kbfix_install", [])]
    if got != inst:
        bad.append("%s: installs %s, want %s" % (h["name"], got, inst))
    for i in v.get("kbfix_install", []):
        if i["file"] not in files:
            bad.append("%s: %s not in the bundle" % (h["name"], i["file"]))
        elif i["kb"].lower() not in i["file"]:
            bad.append("%s: %s is not %s's file" % (h["name"], i["file"], i["kb"]))
        if not i["add"].startswith("dism /online /add-package /packagepath:C:\\Windows\\Temp\\kbfix\\" + i["kb"] + "\\"):
            bad.append("%s: add %r" % (h["name"], i["add"]))
        if i["sftp"] != "/C:/Windows/Temp/kbfix/" + i["file"]:
            bad.append("%s: sftp %r" % (h["name"], i["sftp"]))
    regs = [a for a in h["actions"] if a["kind"] == "registry"]
    mc = [a for a in h["actions"] if a["kind"] == "multicast-forwarding"]
    got = v.get("kbfix_changes", [])
    if len(got) != len(regs) + len(mc):
        bad.append("%s: %d changes, want %d" % (h["name"], len(got), len(regs) + len(mc)))
    for a, g in zip(regs, [g for g in got if g["kind"] == "registry"]):
        data = a["data"] if a["type"] == "REG_SZ" else "0x%x" % a["data"]
        if g["value"] != a["value"] or g["planned"] != "%s %s %s" % (a["value"], a["type"], data) \
           or not g["set"].startswith("reg add ") or not g["query"].startswith("reg query "):
            bad.append("%s: registry %r, want %r" % (h["name"], g, a))
        # a value Group Policy Preferences may write back: refreshed and
        # read again (issue 11 item 6)
        gp = "gpupdate /target:computer /force & reg query %s /v %s" % (
            a["key"], a["value"])
        if a.get("group_policy") and (g.get("gpupdate") != gp or
                                      g.get("group_policy") != a["group_policy"]):
            bad.append("%s: gpupdate %r, want %r" % (h["name"], g.get("gpupdate"), gp))
        if not a.get("group_policy") and "gpupdate" in g:
            bad.append("%s: gpupdate without group_policy" % h["name"])
    for a, g in zip(mc, [g for g in got if g["kind"] == "multicast"]):
        if g["planned"] != "Multicast Forwarding : " + a["state"] or \
           g["set"] != "netsh interface %s set global multicastforwarding=%s & netsh interface %s show global" % (a["family"], a["state"], a["family"]):
            bad.append("%s: multicast %r" % (h["name"], g))
    if v.get("kbfix_reboot") != ("reboot" in kinds):
        bad.append("%s: kbfix_reboot %r" % (h["name"], v.get("kbfix_reboot")))
    tmin = [a["tcpip_min"] for a in h["actions"] if a.get("tcpip_min")]
    if tmin and v.get("kbfix_tcpip_min") not in tmin:
        bad.append("%s: kbfix_tcpip_min %r" % (h["name"], v.get("kbfix_tcpip_min")))
    if v.get("kbfix_bundle") != os.path.realpath(bundle):
        bad.append("%s: kbfix_bundle %r" % (h["name"], v.get("kbfix_bundle")))
for h in ssh:
    r = raw.get(h["name"], {})
    for i in r.get("kbfix_install", []):
        if not isinstance(i["file"], dict):
            bad.append("%s: file name not tagged !unsafe" % h["name"])
    for g in r.get("kbfix_changes", []):
        for k in ("query", "set", "planned", "gpupdate", "group_policy"):
            if k in g and not isinstance(g[k], dict):
                bad.append("%s: %s not tagged !unsafe" % (h["name"], k))
    for k, c in r.get("kbfix_cmd", {}).items():
        if not isinstance(c, dict):
            bad.append("%s: kbfix_cmd.%s not tagged !unsafe" % (h["name"], k))
if not any(g["kind"] == "registry" for h in ssh for g in hv.get(h["name"], {}).get("kbfix_changes", [])):
    bad.append("the example plan has no registry workaround over SSH")
if not any("gpupdate" in g for h in ssh for g in hv.get(h["name"], {}).get("kbfix_changes", [])):
    bad.append("the example plan has no workaround checked after gpupdate")
if not any(hv.get(h["name"], {}).get("kbfix_install") for h in ssh):
    bad.append("the example plan has no package over SSH")
print("\n".join(bad) if bad else "ok")
PY
)
check_eq "inventory, host_vars and bundle files match the plan" "ok" "$report"

(cd "$X" && ansible-playbook --syntax-check site.yml) >"$T_TMP/syn" 2>&1
check_eq "ansible-playbook --syntax-check site.yml" 0 $?
(cd "$X" && ansible-playbook --list-tasks site.yml) >"$T_TMP/tasks" 2>&1
check_eq "ansible-playbook --list-tasks: exit 0" 0 $?
check_contains "a Group Policy preference that sets a workaround back blocks the host" \
    "$T_TMP/tasks" "workaround: not set back by Group Policy (else blocked)"
plays=$(sed -n 's/^ *play #[0-9]* (\(kbfix_wave_[0-9]*\)).*/\1/p' "$T_TMP/tasks" | tr '\n' ' ')
want=$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
w = sorted({h["wave"] for h in p["hosts"] if h["status"] == "needs-action"
            and h["actions"] and h.get("transport") != "manual"})
print(" ".join("kbfix_wave_%d" % i for i in w) + " ")' "$PLAN")
check_eq "one play per wave, in order" "$want" "$plays"
check_contains "tasks: dism installs" "$T_TMP/tasks" "install: dism /add-package"
check_contains "tasks: the checks" "$T_TMP/tasks" "verify: tcpip.sys version"
(cd "$X" && ansible-playbook --syntax-check rollback.yml) >"$T_TMP/syn" 2>&1
check_eq "ansible-playbook --syntax-check rollback.yml" 0 $?
# AWX: the awx.awx configuration playbook.  No controller here: each task
# tried must get as far as connecting to one (its arguments accepted).
(cd "$X" && ansible-playbook --syntax-check awx/configure.yml) >"$T_TMP/syn" 2>&1
check_eq "ansible-playbook --syntax-check awx/configure.yml" 0 $?
if ansible-galaxy collection list awx.awx >/dev/null 2>&1; then
	bad=""
	for t in "the project: this folder, from git" \
	    "job template: the check of every host" \
	    "workflow: an approval first"; do
		(cd "$X" && CONTROLLER_HOST=https://127.0.0.1:9 \
		    CONTROLLER_OAUTH_TOKEN=x timeout 120 ansible-playbook \
		    awx/configure.yml --start-at-task "$t" \
		    -e kbfix_awx_scm_url=https://git.invalid/x.git) \
		    >"$T_TMP/awx" 2>&1
		grep -q 'trying to connect to https://127.0.0.1:9' "$T_TMP/awx" ||
		    bad="$bad [$t]"
	done
	check_eq "awx/configure.yml: the modules take their arguments" "" "$bad"
	check_contains "awx: an approval node first" "$X/awx/configure.yml" \
	    "approval_node:"
fi
check_contains "first wave: canary first" "$X/site.yml" 'serial: [1, "100%"]'

# The bundle check, alone, on the controller: the intact bundle passes; a
# copy with one file changed (given with -e kbfix_bundle=) is refused.
(cd "$X" && timeout 300 ansible-playbook site.yml --tags check-bundle) \
    >"$T_TMP/cb" 2>&1
check_eq "check-bundle: intact bundle passes" 0 $?
check_contains "check-bundle: runs on the controller" "$T_TMP/cb" "ok: [localhost]"
check "check-bundle: no host contacted" sh -c "! grep -q UNREACHABLE '$T_TMP/cb'"
cp -r "$B" "$T_TMP/bad"
victim=$(ls "$T_TMP/bad/files" | head -1)
printf 'x' >>"$T_TMP/bad/files/$victim"
(cd "$X" && timeout 300 ansible-playbook site.yml --tags check-bundle \
    -e "kbfix_bundle=$T_TMP/bad") >"$T_TMP/cb" 2>&1
check "check-bundle: changed file refused" test $? -ne 0
check_contains "check-bundle: names the file" "$T_TMP/cb" \
    "$T_TMP/bad/files/$victim: missing, or not the file"

# A closed window: the run stops before any host is contacted.
kbfix plan -i "$TOP/examples/inventory.json" --format json \
    --window 2020-01-01T00:00:00Z/1h -o "$T_TMP/past.json" 2>/dev/null
kbfix export "$T_TMP/past.json" --format ansible -o "$T_TMP/past" \
    --bundle "$B" >/dev/null
check_eq "window plan exported" 0 $?
check_contains "window in group_vars" "$T_TMP/past/group_vars/all.yml" \
    'kbfix_window_end: "2020-01-01T01:00:00Z"'
(cd "$T_TMP/past" && timeout 120 ansible-playbook site.yml) >"$T_TMP/run" 2>&1
rc=$?
check "closed window: ansible-playbook fails" test "$rc" -ne 0
check_contains "closed window: says so" "$T_TMP/run" "outside the window"
check "closed window: no host contacted" sh -c "! grep -q 'UNREACHABLE\|ok: \[web' '$T_TMP/run'"

# what an injected command would create (its own path: scripts run at once)
PWNED=$T_TMP/pwned
cat >"$T_TMP/jinja.json" <<'EOF'
{"format": "kbfix-plan/1", "created": "2026-11-21T12:00:00Z",
 "advisories": [], "packages": [],
 "hosts": [{"name": "h1", "address": "127.0.9.1", "port": 9,
   "status": "needs-action", "findings": [], "wave": 1,
   "actions": [{"kind": "registry", "key": "HKLM\\SOFTWARE\\Test",
     "value": "V", "type": "REG_SZ",
     "data": "{{ lookup('pipe', 'touch @PWNED@') }}"},
    {"kind": "verify"}]}]}
EOF
sed -i "s|@PWNED@|$PWNED|" "$T_TMP/jinja.json"
# An open window: the check passes on the controller and the run goes on
# to the host (nothing listens there, so it is unreachable).
python3 - "$T_TMP/jinja.json" "$T_TMP/open.json" <<'PY'
import json, sys, time
p = json.load(open(sys.argv[1]))
p["window"] = {"start": time.strftime("%Y-%m-%dT%H:%M:%SZ",
               time.gmtime(time.time() - 3600)), "duration_s": 4 * 3600}
json.dump(p, open(sys.argv[2], "w"))
PY
kbfix export "$T_TMP/open.json" --format ansible -o "$T_TMP/open" >/dev/null
(cd "$T_TMP/open" && timeout 120 ansible-playbook site.yml) >"$T_TMP/run" 2>&1
check_contains "open window: the check passes" "$T_TMP/run" \
    "ok: [localhost]"
check_contains "open window: then the host is contacted" "$T_TMP/run" \
    "UNREACHABLE"

# "{{" in a value stays text (Ansible's !unsafe), and no template runs.
rm -f "$PWNED"
kbfix export "$T_TMP/jinja.json" --format ansible -o "$T_TMP/jinja" >/dev/null
check_eq "plan without packages: no --bundle needed" 0 $?
(cd "$T_TMP/jinja" && ansible localhost -m ansible.builtin.debug \
    -a "msg={{ hostvars['h1'].kbfix_changes[0].set }}") >"$T_TMP/dbg" 2>&1
check_contains "template text stays text" "$T_TMP/dbg" \
    "{{ lookup('pipe', 'touch $PWNED') }}"
check "no template ran" test ! -e "$PWNED"
check_contains "the port from the plan" "$T_TMP/jinja/inventory.yml" \
    "ansible_port: 9"

# Hostile plan values (issue 16 C1, C2).  A user with a template is
# refused (the plan reader's user pattern); an "os" with a newline and a
# connection setting, and a "created" with one, stay comment text.
python3 - "$T_TMP/jinja.json" "$T_TMP/hostile" "$PWNED" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
h = p["hosts"][0]
h["user"] = "{{ lookup(*dict(pipe=1,id=2)) }}"
json.dump(p, open(sys.argv[2] + "-user.json", "w"))
del h["user"]
h["os"] = "Windows 7\nansible_ssh_common_args: \"-o ProxyCommand=touch %s\"" % sys.argv[3]
p["created"] = "2026-11-21T12:00:00Z\nkbfix_bundle: /etc"
json.dump(p, open(sys.argv[2] + "-os.json", "w"))
PY
kbfix export "$T_TMP/hostile-user.json" --format ansible \
    -o "$T_TMP/hostile-user" >/dev/null 2>"$T_TMP/err"
check_eq "hostile user: exit 2" 2 $?
check_contains "hostile user: names the field" "$T_TMP/err" "hosts[0].user"
check "hostile user: nothing written" test ! -e "$T_TMP/hostile-user"
rm -f "$PWNED"
kbfix export "$T_TMP/hostile-os.json" --format ansible -o "$T_TMP/hostile" \
    >/dev/null 2>"$T_TMP/err"
check_eq "hostile os: exported" 0 $?
(cd "$T_TMP/hostile" && ansible-inventory --list) >"$T_TMP/hinv.json" 2>&1
check_eq "hostile os: inventory reads" 0 $?
check "hostile os: no injected connection setting" python3 -c '
import json, sys
inv = json.load(open(sys.argv[1]))
sys.exit(any("ansible_ssh_common_args" in v for v in inv["_meta"]["hostvars"].values()))' "$T_TMP/hinv.json"
check "hostile comments: one line each" sh -c \
    "! grep -rq '^ansible_ssh_common_args\|^kbfix_bundle: /etc' '$T_TMP/hostile'"
(cd "$T_TMP/hostile" && timeout 120 ansible-playbook site.yml --check) \
    >"$T_TMP/hrun" 2>&1
check "hostile os: nothing ran on the controller" \
    test ! -e "$PWNED"

# Bad input: exit 2 and nothing written.
check_status "no --bundle for a plan that installs: exit 2" 2 \
    "$KBFIX" export "$PLAN" --format ansible -o "$T_TMP/nb"
"$KBFIX" export "$PLAN" --format ansible -o "$T_TMP/nb" 2>"$T_TMP/err"
check_contains "no --bundle: names the host and the KB" "$T_TMP/err" \
    "installs KB"
check "no --bundle: nothing written" test ! -e "$T_TMP/nb"
check_status "--format other: exit 2" 2 \
    "$KBFIX" export "$PLAN" --format salt -o "$T_TMP/fmt"
mkdir "$T_TMP/busy"; echo keep >"$T_TMP/busy/x"
"$KBFIX" export "$PLAN" --format ansible -o "$T_TMP/busy" --bundle "$B" \
    2>"$T_TMP/err"
check_eq "existing folder: exit 2" 2 $?
check_contains "existing folder: says so" "$T_TMP/err" "not an empty folder"
check_eq "existing folder: untouched" "x" "$(ls "$T_TMP/busy")"
python3 - "$PLAN" "$T_TMP/other.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for h in p["hosts"]:
    for a in h["actions"]:
        if a["kind"] == "install":
            a["kb"] = "KB9999999"
            print(h["name"], file=open(sys.argv[2] + ".host", "w"))
            json.dump(p, open(sys.argv[2], "w"))
            sys.exit(0)
PY
"$KBFIX" export "$T_TMP/other.json" --format ansible -o "$T_TMP/other" \
    --bundle "$B" 2>"$T_TMP/err"
check_eq "KB not in the bundle: exit 2" 2 $?
check_contains "KB not in the bundle: names host and KB" "$T_TMP/err" \
    "host $(cat "$T_TMP/other.json.host"): KB9999999"
check "KB not in the bundle: nothing written" test ! -e "$T_TMP/other"
sed 's/"address": "127.0.9.1"/"address": "-oProxyCommand=x"/' \
    "$T_TMP/jinja.json" >"$T_TMP/opt.json"
"$KBFIX" export "$T_TMP/opt.json" --format ansible -o "$T_TMP/opt" \
    2>"$T_TMP/err"
check_eq "address that is an option: exit 2" 2 $?
check_contains "address that is an option: names the field" "$T_TMP/err" \
    "hosts[0].address: not a host name"
sed 's/"value": "V"/"value": "KBFIX_DATA"/' "$T_TMP/jinja.json" >"$T_TMP/ph.json"
"$KBFIX" export "$T_TMP/ph.json" --format ansible -o "$T_TMP/ph" \
    2>"$T_TMP/err"
check_eq "a value name with the rollback's placeholder: exit 2" 2 $?
check_contains "placeholder: names host and action" "$T_TMP/err" \
    "host h1: actions[0]: 'KBFIX_' is reserved"
check "placeholder: nothing written" test ! -e "$T_TMP/ph"

# An unwritable folder: exit 1, nothing left behind.
if command -v bwrap >/dev/null; then
	mkdir -p "$T_TMP/ro"
	bwrap --dev-bind / / --ro-bind "$T_TMP/ro" "$T_TMP/ro" \
	    "$KBFIX" export "$PLAN" --format ansible -o "$T_TMP/ro/p" \
	    --bundle "$B" >/dev/null 2>"$T_TMP/err"
	check_eq "unwritable folder: exit 1" 1 $?
	check_contains "unwritable folder: clear error" "$T_TMP/err" \
	    "Read-only file system"
	check_eq "unwritable folder: nothing written" "" "$(ls "$T_TMP/ro")"
fi
finish

#!/usr/bin/env bash
# The example plan end to end (issue 3 item 7): `kbfix plan` on
# examples/inventory.json, a local HTTPS Catalog whose entries build.py
# derives from that plan's packages, `kbfix fetch`, and the bundle checked
# against the plan and the Catalog: one update per (kb, product, arch) with
# that product's update id, every file once, hosts, sha1sum -c /
# sha256sum -c, Import-ToWsus.ps1 and Install-Offline.cmd.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/catalog-server/lib.sh"
PLAN=$T_TMP/plan.json
kbfix plan -i "$TOP/examples/inventory.json" --format json \
    --created 2026-11-21T00:00:00Z -o "$PLAN"
check_eq "example plan: written" 0 $?
catsrv_start --plan "$PLAN" || { not_ok "catalog server starts"; finish; }
B=$T_TMP/bundle
out=$(kbfix fetch "$PLAN" -o "$B" --cacert "$CATSRV_CA" \
    --catalog-url "$CATSRV_URL" --no-cache 2>"$T_TMP/err"); rc=$?
check_eq "fetch example plan: exit 0" 0 "$rc"
check_eq "fetch example plan: stderr empty" "" "$(cat "$T_TMP/err")"
npk=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$PLAN")
check "example plan: has packages" test "$npk" -ge 9
check_contains "fetch example plan: summary" "$out" "$npk update(s), "

# Every expectation below comes from the plan and from catalog.json (what
# build.py served), never from kbfix's own output.  One line per finding;
# "ok" when nothing is wrong.
bundle_report() {
	python3 - "$PLAN" "$CATSRV_DIR/catalog.json" "$B" "$CATSRV_LOG" <<'PY'
import json, os, re, sys
plan = json.load(open(sys.argv[1]))
cat = json.load(open(sys.argv[2]))
b = sys.argv[3]
log = open(sys.argv[4]).read().splitlines()
m = json.load(open(os.path.join(b, "manifest.json")))
bad = []
want = {(p["kb"], p["product"], p["arch"]): p for p in plan["packages"]}
by_id = {u["update_id"]: u for u in cat["updates"]}
seen = {}
for u in m["updates"]:
    k = (u["kb"], u["product"], u["arch"])
    if k in seen:
        bad.append("update listed twice: %s" % (k,))
    seen[k] = u
    if k not in want:
        bad.append("update not in the plan: %s" % (k,))
        continue
    wid = cat["plan_ids"]["|".join(k)]
    if u["update_id"] != wid:
        bad.append("%s: update id %s, the Catalog's entry is %s"
                   % (k, u["update_id"], wid))
    e = by_id.get(wid, {})
    if u["title"] != e.get("title"):
        bad.append("%s: title %r" % (k, u["title"]))
    if sorted(u["hosts"]) != sorted(want[k]["hosts"]):
        bad.append("%s: hosts %s, plan says %s" % (k, u["hosts"],
                                                    want[k]["hosts"]))
    names = [f["name"] for f in u["files"]]
    if names != e.get("files"):
        bad.append("%s: files %s, Catalog lists %s" % (k, names,
                                                       e.get("files")))
    for f in u["files"]:
        if f["path"] != "files/" + f["name"]:
            bad.append("%s: path %s" % (f["name"], f["path"]))
        if f["sha1"] not in f["name"]:
            bad.append("%s: sha1 %s" % (f["name"], f["sha1"]))
        if f["size"] != os.path.getsize(os.path.join(
                os.path.dirname(sys.argv[2]), "files", f["name"])):
            bad.append("%s: size %d" % (f["name"], f["size"]))
        pkg = re.sub(r"_[0-9a-f]{40}\.msu$", "", f["name"])
        if (f["package_cab"] or "").lower() != pkg + ".cab":
            bad.append("%s: package_cab %s" % (f["name"], f["package_cab"]))
for k in want:
    if k not in seen:
        bad.append("plan package missing from the bundle: %s" % (k,))
files = sorted({f["name"] for u in m["updates"] for f in u["files"]})
if sorted(os.listdir(os.path.join(b, "files"))) != files:
    bad.append("files/ holds %s" % sorted(os.listdir(os.path.join(b, "files"))))
for sums in ("SHA1SUMS", "SHA256SUMS"):
    listed = sorted(l.split("  ", 1)[1] for l in
                    open(os.path.join(b, sums)).read().splitlines())
    if listed != ["files/" + f for f in files]:
        bad.append("%s lists %s" % (sums, listed))
for f in files:
    n = sum(1 for l in log if l.startswith("GET /d/") and f in l
            and l.endswith(" 200"))
    if n != 1:
        bad.append("%s downloaded %d times" % (f, n))
ids = open(os.path.join(b, "UpdateIDs.txt")).read().split()
if sorted(ids) != sorted(cat["plan_ids"].values()):
    bad.append("UpdateIDs.txt: %s" % ids)
ps = open(os.path.join(b, "Import-ToWsus.ps1"), newline="").read()
imports = re.findall(r"^Import-One '([0-9a-f-]+)' '(.*)' @\((.*)\)\r$", ps,
                     re.M)
if sorted(i[0] for i in imports) != sorted(cat["plan_ids"].values()):
    bad.append("Import-ToWsus.ps1 imports %s" % [i[0] for i in imports])
for uid, title, fl in imports:
    e = by_id.get(uid, {})
    if title != e.get("title", "").replace("'", "''") or \
            fl != ", ".join("'files\\%s'" % n for n in e.get("files", [])):
        bad.append("Import-ToWsus.ps1: %s %s %s" % (uid, title, fl))
cmd = open(os.path.join(b, "Install-Offline.cmd"), newline="").read()
inst = re.findall(r'^call :install (KB\d+) "([^"]+)" "([^"]+)" (\w+)\r$',
                  cmd, re.M)
# NT 6.0 (Windows6.0) packages go through wusa: no dism there
wusa = re.findall(r'^call :wusa (KB\d+) "([^"]+)" (\w+)\r$', cmd, re.M)
if sorted([i[1] for i in inst] + [w[1] for w in wusa]) != files:
    bad.append("Install-Offline.cmd installs %s" % [i[1] for i in inst])
for kb, name, arch in wusa:
    if not name.startswith("windows6.0-") or kb.lower() not in name:
        bad.append("Install-Offline.cmd: wusa for %s" % name)
if any(i[1].startswith("windows6.0-") for i in inst):
    bad.append("Install-Offline.cmd: dism for an NT 6.0 package")
for kb, name, cab, arch in inst:
    if kb.lower() not in name or "-%s_" % arch not in name or \
            cab.lower() != re.sub(r"_[0-9a-f]{40}\.msu$", "", name) + ".cab":
        bad.append("Install-Offline.cmd: %s %s %s %s" % (kb, name, cab, arch))
print("\n".join(bad) if bad else "ok")
PY
}
check_eq "bundle matches the plan and the Catalog" "ok" "$(bundle_report)"
check_eq "manifest: one update per plan package" "$npk" \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["updates"]))' "$B/manifest.json")"
check "bundle: sha1sum -c passes" sh -c "cd '$B' && sha1sum -c --quiet SHA1SUMS"
check "bundle: sha256sum -c passes" sh -c "cd '$B' && sha256sum -c --quiet SHA256SUMS"
check_contains "Import-ToWsus.ps1: the Server 2008 x64 entry by its own id" \
    "$B/Import-ToWsus.ps1" "Import-One '5eed0026-4b1d-4c2a-9e10-000000000026' 'Update for Windows Server 2008 x64 Edition (KB943650)'"
check_contains "Install-Offline.cmd: KB4338821 for 2008 R2" \
    "$B/Install-Offline.cmd" "call :install KB4338821 \"windows6.1-kb4338821-x64_"
check_contains "Install-Offline.cmd: wusa for the Server 2008 package" \
    "$B/Install-Offline.cmd" "call :wusa KB943650 \"windows6.0-kb943650-x64_"
out=$(kbfix verify "$B"); rc=$?
check_eq "verify: example bundle clean" "0" "$rc"
check_contains "verify: counts every file" "$out" \
    "$(ls "$B/files" | wc -l) file(s) checked, 0 bad"

# the check above can fail: a bundle whose manifest lost a host is caught
cp -r "$B" "$T_TMP/tampered"
B=$T_TMP/tampered
python3 - "$B/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["updates"][0]["hosts"] = m["updates"][0]["hosts"][1:] + ["intruder"]
json.dump(m, open(sys.argv[1], "w"))
PY
check_contains "bundle report: catches a wrong hosts list" \
    "$(bundle_report)" "hosts"
finish

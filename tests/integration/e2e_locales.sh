#!/usr/bin/env bash
# valgrind: skip
# The operator's loop on a fleet that looks like a real one (issue 10 item
# 8): en-US, de-DE and fr-FR hosts (winsim.locale: translated systeminfo,
# netsh and captions; reg query, wmic property names and dism /English are
# not), Windows 10 1607 / 1803 and Server 2016 receiving cumulative updates
# and Windows 7 / 2012 R2 on the monthly rollup channel receiving the
# preview rollups (all Package_for_RollupFix, no KB in the identity), and a
# hotfix with sub-packages.  discover -> plan -> fetch -> apply -> discover
# + plan: all compliant -> rollback: every host as before.
. "$(dirname "$0")/../lib.sh"
export FLEET_BASE=127.0.10.2

if [ "$(id -u)" != 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v bwrap >/dev/null; then
	ok "locale end-to-end test skipped (needs root, sshd, bwrap)"
	finish
fi
. "$TOP/tests/apply/common.sh"
. "$TOP/tests/catalog-server/lib.sh"
trap 'catsrv_stop; apply_cleanup' EXIT
export KBFIX_NOW=2026-11-21T12:00:00Z
SSH=(--known-hosts "$FLEET/known_hosts" -k "$FLEET/id_ed25519")

cat >"$T_TMP/inv.json" <<'EOF2'
{"defaults": {"wfp_callout_drivers": 0, "registry": {}},
 "hosts": [
  {"name": "w10en", "os": "Windows 10 Pro", "version": "10.0.14393.2363",
   "arch": "x64", "installed": ["KB4338814"]},
  {"name": "w10de", "os": "Windows 10 Enterprise", "version": "10.0.17134.165",
   "arch": "x64", "installed": ["KB4338819"], "winsim": {"locale": "de-DE"}},
  {"name": "s16fr", "os": "Windows Server 2016 Standard",
   "version": "10.0.14393.2363", "arch": "x64", "installed": ["KB4338814"],
   "winsim": {"locale": "fr-FR"}},
  {"name": "w7fr", "os": "Windows 7 Enterprise", "version": "6.1.7601",
   "arch": "x64", "installed": ["KB4338818"], "winsim": {"locale": "fr-FR"}},
  {"name": "r2de", "os": "Windows Server 2012 R2 Standard", "version": "6.3.9600",
   "arch": "x64", "installed": ["KB4338815"], "winsim": {"locale": "de-DE"}},
  {"name": "hotfix", "os": "Windows 7 Professional", "version": "6.1.7600",
   "arch": "x86", "installed": [], "files": {"tcpip.sys": "6.1.7600.16385"},
   "wfp_callout_drivers": 1,
   "experiencing": ["wfp-classify-handle"]}
 ]}
EOF2
fleet_up_inv "$T_TMP/inv.json"
check_eq "fleet of 6 up" 0 $? || finish

# 1. discover from names and addresses only
python3 - "$FLEET/inventory.json" "$T_TMP/bare.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
keep = ("name", "address", "port", "user", "winsim", "wfp_callout_drivers",
        "experiencing")
doc["hosts"] = [{k: h[k] for k in keep if k in h} for h in doc["hosts"]]
doc.pop("defaults", None)
json.dump(doc, open(sys.argv[2], "w"), indent=1)
PY
kbfix discover -i "$T_TMP/bare.json" -o "$T_TMP/disc.json" "${SSH[@]}" \
    2>"$T_TMP/disc.err"
check_eq "discover (exit 0)" 0 $? || cat "$T_TMP/disc.err"
facts() {
	python3 -c '
import json, sys
for h in sorted(json.load(open(sys.argv[1]))["hosts"], key=lambda h: h["name"]):
    print(h["name"], h.get("os"), h.get("version"), h.get("ui_language"),
          h.get("rollup"), ",".join(sorted(h.get("installed", []))))' "$1"
}
check_eq "discovered: ProductName, build with UBR, UI language, rollup level, KBs" \
"hotfix Windows 7 Professional 6.1.7600 en-US None 
r2de Windows Server 2012 R2 Standard 6.3.9600 de-DE 9600.19064.1.4 KB4338815
s16fr Windows Server 2016 Standard 10.0.14393.2363 fr-FR 14393.2363.1.5 KB4338814
w10de Windows 10 Enterprise 10.0.17134.165 de-DE 17134.165.1.5 KB4338819
w10en Windows 10 Pro 10.0.14393.2363 en-US 14393.2363.1.5 KB4338814
w7fr Windows 7 Enterprise 6.1.7601 fr-FR 7601.24168.1.5 KB4338818" \
    "$(facts "$T_TMP/disc.json")"

# 2. plan
kbfix plan -i "$T_TMP/disc.json" --format json -o "$T_TMP/plan.json"
check_eq "plan (exit 0)" 0 $?
installs() {
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
for h in sorted(p["hosts"], key=lambda h: h["name"]):
    print(h["name"], h["status"], ",".join(a["kb"] for a in h["actions"]
                                          if a["kind"] == "install"))' "$1"
}
check_eq "plan: the cumulative updates, preview rollups and the hotfix" \
"hotfix needs-action KB976527
r2de needs-action KB4338831
s16fr needs-action KB4345418
w10de needs-action KB4345421
w10en needs-action KB4345418
w7fr needs-action KB4338821" "$(installs "$T_TMP/plan.json")"

# 3. fetch from the local Catalog: real-shaped packages (update.mum)
fetch_for_plan "$T_TMP/plan.json" "$T_TMP/bundle"
check_eq "fetch (exit 0)" 0 $? || sed 's/^/# /' "$T_TMP/fetch.out"
check_eq "manifest: each package's identity from its update.mum" \
"KB4338821 Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24190.1.4
KB4338831 Package_for_RollupFix~31bf3856ad364e35~amd64~~9600.19067.1.5
KB4345418 Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.2368.1.4
KB4345421 Package_for_RollupFix~31bf3856ad364e35~amd64~~17134.167.1.8
KB976527 Package_for_KB976527~31bf3856ad364e35~x86~~6.1.1.1" \
    "$(python3 -c '
import json, sys
for u in sorted(json.load(open(sys.argv[1]))["updates"], key=lambda u: u["kb"]):
    for f in u["files"]:
        print(u["kb"], f["package_identity"])' "$T_TMP/bundle/manifest.json" | sort -u)"
check_contains "kbfix verify re-reads the identities" \
    "$(kbfix verify "$T_TMP/bundle")" "0 bad"

# 4. apply
snap_all before
RUN=$T_TMP/run
out=$(kb_apply "$T_TMP/plan.json" "$RUN" --parallel 6 2>&1)
check_eq "apply (exit 0)" 0 $? || printf '%s\n' "$out" | sed 's/^/# /'
check_contains "apply: 6 done" "$out" "6 done, 0 failed"
pk() { cut -f1,2 "$FLEET/hosts/$1/packages" | sort; }
check_contains "w7fr: the preview rollup installed as RollupFix" "$(pk w7fr)" \
    "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24190.1.4	Installed"
check_contains "hotfix: top-level package installed" "$(pk hotfix)" \
    "Package_for_KB976527~31bf3856ad364e35~x86~~6.1.1.1	Installed"
check_contains "hotfix: with its sub-packages" "$(pk hotfix)" \
    "Package_for_KB976527_SP1~31bf3856ad364e35~x86~~6.1.1.1	Installed"
check_contains "journal: the identity apply installed (RollupFix)" \
    "$RUN/journal.jsonl" '"identity":"Package_for_RollupFix~31bf3856ad364e35~amd64~~14393.2368.1.4"'

# 5. discover and plan again: nothing left to do
kbfix discover -i "$T_TMP/bare.json" -o "$T_TMP/after.json" "${SSH[@]}" \
    2>"$T_TMP/disc2.err"
check_eq "discover after apply (exit 0)" 0 $? || cat "$T_TMP/disc2.err"
kbfix plan -i "$T_TMP/after.json" --format json -o "$T_TMP/plan-after.json"
check_eq "plan after apply (exit 0)" 0 $?
check_eq "every host compliant" \
    "hotfix compliant,r2de compliant,s16fr compliant,w10de compliant,w10en compliant,w7fr compliant" \
    "$(installs "$T_TMP/plan-after.json" | awk '{print $1 " " $2}' | paste -sd,)"
check_contains "w10en: its build revision is the cumulative update's" \
    "$(facts "$T_TMP/after.json")" "w10en Windows 10 Pro 10.0.14393.2368 en-US 14393.2368.1.4"

# 6. rollback: every host as before
out=$(kbfix rollback "$RUN" 2>&1)
check_eq "rollback (exit 0)" 0 $? || printf '%s\n' "$out" | sed 's/^/# /'
check_as_before before w10en w10de s16fr w7fr r2de hotfix
finish

#!/usr/bin/env python3
"""Test helper for the apply tests (tests/integration/apply_*.sh).

  mkrun.py inventory N OUT.json [--profiles=P,P] [--faults=NAME:FAULT=TEXT]
           [--down-ms=NAME:MS] [--gpp=NAME]
      an inventory of N hosts cycling through the profiles below (or the
      named ones), for `tests/fleet/fleet up`; hosts are named
      <profile>-<index>; --gpp: a Group Policy Preferences item writes
      CEIPEnable=1 back at each gpupdate (winsim.gpp)
  mkrun.py plan FLEET_INVENTORY OUT.json [--groups K] [--estimate S]
           [--only NAME,NAME] [--manual NAME,NAME] [--waves]
           [--budget N] [--gpp-check]
      a kbfix-plan/1 plan for the hosts of the fleet's inventory.json
      (which carries their addresses); --budget gives each reboot group
      max_unavailable N (the plan's "groups"); --gpp-check: the CEIP
      action carries the advisory's group_policy, as `kbfix plan` writes it
  mkrun.py bundle PLAN.json DIR MKMSU [--identity]
      DIR/manifest.json (kbfix-bundle/1) and DIR/files/*.msu built with
      the simulator's mkmsu; --identity writes each file's
      package_identity (its update.mum's, as kbfix fetch does)
  mkrun.py snapshot STATE_DIR
      the parts of a simulated host's state kbfix may change, normalised
      (packages, registry values, multicast, tcpip.sys) for comparisons
"""
import hashlib
import json
import os
import subprocess
import sys

CEIP_KEY = "HKLM\\Software\\Microsoft\\SQMClient\\Windows"

# name: inventory fields, plan os, install (kb, tcpip_min, msu prefix) or
# None, registry CEIP action, multicast action
PROFILES = [
    ("w7so", {"os": "windows-7", "version": "6.1.7601", "arch": "x64",
              "installed": ["KB4338823"],
              "registry": {CEIP_KEY + "\\CEIPEnable": 1}},
     "Windows 7", ("KB4345459", "6.1.7601.24168", "Windows6.1"), True, False),
    ("r2mr", {"os": "windows-server-2008-r2", "version": "6.1.7601",
              "arch": "x64", "installed": ["KB4338818"]},
     "Windows Server 2008 R2", ("KB4338821", "6.1.7601.24168", "Windows6.1"),
     False, False),
    ("w7x86", {"os": "windows-7", "version": "6.1.7601", "arch": "x86",
               "installed": ["KB4338823"]},
     "Windows 7", ("KB4345459", "6.1.7601.24168", "Windows6.1"), True, False),
    ("s12r2", {"os": "windows-server-2012-r2", "version": "6.3.9600",
               "arch": "x64", "installed": ["KB4338824"]},
     "Windows Server 2012 R2", ("KB4345424", "6.3.9600.19067", "Windows8.1"),
     False, False),
    ("w10", {"os": "windows-10", "version": "10.0.17134", "arch": "x64",
             "installed": ["KB4338819"]},
     "Windows 10", ("KB4345421", "10.0.17134.167", "Windows10.0"),
     False, False),
    ("s08", {"os": "windows-server-2008", "version": "6.0.6001",
             "arch": "x64", "multicast_forwarding": True},
     "Windows Server 2008", None, False, True),
    ("mix", {"os": "windows-7", "version": "6.1.7601", "arch": "x64",
             "installed": ["KB4338823"], "multicast_forwarding": True,
             "registry": {CEIP_KEY + "\\CEIPEnable": 1}},
     "Windows 7", ("KB4345459", "6.1.7601.24168", "Windows6.1"), True, True),
]


def profile_of(name):
    for p in PROFILES:
        if name.startswith(p[0] + "-"):
            return p
    raise SystemExit(f"mkrun: {name}: no profile")


def cmd_inventory(args):
    n, out = int(args[0]), args[1]
    faults = {}
    for a in args[2:]:
        if a.startswith("--faults="):
            host, _, rest = a[len("--faults="):].partition(":")
            fname, _, content = rest.partition("=")
            faults.setdefault(host, {})[fname] = content
    names = None
    down = {}
    gpp = set()
    for a in args[2:]:
        if a.startswith("--gpp="):
            gpp.add(a[len("--gpp="):])
        elif a.startswith("--profiles="):
            names = a[len("--profiles="):].split(",")
        elif a.startswith("--down-ms="):
            host, _, ms = a[len("--down-ms="):].partition(":")
            down[host] = int(ms)
    hosts = []
    for i in range(n):
        p = PROFILES[i % (len(PROFILES) - 1)]
        if names:
            p = next(q for q in PROFILES if q[0] == names[i % len(names)])
        h = {"name": f"{p[0]}-{i:03d}"}
        h.update(json.loads(json.dumps(p[1])))
        if h["name"] in faults:
            h["winsim"] = {"faults": faults[h["name"]]}
        if h["name"] in down:
            h.setdefault("winsim", {})["reboot_down_ms"] = down[h["name"]]
        if h["name"] in gpp:
            h.setdefault("winsim", {})["gpp"] = {
                CEIP_KEY + "\\CEIPEnable": 1}
        hosts.append(h)
    with open(out, "w") as f:
        json.dump({"hosts": hosts}, f, indent=1)


def ceip_group_policy():
    """The CEIP advisory's group_policy, from its file (kbfix plan copies
    it into the action)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "..", "plan", "advisories", "ws2-unload-ceip.json")
    with open(path) as f:
        return json.load(f)["workaround"]["group_policy"]


def host_plan(h, groups, idx, estimate, manual, waves, gpp_check=False):
    p = profile_of(h["name"])
    actions = []
    if p[4]:
        actions.append({"kind": "registry", "key": CEIP_KEY,
                        "value": "CEIPEnable", "type": "REG_DWORD",
                        "data": 0})
        if gpp_check:
            actions[-1].update(advisory="ws2-unload-ceip",
                               group_policy=ceip_group_policy())
    if p[5]:
        actions.append({"kind": "multicast-forwarding", "family": "ipv4",
                        "state": "disabled"})
    if p[3]:
        kb, tcpip, _ = p[3]
        actions.append({"kind": "install", "kb": kb,
                        "advisory": "tcpip-2018-07", "tcpip_min": tcpip})
        actions.append({"kind": "reboot"})
    actions.append({"kind": "verify"})
    ph = {"name": h["name"], "address": h["address"], "port": h["port"],
          "user": h["user"], "transport": "manual" if h["name"] in manual
          else "ssh", "os": p[2], "version": p[1]["version"],
          "arch": p[1]["arch"], "estimate_s": estimate,
          "status": "needs-action",
          "findings": [{"advisory": "tcpip-2018-07", "state": "affected",
                        "reason": "test"}],
          "actions": actions}
    if groups:
        ph["group"] = f"g{idx % groups}"
    if waves:
        ph["wave"] = 1 + idx % waves
    return ph


def cmd_plan(args):
    inv, out = args[0], args[1]
    groups, estimate, only, manual, waves = 0, 60, None, set(), 0
    budget = 0
    gpp_check = "--gpp-check" in args
    args = [a for a in args if a != "--gpp-check"]
    i = 2
    while i < len(args):
        if args[i] == "--groups":
            groups = int(args[i + 1])
        elif args[i] == "--estimate":
            estimate = int(args[i + 1])
        elif args[i] == "--only":
            only = set(args[i + 1].split(","))
        elif args[i] == "--manual":
            manual = set(args[i + 1].split(","))
        elif args[i] == "--waves":
            waves = int(args[i + 1])
        elif args[i] == "--budget":
            budget = int(args[i + 1])
        i += 2
    with open(inv) as f:
        doc = json.load(f)
    hosts = [h for h in doc["hosts"] if only is None or h["name"] in only]
    plan_hosts = [host_plan(h, groups, i, estimate, manual, waves,
                            gpp_check) for i, h in enumerate(hosts)]
    pkgs = {}
    for ph, h in zip(plan_hosts, hosts):
        p = profile_of(h["name"])
        if p[3]:
            key = (p[3][0], h["arch"])
            pkgs.setdefault(key, {"kb": p[3][0], "product": p[2],
                                  "arch": h["arch"], "hosts": []})
            pkgs[key]["hosts"].append(h["name"])
    plan = {"format": "kbfix-plan/1", "created": "2026-11-21T12:00:00Z",
            "advisories": [{"id": "tcpip-2018-07", "title": "test"}],
            "summary": {"hosts": len(plan_hosts),
                        "needs-action": len(plan_hosts), "compliant": 0,
                        "not-applicable": 0, "blocked": 0, "unknown": 0},
            "packages": list(pkgs.values()), "hosts": plan_hosts}
    if budget:
        members = {}
        for ph in plan_hosts:
            if "group" in ph:
                members[ph["group"]] = members.get(ph["group"], 0) + 1
        plan["groups"] = {g: {"max_unavailable": budget, "members": n}
                          for g, n in members.items()}
    with open(out, "w") as f:
        json.dump(plan, f, indent=1)


# Packages beyond the profiles' (the end-to-end test plans them with
# `kbfix plan`): KB -> (tcpip.sys version it brings, .msu prefix).
# Versions from the KB articles' file tables (FACTS.md section 1).
EXTRA_PACKAGES = {
    "KB4345418": ("10.0.14393.2368", "Windows10.0"),
    "KB4345425": ("6.2.9200.22503", "Windows8-RT"),
    "KB4345424": ("6.3.9600.19067", "Windows8.1"),
    "KB4338821": ("6.1.7601.24168", "Windows6.1"),
    "KB4345459": ("6.1.7601.24168", "Windows6.1"),
    "KB976527": ("6.1.7600.16512", "Windows6.1"),
    "KB4345397": ("6.0.6002.24439", "Windows6.0"),
}


def package_of(plan, pkg):
    """(kb, tcpip, prefix) for a plan package: the plan's tcpip_min when
    an install action of one of its hosts gives one (apply verifies it),
    else the profiles' or EXTRA_PACKAGES' version."""
    kb = pkg["kb"]
    prof = next((p for p in PROFILES if p[3] and p[3][0] == kb), None)
    tcpip, prefix = (prof[3][1], prof[3][2]) if prof else EXTRA_PACKAGES[kb]
    for h in plan["hosts"]:
        if h["name"] not in pkg["hosts"]:
            continue
        for a in h.get("actions", []):
            if a.get("kind") == "install" and a.get("kb") == kb \
                    and a.get("tcpip_min"):
                tcpip = a["tcpip_min"]
    return kb, tcpip, prefix


def cmd_bundle(args):
    identity = "--identity" in args
    plan_path, d, mkmsu = [a for a in args if a != "--identity"]
    with open(plan_path) as f:
        plan = json.load(f)
    os.makedirs(os.path.join(d, "files"), exist_ok=True)
    updates = []
    for pkg in plan["packages"]:
        kb, tcpip, prefix = package_of(plan, pkg)
        arch = pkg["arch"]
        tmp = os.path.join(d, "files", "tmp.msu")
        subprocess.run([mkmsu, "-p", prefix, kb, arch, tcpip, tmp],
                       check=True)
        data = open(tmp, "rb").read()
        sha1 = hashlib.sha1(data).hexdigest()
        name = f"{prefix.lower()}-{kb.lower()}-{arch}_{sha1}.msu"
        os.rename(tmp, os.path.join(d, "files", name))
        updates.append({
            "update_id": "00000000-0000-0000-0000-%012d" % len(updates),
            "kb": kb, "title": f"Update for {pkg['product']} ({kb})",
            "product": pkg["product"], "arch": arch,
            "classification": "Updates", "hosts": pkg["hosts"],
            "files": [{"name": name, "path": "files/" + name,
                       "url": "http://example.invalid/" + name,
                       "size": len(data), "sha1": sha1,
                       "sha256": hashlib.sha256(data).hexdigest(),
                       "package_cab": f"{prefix}-{kb}-{arch}.cab"}]})
        if identity:
            # mkmsu's update.mum: Package_for_KB, default version 6.1.1.1
            parch = "amd64" if arch == "x64" else "x86"
            updates[-1]["files"][0]["package_identity"] = \
                f"Package_for_{kb}~31bf3856ad364e35~{parch}~~6.1.1.1"
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"format": "kbfix-bundle/1", "updates": updates}, f,
                  indent=1)


def cmd_snapshot(args):
    sdir = args[0]
    out = []
    for line in open(os.path.join(sdir, "packages")):
        # identity, state, tcpip.sys it brings; the 4th field (the version
        # it replaced) is the simulator's own bookkeeping
        out.append("pkg " + "\t".join(line.strip().split("\t")[:3]))
    for line in open(os.path.join(sdir, "registry")):
        f = line.rstrip("\n").split("\t")
        # boot-time bookkeeping is not kbfix's change
        if f[0] == "V" and "SQMClient" in f[1]:
            out.append("reg " + "\t".join(f[1:]))
    for line in open(os.path.join(sdir, "profile")):
        if line.startswith("mcast_"):
            out.append(line.strip())
    for line in open(os.path.join(sdir, "versions")):
        if "tcpip.sys" in line:
            out.append("ver " + line.strip())
    tmp = os.path.join(sdir, "C", "Windows", "Temp", "kbfix")
    out.append("uploads " + ("present" if os.path.exists(tmp) else "none"))
    print("\n".join(sorted(out)))


if __name__ == "__main__":
    cmds = {"inventory": cmd_inventory, "plan": cmd_plan,
            "bundle": cmd_bundle, "snapshot": cmd_snapshot}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])

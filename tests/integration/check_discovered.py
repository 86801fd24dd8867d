#!/usr/bin/env python3
"""Compare a discovered inventory with the simulators' state:
check_discovered.py OUT.json FLEETDIR NAME...  Prints one line per
mismatch and exits 1 on any."""
import datetime
import json
import os
import re
import sys

SQM = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows"
POL = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows"
RAC = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Reliability Analysis\\RAC"
CBS = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
       "Component Based Servicing\\RebootPending")
WU = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
      "WindowsUpdate\\Auto Update\\RebootRequired")
CURVER = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
FACTS = [(SQM, "CEIPEnable", "HKLM\\Software\\Microsoft\\SQMClient\\Windows\\CEIPEnable"),
         (SQM, "CEIPSampledIn", "HKLM\\Software\\Microsoft\\SQMClient\\Windows\\CEIPSampledIn"),
         (POL, "CEIPEnable", "HKLM\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows\\CEIPEnable"),
         (RAC, "RacSampleNumber", "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC\\RacSampleNumber")]


def regpath(p):
    """A registry path as the planner compares them: HKLM spelled either
    way, any case (discover keeps the inventory's spelling of a value it
    did not change)."""
    p = p.lower()
    if p.startswith("hkey_local_machine\\"):
        p = "hklm\\" + p[len("hkey_local_machine\\"):]
    return p


def qfe_kbs(pk):
    """What wmic qfe lists: the KB of each installed top-level package
    (a RollupFix's KB is in the simulator's 5th column)."""
    out = []
    for p in pk:
        base = p[0].split("~")[0]
        if p[1] != "Installed":
            continue
        if re.fullmatch(r"Package_for_KB\d+", base):
            out.append(base[len("Package_for_"):])
        elif len(p) > 4 and p[4].startswith("KB"):
            out.append(p[4])
    return out


def state(d):
    prof = dict(l.rstrip("\n").split("=", 1) for l in open(f"{d}/profile"))
    pk = [l.rstrip("\n").split("\t") for l in open(f"{d}/packages") if l.strip()]
    ver = dict(l.rstrip("\n").split("\t") for l in open(f"{d}/versions"))
    reg = [l.rstrip("\n").split("\t") for l in open(f"{d}/registry")]
    return prof, pk, ver, reg


def main():
    out, fdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    doc = json.load(open(out))
    by = {h["name"]: h for h in doc["hosts"]}
    bad = 0

    def eq(name, field, want, got):
        nonlocal bad
        if want != got:
            print(f"{name}: {field}: simulator has {want!r}, discover wrote {got!r}")
            bad += 1

    for name in names:
        h = by[name]
        prof, pk, ver, reg = state(f"{fdir}/hosts/{name}")
        # the OS from the registry (ProductName, never the caption)
        product = [r[4] for r in reg if r[0] == "V" and
                   r[1].lower() == CURVER.lower() and r[2] == "ProductName"]
        eq(name, "os", product[0], h.get("os"))
        eq(name, "version", prof["version"] + ("." + prof["revision"]
                                               if "revision" in prof else ""),
           h.get("version"))
        eq(name, "arch", prof["arch"], h.get("arch"))
        eq(name, "ui_language", prof.get("locale", "en-US"),
           h.get("ui_language"))
        # top-level Package_for_KB packages; sub-packages and RollupFix
        # (whose KB comes from wmic qfe) say nothing by their name
        top = [(p[0].split("~")[0][len("Package_for_"):], p)
               for p in pk if re.fullmatch(r"Package_for_KB\d+",
                                           p[0].split("~")[0])]
        kbs = sorted(set(k for k, p in top if p[1] == "Installed") |
                     set(qfe_kbs(pk)))
        sup = sorted(k for k, p in top if p[1] == "Superseded")
        kbs = [k for k in kbs if k not in sup]
        eq(name, "installed", kbs, sorted(h.get("installed", [])))
        eq(name, "superseded", sup, sorted(h.get("superseded", [])))
        rollups = [p[0].split("~")[4] for p in pk
                   if p[0].startswith("Package_for_RollupFix~") and
                   p[1] == "Installed"]
        eq(name, "rollup", max(rollups, key=lambda v: [int(x) for x in
                                                       v.split(".")])
           if rollups else None, h.get("rollup"))
        pend = sorted(k for k, p in top if "Pending" in p[1])
        eq(name, "pending_updates", pend, sorted(h.get("pending_updates", [])))
        eq(name, "files.tcpip.sys",
           ver["C:\\Windows\\System32\\drivers\\tcpip.sys"],
           h.get("files", {}).get("tcpip.sys"))
        for key, val, path in FACTS:
            v = [r for r in reg if r[0] == "V" and r[1].lower() == key.lower()
                 and r[2].lower() == val.lower()]
            want = int(v[0][4], 16) if v else None
            got = {regpath(k): x for k, x in h.get("registry", {}).items()}
            eq(name, path, want, got.get(regpath(path)))
            eq(name, path + " absent", not v,
               regpath(path) in map(regpath, h.get("registry_absent", [])))
        cbs = any(r[1].lower().startswith((CBS.lower(), WU.lower()))
                  for r in reg if len(r) > 1)
        eq(name, "pending_reboot", cbs or bool(pend), h.get("pending_reboot"))
        eq(name, "multicast_forwarding", prof["mcast_ipv4"] == "enabled",
           h.get("multicast_forwarding"))
        boot = datetime.datetime.fromtimestamp(
            int(prof["boot_ms"]) // 1000, datetime.timezone.utc)
        eq(name, "last_boot", boot.strftime("%Y-%m-%dT%H:%M:%SZ"),
           h.get("last_boot"))
    sys.exit(1 if bad else 0)


main()

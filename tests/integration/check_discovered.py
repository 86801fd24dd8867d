#!/usr/bin/env python3
"""Compare a discovered inventory with the simulators' state:
check_discovered.py OUT.json FLEETDIR NAME...  Prints one line per
mismatch and exits 1 on any."""
import datetime
import json
import os
import sys

SQM = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows"
POL = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows"
RAC = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Reliability Analysis\\RAC"
CBS = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
       "Component Based Servicing\\RebootPending")
WU = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
      "WindowsUpdate\\Auto Update\\RebootRequired")
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
        eq(name, "os", prof["caption"], h.get("os"))
        eq(name, "version", prof["version"], h.get("version"))
        eq(name, "arch", prof["arch"], h.get("arch"))
        kbs = sorted(p[0].split("~")[0].replace("Package_for_", "")
                     for p in pk if p[1] in ("Installed", "Superseded"))
        eq(name, "installed", kbs, sorted(h.get("installed", [])))
        pend = sorted(p[0].split("~")[0].replace("Package_for_", "")
                      for p in pk if "Pending" in p[1])
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

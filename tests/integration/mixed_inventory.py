#!/usr/bin/env python3
"""Write a fleet inventory of N simulated hosts with mixed OS profiles and
facts (for tests/fleet/fleet): python3 mixed_inventory.py N > inv.json"""
import json
import sys

PROFILES = [
    ("windows-7", "6.1.7601", "x64", ["KB976902", "KB4338823"], "6.1.7601.24168"),
    ("Windows Server 2008 R2 Enterprise", "6.1.7601", "x64", ["KB4338818"], "6.1.7601.24168"),
    ("Microsoft Windows 7 Professional", "6.1.7600", "x86", [], "6.1.7600.16385"),
    ("windows-server-2008", "6.0.6001", "x64", [], "6.0.6001.18000"),
    ("Windows Server 2008 Enterprise", "6.0.6002", "x86", ["KB4295656"], "6.0.6002.24439"),
    ("windows-8.1", "6.3.9600", "x64", ["KB4338824"], "6.3.9600.19067"),
    ("windows-server-2012", "6.2.9200", "x64", ["KB4338830", "KB4338816"], "6.2.9200.22490"),
    ("windows-10", "10.0.17134", "x64", ["KB4338819"], "10.0.17134.165"),
    ("windows-server-2016", "10.0.14393", "x64", ["KB4338814", "KB4345418"], "10.0.14393.2363"),
    ("windows-10", "10.0.16299", "x86", [], None),
]
SQM = "HKLM\\Software\\Microsoft\\SQMClient\\Windows\\"
POL = "HKLM\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows\\"
RAC = "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC\\"
CBS = ("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
       "Component Based Servicing\\RebootPending\\")

n = int(sys.argv[1])
hosts = []
for i in range(n):
    os_, ver, arch, kbs, tcp = PROFILES[i % len(PROFILES)]
    h = {"name": f"h{i + 1:03d}", "os": os_, "version": ver, "arch": arch,
         "installed": kbs, "group": f"g{i % 4}", "roles": ["sim"],
         "custom_field": {"kept": i}}
    if tcp:
        h["files"] = {"tcpip.sys": tcp}
    reg = {}
    if i % 3 != 2:
        reg[SQM + "CEIPEnable"] = i % 3
    if i % 5 == 1:
        reg[SQM + "CEIPSampledIn"] = 1
    if i % 4 == 3:
        reg[POL + "CEIPEnable"] = 0
    if i % 2 == 0:
        reg[RAC + "RacSampleNumber"] = 1000 + i * 77
    if i % 7 == 5:
        reg[CBS + "Marker"] = 1
    if reg:
        h["registry"] = reg
    if i % 6 == 3:
        h["multicast_forwarding"] = True
    if i % 4 == 1:
        h["winsim"] = {"wmic_utf16": True}
    hosts.append(h)
json.dump({"defaults": {"transport": "ssh"}, "hosts": hosts}, sys.stdout,
          indent=1)
print()

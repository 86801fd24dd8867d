#!/usr/bin/env python3
"""Catalog content for the end-to-end test (tests/integration/e2e.sh).

  e2e_catalog.py PLAN.json OUT_DIR MKMSU

Writes OUT_DIR/catalog.json and OUT_DIR/files/*.msu for
tests/catalog-server/server.py: one Catalog entry per plan package, titled
and named as the Catalog does ("2018-07 Update for Windows Server 2012 for
x64-based Systems (KB4345425)", windows8-rt-kb4345425-x64_<sha1>.msu).
The files are built with the simulator's mkmsu, so that what `kbfix
fetch` downloads also installs on the simulated hosts and brings the
tcpip.sys version apply verifies (tests/README.md "Packages");
tests/catalog-server/build.py's files do not carry that convention.
Cumulative updates and monthly rollups (tests/winsim/rollups.json) are
Package_for_RollupFix packages, as Microsoft ships them; the hotfixes of
the "hotfix" advisories install as a top-level package and numbered
sub-packages (dism/ captures: Package_3_for_KB..., Package_for_KB..._SP1).
"""
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "apply"))
import mkrun  # noqa: E402


ROLLUP = json.load(open(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "winsim",
    "rollups.json")))["rollups"]


HOTFIXES = ("KB976527", "KB979278", "KB943650")
# plan packages mkrun does not know: (tcpip.sys version, file prefix)
MORE = {"KB4338831": ("6.3.9600.19067", "Windows8.1")}


def package_of(plan, pkg):
    try:
        return mkrun.package_of(plan, pkg)
    except KeyError:
        mkrun.EXTRA_PACKAGES.update(MORE)
        return mkrun.package_of(plan, pkg)


def main():
    plan_path, out, mkmsu = sys.argv[1:4]
    plan = json.load(open(plan_path))
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    updates = []
    for i, pkg in enumerate(plan["packages"]):
        kb, tcpip, prefix = package_of(plan, pkg)
        arch = pkg["arch"]
        tmp = os.path.join(out, "files", "tmp.msu")
        rollup = ["-r", ROLLUP[kb]] if kb in ROLLUP else \
            ["-s", "3"] if kb in HOTFIXES else []
        subprocess.run([mkmsu, "-p", prefix] + rollup + [kb, arch, tcpip,
                                                         tmp], check=True)
        sha1 = hashlib.sha1(open(tmp, "rb").read()).hexdigest()
        name = "%s-%s-%s_%s.msu" % (prefix.lower(), kb.lower(), arch, sha1)
        os.rename(tmp, os.path.join(out, "files", name))
        updates.append({
            "update_id": "%08x-e2e0-4c2a-9e10-%012x" % (0xe2e00000 + i, i),
            "title": "2018-07 Update for %s for %s-based Systems (%s)"
                     % (pkg["product"], arch, kb),
            "products": pkg["product"], "classification": "Updates",
            "date": "7/16/2018", "version": "n/a", "kb": kb,
            "files": [name]})
    with open(os.path.join(out, "catalog.json"), "w") as f:
        json.dump({"updates": updates}, f, indent=1)


if __name__ == "__main__":
    main()

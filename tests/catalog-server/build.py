#!/usr/bin/env python3
"""Builds the test Catalog: .msu-shaped Cabinet files made with gcab, and
catalog.json describing the Catalog entries the server answers for.

  build.py OUT_DIR [--plan PLAN.json] [--pad-mb N] [--bench N]
           [--supersede-chain]

Each .msu holds <Pkg>.cab (itself a gcab Cabinet holding update.mum),
<Pkg>-pkgProperties.txt (UTF-16LE with a BOM, CRLF, Key="Value" lines as
Windows writes them), <Pkg>.xml (the unattend document naming the cab) and
WSUSSCAN.cab; it is named <name>_<sha1>.msu like the Catalog's files.
--bench N builds N files of --pad-mb MB each (for tests/bench/fetch.sh);
without --bench, --pad-mb N pads every example package with N MB (random
bytes, stored), so that downloads take a while (tests/integration/
fetch_interrupt.sh).
--supersede-chain adds a "superseded by" chain from KB4345459 (for
kbfix supersede --refresh, tests/integration/plan_supersede.sh).
--plan adds an entry for every package (kb, product, arch) of a kbfix plan
that the fixed entries below do not already answer, with a title the way
the Catalog writes it, one .msu per (KB, Windows family, architecture) as
Microsoft ships them (Windows 7 and Server 2008 R2 share one), and records
in catalog.json "plan_ids" ("KB|product|arch" -> update id) what a fetch
of that plan must choose.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ARCH_PROPS = {"x64": "amd64", "x86": "x86", "ia64": "ia64", "arm64": "arm64"}
EXAMPLE_PAD = 0         # bytes of padding in each example package

# Cumulative updates (Windows 10 / Server 2016) and monthly rollups
# (Windows 7 / 8.1 / 2012 / 2012 R2, previews included) install as
# Package_for_RollupFix of the build revision they bring, with no KB in
# the name (FACTS.md section 5); everything else as Package_for_KB<n>.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "winsim", "rollups.json")) as _f:
    ROLLUP = json.load(_f)["rollups"]


def update_mum(kb, arch):
    """update.mum as Microsoft writes it: the package's own identity
    first (what DISM lists), then its parts."""
    name, ver = ("Package_for_RollupFix", ROLLUP[kb]) if kb in ROLLUP \
        else ("Package_for_" + kb, "6.1.1.1")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
            '<assembly xmlns="urn:schemas-microsoft-com:asm.v3" '
            'manifestVersion="1.0" copyright="Copyright (c) Microsoft '
            'Corporation. All Rights Reserved.">\r\n  <assemblyIdentity '
            'name="%s" version="%s" language="neutral" '
            'processorArchitecture="%s" publicKeyToken="31bf3856ad364e35"/>'
            '\r\n  <package identifier="%s" releaseType="%s" '
            'restart="possible"/>\r\n</assembly>\r\n'
            % (name, ver, ARCH_PROPS[arch], kb,
               "Security Update" if kb in ROLLUP else "Update"))


def gcab(out, cwd, names):
    subprocess.run(["gcab", "-c", "-n", out] + names, cwd=cwd, check=True)


def make_msu(out_dir, stem, pkg, kb, arch, product, pad=None, props_arch=None):
    """stem "windows6.1-kb4345459-x64", pkg "Windows6.1-KB4345459-x64"."""
    if pad is None:
        pad = EXAMPLE_PAD
    tmp = tempfile.mkdtemp(dir=out_dir)
    try:
        inner = os.path.join(tmp, "inner")
        os.mkdir(inner)
        with open(os.path.join(inner, "update.mum"), "w",
                  newline="") as f:
            f.write(update_mum(kb, arch))
        names = ["update.mum"]
        if pad:
            with open(os.path.join(inner, "payload.bin"), "wb") as f:
                f.write(os.urandom(pad))
            names.append("payload.bin")
        gcab(os.path.join(tmp, pkg + ".cab"), inner, names)
        props = ('ApplicabilityInfo="%s;"\r\nApplies to="%s"\r\n'
                 'Build Date="2018/07/13"\r\nCompany="Microsoft Corporation"'
                 '\r\nFile Version="6.1.7601.24168"\r\nInstallation Type='
                 '"Standalone"\r\nInstaller Engine="Component Based '
                 'Servicing"\r\nInstaller Version="6.1.0.0"\r\n'
                 'KB Article Number="%s"\r\nLanguage="ALL"\r\nPackage Type='
                 '"Update"\r\nProcessor Architecture="%s"\r\nProduct Name='
                 '"%s"\r\nSupport Link="http://support.microsoft.com/?kbid='
                 '%s"\r\n' % (product, product, kb[2:],
                              props_arch or ARCH_PROPS[arch], product, kb[2:]))
        with open(os.path.join(tmp, pkg + "-pkgProperties.txt"), "wb") as f:
            f.write(b"\xff\xfe" + props.encode("utf-16-le"))
        with open(os.path.join(tmp, pkg + ".xml"), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<unattend '
                    'xmlns="urn:schemas-microsoft-com:unattend"><servicing>'
                    '<package action="install"><source location="%%'
                    'configsetroot%%\\%s.cab" /></package></servicing>'
                    '</unattend>\n' % pkg)
        scan = os.path.join(tmp, "scan")
        os.mkdir(scan)
        with open(os.path.join(scan, "package.xml"), "w") as f:
            f.write("<OfflineSyncPackage/>\n")
        gcab(os.path.join(tmp, "WSUSSCAN.cab"), scan, ["package.xml"])
        msu = os.path.join(tmp, "out.msu")
        gcab(msu, tmp, [pkg + ".cab", pkg + "-pkgProperties.txt",
                        pkg + ".xml", "WSUSSCAN.cab"])
        sha1 = hashlib.sha1(open(msu, "rb").read()).hexdigest()
        name = "%s_%s.msu" % (stem, sha1)
        shutil.move(msu, os.path.join(out_dir, "files", name))
        return name
    finally:
        shutil.rmtree(tmp)


def guid(n):
    return "%08x-4b1d-4c2a-9e10-%012x" % (0x5eed0000 + n, n)


def entry(n, title, products, kb, files, date="7/16/2018"):
    return {"update_id": guid(n), "title": title, "products": products,
            "classification": "Updates", "date": date, "version": "n/a",
            "kb": kb, "files": files}


# Windows family of each product: the prefix of its .msu names, and the
# products that share one file (FACTS.md section 2)
FAMILY = {"Windows 7": "6.1", "Windows Server 2008 R2": "6.1",
          "Windows Embedded Standard 7": "6.1", "Windows Vista": "6.0",
          "Windows Server 2008": "6.0", "Windows 8": "8-rt",
          "Windows Server 2012": "8-rt", "Windows 8.1": "8.1",
          "Windows Server 2012 R2": "8.1", "Windows 10": "10.0",
          "Windows Server 2016": "10.0"}


def family(product):
    return FAMILY.get(product, product.lower().replace("windows ", "")
                      .replace(" ", "-"))


def msu_for(out, files, kb, product, arch):
    """The .msu of (kb, family, arch), built once and shared."""
    key = (kb.upper(), family(product), arch)
    if key not in files:
        fam = "windows" + family(product)
        files[key] = make_msu(out, "%s-%s-%s" % (fam, kb.lower(), arch),
                              "%s-%s-%s" % (fam.capitalize(), kb.upper(),
                                            arch), kb.upper(), arch, product)
    return files[key]


def plan_title(kb, product, arch):
    """Titles as the Catalog writes them: the 2018 rollups name the month
    and "for x64-based Systems"; older updates say "x64 Edition" for the
    Vista / Server 2008 family and nothing at all for x86 Windows 7."""
    arch_words = {"x64": "x64-based", "x86": "x86-based",
                  "arm64": "ARM64-based", "ia64": "Itanium-based"}
    if int(kb[2:]) >= 4000000:
        return "2018-07 Update for %s for %s Systems (%s)" % (
            product, arch_words[arch], kb)
    if arch == "x86":
        return "Update for %s (%s)" % (product, kb)
    if product.startswith("Windows Server 2008") and arch == "x64":
        return "Update for %s x64 Edition (%s)" % (product, kb)
    return "Update for %s for %s Systems (%s)" % (product, arch_words[arch],
                                                 kb)


def plan_entries(out, files, fixed, plan_path):
    """Entries for the plan's packages; fixed ones are reused."""
    plan = json.load(open(plan_path))
    upd, ids = [], {}
    for i, pk in enumerate(plan["packages"]):
        kb, product, arch = pk["kb"].upper(), pk["product"], pk["arch"]
        key = "%s|%s|%s" % (kb, product, arch)
        for u in fixed:
            if u["kb"] == kb and u["products"] == product and \
                    u.get("arch") == arch:
                ids[key] = u["update_id"]
                break
        else:
            name = msu_for(out, files, kb, product, arch)
            date = "7/16/2018" if int(kb[2:]) >= 4000000 else "1/26/2010"
            e = entry(0x20 + i, plan_title(kb, product, arch), product, kb,
                      [name], date=date)
            upd.append(e)
            ids[key] = e["update_id"]
    return upd, ids


def build_example(out, plan_path=None):
    files = {}
    w7 = make_msu(out, "windows6.1-kb4345459-x64", "Windows6.1-KB4345459-x64",
                  "KB4345459", "x64", "Windows 7")
    files[("KB4345459", "6.1", "x64")] = w7
    w7x86 = make_msu(out, "windows6.1-kb4345459-x86",
                     "Windows6.1-KB4345459-x86", "KB4345459", "x86",
                     "Windows 7")
    ia64 = make_msu(out, "windows6.1-kb4345459-ia64",
                    "Windows6.1-KB4345459-ia64", "KB4345459", "ia64",
                    "Windows Server 2008 R2")
    w81 = make_msu(out, "windows8.1-kb4345424-x64", "Windows8.1-KB4345424-x64",
                   "KB4345424", "x64", "Windows 8.1")
    w81x86 = make_msu(out, "windows8.1-kb4345424-x86",
                      "Windows8.1-KB4345424-x86", "KB4345424", "x86",
                      "Windows 8.1")
    w60 = make_msu(out, "windows6.0-kb4345397-x86", "Windows6.0-KB4345397-x86",
                   "KB4345397", "x86", "Windows Server 2008")
    # same KB, named x86, but its pkgProperties says amd64 (fault wrong_arch)
    w60bad = make_msu(out, "windows6.0-kb4345397-x86",
                      "Windows6.0-KB4345397-x86", "KB4345397", "x86",
                      "Windows Server 2008", props_arch="amd64")
    hf = make_msu(out, "windows6.1-kb976527-x64", "Windows6.1-KB976527-x64",
                  "KB976527", "x64", "Windows 7")
    files[("KB4345397", "6.0", "x86")] = w60
    files[("KB976527", "6.1", "x64")] = hf
    upd = [
        entry(1, "2018-07 Update for Windows 7 for x64-based Systems "
              "(KB4345459)", "Windows 7", "KB4345459", [w7]),
        entry(2, "2018-07 Update for Windows Server 2008 R2 for x64-based "
              "Systems (KB4345459)", "Windows Server 2008 R2", "KB4345459",
              [w7]),
        entry(3, "2018-07 Update for Windows 7 (KB4345459)", "Windows 7",
              "KB4345459", [w7x86]),
        entry(4, "2018-07 Update for Windows Server 2008 R2 for "
              "Itanium-based Systems (KB4345459)", "Windows Server 2008 R2",
              "KB4345459", [ia64]),
        entry(5, "2018-07 Update for Windows Embedded Standard 7 for "
              "x64-based Systems (KB4345459)", "Windows Embedded Standard 7",
              "KB4345459", [w7]),
        entry(6, "2018-07 Update for Windows 8.1 for x64-based Systems "
              "(KB4345424)", "Windows 8.1", "KB4345424", [w81]),
        entry(7, "2018-07 Update for Windows Server 2012 R2 for x64-based "
              "Systems (KB4345424)",
              "Windows Server 2012 R2", "KB4345424", [w81]),
        entry(8, "2018-07 Update for Windows 8.1 for x86-based Systems "
              "(KB4345424)", "Windows 8.1", "KB4345424", [w81x86]),
        entry(9, "2018-07 Update for Windows Server 2008 for x86-based "
              "Systems (KB4345397)", "Windows Server 2008", "KB4345397",
              [w60]),
        entry(10, "Hotfix for Windows 7 for x64-based Systems (KB976527)",
              "Windows 7", "KB976527", [hf], date="1/26/2010"),
    ]
    arch = {1: "x64", 2: "x64", 3: "x86", 4: "ia64", 5: "x64", 6: "x64",
            7: "x64", 8: "x86", 9: "x86", 10: "x64"}
    for u in upd:
        u["arch"] = arch[int(u["update_id"][:8], 16) - 0x5eed0000]
    cat = {"updates": upd, "wrong_arch": {guid(9): w60bad}}
    if plan_path:
        # the plan's entries go first: a search's last row (the one the
        # duplicate fault repeats) stays the fixed entry
        extra, cat["plan_ids"] = plan_entries(out, files, upd, plan_path)
        cat["updates"] = extra + upd
    return cat


def add_chain(cat):
    """--supersede-chain: KB4345459 (Windows 7 and Server 2008 R2, x64) is
    superseded by the August 2018 rollup KB4343900, itself superseded by
    the September rollup KB4457144, which (a hostile page) points back at
    KB4343900: the walk must end.  Titles and dates as the Catalog's."""
    upd = cat["updates"]
    chain = [
        (0x40, "2018-08 Security Monthly Quality Rollup for Windows 7 for "
         "x64-based Systems (KB4343900)", "Windows 7", "KB4343900",
         "8/14/2018", [guid(0x41)]),
        (0x41, "2018-09 Security Monthly Quality Rollup for Windows 7 for "
         "x64-based Systems (KB4457144)", "Windows 7", "KB4457144",
         "9/11/2018", [guid(0x40)]),
        (0x42, "2018-08 Security Monthly Quality Rollup for Windows Server "
         "2008 R2 for x64-based Systems (KB4343900)",
         "Windows Server 2008 R2", "KB4343900", "8/14/2018", []),
    ]
    for n, title, product, kb, date, by in chain:
        e = entry(n, title, product, kb, [], date=date)
        e["arch"] = "x64"
        e["superseded_by"] = by
        upd.append(e)
    for u in upd:
        if u["update_id"] == guid(1):
            u["superseded_by"] = [guid(0x40)]
        if u["update_id"] == guid(2):
            u["superseded_by"] = [guid(0x42)]


def build_bench(out, n, pad_mb):
    upd, plan = [], []
    for i in range(n):
        kb = "KB%07d" % (9000000 + i)
        name = make_msu(out, "windows6.1-%s-x64" % kb.lower(),
                        "Windows6.1-%s-x64" % kb, kb, "x64", "Windows 7",
                        pad=pad_mb << 20)
        upd.append(entry(100 + i, "Bench Update for Windows 7 for x64-based "
                         "Systems (%s)" % kb, "Windows 7", kb, [name]))
        plan.append({"kb": kb, "product": "Windows 7", "arch": "x64",
                     "hosts": ["bench%02d" % i]})
    return {"updates": upd, "bench_plan": plan}


def main():
    global EXAMPLE_PAD
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    if "--bench" in sys.argv:
        n = int(sys.argv[sys.argv.index("--bench") + 1])
        pad = int(sys.argv[sys.argv.index("--pad-mb") + 1])
        cat = build_bench(out, n, pad)
    else:
        plan = None
        if "--pad-mb" in sys.argv:
            EXAMPLE_PAD = int(sys.argv[sys.argv.index("--pad-mb") + 1]) << 20
        if "--plan" in sys.argv:
            plan = sys.argv[sys.argv.index("--plan") + 1]
        cat = build_example(out, plan)
        if "--supersede-chain" in sys.argv:
            add_chain(cat)
    with open(os.path.join(out, "catalog.json"), "w") as f:
        json.dump(cat, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Hostile .msu files, built byte by byte ([MS-CAB]), as bundles kbfix
verify reads (issue 16: Cabinet member counts and expansion).

  hostile_cab.py OUT_DIR KIND [N]

writes OUT_DIR/manifest.json and OUT_DIR/files/<name>_<sha1>.msu, one
update (KB4345459, Windows 7, x64) whose file is:

  good      a real-shaped .msu built with gcab (build.py's make_msu)
  bomb      an MSZIP folder of N (default 54000) blocks of 32 KiB of
            zeros (about 2.7 MB that expand to 1.7 GB), the package .cab,
            then pkgProperties.txt in the last block
  ratio     the same shape, N (default 400) blocks: 20 KB that expand to
            13 MB, more than the ratio allows but under the hard limit
  members   a stored Cabinet of N (default 60000) empty members and the
            package's own three
  mszip     a small well-formed MSZIP .msu (every member compressed, as
            makecab would) that must verify
"""
import hashlib
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build  # noqa: E402

PKG = "Windows6.1-KB4345459-x64"
BLOCK = 32768


def props():
    text = ('KB Article Number="4345459"\r\nProcessor Architecture="amd64"'
            '\r\nProduct Name="Windows 7"\r\n')
    return b"\xff\xfe" + text.encode("utf-16-le")


def mszip(data):
    """One CFDATA payload: "CK" and a raw deflate stream of data."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"CK" + c.compress(data) + c.flush()


def cabinet(members, blocks, comp):
    """members: [(name, size)] laid out in order in one folder whose
    CFDATA blocks are blocks: [(payload, uncompressed size)]."""
    parts = []
    off = 0
    for name, size in members:
        parts.append(struct.pack("<IIHHHH", size, off, 0, 0x4d21, 0, 0x20))
        parts.append(name.encode() + b"\0")
        off += size
    files = b"".join(parts)
    coff_files = 36 + 8
    data_start = coff_files + len(files)
    data = b"".join(struct.pack("<IHH", 0, len(p), u) + p for p, u in blocks)
    total = data_start + len(data)
    head = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, coff_files,
                       0, 3, 1, 1, len(members), 0, 0x1234, 0)
    folder = struct.pack("<IHH", data_start, len(blocks), comp)
    return head + folder + files + data


def bomb(n):
    zero = mszip(b"\0" * BLOCK)
    p = props()
    blocks = [(zero, BLOCK)] * (n - 1) + [(mszip(p), len(p))]
    return cabinet([(PKG + ".cab", (n - 1) * BLOCK),
                    (PKG + "-pkgProperties.txt", len(p))], blocks, 1)


def many(n):
    p = props()
    members = [(PKG + "-pkgProperties.txt", len(p)), (PKG + ".cab", 4),
               (PKG + ".xml", 4)] + [("f%05d.txt" % i, 0) for i in range(n)]
    body = p + b"MSCF" + b"<x/>"
    return cabinet(members, [(body, len(body))], 0)


def inner_cab():
    """The package .cab as build.py makes it: gcab, holding update.mum."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "update.mum"), "w",
                  encoding="utf-8") as f:
            f.write(build.update_mum("KB4345459", "x64"))
        build.gcab(os.path.join(tmp, "p.cab"), tmp, ["update.mum"])
        return open(os.path.join(tmp, "p.cab"), "rb").read()


def small_mszip():
    p = props()
    inner = inner_cab()
    xml = b"<unattend/>\n" * 50
    body = p + inner + xml
    blocks = [(mszip(body[i:i + BLOCK]), len(body[i:i + BLOCK]))
              for i in range(0, len(body), BLOCK)]
    return cabinet([(PKG + "-pkgProperties.txt", len(p)),
                    (PKG + ".cab", len(inner)), (PKG + ".xml", len(xml))],
                   blocks, 1)


def main():
    out, kind = os.path.abspath(sys.argv[1]), sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else None
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    if kind == "good":
        name = build.make_msu(out, "windows6.1-kb4345459-x64", PKG,
                              "KB4345459", "x64", "Windows 7", pad=0)
        data = open(os.path.join(out, "files", name), "rb").read()
    else:
        data = {"bomb": lambda: bomb(n or 54000),
                "ratio": lambda: bomb(n or 400),
                "members": lambda: many(n or 60000),
                "mszip": small_mszip}[kind]()
        name = "windows6.1-kb4345459-x64_%s.msu" % hashlib.sha1(data).hexdigest()
        with open(os.path.join(out, "files", name), "wb") as f:
            f.write(data)
    doc = {"format": "kbfix-bundle/1", "created": "2026-11-21T12:00:00Z",
           "catalog": "https://www.catalog.update.microsoft.com",
           "updates": [{
               "update_id": "5eed0001-4b1d-4c2a-9e10-000000000001",
               "kb": "KB4345459",
               "title": "2018-07 Update for Windows 7 for x64-based "
                        "Systems (KB4345459)",
               "product": "Windows 7", "arch": "x64",
               "classification": "Updates", "hosts": ["web01"],
               "files": [{
                   "name": name, "path": "files/" + name,
                   "url": "https://catalog.s.download.windowsupdate.com/"
                          "d/msdownload/update/software/updt/2018/07/" + name,
                   "size": len(data),
                   "sha1": hashlib.sha1(data).hexdigest(),
                   "sha256": hashlib.sha256(data).hexdigest(),
                   "package_cab": PKG + ".cab"}]}]}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(doc, f, indent=1)
    print(name)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Helper of tests/fleet/fleet (see tests/README.md, "Test fleet").

  fleetctl.py state INVENTORY STATEROOT [NAME...]
      build simulated host state directories from a kbfix inventory
      (used by tests that drive winsim without sshd)
  fleetctl.py init INVENTORY DIR FLEETROOT
      state directories, sshd configs, host keys, known_hosts,
      inventory.json, hosts.txt for `fleet up`
  fleetctl.py downtimes DIR
      NAME START_MS END_MS for every reboot (END_MS "-" while down)
  fleetctl.py supervise DIR
      start every sshd of the fleet, carry out reboots, run scheduled
      tasks; SIGTERM stops everything it started
  fleetctl.py event STATEDIR JSON
      add one event to a host's event store (winsim/events.c), e.g.
      '{"kind": "bugcheck", "code": "0xD1"}' (now), "ago": S or "at": ISO
"""

import calendar
import fcntl
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time

CBS = ("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
       "Component Based Servicing")
CURVER = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
SERVICES = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services"
TCPIP = "C:\\Windows\\System32\\drivers\\tcpip.sys"

OS_IDS = {
    "windows-vista": "Windows Vista Business",
    "windows-server-2008": "Windows Server 2008 Enterprise",
    "windows-7": "Windows 7 Professional",
    "windows-server-2008-r2": "Windows Server 2008 R2 Enterprise",
    "windows-8": "Windows 8 Pro",
    "windows-server-2012": "Windows Server 2012 Standard",
    "windows-8.1": "Windows 8.1 Pro",
    "windows-server-2012-r2": "Windows Server 2012 R2 Standard",
    "windows-10": "Windows 10 Pro",
    "windows-server-2016": "Windows Server 2016 Standard",
}

# tcpip.sys of the release (RTM or service pack) when the inventory has
# no files.tcpip.sys.
TCPIP_BASE = {
    "6.0.6000": "6.0.6000.16386", "6.0.6001": "6.0.6001.18000",
    "6.0.6002": "6.0.6002.18005", "6.1.7600": "6.1.7600.16385",
    "6.1.7601": "6.1.7601.17514", "6.2.9200": "6.2.9200.16384",
    "6.3.9600": "6.3.9600.16384",
}

WIN10_RELEASE = {"10240": "1507", "14393": "1607", "15063": "1703",
                 "16299": "1709", "17134": "1803"}

# Cumulative updates and monthly rollups: Package_for_RollupFix (DISM)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "winsim", "rollups.json")) as _f:
    ROLLUP = json.load(_f)["rollups"]

# winsim.locale: the display language (Nls\Language LCID) and the
# caption's spelling; reg query and ProductName stay English (FACTS.md 5).
LOCALES = {"en-US": "0409", "de-DE": "0407", "fr-FR": "040C"}
EDITIONS = {"pro": "Professional", "professional": "Professional",
            "enterprise": "Enterprise", "standard": "ServerStandard",
            "datacenter": "ServerDatacenter", "business": "Business",
            "ultimate": "Ultimate", "home": "Core"}


class BadInventory(Exception):
    pass


def load_hosts(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise BadInventory(f"{path}: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("hosts"), list):
        raise BadInventory(f"{path}: expected {{\"hosts\": [...]}}")
    defaults = doc.get("defaults") or {}
    hosts, seen = [], set()
    for i, h in enumerate(doc["hosts"]):
        if not isinstance(h, dict):
            raise BadInventory(f"{path}: hosts[{i}] is not an object")
        m = dict(defaults)
        m.update(h)
        name = m.get("name")
        if not isinstance(name, str) or \
                not re.fullmatch(r"[A-Za-z0-9._-]{1,63}", name):
            raise BadInventory(f"{path}: hosts[{i}].name: need 1-63 of "
                               "[A-Za-z0-9._-]")
        if name.lower() in seen:
            raise BadInventory(f"{path}: hosts[{i}].name: duplicate {name}")
        seen.add(name.lower())
        hosts.append((h, m))
    return doc, hosts


def norm_version(v):
    """major.minor.build (the revision, UBR, is ubr_of())."""
    if v is None:
        return "6.1.7601"
    m = re.fullmatch(r"(\d+)\.(\d+) \((\d+)\)", str(v))
    if m:
        return f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    return ".".join(str(v).split(".")[:3])


def ubr_of(v):
    parts = str(v or "").split(".")
    return parts[3] if len(parts) == 4 and parts[3].isdigit() else None


def locale_of(m):
    loc = (m.get("winsim") or {}).get("locale", "en-US")
    if loc not in LOCALES:
        raise BadInventory(f"{m['name']}: winsim.locale: {loc!r} is not one "
                           f"of {', '.join(LOCALES)}")
    return loc


def norm_arch(a):
    a = str(a or "x64").lower()
    if a in ("x64", "amd64", "64-bit", "x86_64"):
        return "x64"
    if a in ("x86", "32-bit", "i386"):
        return "x86"
    return a


def caption(os_field, version):
    if not os_field:
        os_field = "windows-7" if version.startswith("6.1") else "Windows"
    s = str(os_field)
    if s.lower() in OS_IDS:
        s = OS_IDS[s.lower()]
    return s if s.startswith("Microsoft ") else "Microsoft " + s


def csd_of(version):
    return {"6.0.6001": "Service Pack 1", "6.0.6002": "Service Pack 2",
            "6.1.7601": "Service Pack 1"}.get(version, "")


def reg_entry(path, value):
    """'HKLM\\A\\B\\Name': data -> (key, name, type, text)."""
    root, _, rest = path.partition("\\")
    full = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER"}
    root = full.get(root.upper(), root)
    key, _, name = (root + "\\" + rest).rpartition("\\")
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return key, name, "REG_DWORD", "0x%x" % value
    if isinstance(value, list):
        return key, name, "REG_MULTI_SZ", "\\0".join(map(str, value))
    if isinstance(value, dict):
        return key, name, value["type"], str(value["data"])
    return key, name, "REG_SZ", str(value)


def registry_lines(m, version, arch, cap):
    build = version.split(".")[2] if version.count(".") >= 2 else version
    major = ".".join(version.split(".")[:2])
    lines = [("K", CBS), ("K", SERVICES + "\\Tcpip\\Parameters"),
             ("K", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\"
                   "Session Manager")]
    product = cap.replace("Microsoft ", "", 1)
    cv = [("ProductName", "REG_SZ", product),
          ("CurrentVersion", "REG_SZ", "6.3" if major == "10.0" else major),
          ("CurrentBuild", "REG_SZ", build),
          ("CurrentBuildNumber", "REG_SZ", build),
          ("SystemRoot", "REG_SZ", "C:\\Windows"),
          ("EditionID", "REG_SZ",
           EDITIONS.get(product.split()[-1].lower(), product.split()[-1])),
          ("InstallationType", "REG_SZ",
           "Server" if "Server" in product else "Client")]
    if major == "10.0":
        cv += [("CurrentMajorVersionNumber", "REG_DWORD", "0xa"),
               ("CurrentMinorVersionNumber", "REG_DWORD", "0x0")]
    if ubr_of(m.get("version")):
        cv.append(("UBR", "REG_DWORD", "0x%x" % int(ubr_of(m["version"]))))
    if csd_of(version):
        cv.append(("CSDVersion", "REG_SZ", csd_of(version)))
    if build in WIN10_RELEASE:
        cv.append(("ReleaseId", "REG_SZ", WIN10_RELEASE[build]))
    lines += [("V", CURVER, n, t, d) for n, t, d in cv]
    lines.append(("V", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\"
                  "Control\\Session Manager\\Environment",
                  "PROCESSOR_ARCHITECTURE", "REG_SZ",
                  "AMD64" if arch == "x64" else arch.upper()))
    for cn in ("ComputerName", "ActiveComputerName"):
        lines.append(("V", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\"
                      "Control\\ComputerName\\" + cn, "ComputerName",
                      "REG_SZ", m["name"].upper()))
    lcid = LOCALES[locale_of(m)]
    for n in ("Default", "InstallLanguage"):
        lines.append(("V", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\"
                      "Control\\Nls\\Language", n, "REG_SZ", lcid))
    for i in range(1, int(m.get("wfp_callout_drivers") or 0) + 1):
        k = f"{SERVICES}\\SimWfpCallout{i}"
        lines += [("V", k, "Type", "REG_DWORD", "0x1"),
                  ("V", k, "Start", "REG_DWORD", "0x1"),
                  ("V", k, "Group", "REG_SZ", "NDIS"),
                  ("V", k, "ImagePath", "REG_SZ",
                   f"\\SystemRoot\\system32\\drivers\\simwfpcallout{i}.sys"),
                  ("V", k, "Description", "REG_SZ",
                   "Third-party WFP callout driver (simulated)")]
    for path, value in (m.get("registry") or {}).items():
        lines.append(("V",) + reg_entry(path, value))
    return reg_text(m, "registry", lines)


def reg_text(m, field, lines):
    """Registry file lines (tests/winsim/registry.c) from tuples."""
    for f in lines:
        if any(c in x for x in f for c in "\t\r\n"):
            raise BadInventory(f"{m['name']}: {field}: tab or newline in {f}")
    return "".join("\t".join(f) + "\n" for f in lines)


def gpp_lines(m):
    """STATE/gpp (registry format): the values a Group Policy Preferences
    registry item writes at every refresh (winsim gpupdate), from the
    inventory's winsim.gpp {"HKLM\\...\\Name": data}."""
    gpp = (m.get("winsim") or {}).get("gpp") or {}
    if not isinstance(gpp, dict):
        raise BadInventory(f"{m['name']}: winsim.gpp: must be an object")
    return reg_text(m, "winsim.gpp",
                    [("V",) + reg_entry(p, v) for p, v in gpp.items()])


def write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def local_caption(cap, loc):
    """The caption wmic and systeminfo print: a French Windows names its
    edition in French, with a no-break space after "Windows" (FACTS.md 5:
    "Microsoft Windows\u00a07 Entreprise").  ProductName stays English."""
    if loc != "fr-FR":
        return cap
    for en, fr in (("Enterprise", "Entreprise"),
                   ("Professional", "Professionnel")):
        cap = cap.replace(en, fr)
    return cap.replace("Windows ", "Windows\u00a0", 1)


def build_state(m, sdir, extra=None):
    """One host's state directory (layout: tests/README.md)."""
    version = norm_version(m.get("version"))
    arch = norm_arch(m.get("arch"))
    cap = caption(m.get("os"), version)
    sim = m.get("winsim") or {}
    os.makedirs(sdir, exist_ok=True)
    for d in ("Windows/Temp", "Windows/System32/drivers", "Windows/Logs/DISM",
              "Users/Administrator"):
        os.makedirs(os.path.join(sdir, "C", d), exist_ok=True)
    os.makedirs(os.path.join(sdir, "faults"), exist_ok=True)
    boot = int(time.time() * 1000) - 3600 * 1000
    profile = {
        "name": m["name"], "caption": local_caption(cap, locale_of(m)),
        "version": version,
        "arch": arch, "csd": csd_of(version), "boot_ms": str(boot),
        "reboot_down_ms": str(sim.get("reboot_down_ms",
                                      os.environ.get("FLEET_DOWN_MS", 2000))),
        "mcast_ipv4": "enabled" if m.get("multicast_forwarding") else
        "disabled",
        "mcast_ipv6": "disabled",
        "wmic_utf16": "1" if sim.get("wmic_utf16") else "0",
        "locale": locale_of(m),
    }
    if ubr_of(m.get("version")):
        profile["revision"] = ubr_of(m["version"])
    if sim.get("wmic_reads_stdin"):
        profile["wmic_reads_stdin"] = "1"
    if sim.get("no_wmic"):	# Windows 11 24H2, Server 2025
        profile["no_wmic"] = "1"
    if "free_disk" in sim:
        profile["free_disk"] = str(int(sim["free_disk"]))
    profile.update(extra or {})
    write(os.path.join(sdir, "profile"),
          "".join(f"{k}={v}\n" for k, v in profile.items()))
    write(os.path.join(sdir, "registry"),
          registry_lines(m, version, arch, cap))
    write(os.path.join(sdir, "gpp"), gpp_lines(m))
    parch = "amd64" if arch == "x64" else arch
    # Windows' own base package is listed too (dism/ captures)
    base = TCPIP_BASE.get(version, version + ".0")
    pk = f"Microsoft-Windows-Foundation-Package~31bf3856ad364e35~{parch}" \
         f"~~{base}\tInstalled\t-\n"
    for kb in m.get("installed") or []:
        if not re.fullmatch(r"KB\d{5,8}", str(kb)):
            raise BadInventory(f"{m['name']}: installed: bad KB id {kb!r}")
        if kb in ROLLUP:
            pk += f"Package_for_RollupFix~31bf3856ad364e35~{parch}~~" \
                  f"{ROLLUP[kb]}\tInstalled\t-\t-\t{kb}\n"
        else:
            pk += f"Package_for_{kb}~31bf3856ad364e35~{parch}~~6.1.1.1" \
                  "\tInstalled\t-\n"
    write(os.path.join(sdir, "packages"), pk)
    files = dict(m.get("files") or {})
    tcp = files.pop("tcpip.sys", None) or TCPIP_BASE.get(version,
                                                          version + ".1")
    vers = f"{TCPIP}\t{tcp}\n"
    for fname, ver in files.items():
        vers += f"C:\\Windows\\System32\\drivers\\{fname}\t{ver}\n"
    write(os.path.join(sdir, "versions"), vers)
    for line in vers.splitlines():
        rel = line.split("\t")[0][3:].replace("\\", "/")
        open(os.path.join(sdir, "C", rel), "a").close()
    write(os.path.join(sdir, "tasks"), "")
    for name, content in (sim.get("faults") or {}).items():
        if not re.fullmatch(r"[a-z-]+", name):
            raise BadInventory(f"{m['name']}: winsim.faults: bad name {name}")
        write(os.path.join(sdir, "faults", name), f"{content}\n")
    open(os.path.join(sdir, "events.log"), "a").close()
    evs = sim.get("events") or []
    if not isinstance(evs, list):
        raise BadInventory(f"{m['name']}: winsim.events: must be a list")
    write(os.path.join(sdir, "winevents"),
          "".join(event_line(m["name"], ev) for ev in evs))


EVENT_KINDS = ("bugcheck", "kp41", "afd", "scm", "appcrash")
NAME_RE = r"[A-Za-z0-9 ._-]{1,63}"


def event_line(name, ev, now=None):
    """One line of STATE/winevents (tests/winsim/events.c) from an
    inventory's winsim.events entry."""
    bad = f"{name}: winsim.events: bad event {ev!r}"
    if not isinstance(ev, dict) or ev.get("kind") not in EVENT_KINDS:
        raise BadInventory(bad)
    now = int(time.time()) if now is None else now
    if "at" in ev:
        try:
            t = calendar.timegm(time.strptime(ev["at"], "%Y-%m-%dT%H:%M:%SZ"))
        except (TypeError, ValueError):
            raise BadInventory(bad)
    else:
        t = now - int(ev.get("ago", 0))
    kind = ev["kind"]
    code = str(ev.get("code", "0x0"))
    prm = ",".join(str(p) for p in ev.get("params", [])) or "-"
    if kind in ("bugcheck", "kp41"):
        if not re.fullmatch(r"0x[0-9A-Fa-f]{1,8}", code) or \
                not re.fullmatch(r"-|[0-9A-Fa-f]{1,16}(,[0-9A-Fa-f]{1,16}){3}",
                                 prm):
            raise BadInventory(bad)
        fields = [code, prm]
    elif kind == "afd":
        fields = []
    elif kind == "scm":
        svc = str(ev.get("service", ""))
        if not isinstance(ev.get("id"), int) or not re.fullmatch(NAME_RE, svc):
            raise BadInventory(bad)
        fields = [str(ev["id"]), svc]
    else:
        mod, app = str(ev.get("module", "")), str(ev.get("app", "app.exe"))
        if not re.fullmatch(NAME_RE, mod) or not re.fullmatch(NAME_RE, app):
            raise BadInventory(bad)
        fields = [mod, app]
    return "\t".join([str(t), kind] + fields) + "\n"


def cmd_event(sdir, text):
    """Append one event under the host's lock (winsim takes it too)."""
    try:
        ev = json.loads(text)
    except ValueError as e:
        raise BadInventory(f"event: {e}")
    line = event_line(os.path.basename(sdir), ev)
    fd = os.open(os.path.join(sdir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with open(os.path.join(sdir, "winevents"), "a") as f:
            f.write(line)
    finally:
        os.close(fd)


def cmd_state(argv):
    inv, root = argv[0], argv[1]
    _, hosts = load_hosts(inv)
    for _, m in hosts:
        if argv[2:] and m["name"] not in argv[2:]:
            continue
        build_state(m, os.path.join(root, m["name"]))
        print(m["name"])


def ip_add(base, i):
    try:
        n = int.from_bytes(socket.inet_aton(base), "big") + i
    except OSError:
        raise BadInventory(f"FLEET_BASE {base}: not an IPv4 address")
    addr = socket.inet_ntoa(n.to_bytes(4, "big"))
    if not addr.startswith("127."):
        raise BadInventory(f"FLEET_BASE {base}: host {i} leaves 127.0.0.0/8")
    return addr


def net_base(base):
    """KBFIX_TEST_NET=N moves a 127.0.x.y base to 127.N.x.y, so that
    fleets of test scripts run at once (tests/run.sh -j, or several
    checkouts on one machine) never share an address."""
    net = os.environ.get("KBFIX_TEST_NET", "")
    if not net:
        return base
    if not net.isdigit() or not 0 < int(net) < 255:
        raise BadInventory(f"KBFIX_TEST_NET {net}: not 1 to 254")
    parts = base.split(".")
    if len(parts) == 4 and parts[:2] == ["127", "0"]:
        parts[1] = str(int(net))
    return ".".join(parts)


SSHD_CONFIG = """\
ListenAddress {addr}:{port}
HostKey {sshd}/ssh_host_ed25519_key
PidFile {sshd}/sshd.pid
AuthorizedKeysFile {root}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {user}
PrintMotd no
PrintLastLog no
PermitTTY yes
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
UseDNS no
MaxStartups 200:30:400
MaxSessions 64
LogLevel INFO
SetEnv WINSIM_STATE={root}/hosts/{name} WINSIM_HOST={name} \
WINSIM_BIN={root}/bin/winsim WINSIM_SFTP={root}/bin/sftp-server
Subsystem sftp {root}/bin/sftp-server
"""


def keygen_all(sshd_dirs):
    procs = []
    for d in sshd_dirs:
        key = os.path.join(d, "ssh_host_ed25519_key")
        if os.path.exists(key):
            continue
        procs.append(subprocess.Popen(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "",
             "-f", key], stdout=subprocess.DEVNULL))
    for p in procs:
        if p.wait() != 0:
            raise BadInventory("ssh-keygen failed")


def cmd_init(argv):
    inv, fdir, root = argv[0], os.path.abspath(argv[1]), argv[2]
    base = net_base(os.environ.get("FLEET_BASE", "127.0.0.2"))
    port = os.environ.get("FLEET_PORT", "2222")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadInventory(f"FLEET_PORT {port}: not a port number")
    port = int(port)
    user = os.environ.get("FLEET_USER", "winsim")
    doc, hosts = load_hosts(inv)
    fleet, dirs = [], []
    for i, (orig, m) in enumerate(hosts):
        addr = ip_add(base, i)
        sdir = os.path.join(root, "hosts", m["name"])
        sshd = os.path.join(fdir, "sshd", m["name"])
        os.makedirs(sshd, exist_ok=True)
        build_state(m, sdir, {"address": addr})
        write(os.path.join(sshd, "sshd_config"), SSHD_CONFIG.format(
            addr=addr, port=port, sshd=sshd, root=root, user=user,
            name=m["name"]))
        orig.update({"address": addr, "port": port, "user": user})
        fleet.append({"name": m["name"], "address": addr, "port": port,
                      "state": sdir, "sshd": sshd})
        dirs.append(sshd)
    keygen_all(dirs)
    kh = ""
    for h in fleet:
        with open(os.path.join(h["sshd"], "ssh_host_ed25519_key.pub")) as f:
            k = f.read().split()
        kh += f"[{h['address']}]:{port} {k[0]} {k[1]}\n"
    write(os.path.join(fdir, "known_hosts"), kh)
    write(os.path.join(fdir, "inventory.json"), json.dumps(doc, indent=2)
          + "\n")
    write(os.path.join(fdir, "hosts.txt"), "".join(
        f"{h['name']} {h['address']} {port} {user} {h['state']}\n"
        for h in fleet))
    write(os.path.join(fdir, "pssh-hosts.txt"), "".join(
        f"{user}@{h['address']}:{port}\n" for h in fleet))
    cfg = ""
    for h in fleet:
        cfg += (f"Host {h['name']}\n  HostName {h['address']}\n"
                f"  Port {port}\n  User {user}\n"
                f"  IdentityFile {fdir}/id_ed25519\n  IdentitiesOnly yes\n"
                f"  UserKnownHostsFile {fdir}/known_hosts\n"
                f"  StrictHostKeyChecking yes\n  BatchMode yes\n")
    write(os.path.join(fdir, "ssh_config"), cfg)
    write(os.path.join(fdir, "fleet.json"), json.dumps(
        {"root": root, "user": user, "port": port, "hosts": fleet},
        indent=2) + "\n")


# Supervisor ---------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def event(h, text):
    fd = os.open(os.path.join(h["state"], "events.log"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, f"{now_ms()} {text}\n".encode())
    os.close(fd)


def listening():
    """{(addr, port): socket inode} in LISTEN state, from /proc/net/tcp."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] != "0A":
                continue
            a, p = fields[1].split(":")
            addr = socket.inet_ntoa(int(a, 16).to_bytes(4, "little"))
            out[(addr, int(p, 16))] = fields[9]
    return out


def owns_socket(pid, inode):
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                return True
    except OSError:
        pass
    return False


def sshd_listening(h, table):
    """Is this host's own sshd (not another process) listening?"""
    inode = table.get((h["address"], h["port"]))
    return inode is not None and h["proc"] is not None and \
        h["proc"].poll() is None and owns_socket(h["proc"].pid, inode)


def process_tree():
    """ppid -> [pid] for every process."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    return children


def descendants(pid, children):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


class Supervisor:
    def __init__(self, fdir):
        self.fdir = fdir
        with open(os.path.join(fdir, "fleet.json")) as f:
            self.fleet = json.load(f)
        pw = pwd.getpwnam(self.fleet["user"])
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.hosts = self.fleet["hosts"]
        for h in self.hosts:
            h["proc"] = None
            h["phase"] = "up"
            h["fired"] = set()
        self.children = []
        self.listen_cache = {}
        self.stopping = False

    def start_sshd(self, h):
        sshd = h["sshd"]
        h["proc"] = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", f"{sshd}/sshd_config",
             "-E", f"{sshd}/sshd.log"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, start_new_session=True)
        with open(f"{sshd}/pid", "w") as f:
            f.write(f"{h['proc'].pid}\n")

    def kill_sshd(self, hosts):
        """Stop the listeners (no new connections), then kill every
        session below them: all connections to those hosts drop."""
        procs = [h["proc"] for h in hosts if h["proc"] is not None]
        for p in procs:
            try:
                os.kill(p.pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        tree = process_tree()
        for p in procs:
            for c in descendants(p.pid, tree):
                try:
                    os.kill(c, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.kill()
        for p in procs:
            p.wait()
        for h in hosts:
            h["proc"] = None

    def as_user(self, h, args):
        env = {"PATH": "/usr/bin:/bin", "WINSIM_STATE": h["state"],
               "WINSIM_HOST": h["name"]}
        return subprocess.Popen(
            [os.path.join(self.fleet["root"], "bin", "winsim")] + args,
            env=env, user=self.uid, group=self.gid, extra_groups=[],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def read(self, h, name):
        try:
            with open(os.path.join(h["state"], name)) as f:
                return f.read()
        except OSError:
            return None

    def profile_int(self, h, key, default):
        for line in (self.read(h, "profile") or "").splitlines():
            k, _, v = line.partition("=")
            if k == key and v.isdigit():
                return int(v)
        return default

    def rescan(self, h, t):
        """Re-read the scheduled shutdown and tasks when the host's state
        directory changed (winsim replaces files by rename, which touches
        it), and every second anyway: directory times are coarse."""
        try:
            m = os.stat(h["state"]).st_mtime_ns
        except OSError:
            return
        if m == h.get("mtime") and t < h.get("rescan", 0):
            return
        h["mtime"], h["rescan"] = m, t + 1000
        text = self.read(h, "shutdown") or ""
        f = text.split("\t")[0]
        h["due"] = int(f) if f.isdigit() else None
        h["tasks"] = []
        for line in (self.read(h, "tasks") or "").splitlines():
            f = line.split("\t")
            if len(f) >= 7 and f[1].isdigit() and f[4].lower() == "once":
                h["tasks"].append((f[0], int(f[1])))

    def check_shutdown(self, h, t):
        due = h.get("due")
        if due is None or due > t:
            return
        h["due"] = None
        try:
            os.rename(os.path.join(h["state"], "shutdown"),
                      os.path.join(h["state"], "shutdown.firing"))
        except OSError:
            return
        event(h, "reboot-start")
        self.kill_sshd([h])
        if self.read(h, "faults/never-return") is not None:
            event(h, "reboot-never-returns")
            h["phase"] = "dead"
            return
        h["phase"] = "down"
        h["until"] = t + self.profile_int(h, "reboot_down_ms", 2000)

    def check_tasks(self, h, t):
        for name, nxt in h.get("tasks", []):
            if nxt > t or (name, nxt) in h["fired"]:
                continue
            h["fired"].add((name, nxt))
            self.children.append(self.as_user(h, ["--run-task", name]))

    def step(self, h, t, listen):
        if h["phase"] == "up" and h["proc"].poll() is not None:
            # Not a reboot: an sshd that died is logged and started again.
            event(h, f"sshd-exited {h['proc'].returncode}")
            self.start_sshd(h)
            h["phase"], h["ends"] = "starting", "sshd-restarted"
        elif h["phase"] == "up":
            self.rescan(h, t)
            self.check_tasks(h, t)
            self.check_shutdown(h, t)
        elif h["phase"] == "dead" and \
                self.read(h, "faults/never-return") is None:
            # The test removed the fault: the host finishes its reboot.
            h["phase"], h["until"] = "down", t
        elif h["phase"] == "down" and t >= h["until"]:
            self.as_user(h, ["--boot"]).wait()
            self.start_sshd(h)
            h["phase"], h["ends"] = "starting", "reboot-end"
        elif h["phase"] == "starting" and sshd_listening(h, listen):
            event(h, h["ends"])
            h["phase"] = "up"

    def lock_addresses(self):
        """One flock per address:port, held for the fleet's life, so two
        fleets on the same addresses (the same test run from two worktrees
        at once) take turns instead of colliding.  Taken in address order:
        no deadlock between overlapping ranges."""
        d = "/run/lock/kbfix-fleet" if os.path.isdir("/run/lock") else \
            "/tmp/kbfix-fleet-locks"
        os.makedirs(d, 0o755, exist_ok=True)
        deadline = time.time() + int(os.environ.get("FLEET_LOCK_WAIT", 300))
        addrs = sorted({(socket.inet_aton(h["address"]), h["port"])
                        for h in self.hosts})
        self.locks, waited = [], False
        for a, port in addrs:
            name = f"{socket.inet_ntoa(a)}-{port}"
            fd = os.open(os.path.join(d, name), os.O_RDWR | os.O_CREAT, 0o644)
            self.locks.append(fd)
            while not self.stopping:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not waited:
                        print(f"fleet: waiting for {name}, held by another "
                              "fleet", file=sys.stderr, flush=True)
                        waited = True
                    if time.time() > deadline:
                        return name
                    time.sleep(0.1)
        return None

    def in_use(self, h):
        """Did this sshd fail because something else holds its address
        (a fleet that takes no locks, e.g. an older copy of this one)?"""
        try:
            with open(os.path.join(h["sshd"], "sshd.log")) as f:
                return "Address already in use" in f.read()[-4096:]
        except OSError:
            return False

    def start_all(self):
        for h in self.hosts:
            self.start_sshd(h)
        deadline = time.time() + 60
        busy_until = time.time() + int(os.environ.get("FLEET_LOCK_WAIT", 300))
        while not self.stopping:
            table = listening()
            if all(sshd_listening(h, table) for h in self.hosts):
                return True
            dead = [h for h in self.hosts if h["proc"].poll() is not None]
            busy = [h for h in dead if self.in_use(h)]
            if busy and len(busy) == len(dead) and time.time() < busy_until:
                time.sleep(0.5)
                for h in busy:
                    os.truncate(os.path.join(h["sshd"], "sshd.log"), 0)
                    self.start_sshd(h)
                deadline = time.time() + 60
                continue
            if dead or time.time() > deadline:
                names = " ".join(h["name"] for h in dead) or "some"
                write(os.path.join(self.fdir, "failed"),
                      f"sshd did not start for: {names}"
                      f" (see {self.fdir}/sshd/NAME/sshd.log)\n")
                return False
            time.sleep(0.02)
        return False

    def run(self):
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, self.on_term)
        busy = self.lock_addresses()
        if busy is not None or self.stopping:
            write(os.path.join(self.fdir, "failed"),
                  f"{busy}: still held by another fleet\n")
            return 1
        if not self.start_all():
            self.stop()
            return 1
        write(os.path.join(self.fdir, "ready"), f"{os.getpid()}\n")
        while not self.stopping:
            # sshd needs its privilege separation directory for every
            # connection; something else on the machine may remove it.
            os.makedirs("/run/sshd", 0o755, exist_ok=True)
            t = now_ms()
            for h in self.hosts:
                self.step(h, t, self.listen_cache)
            self.listen_cache = listening() if any(
                h["phase"] == "starting" for h in self.hosts) else {}
            self.children = [c for c in self.children if c.poll() is None]
            time.sleep(0.05)
        self.stop()
        return 0

    def on_term(self, signum, frame):
        self.stopping = True

    def stop(self):
        self.kill_sshd(self.hosts)


def cmd_downtimes(fdir):
    """NAME START_MS END_MS for every reboot of every host (END_MS "-"
    while it is down), from the event logs: what reboot-group tests
    check for overlaps."""
    with open(os.path.join(fdir, "fleet.json")) as f:
        fleet = json.load(f)
    for h in fleet["hosts"]:
        start = None
        try:
            with open(os.path.join(h["state"], "events.log")) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            ms, _, ev = line.partition(" ")
            if ev == "reboot-start":
                start = ms
            elif ev == "reboot-end" and start is not None:
                print(h["name"], start, ms)
                start = None
        if start is not None:
            print(h["name"], start, "-")


def main(argv):
    try:
        if len(argv) >= 3 and argv[1] == "state":
            cmd_state(argv[2:])
        elif len(argv) == 5 and argv[1] == "init":
            cmd_init(argv[2:])
        elif len(argv) == 3 and argv[1] == "downtimes":
            cmd_downtimes(argv[2])
        elif len(argv) == 4 and argv[1] == "event":
            cmd_event(argv[2], argv[3])
        elif len(argv) == 3 and argv[1] == "supervise":
            return Supervisor(argv[2]).run()
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except BadInventory as e:
        print(f"fleet: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

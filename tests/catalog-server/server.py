#!/usr/bin/env python3
"""A local Microsoft Update Catalog for the tests (HTTPS or HTTP).

  server.py --root DIR --port-file FILE [--cert PEM --key PEM]
            [--host 127.0.0.1] [--log FILE] [--rate MB]

DIR holds catalog.json and files/ (tests/catalog-server/build.py makes
them).  The server listens on a free port (written to --port-file once it
is ready) and answers, with pages modelled on the real saved responses in
tests/fixtures/catalog:

  GET  /Search.aspx?q=Q[&p=INDEX]      25 rows a page; 2019 markup pages by
  POST /Search.aspx?q=Q                ASP.NET postback, 2025 markup by ?p=
  GET  /ScopedViewInline.aspx?updateid=ID   details, or 302 to Thanks.aspx
  GET  /Thanks.aspx?id=190
  POST /DownloadDialog.aspx            form field updateIDs=[{...}]
  GET  /d/msdownload/update/software/updt/2018/07/NAME   files, with Range

The query "paging-test" returns 60 synthetic rows (3 pages).

Fault switches, set over HTTP and logged:
  GET /_fault?set=NAME[&arg=VALUE]  GET /_fault?clear
    markup=2019|2025     Search.aspx markup (default 2019)
    search_503=N         the next N Search.aspx requests answer 503
    search_8ddd=N        the next N answer the 8DDD0010 error page
    dl_503=N             the next N file downloads answer 503
    cut=NAME             the next download of NAME stops halfway (the
                         connection closes after half the bytes)
    corrupt=NAME         NAME is served with one byte changed
    redirect=NAME        NAME answers 302 to https://localhost:PORT/...
                         (the same server under a host name that is not on
                         the allow list unless --allow-host localhost:PORT)
    redirect_to=BASE     ... or to BASE/d/... instead (another port, http://)
    trickle=MS           Search.aspx and DownloadDialog.aspx send their body
                         one byte every MS milliseconds
    dl_trickle=MS        file downloads send one byte every MS milliseconds
    endless=NAME         NAME is served without a Content-Length and its
                         body never ends
    biglen=NAME          NAME is announced with a Content-Length of 2 GB
                         (its real bytes follow, then the connection closes)
    wrong_arch=1         the dialog of the Server 2008 x86 entry lists a
                         file whose pkgProperties.txt says amd64
    sha256=1             dialogs also give each file's SHA-256
    duplicate=1          searches list the last match twice (another id,
                         title + " - re-release"): an ambiguous entry
    slow=MS              Search.aspx and DownloadDialog.aspx answer after
                         MS milliseconds, like the real Catalog; the most
                         such requests in flight at once is kept in the
                         state as max_inflight
    range=ignore         file downloads answer a Range request with 200 and
                         the whole file (a server without Range support)
    range=wrong          ... or with 206 from the first byte, whatever was
                         asked (a Content-Range the client did not ask for)
    rate=MB              each file download is sent at MB megabytes
                         (10^6 bytes) a second, per connection, like a
                         link that is not loopback; 0: as fast as it goes
                         (also --rate MB at start)
Every request is appended to --log as "METHOD PATH RANGE STATUS".
"""
import argparse
import base64
import hashlib
import html
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DL_PREFIX = "/d/msdownload/update/software/updt/2018/07/"
PAGE = 25

STATE = {"markup": "2019"}
LOCK = threading.Lock()
CAT = {}
ROOT = ""
LOG = None
SHA = {}


def take(key):
    """Consumes one unit of a counted fault."""
    with LOCK:
        n = int(STATE.get(key, 0))
        if n > 0:
            STATE[key] = n - 1
            return True
    return False


class Slow:
    """Delays a page by the slow fault and counts pages in flight."""

    def __enter__(self):
        with LOCK:
            self.ms = int(STATE.get("slow", 0))
            if self.ms:
                STATE["inflight"] = STATE.get("inflight", 0) + 1
                STATE["max_inflight"] = max(STATE.get("max_inflight", 0),
                                            STATE["inflight"])
        time.sleep(self.ms / 1000)

    def __exit__(self, *exc):
        if self.ms:
            with LOCK:
                STATE["inflight"] = STATE.get("inflight", 1) - 1


class Pace:
    """Holds one response to a rate (MB/s, 0: none): after each write it
    sleeps until the bytes sent so far are due."""

    def __init__(self, mb):
        self.rate = mb * 1e6
        self.chunk = 64 << 10 if self.rate else 1 << 20
        self.t0 = time.monotonic()
        self.total = 0

    def sent(self, n):
        if not self.rate:
            return
        self.total += n
        ahead = self.total / self.rate - (time.monotonic() - self.t0)
        if ahead > 0:
            time.sleep(ahead)


def log(line):
    if LOG:
        with LOCK, open(LOG, "a") as f:
            f.write(line + "\n")


def file_sha(name):
    if name not in SHA:
        data = open(os.path.join(ROOT, "files", name), "rb").read()
        SHA[name] = (base64.b64encode(hashlib.sha1(data).digest()).decode(),
                     base64.b64encode(hashlib.sha256(data).digest()).decode(),
                     len(data))
    return SHA[name]


def search_rows(q):
    if q.lower() == "paging-test":
        return [{"update_id": "%08x-0000-4000-8000-%012x" % (0x9a9e0000 + i, i),
                 "title": "Paging Test Update %02d for Windows 7 (KB50000%02d)"
                 % (i, i), "products": "Windows 7",
                 "classification": "Updates", "date": "1/%d/2020" % (i % 28 + 1),
                 "version": "n/a", "files": []} for i in range(60)]
    ql = q.lower()
    rows = [u for u in CAT["updates"]
            if ql in u["title"].lower() or ql == u["kb"].lower()]
    if STATE.get("duplicate") and rows:
        dup = dict(rows[-1])
        dup["update_id"] = dup["update_id"][:-4] + "dddd"
        dup["title"] += " - re-release"
        rows.append(dup)
    return rows


def entry_files(u):
    """The files an entry's dialog lists (the wrong_arch fault swaps one)."""
    if STATE.get("wrong_arch") and u["update_id"] in CAT.get("wrong_arch", {}):
        return [CAT["wrong_arch"][u["update_id"]]]
    return u["files"]


def row_html(u, r):
    g = u["update_id"]
    files = entry_files(u)
    # the Catalog's originalSize: the entry's files together
    size = sum(os.path.getsize(os.path.join(ROOT, "files", n))
               for n in files) if files else 1024
    return """<tr id="{g}_R{r}" style="border-width:0px;">
		<td class="resultsbottomBorder resultspadding resultsIconWidth " id="{g}_C0_R{r}">
                    </td><td class="resultsbottomBorder resultspadding" id="{g}_C1_R{r}">
                        <a id='{g}_link' href= "javascript:void(0);" onclick='goToDetails("{g}");'>
                            {t}
                        </a>
                    </td><td class="resultsbottomBorder resultspadding" id="{g}_C2_R{r}">
                        {p}
                    </td><td class="resultsbottomBorder resultspadding" id="{g}_C3_R{r}">
                        {c}
                    </td><td class="resultsbottomBorder resultspadding " id="{g}_C4_R{r}">
                        {d}
                    </td><td class="resultsbottomBorder resultspadding" id="{g}_C5_R{r}">
                        {v}
                    </td><td class="resultsbottomBorder resultspadding resultsSizeWidth" id="{g}_C6_R{r}">
                       <span id="{g}_size">{kb} KB</span>
                       <span class="noDisplay" id="{g}_originalSize">{s}</span>
                    </td><td class="resultsbottomBorder resultsButtonWidth" id="{g}_C7_R{r}">
                            <input id="{g}" class="flatLightBlueButton" type="button" value='Download' />
                        </td>
	</tr>""".format(g=g, r=r, t=html.escape(u["title"]),
                    p=html.escape(u["products"]), c=u["classification"],
                    d=u["date"], v=u["version"], s=size, kb=size // 1024)


def search_page(q, page):
    rows = search_rows(q)
    if not rows:
        return ('<html><body><form method="post" action="./Search.aspx?q=%s"'
                ' id="aspnetForm"><span id="ctl00_catalogBody_noResultText">'
                'We did not find any results for "%s".</span></form></body>'
                '</html>' % (urllib.parse.quote_plus(q), html.escape(q)))
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    chunk = rows[page * PAGE:(page + 1) * PAGE]
    first, last = page * PAGE + 1, page * PAGE + len(chunk)
    banner = "%d - %d of %d (page %d of %d)" % (first, last, len(rows),
                                               page + 1, pages)
    body = "".join(row_html(u, i) for i, u in enumerate(chunk))
    action = "./Search.aspx?q=" + urllib.parse.quote_plus(q)
    has_next = page + 1 < pages
    if STATE["markup"] == "2025":
        nxt = ('<a id="ctl00_catalogBody_nextPageLink" href="javascript:'
               'void(0)" onclick="handlePageChange(%d)">Next</a>' % (page + 1)
               if has_next else '<span id="ctl00_catalogBody_nextPage">Next'
               '</span>')
        return """<!DOCTYPE html><html lang="en"><head>
<script>function handlePageChange(pageIndex) {{
  var url = new URL(window.location.href);
  url.searchParams.set('p', pageIndex); window.location.href = url.toString(); }}
</script></head><body class="mainBody">
<form method="post" action="{a}" id="aspnetForm">
<div class="resultsNavigation" id="ctl00_catalogBody_navigationLinks">
<span id="ctl00_catalogBody_searchDuration">{b}</span>{n}</div>
<table class="resultsBorder" id="ctl00_catalogBody_updateMatches" role="grid">
<thead><tr id="headerRow"><th id="header_C1"><a id="ctl00_catalogBody_sortByTitle" href="?sort=title">Title</a></th></tr></thead>
<tbody>{r}</tbody></table></form></body></html>""".format(
            a=html.escape(action), b=banner, n=nxt, r=body)
    vs = base64.b64encode(("page=%d;q=%s" % (page, q)).encode()).decode()
    nxt = ('<span id="ctl00_catalogBody_nextPageLink"><a id="ctl00_'
           'catalogBody_nextPageLinkText" href="javascript:__doPostBack(&#39;'
           'ctl00$catalogBody$nextPageLinkText&#39;,&#39;&#39;)"><span>Next'
           '</span></a></span>' if has_next else
           '<span id="ctl00_catalogBody_nextPage"><span>Next</span></span>')
    return """<html><head><title>Microsoft Update Catalog</title></head>
<body class="mainBody"><form method="post" action="{a}" id="aspnetForm">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{vs}" />
<input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="BBBC20B8" />
<input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="ev+/=" />
<table id="ctl00_catalogBody_navigationLinks"><tr><td>
<span id="ctl00_catalogBody_searchDuration">{b}</span><br />
</td><td>{n}</td></tr></table>
<div id="tableContainer" class="resultsBackGround">
<table class="resultsBorder resultsBackGround" id="ctl00_catalogBody_updateMatches">
<tr class="dataGridFixedHeader1" id="headerRow"><td id="header_C1">Title</td></tr>
{r}
</table></div></form></body></html>""".format(
        a=html.escape(action), vs=vs, b=banner, n=nxt, r=body)


def superseded_by_html(u):
    """The "superseded by" links of an entry (its superseded_by ids)."""
    ids = u.get("superseded_by") or []
    if not ids:
        return " n/a"
    titles = {x["update_id"]: x["title"] for x in CAT["updates"]}
    return "\n".join(
        "<div style=\"padding-bottom: 0.3em;\"><a href='ScopedViewInline"
        ".aspx?updateid=%s'>%s</a></div>" % (i, html.escape(titles.get(i, "?")))
        for i in ids)


def details_page(u):
    kbnum = u["kb"][2:]
    return """<html><body class="mainBody">
<div id="titleDiv"><span id="ScopedViewHandler_titleText">{t}</span></div>
<div id="dateDiv"><span id="ScopedViewHandler_labelLastModified_Separator" class="labelTitle">Last Modified:</span>
<span id="ScopedViewHandler_date">{d}</span></div>
<span id="ScopedViewHandler_desc">Install this update to resolve issues in Windows.</span>
<div id="archDiv"><span id="ScopedViewHandler_labelArchitecture_Separator" class="labelTitle">Architecture:</span>
 {a}
</div>
<div id="classificationDiv"><span id="ScopedViewHandler_labelClassification_Separator" class="labelTitle">Classification:</span>
 {c}
</div>
<div id="productsDiv"><span id="ScopedViewHandler_labelSupportedProducts_Separator" class="labelTitle">Supported products:</span>
 {p}
</div>
<div id="securityBullitenDiv"><span id="ScopedViewHandler_labelSecurityBulliten_Separator" class="labelTitle">MSRC Number:</span>
 n/a
</div>
<div id="msrcSeverityDiv"><span id="ScopedViewHandler_msrcSeverity">n/a</span></div>
<div id="kbDiv" class="textDoubleSpacer"><span id="ScopedViewHandler_labelKBArticle_Separator" class="labelTitle">KB article numbers:</span>
 {k}
</div>
<div id="supersededbyInfo">
{sb}
</div>
<div id="supersedesInfo">
 <div style="padding-bottom: 0.3em;">
  2018-07 Security Only Quality Update for {p} ({kb0})
 </div>
</div>
<span id="ScopedViewHandler_rebootBehavior">Can request restart</span>
<span id="ScopedViewHandler_userInput">No</span>
</body></html>""".format(t=html.escape(u["title"]), d=u["date"],
                         a="AMD64" if "x64" in u["title"] else "n/a",
                         c=u["classification"], p=html.escape(u["products"]),
                         k=kbnum, kb0="KB4338823", sb=superseded_by_html(u))


def dialog_page(u, base):
    files = entry_files(u)
    lines = ["var downloadInformation = new Array();",
             "downloadInformation[0] = new Object();",
             "downloadInformation[0].updateID ='%s';" % u["update_id"],
             "downloadInformation[0].isHotFix =false;",
             "downloadInformation[0].enTitle ='%s';"
             % u["title"].replace("'", "\\'"),
             "downloadInformation[0].files = new Array();"]
    for j, name in enumerate(files):
        d1, d256, _ = file_sha(name)
        p = "downloadInformation[0].files[%d]" % j
        lines += ["%s = new Object();" % p,
                  "%s.url = '%s%s%s';" % (p, base, DL_PREFIX, name),
                  "%s.digest = '%s';" % (p, d1),
                  "%s.architectures = '';" % p,
                  "%s.languages = 'all';" % p,
                  "%s.longLanguages = 'all';" % p,
                  "%s.fileName = '%s';" % (p, name),
                  "%s.defaultFileNameLength = 128;" % p]
        if STATE.get("sha256"):
            lines.append("%s.sha256 = '%s';" % (p, d256))
    return ("<html><head><script type=\"text/javascript\">\n%s\n</script>"
            "</head><body></body></html>" % "\n".join(lines))


ERROR_PAGE = ("<html><body><div id=\"errorPageDisplayedError\">The website has"
              " encountered a problem. Error number: 8DDD0010</div></body>"
              "</html>")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle and
        # the client's delayed ACK add 40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, ctype="text/html; charset=utf-8",
              headers=(), page=False):
        data = body.encode() if isinstance(body, str) else body
        log("%s %s %s %d" % (self.command, self.path,
                             self.headers.get("Range", "-"), code))
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.trickle(data, int(STATE.get("trickle", 0)) if page else 0)

    def trickle(self, data, ms):
        """Sends data, one byte every ms milliseconds when ms > 0."""
        if not ms:
            self.wfile.write(data)
            return
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(ms / 1000)
        except OSError:
            self.close_connection = True

    def base(self):
        return "%s://%s" % ("https" if self.server.tls else "http",
                            self.headers.get("Host"))

    def find(self, uid):
        for u in CAT["updates"]:
            if u["update_id"] == uid.lower():
                return u
        return None

    def form(self):
        n = int(self.headers.get("Content-Length", 0))
        return urllib.parse.parse_qs(self.rfile.read(n).decode())

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        qs = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if url.path == "/_fault":
            return self.fault(qs)
        if url.path == "/Search.aspx":
            return self.search(qs.get("q", [""])[0],
                               int(qs.get("p", ["0"])[0]))
        if url.path == "/ScopedViewInline.aspx":
            u = self.find(qs.get("updateid", [""])[0])
            if u is None:
                return self.reply(302, "", headers=[
                    ("Location", "/Thanks.aspx?id=190")])
            return self.reply(200, details_page(u))
        if url.path == "/Thanks.aspx":
            return self.reply(200, '<html><body class="mainBody thanks">'
                              '<form method="post" action="./Thanks.aspx?id='
                              '190" id="aspnetForm"><div id="thanksHeader">'
                              '</div></form></body></html>')
        if url.path.startswith(DL_PREFIX):
            return self.download(url.path[len(DL_PREFIX):])
        return self.reply(404, "not found")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        form = self.form()
        if url.path == "/Search.aspx":
            q = urllib.parse.parse_qs(url.query).get("q", [""])[0]
            target = form.get("__EVENTTARGET", [""])[0]
            vs = base64.b64decode(form.get("__VIEWSTATE", [""])[0]).decode()
            page = int(vs.split(";")[0].split("=")[1])
            if target != "ctl00$catalogBody$nextPageLinkText":
                return self.reply(400, "bad postback")
            return self.search(q, page + 1)
        if url.path == "/DownloadDialog.aspx":
            ids = json.loads(form.get("updateIDs", ["[]"])[0])
            u = self.find(ids[0]["updateID"]) if ids else None
            with Slow():
                pass
            if u is None:
                return self.reply(200, "<html><body></body></html>")
            return self.reply(200, dialog_page(u, self.base()), page=True)
        return self.reply(404, "not found")

    def search(self, q, page):
        with Slow():
            pass
        if take("search_503"):
            return self.reply(503, "Service Unavailable")
        if take("search_8ddd"):
            return self.reply(200, ERROR_PAGE)
        return self.reply(200, search_page(q, page), page=True)

    def fault(self, qs):
        with LOCK:
            if "clear" in qs:
                STATE.clear()
                STATE["markup"] = "2019"
            elif "set" in qs:
                STATE[qs["set"][0]] = qs.get("arg", ["1"])[0]
        log("FAULT %s" % json.dumps(STATE, sort_keys=True))
        return self.reply(200, json.dumps(STATE), "application/json")

    def download(self, name):
        path = os.path.join(ROOT, "files", os.path.basename(name))
        if not os.path.isfile(path):
            return self.reply(404, "no such file")
        if take("dl_503"):
            return self.reply(503, "Service Unavailable")
        with LOCK:
            redirect = STATE.get("redirect") == name and not \
                self.headers.get("Host", "").startswith("localhost")
            cut = STATE.get("cut") == name
            if cut:
                STATE.pop("cut")
            target = STATE.get("redirect_to")
        if redirect:
            port = self.server.server_address[1]
            scheme = "https" if self.server.tls else "http"
            target = target or "%s://localhost:%d" % (scheme, port)
            return self.reply(302, "", headers=[(
                "Location", "%s%s%s" % (target, DL_PREFIX, name))])
        if STATE.get("endless") == name:
            return self.send_endless()
        self.send_file(path, name, cut)

    def send_endless(self):
        """200 without a Content-Length, and a body that never ends."""
        log("%s %s - 200" % (self.command, self.path))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"\0" * (64 << 10)
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            pass

    def send_file(self, path, name, cut):
        size = os.path.getsize(path)
        start, code = 0, 200
        rng = self.headers.get("Range")
        mode = STATE.get("range")
        if rng and mode != "ignore" and rng.startswith("bytes=") and \
                rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= size:
                return self.reply(416, "", headers=[
                    ("Content-Range", "bytes */%d" % size)])
            code = 206
            if mode == "wrong":
                start = 0
        log("%s %s %s %d" % (self.command, self.path, rng or "-", code))
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        biglen = STATE.get("biglen") == name
        self.send_header("Content-Length",
                         str(2 * 10 ** 9 if biglen else size - start))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d"
                             % (start, size - 1, size))
        self.end_headers()
        corrupt = STATE.get("corrupt") == name
        limit = size // 2 if cut else size
        pace = Pace(float(STATE.get("rate", 0)))
        dl_trickle = int(STATE.get("dl_trickle", 0))
        if dl_trickle or biglen:
            with open(path, "rb") as f:
                f.seek(start)
                self.trickle(f.read(limit - start), dl_trickle)
            self.close_connection = True
            return
        with open(path, "rb") as f:
            f.seek(start)
            pos = start
            while pos < limit:
                chunk = f.read(min(pace.chunk, limit - pos))
                if not chunk:
                    break
                if corrupt and pos <= size // 3 < pos + len(chunk):
                    i = size // 3 - pos
                    chunk = chunk[:i] + bytes([chunk[i] ^ 0xff]) + \
                        chunk[i + 1:]
                self.wfile.write(chunk)
                pos += len(chunk)
                pace.sent(len(chunk))
        if cut:
            self.close_connection = True
            self.wfile.flush()
            try:
                self.connection.shutdown(2)
            except OSError:
                pass


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # a client that goes away mid-transfer (an interrupted fetch) is
        # not a server error
        if isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def main():
    global CAT, ROOT, LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--rate", type=float, default=0)
    a = ap.parse_args()
    ROOT, LOG = a.root, a.log
    if a.rate:
        STATE["rate"] = str(a.rate)
    CAT = json.load(open(os.path.join(ROOT, "catalog.json")))
    for name in os.listdir(os.path.join(ROOT, "files")):
        file_sha(name)      # before the port is announced: not on a client's clock
    srv = Server((a.host, 0), Handler)
    srv.daemon_threads = True
    srv.tls = bool(a.cert)
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

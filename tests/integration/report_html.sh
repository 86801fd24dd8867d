#!/usr/bin/env bash
# The plan's HTML page in headless Chromium (Debian package chromium): it
# loads from a file with nothing from the network, the timeline has one bar
# per host that needs action, nothing overflows 1280 px, and hostile values
# stay text.  The screenshot is kept (path printed) (issue 13, item 3).
. "$(dirname "$0")/../lib.sh"
cd "$TOP"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (./dev deps installs it)"
	finish
fi
OUT=${KBFIX_TEST_OUT:-$TOP/$BUILD/test-out}/report_html
mkdir -p "$OUT"

# the example inventory, plus a host whose role is markup
python3 - "$T_TMP/inv.json" <<'PY'
import json, sys
inv = json.load(open("examples/inventory.json"))
inv["hosts"].append({"name": "evil01", "os": "Windows 7 Professional",
    "version": "6.1.7601", "arch": "x64", "installed": ["KB4338823"],
    "roles": ["<img src=x onerror=alert(1)>"], "group": "</text><svg>"})
json.dump(inv, open(sys.argv[1], "w"))
PY
kbfix plan -i "$T_TMP/inv.json" --created 2026-11-21T12:00:00Z \
    --window 2026-11-21T23:00:00+01:00/4h -o "$T_TMP/plan.json"
kbfix report "$T_TMP/plan.json" --format html -o "$OUT/plan.html"
check "report writes the page" test -s "$OUT/plan.html"
check "self-contained: no URL, no external resource" \
    bash -c "! grep -Eq 'https?://|<link|src=\"|url\(' '$OUT/plan.html'"
want=$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(sum(1 for h in p["hosts"] if h["actions"] and h["wave"] > 0))' \
    "$T_TMP/plan.json")

# a probe the test adds: what the page looks like once laid out at 1280 px
sed 's|</body>|<pre id="probe"></pre><script>document.getElementById("probe").textContent = "scrollWidth=" + document.documentElement.scrollWidth + " bars=" + document.querySelectorAll("#timeline g.bar").length + " rows=" + document.querySelectorAll("#hosts tbody tr").length + " images=" + document.images.length + " details=" + document.querySelectorAll("#hosts details").length;</script></body>|' \
    "$OUT/plan.html" >"$T_TMP/probe.html"
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --no-first-run --user-data-dir="$T_TMP/profile" \
	    --window-size=1280,1600 "$@" 2>>"$T_TMP/chromium.log"
}
dom=$(chrome --dump-dom "file://$T_TMP/probe.html")
probe=$(printf '%s' "$dom" | grep -o 'scrollWidth=[0-9]* bars=[0-9]* rows=[0-9]* images=[0-9]* details=[0-9]*')
check_contains "Chromium laid the page out" "$probe" "scrollWidth="
sw=$(printf '%s' "$probe" | sed -n 's/.*scrollWidth=\([0-9]*\).*/\1/p')
check "nothing overflows 1280 px (scrollWidth ${sw:-?})" test "${sw:-99999}" -le 1280
check_contains "one timeline bar per host that needs action ($want)" \
    "$probe" "bars=$want "
check_contains "one table row per host" "$probe" \
    "rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["hosts"]))' "$T_TMP/plan.json") "
check_contains "a role that is markup stays text (no image)" "$probe" "images=0"
check_contains "findings folded per host" "$probe" "details=$(printf '%s' "$probe" | sed -n 's/.*rows=\([0-9]*\).*/\1/p')"
check_contains "the window's end is drawn" "$OUT/plan.html" \
    'window end 03:00'

chrome --screenshot="$OUT/plan.png" "file://$OUT/plan.html" >/dev/null
check "screenshot is a PNG 1280 px wide" python3 - "$OUT/plan.png" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(32)
sys.exit(0 if d[:8] == b"\x89PNG\r\n\x1a\n" and
         struct.unpack(">I", d[16:20])[0] == 1280 else 1)
PY
echo "# screenshot: $OUT/plan.png"

# a window too short for the plan: deferred hosts are marked
kbfix plan -i examples/inventory.json --created 2026-11-21T12:00:00Z \
    --window 2026-11-21T22:00:00Z/20m -o "$T_TMP/short.json"
kbfix report "$T_TMP/short.json" --format html -o "$T_TMP/short.html"
check_contains "hosts past the window end are marked deferred" \
    "$T_TMP/short.html" '<g class="bar def" data-wave="2"'
check_contains "deferred label drawn" "$T_TMP/short.html" '>deferred</text>'
finish

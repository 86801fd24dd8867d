#!/usr/bin/env bash
# discover --skip-invalid (issue 15 item 7): every bad host is reported,
# the others are discovered, and the bad ones are written back untouched.
# Offline: the good hosts are manual (never contacted), so no fleet.
. "$(dirname "$0")/../lib.sh"

inv=$T_TMP/inv.json
cat > "$inv" <<'JSON'
{"hosts": [
  {"name": "vista01", "os": "Windows Vista", "version": "6.0.6002", "arch": "x86", "transport": "manual", "notes": "kept"},
  {"name": "bad-port", "os": "Windows 7", "port": 70000, "notes": "first bad"},
  {"name": "w2008", "os": "Windows Server 2008", "version": "6.0.6002", "arch": "x64"},
  {"name": "bad-kb", "os": "Windows 7", "installed": ["KB12"], "notes": "second bad"}
]}
JSON

check_status "without --skip-invalid: bad inventory" 2 \
    kbfix discover -i "$inv" -o "$T_TMP/out0.json"
check "without --skip-invalid: nothing written" test ! -e "$T_TMP/out0.json"

kbfix discover -i "$inv" -o "$T_TMP/out.json" --skip-invalid --no-evidence \
    2> "$T_TMP/err"; rc=$?
check_eq "--skip-invalid: exit 3 (hosts skipped)" 3 "$rc"
check_contains "first bad host reported" "$T_TMP/err" "bad-port"
check_contains "second bad host reported" "$T_TMP/err" "bad-kb"
check_contains "count reported" "$T_TMP/err" "2 host(s) skipped (--skip-invalid)"
check "output written" test -s "$T_TMP/out.json"
check "bad hosts written back as they were, in place" python3 - "$inv" "$T_TMP/out.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["hosts"]
b = json.load(open(sys.argv[2]))["hosts"]
assert [h["name"] for h in a] == [h["name"] for h in b], b
assert a[1] == b[1] and a[3] == b[3], (a, b)
assert b[0]["notes"] == "kept"
PY
check_status "plan --skip-invalid on the output: exit 3" 3 \
    kbfix plan -i "$T_TMP/out.json" --skip-invalid -o "$T_TMP/plan.json"
finish

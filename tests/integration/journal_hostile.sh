#!/usr/bin/env bash
# valgrind: skip
# Hostile journals and run directories (issue 16, M4 and item 6), without
# hosts: a bad record is refused with its line (never a crash), garbage
# is refused by status with exit 2, the lock is taken before anything is
# written, a read-only or full run directory is reported as such and a
# record cut by a full disk is removed, status is linear in hosts.
# Mounts tmpfs (root only; those checks are skipped otherwise).
. "$(dirname "$0")/../lib.sh"

cat >"$T_TMP/inv.json" <<'JSON'
{"hosts": [
 {"name": "mix-000", "address": "127.0.5.250", "port": 2222, "user": "winsim",
  "arch": "x64"}]}
JSON
python3 "$TOP/tests/apply/mkrun.py" plan "$T_TMP/inv.json" "$T_TMP/plan.json" \
    --manual mix-000
b=$T_TMP/bundle
. "$TOP/tests/apply/manual_bundle.sh"
manual_bundle "$b"
apply() { kbfix apply "$T_TMP/plan.json" --bundle "$b" --run-dir "$1"; }
apply "$T_TMP/run" >/dev/null 2>&1
check "a manual run to start from" test -s "$T_TMP/run/journal.jsonl"

# run_with NAME RECORD...: a copy of the run with these lines appended
run_with() {
	local d=$T_TMP/$1; shift
	rm -rf "$d"
	cp -r "$T_TMP/run" "$d"
	printf '%s\n' "$@" >>"$d/journal.jsonl"
	echo "$d"
}

# M4: a prior without its type, after the package was removed: rollback
# crashed (SIGSEGV) at the same point on every retry.
rest='"ev":"prior","host":"mix-000","kind":"registry","key":"HKLM\\Software\\Microsoft\\SQMClient\\Windows","value":"CEIPEnable"'
d=$(run_with m4 "{\"seq\":4,$rest,\"existed\":true,\"data\":\"0x1\"}" \
    '{"seq":5,"ev":"done","host":"mix-000","step":"rb-remove"}')
out=$(kbfix rollback "$d" 2>&1); rc=$?
check_eq "prior without type: rollback refuses the journal (exit 2)" 2 "$rc"
check_contains "prior without type: names line and field" "$out" \
    "journal.jsonl: line 4: field 'type'"
for bad in \
    "{\"seq\":4,$rest,\"existed\":true,\"type\":\"REG_BINARY\",\"data\":\"00\"}:type" \
    "{\"seq\":4,$rest,\"existed\":true,\"type\":\"REG_DWORD\",\"data\":\"1; calc\"}:data" \
    "{\"seq\":4,$rest,\"existed\":true,\"type\":\"REG_SZ\",\"data\":\"a & calc.exe\"}:data" \
    "{\"seq\":4,$rest,\"existed\":false,\"type\":\"REG_SZ\"}:type" \
    "{\"seq\":4,$rest}:existed" \
    '{"seq":4,"ev":"prior","host":"mix-000","kind":"registry","key":"HKCU\\X","value":"V","existed":false}:key' \
    '{"seq":4,"ev":"prior","host":"mix-000","kind":"package","kb":"KB4345459","installed":false,"identity":"x\" & calc"}:identity' \
    '{"seq":4,"ev":"prior","host":"mix-000","kind":"multicast","family":"ipv9","enabled":true}:family' \
    '{"seq":4,"ev":"prior","host":"mix-000","kind":"printer"}:kind' \
    '{"seq":4.5,"ev":"state","host":"mix-000","state":"done"}:seq'; do
	field=${bad##*:}
	d=$(run_with bad "${bad%:*}")
	out=$(kbfix status "$d" 2>&1); rc=$?
	check_eq "bad $field: status refuses it (exit 2)" 2 "$rc"
	check_contains "bad $field: named with its line" "$out" \
	    "line 4: field '$field'"
done

# Garbage is not an empty run.
printf 'hello world, not a journal' >"$T_TMP/garbage.jsonl"
for g in "$T_TMP/garbage.jsonl" "$TOP/Makefile" /bin/ls; do
	rm -rf "$T_TMP/g"; mkdir "$T_TMP/g"
	head -c 200000 "$g" >"$T_TMP/g/journal.jsonl"
	out=$(kbfix status "$T_TMP/g" 2>&1); rc=$?
	check_eq "garbage $(basename "$g"): status exit 2" 2 "$rc"
	check_contains "garbage $(basename "$g"): names line 1" "$out" \
	    "journal.jsonl: line 1: not a journal record"
done
d=$(run_with lastbad 'not json')
out=$(kbfix status "$d" 2>&1); rc=$?
check_eq "a bad last line with its newline is no torn write (exit 2)" 2 "$rc"
check_contains "a bad last line: named" "$out" "line 4: not a journal record"
d=$(run_with torn)
printf '{"seq":4,"ev":"do' >>"$d/journal.jsonl"
check_status "a torn last record is still ignored" 0 \
    kbfix status "$d" >/dev/null

# The lock first: a second apply writes nothing into a locked run dir.
mkdir -p "$T_TMP/locked"
echo sentinel >"$T_TMP/locked/run.json"
exec 9>"$T_TMP/locked/lock"
flock -n 9
out=$(apply "$T_TMP/locked" 2>&1); rc=$?
exec 9>&-
check_eq "locked run dir: apply stops" 1 "$rc"
check_contains "locked run dir: another kbfix" "$out" \
    "another kbfix is working"
check_eq "locked run dir: run.json untouched" sentinel \
    "$(cat "$T_TMP/locked/run.json")"
check "locked run dir: no plan.json written" test ! -e "$T_TMP/locked/plan.json"

if [ "$(id -u)" -eq 0 ]; then
	mnt=$T_TMP/mnt
	mkdir -p "$mnt"
	trap 'umount "$mnt" 2>/dev/null; rm -rf "$T_TMP"' EXIT
	mount -t tmpfs -o size=64k tmpfs "$mnt"

	# Read-only: said so, not "another kbfix".
	cp -r "$T_TMP/run" "$mnt/run"
	mount -o remount,ro "$mnt"
	out=$(kbfix resume "$mnt/run" 2>&1); rc=$?
	check_eq "read-only run dir: resume fails" 1 "$rc"
	check_contains "read-only run dir: said so" "$out" \
	    "Read-only file system"
	case $out in
	*"another kbfix"*) not_ok "read-only run dir: not another kbfix"
		echo "# $out" ;;
	*) ok "read-only run dir: not another kbfix" ;;
	esac
	mount -o remount,rw "$mnt"

	# Full disk: the journal ends 20 bytes short of a page, the disk is
	# full, so the next record is cut short by the file system.
	j=$mnt/run/journal.jsonl
	n=$(wc -c <"$j")
	pad=$((4096 - 20 - n - 48))
	printf '{"seq":4,"ev":"state","state":"pad","error":"%s"}\n' \
	    "$(head -c "$pad" /dev/zero | tr '\0' x)" >>"$j"
	check_eq "full disk: journal padded to a page less 20 bytes" 4076 \
	    "$(wc -c <"$j")"
	dd if=/dev/zero of="$mnt/fill" bs=4096 2>/dev/null
	before=$(md5sum <"$j")
	out=$(kbfix resume "$mnt/run" 2>&1); rc=$?
	check_eq "full disk: resume fails" 1 "$rc"
	check_contains "full disk: ENOSPC reported" "$out" \
	    "journal.jsonl: write: No space left on device"
	check_eq "full disk: the cut record is removed" "$before" \
	    "$(md5sum <"$j")"
	rm -f "$mnt/fill"
	check_status "full disk: the journal reads after space is freed" 0 \
	    kbfix status "$mnt/run" >/dev/null
	umount "$mnt"
else
	echo "# not root: read-only and full-disk checks skipped"
fi

# Status is linear in hosts: 200,000 hosts, 5 records each.
[ -n "${SKIP_BIG:-}" ] && finish
python3 - "$T_TMP/big" <<'PY'
import json, os, sys
d = sys.argv[1]
os.makedirs(d)
with open(os.path.join(d, "journal.jsonl"), "w") as f:
    seq = 1
    f.write(json.dumps({"seq": 1, "ev": "begin", "op": "apply"}) + "\n")
    for i in range(200000):
        h = "host%06d" % i
        recs = [{"ev": "intent", "host": h, "step": "connect"},
                {"ev": "done", "host": h, "step": "connect"},
                {"ev": "prior", "host": h, "kind": "registry",
                 "key": "HKLM\\Software\\X", "value": "V", "existed": True,
                 "type": "REG_DWORD", "data": "0x1"},
                {"ev": "done", "host": h, "step": "capture"},
                {"ev": "state", "host": h, "state": "done"}]
        for r in recs:
            seq += 1
            f.write(json.dumps(dict(seq=seq, **r)) + "\n")
    f.write(json.dumps({"seq": seq + 1, "ev": "end", "op": "apply"}) + "\n")
PY
# CPU time, not wall time: the suite runs scripts at once on a loaded
# machine, where the wall clock says little about status itself.
t0=$(date +%s%N)
/usr/bin/time -o "$T_TMP/big.time" -f '%U %S' $KBFIX_WRAP "$KBFIX" status "$T_TMP/big" \
    >"$T_TMP/big.out" 2>&1; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$T_TMP/big.time")
echo "# status, 200000 hosts (1,000,002 records): $cpu ms of CPU, $ms ms wall"
check_eq "200000 hosts: status exit 0" 0 "$rc"
check_eq "200000 hosts: every host listed" 200001 "$(wc -l <"$T_TMP/big.out")"
check "200000 hosts: status under 10 s of CPU ($cpu ms)" test "$cpu" -lt 10000
rm -rf "$T_TMP/big" "$T_TMP/big.out"

# An error that quotes a host's output reaches the terminal without its
# escape sequences (issue 16: terminal escaping).
mkdir -p "$T_TMP/esc"
printf '%s\n' '{"seq":1,"ev":"begin","op":"apply"}' \
    '{"seq":2,"ev":"state","host":"web01","state":"failed","error":"web01: dism said \u001b]0;owned\u0007\u001b[2J"}' \
    '{"seq":3,"ev":"end","op":"apply"}' >"$T_TMP/esc/journal.jsonl"
out=$(kbfix status "$T_TMP/esc" 2>&1); rc=$?
check_eq "escape sequences: status exit 0" 0 "$rc"
check "escape sequences: none reach the terminal" \
    bash -c '! printf "%s" "$1" | grep -q $'"'"'\x1b'"'"'' _ "$out"
check_contains "escape sequences: the error is still shown" "$out" \
    "web01: dism said ?]0;owned??[2J"

finish

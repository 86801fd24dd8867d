#!/usr/bin/env bash
# Outputs replace only regular files (issue: hostile input and the machine):
# -o onto a copy of the null device, a FIFO, "-", a symbolic link or a
# folder, for plan -o and discover -o (the same writer serves run files and
# fetch's archive).  Needs root for mknod.
. "$(dirname "$0")/../lib.sh"
cd "$TOP"
inv=examples/inventory.json
d="$T_TMP/out"; mkdir "$d"
KBFIX_NOW=2026-11-21T12:00:00Z; export KBFIX_NOW

# a copy of the null device stays a device, and nothing is left beside it
if mknod "$d/null" c 1 3 2>/dev/null; then
	check_status "plan -o onto a null device" 0 kbfix plan -i $inv -o "$d/null"
	check "null device: still a character device" test -c "$d/null"
	check_eq "null device: no temporary file beside it" "null" "$(ls -A "$d")"
	rm -f "$d/null"
else
	ok "plan -o onto a null device # skip: mknod needs root"
fi

# a FIFO: the plan goes through it to the reader
mkfifo "$d/fifo"
cat "$d/fifo" > "$T_TMP/from-fifo" &
reader=$!
check_status "plan -o onto a FIFO" 0 kbfix plan -i $inv -o "$d/fifo"
wait "$reader"
check "FIFO: still a FIFO" test -p "$d/fifo"
check_contains "FIFO: the reader got the plan" "$T_TMP/from-fifo" '"format": "kbfix-plan/1"'
rm -f "$d/fifo"

# "-" is standard output
out=$(kbfix plan -i $inv -o - 2>&1)
check_contains "-o -: the plan on stdout" "$out" '"format": "kbfix-plan/1"'
check_eq "-o -: no file named -" "" "$(ls -A "$d")"

# a symbolic link: its target is replaced, the link stays
echo old > "$d/target"; ln -s target "$d/link"
check_status "plan -o onto a link" 0 kbfix plan -i $inv -o "$d/link"
check "link: still a link" test -L "$d/link"
check_contains "link: its target holds the plan" "$d/target" '"format": "kbfix-plan/1"'

# a folder is refused, and left as it was
mkdir "$d/folder"
check_status "plan -o onto a folder" 1 kbfix plan -i $inv -o "$d/folder"
check "folder: still a folder" test -d "$d/folder"
check_eq "folder: nothing written beside it" "folder link target" "$(ls -A "$d" | tr '\n' ' ' | sed 's/ $//')"
finish

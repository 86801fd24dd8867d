# Sourced by tests for manual hosts (no connection is made): manual_bundle
# DIR writes a bundle of one KB4345459 x64 file for mix-000, with the
# manifest's real size and digests, so apply's bundle check passes.
manual_bundle() {
	local f=windows6.1-kb4345459-x64_0123.msu sha1 sha256
	mkdir -p "$1/files"
	printf 'MSCF-not-really' >"$1/files/$f"
	sha1=$(sha1sum "$1/files/$f" | cut -d' ' -f1)
	sha256=$(sha256sum "$1/files/$f" | cut -d' ' -f1)
	cat >"$1/manifest.json" <<JSON
{"format": "kbfix-bundle/1", "updates": [{
 "update_id": "00000000-0000-0000-0000-000000000001", "kb": "KB4345459",
 "arch": "x64", "product": "Windows 7", "hosts": ["mix-000"],
 "files": [{"name": "$f", "path": "files/$f",
  "size": 15, "sha1": "$sha1", "sha256": "$sha256",
  "package_cab": "Windows6.1-KB4345459-x64.cab"}]}]}
JSON
}

/* MSU inspection, file checks and the bundle reader (catalog/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define FIX "tests/fixtures/catalog/"
#define W7 "windows6.1-kb4345459-x64_7674f1b622aff391e5140b70416d7f1fbd4dd22b.msu"
#define W7SHA1 "7674f1b622aff391e5140b70416d7f1fbd4dd22b"
#define SHA256AB "abababababababababababababababababababababababababababababababab"
#define BAD "windows6.0-kb4345397-x86_8859704c0f6e66bc54bb7b6e8dc7e7ad15d479f7.msu"

static void
test_catalog_msu_inspect_reads_properties(void **state)
{
	struct catalog_msu_info m;

	(void)state;
	assert_int_equal(catalog_msu_inspect(FIX W7, &m), 0);
	assert_string_equal(m.kb, "KB4345459");
	assert_string_equal(m.arch, "x64");	/* "amd64" in the file */
	assert_string_equal(m.package_cab, "Windows6.1-KB4345459-x64.cab");
	catalog_msu_info_release(&m);
}

static void
test_catalog_msu_inspect_rejects_non_cabinet(void **state)
{
	struct catalog_msu_info m;

	(void)state;
	assert_int_equal(catalog_msu_inspect(FIX "thanks-190.html", &m), -1);
	assert_non_null(strstr(err_msg(), "not a Cabinet file (expected "
	    "magic MSCF"));
}

static void
test_catalog_file_check_accepts_good_file(void **state)
{
	struct catalog_check ck = { W7, W7SHA1, NULL, "KB4345459", "x64",
	    NULL, NULL };
	struct catalog_msu_info m;
	char sha1[41], sha256[65], s1[41], s256[65];

	(void)state;
	assert_int_equal(catalog_file_check(FIX W7, &ck, sha1, sha256, &m), 0);
	assert_string_equal(sha1, W7SHA1);
	assert_int_equal(catalog_file_hashes(FIX W7, s1, s256), 0);
	assert_string_equal(sha256, s256);
	assert_int_equal(strlen(sha256), 64);
	catalog_msu_info_release(&m);
}

static void
test_catalog_file_check_hash_mismatch(void **state)
{
	/* the dialog's digest disagrees with the file */
	struct catalog_check ck = { W7, "0000000000000000000000000000000000000000",
	    NULL, "KB4345459", "x64", NULL, NULL };
	struct catalog_msu_info m;
	char sha1[41], sha256[65];

	(void)state;
	assert_int_equal(catalog_file_check(FIX W7, &ck, sha1, sha256, &m), -1);
	assert_non_null(strstr(err_msg(), "SHA-1 (Catalog digest) mismatch: "
	    "expected 0000000000000000000000000000000000000000, got " W7SHA1));
}

static void
test_catalog_file_check_wrong_arch_and_kb(void **state)
{
	struct catalog_check ck = { BAD, NULL, NULL, "KB4345397", "x86",
	    NULL, NULL };
	struct catalog_msu_info m;
	char sha1[41], sha256[65];

	(void)state;
	assert_int_equal(catalog_file_check(FIX BAD, &ck, sha1, sha256, &m),
	    -1);
	assert_non_null(strstr(err_msg(), "wrong architecture: expected x86, "
	    "pkgProperties.txt says x64"));
	ck.name = W7;
	ck.kb = "KB4345424";
	ck.arch = "x64";
	assert_int_equal(catalog_file_check(FIX W7, &ck, sha1, sha256, &m),
	    -1);
	assert_non_null(strstr(err_msg(), "wrong KB: expected KB4345424, "
	    "pkgProperties.txt says KB4345459"));
}

static void
test_catalog_base64_hex_digest(void **state)
{
	char hex[41];

	(void)state;
	assert_int_equal(catalog_base64_hex("4/qckQO8UJ3N9+lxyjy+oMGKew0=", hex,
	    sizeof(hex)), 0);
	assert_string_equal(hex, "e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d");
	assert_int_equal(catalog_base64_hex("not base64!", hex, sizeof(hex)),
	    -1);
}

static const char manifest[] =
"{\"format\": \"kbfix-bundle/1\", \"created\": \"2026-11-21T12:00:00Z\",\n"
" \"catalog\": \"https://www.catalog.update.microsoft.com\",\n"
" \"updates\": [\n"
"  {\"update_id\": \"5eed0001-4b1d-4c2a-9e10-000000000001\", \"kb\": "
"\"KB4345459\", \"title\": \"T7\", \"product\": \"Windows 7\", \"arch\": "
"\"x64\", \"classification\": \"Updates\", \"hosts\": [\"web01\", "
"\"web02\"], \"files\": [{\"name\": \"" W7 "\", \"path\": \"files/" W7 "\","
" \"url\": \"http://download.windowsupdate.com/x/" W7 "\", \"size\": 1770,"
" \"sha1\": \"" W7SHA1 "\", \"sha256\": \"" SHA256AB "\", \"package_cab\": "
"\"Windows6.1-KB4345459-x64.cab\"}]},\n"
"  {\"update_id\": \"5eed0002-4b1d-4c2a-9e10-000000000002\", \"kb\": "
"\"KB4345459\", \"title\": \"T8\", \"product\": \"Windows Server 2008 R2\", "
"\"arch\": \"x64\", \"classification\": \"Updates\", \"hosts\": [\"db01\"],"
" \"files\": [{\"name\": \"" W7 "\", \"path\": \"files/" W7 "\", \"url\": "
"\"u\", \"size\": 1770, \"sha1\": \"" W7SHA1 "\", \"sha256\": \"" SHA256AB "\", "
"\"package_cab\": \"Windows6.1-KB4345459-x64.cab\"}]}]}\n";

static char *
bundle_dir(const char *json)
{
	char tmpl[] = "/tmp/kbfix-unit.XXXXXX", *dir, *p;

	assert_non_null(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	p = xasprintf("%s/manifest.json", dir);
	assert_int_equal(file_write_atomic(p, json, strlen(json), 0644), 0);
	free(p);
	return dir;
}

static void
dir_remove(char *dir)
{
	char *p = xasprintf("%s/manifest.json", dir);

	unlink(p);
	rmdir(dir);
	free(p);
	free(dir);
}

static void
test_catalog_bundle_read_and_find(void **state)
{
	const struct catalog_bundle_update *u;
	struct catalog_bundle *b;
	char *dir = bundle_dir(manifest), *path, *want;

	(void)state;
	assert_non_null(b = catalog_bundle_read(dir));
	assert_int_equal(b->nupdates, 2);
	assert_string_equal(b->catalog,
	    "https://www.catalog.update.microsoft.com");
	u = catalog_bundle_find(b, "kb4345459", "db01", "X64");
	assert_non_null(u);
	assert_string_equal(u->update_id,
	    "5eed0002-4b1d-4c2a-9e10-000000000002");
	assert_int_equal(u->nhosts, 1);
	assert_string_equal(u->hosts[0], "db01");
	assert_int_equal(u->nfiles, 1);
	assert_int_equal(u->files[0].size, 1770);
	assert_string_equal(u->files[0].package_cab,
	    "Windows6.1-KB4345459-x64.cab");
	path = catalog_bundle_path(b, &u->files[0]);
	want = xasprintf("%s/files/%s", dir, W7);
	assert_string_equal(path, want);
	/* a host the bundle does not list: the first of its architecture */
	u = catalog_bundle_find(b, "KB4345459", "web99", "x64");
	assert_non_null(u);
	assert_string_equal(u->hosts[0], "web01");
	assert_null(catalog_bundle_find(b, "KB4345459", "web99", "x86"));
	assert_null(catalog_bundle_find(b, "KB4338818", "web01", "x64"));
	free(path);
	free(want);
	catalog_bundle_free(b);
	dir_remove(dir);
}

static void
test_catalog_bundle_read_names_bad_field(void **state)
{
	char *json = xstrdup(manifest), *p, *dir;

	(void)state;
	p = strstr(json, "\"sha1\"");	/* first file's sha1 -> unknown key */
	memcpy(p, "\"shaX\"", 6);
	dir = bundle_dir(json);
	assert_null(catalog_bundle_read(dir));
	assert_non_null(strstr(err_msg(),
	    "manifest.json: updates[0].files[0].sha1: missing"));
	dir_remove(dir);
	p = strstr(json, "\"path\": \"files/");
	memcpy(p + 9, "../../", 6);
	dir = bundle_dir(json);
	assert_null(catalog_bundle_read(dir));
	dir_remove(dir);
	free(json);
}

/* manifest with the first occurrence of from replaced by to */
static char *
manifest_with(const char *from, const char *to)
{
	const char *p = strstr(manifest, from);

	assert_non_null(p);
	return xasprintf("%.*s%s%s", (int)(p - manifest), manifest, to,
	    p + strlen(from));
}

static void
refused(const char *from, const char *to, const char *message)
{
	char *json = manifest_with(from, to), *dir = bundle_dir(json);

	assert_null(catalog_bundle_read(dir));
	if (strstr(err_msg(), message) == NULL)
		fail_msg("%s -> %s: '%s' lacks '%s'", from, to, err_msg(),
		    message);
	dir_remove(dir);
	free(json);
}

/* Hostile manifests (issue 16): every field a script or command line may
 * receive is checked on read. */
static void
test_catalog_bundle_read_refuses_hostile_fields(void **state)
{
	(void)state;
	refused("\"5eed0001-4b1d-4c2a-9e10-000000000001\"",
	    "\"'; calc; '\"", "updates[0].update_id: ''; calc; '' is not a GUID");
	refused("\"size\": 1770", "\"size\": 1e300",
	    "updates[0].files[0].size: not a byte count");
	refused("\"size\": 1770", "\"size\": 17.5",
	    "updates[0].files[0].size: not a byte count");
	refused("\"arch\": \"x64\"", "\"arch\": \"x64 & calc\"",
	    "updates[0].arch: 'x64 & calc' is not");
	refused("\"kb\": \"KB4345459\"", "\"kb\": \"KB1 & calc\"",
	    "updates[0].kb:");
	refused("\"package_cab\": \"Windows6.1-KB4345459-x64.cab\"",
	    "\"package_cab\": \"\\\" & calc.exe & \\\".cab\"",
	    "updates[0].files[0].package_cab: ");
	refused("\"title\": \"T7\"", "\"title\": \"T7\\r\\nX\"",
	    "control character");
	refused("\"sha1\": \"" W7SHA1 "\"", "\"sha1\": \"zz\"",
	    "updates[0].files[0].sha1: not 40 hexadecimal digits");
}

/*
 * Runs tests/ps/check.mjs on FILE: its exit status, *commands its count.
 * --liftoff-only: V8's optimising compiler spends some 15 s of CPU on the
 * grammar's WebAssembly in the background and node waits for it at exit
 * (minutes on a loaded machine); the baseline compiler parses as well.
 */
static int
ps_check(const char *file, int *commands)
{
	char *cmd = xasprintf("node --liftoff-only tests/ps/check.mjs '%s'",
	    file), line[256];
	FILE *f = popen(cmd, "r");
	int st;

	assert_non_null(f);
	*commands = -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "commands %d", commands) != 1)
			fprintf(stderr, "check.mjs: %s", line);
	st = pclose(f);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Import-ToWsus.ps1 for the manifest with the first title replaced. */
static char *
ps_for_title(const char *title_json)
{
	char *json = manifest_with("\"title\": \"T7\"", title_json);
	char *dir = bundle_dir(json), *ps;
	struct catalog_bundle *b = catalog_bundle_read(dir);

	assert_non_null(b);
	assert_int_equal(catalog_bundle_write_meta(dir, b), 0);
	ps = xasprintf("%s/Import-ToWsus.ps1", dir);
	catalog_bundle_free(b);
	free(json);
	free(dir);
	return ps;
}

/*
 * The generated PowerShell, parsed by a real PowerShell grammar
 * (tree-sitter-powershell, installed by ./dev deps into tests/ps): no
 * syntax error, and a hostile Catalog title stays one string: the number
 * of commands does not change (issue 16 C4).
 */
static void
test_catalog_bundle_import_script_parses(void **state)
{
	static const char *const hostile[] = {
		"\"title\": \"T7'; Remove-Item C:\\\\ -Recurse; '\"",
		"\"title\": \"T7\u2019; calc.exe; \u2018x\"",
		"\"title\": \"T7\u201b\u201a$(calc)`\\\"\"",
	};
	char *ps, *dir;
	int base, n;
	size_t i;

	(void)state;
	if (access("tests/ps/node_modules/web-tree-sitter", R_OK) != 0)
		fail_msg("tests/ps/node_modules missing: run ./dev deps");
	ps = ps_for_title("\"title\": \"T7\"");
	assert_int_equal(ps_check(ps, &base), 0);
	assert_true(base > 5);
	dir = xstrndup(ps, strlen(ps) - strlen("/Import-ToWsus.ps1"));
	dir_remove_tree(dir, 2);
	free(dir);
	free(ps);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		ps = ps_for_title(hostile[i]);
		assert_int_equal(ps_check(ps, &n), 0);
		assert_int_equal(n, base);
		dir = xstrndup(ps, strlen(ps) - strlen("/Import-ToWsus.ps1"));
		dir_remove_tree(dir, 2);
		free(dir);
		free(ps);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_msu_inspect_reads_properties),
		cmocka_unit_test(test_catalog_msu_inspect_rejects_non_cabinet),
		cmocka_unit_test(test_catalog_file_check_accepts_good_file),
		cmocka_unit_test(test_catalog_file_check_hash_mismatch),
		cmocka_unit_test(test_catalog_file_check_wrong_arch_and_kb),
		cmocka_unit_test(test_catalog_base64_hex_digest),
		cmocka_unit_test(test_catalog_bundle_read_and_find),
		cmocka_unit_test(test_catalog_bundle_read_names_bad_field),
		cmocka_unit_test(test_catalog_bundle_read_refuses_hostile_fields),
		cmocka_unit_test(test_catalog_bundle_import_script_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The package identity from the package itself: update.mum inside the
 * .msu's package .cab (catalog/identity.c), as DISM lists the package.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"
#include "catalog/catalog.h"

#define FIX "tests/fixtures/catalog/"

/* A monthly rollup's update.mum (the shape Microsoft writes: the first
 * assemblyIdentity is the package's, the nested ones its parts). */
static const char rollup_mum[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
    "<assembly xmlns=\"urn:schemas-microsoft-com:asm.v3\" "
    "manifestVersion=\"1.0\" copyright=\"Copyright (c) Microsoft "
    "Corporation. All Rights Reserved.\">\r\n"
    "  <assemblyIdentity name=\"Package_for_RollupFix\" "
    "version=\"7601.24168.1.5\" language=\"neutral\" "
    "processorArchitecture=\"amd64\" publicKeyToken=\"31bf3856ad364e35\"/>"
    "\r\n  <package identifier=\"KB4338821\" releaseType=\"Security Update\""
    " restart=\"possible\">\r\n    <parent buildCompare=\"EQ\">\r\n"
    "      <assemblyIdentity name=\"Microsoft-Windows-Foundation-Package\" "
    "version=\"6.1.7601.17514\" language=\"neutral\" processorArchitecture="
    "\"amd64\" publicKeyToken=\"31bf3856ad364e35\"/>\r\n    </parent>\r\n"
    "  </package>\r\n</assembly>\r\n";

static void
test_mum_identity_rollup(void **state)
{
	char *id = NULL;

	(void)state;
	assert_int_equal(catalog_mum_identity(rollup_mum, &id), 0);
	assert_string_equal(id,
	    "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5");
	assert_true(catalog_valid_identity(id));
	free(id);
}

static void
test_mum_identity_language_and_quotes(void **state)
{
	char *id = NULL;

	(void)state;
	/* a language pack keeps its language; single quotes are XML too */
	assert_int_equal(catalog_mum_identity("<assembly><assemblyIdentity "
	    "name='Microsoft-Windows-Client-LanguagePack-Package' "
	    "version='6.1.7601.17514' processorArchitecture='x86' "
	    "language='de-DE' publicKeyToken='31bf3856ad364e35'/>", &id), 0);
	assert_string_equal(id, "Microsoft-Windows-Client-LanguagePack-Package"
	    "~31bf3856ad364e35~x86~de-DE~6.1.7601.17514");
	free(id);
}

static void
test_mum_identity_refused(void **state)
{
	static const char *const bad[] = {
		"<assembly/>",
		"<assemblyIdentity name=\"Package_for_KB1\" version=\"6.1.1.1\" "
		    "processorArchitecture=\"amd64\"/>",
		/* would reach a command line */
		"<assemblyIdentity name=\"Package&calc\" version=\"6.1.1.1\" "
		    "processorArchitecture=\"amd64\" publicKeyToken="
		    "\"31bf3856ad364e35\"/>",
		"<assemblyIdentity name=\"P\" version=\"6.1.1\" "
		    "processorArchitecture=\"amd64\" publicKeyToken="
		    "\"31bf3856ad364e35\"/>",
		"<assemblyIdentity name=\"P\" version=\"6.1.1.1\" "
		    "processorArchitecture=\"amd64\" publicKeyToken=\"31bf\"/>",
	};
	char *id = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(catalog_mum_identity(bad[i], &id), -1);
		assert_null(id);
	}
	assert_false(catalog_valid_identity("Package_for_KB1~31bf3856ad364e35"
	    "~amd64~~6.1.1"));
	assert_false(catalog_valid_identity("a~b~c~d~e~f"));
	assert_false(catalog_valid_identity("Package for KB1~31bf3856ad364e35"
	    "~amd64~~6.1.1.1"));
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* A real-shaped .msu made with gcab: the package's identity read from
 * the package .cab inside, at fetch, as verify reads it again. */
static void
test_msu_inspect_reads_identity(void **state)
{
	char dir[] = "/tmp/kbfix-test-id.XXXXXX", *cmd, *msu;
	struct catalog_msu_info m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	msu = xasprintf("%s/w.msu", dir);
	cmd = xasprintf("tests/winsim/mkmsu -r 7601.24168.1.5 KB4338821 x64 "
	    "6.1.7601.24168 %s", msu);
	assert_int_equal(sh(cmd), 0);
	free(cmd);
	assert_int_equal(catalog_msu_inspect(msu, &m), 0);
	assert_string_equal(m.kb, "KB4338821");
	assert_string_equal(m.package_cab, "Windows6.1-KB4338821-x64.cab");
	assert_string_equal(m.package_identity,
	    "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5");
	catalog_msu_info_release(&m);
	/* a package without update.mum: refused, saying why */
	cmd = xasprintf("tests/winsim/mkmsu -M KB4345459 x64 - %s", msu);
	assert_int_equal(sh(cmd), 0);
	free(cmd);
	assert_int_equal(catalog_msu_inspect(msu, &m), -1);
	assert_non_null(strstr(err_msg(), "Windows6.1-KB4345459-x64.cab holds "
	    "no update.mum"));
	cmd = xasprintf("rm -rf %s", dir);
	sh(cmd);
	free(cmd);
	free(msu);
}

static void
test_fixture_msu_identity(void **state)
{
	struct catalog_msu_info m;

	(void)state;
	assert_int_equal(catalog_msu_inspect(FIX "windows6.1-kb4345459-x64_"
	    "7674f1b622aff391e5140b70416d7f1fbd4dd22b.msu", &m), 0);
	assert_non_null(m.package_identity);
	assert_true(catalog_valid_identity(m.package_identity));
	catalog_msu_info_release(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mum_identity_rollup),
		cmocka_unit_test(test_mum_identity_language_and_quotes),
		cmocka_unit_test(test_mum_identity_refused),
		cmocka_unit_test(test_msu_inspect_reads_identity),
		cmocka_unit_test(test_fixture_msu_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

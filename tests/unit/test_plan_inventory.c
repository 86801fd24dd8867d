#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static struct plan_inventory *
parse(const char *name, const char *s)
{
	return plan_inventory_parse(name, s, strlen(s));
}

/* The inventory must be refused with a message holding every needle. */
static void
refused(const char *name, const char *s, const char *n1, const char *n2)
{
	struct plan_inventory *inv = parse(name, s);

	if (inv != NULL) {
		plan_inventory_free(inv);
		fail_msg("accepted: %s", s);
	}
	if (strstr(err_msg(), n1) == NULL || (n2 && strstr(err_msg(), n2) == NULL))
		fail_msg("message '%s' lacks '%s' / '%s'", err_msg(), n1,
		    n2 ? n2 : "");
}

static void
test_plan_norm_os_names(void **state)
{
	static const char *const cases[][2] = {
		{ "Windows Server 2008 R2 Enterprise", "Windows Server 2008 R2" },
		{ "Microsoft Windows 7 Professional", "Windows 7" },
		{ "windows-7", "Windows 7" },
		{ "windows-server-2008-r2", "Windows Server 2008 R2" },
		{ "Windows Server\xc2\xae 2008 Standard", "Windows Server 2008" },
		{ "Windows Server (R) 2008 Enterprise", "Windows Server 2008" },
		{ "Windows Vista\xe2\x84\xa2 Business", "Windows Vista" },
		{ "Windows Server 2012 R2 Datacenter", "Windows Server 2012 R2" },
		{ "Windows Server 2012 Standard", "Windows Server 2012" },
		{ "Windows 8.1 Pro", "Windows 8.1" },
		{ "windows-8.1", "Windows 8.1" },
		{ "Windows 10 Enterprise", "Windows 10" },
		{ "Windows Server 2016 Datacenter", "Windows Server 2016" },
		{ "Hyper-V Server 2012 R2", "Windows Server 2012 R2" },
		{ "WINDOWS 7 ENTERPRISE", "Windows 7" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = plan_norm_os(cases[i][0]);

		if (got == NULL || strcmp(got, cases[i][1]) != 0)
			fail_msg("%s: %s", cases[i][0], got ? got : "NULL");
	}
	assert_null(plan_norm_os("Windows XP Professional"));
	assert_null(plan_norm_os("Ubuntu 22.04"));
	assert_null(plan_norm_os(""));
}

static void
test_plan_norm_version_forms(void **state)
{
	char v[24];

	(void)state;
	assert_int_equal(plan_norm_version("6.1.7601", v, sizeof(v)), 0);
	assert_string_equal(v, "6.1.7601");
	assert_int_equal(plan_norm_version("6.1 (7601)", v, sizeof(v)), 0);
	assert_string_equal(v, "6.1.7601");
	assert_int_equal(plan_norm_version("10.0.17134.165", v, sizeof(v)), 0);
	assert_string_equal(v, "10.0.17134.165");	/* the revision kept */
	assert_int_equal(plan_version_revision(v), 165);
	assert_int_equal(plan_version_revision("10.0.17134"), -1);
	assert_true(plan_version_same_build("10.0.17134.165", "10.0.17134"));
	assert_true(plan_version_same_build("10.0.17134", "10.0.17134.228"));
	assert_false(plan_version_same_build("10.0.17134.1", "10.0.16299.1"));
	assert_string_equal(plan_win10_release("10.0.17134"), "1803");
	assert_string_equal(plan_win10_release("10.0.17134.165"), "1803");
	assert_int_equal(plan_os_version_check("Windows 10", "10.0.17134.165"), 0);
	assert_string_equal(plan_win10_release("10.0.10240"), "1507");
	assert_string_equal(plan_win10_release("10.0.14393"), "1607");
	assert_null(plan_win10_release("10.0.12345"));
	assert_int_equal(plan_norm_version("6.1", v, sizeof(v)), -1);
	assert_int_equal(plan_norm_version("6.1.x", v, sizeof(v)), -1);
	assert_int_equal(plan_norm_version("6.1 (7601", v, sizeof(v)), -1);
	assert_int_equal(plan_norm_version("6.1.7601.1.2", v, sizeof(v)), -1);
	assert_int_equal(plan_os_version_check("Windows 7", "6.1.7601"), 0);
	assert_int_equal(plan_os_version_check("Windows 7", "6.3.9600"), -1);
	assert_int_equal(plan_os_version_check("Windows Server 2016", "10.0.14393"), 0);
	assert_int_equal(plan_os_version_check("Windows 10", "10.0.12345"), -1);
}

/* The servicing and operator fields of issue 11, JSON and CSV alike. */
static void
test_plan_inventory_parse_servicing_fields(void **state)
{
	static const char json[] = "{\"defaults\": {\"ui_language\": \"de-DE\"},"
	    " \"hosts\": [{\"name\": \"w10\", \"os\": \"Windows 10 Pro\", "
	    "\"version\": \"10.0.17134.228\", \"rollup\": \"17134.228.1.7\", "
	    "\"superseded\": [\"kb4338819\", \"KB4345421\"], "
	    "\"experiencing\": [\"wfp-two-callouts\"], "
	    "\"pending_reboot_reasons\": [\"CBS RebootPending\", "
	    "\"PendingFileRenameOperations\"]}, {\"name\": \"b\", "
	    "\"ui_language\": \"zh-Hans-CN\", \"superseded\": []}]}";
	static const char csv[] = "name,version,rollup,superseded,"
	    "ui_language,experiencing,pending_reboot_reasons\n"
	    "w7,6.1.7601.24214,7601.24214.1.4,KB4338818;kb4338821,en-US,"
	    "ws2-unload-ceip;multicast-forwarding,CBS RebootPending\n";
	struct plan_inventory *inv = parse("inv.json", json);
	const struct plan_inv_host *h;

	(void)state;
	if (inv == NULL)
		fail_msg("%s", err_msg());
	h = &inv->hosts[0];
	assert_string_equal(h->version, "10.0.17134.228");
	assert_string_equal(h->rollup, "17134.228.1.7");
	assert_int_equal(h->has_superseded, 1);
	assert_int_equal(h->nsuperseded, 2);
	assert_string_equal(h->superseded[0], "KB4338819");
	assert_string_equal(h->ui_language, "de-DE");	/* from the defaults */
	assert_int_equal(h->nexperiencing, 1);
	assert_string_equal(h->experiencing[0], "wfp-two-callouts");
	assert_int_equal(h->npending_reboot_reasons, 2);
	assert_string_equal(h->pending_reboot_reasons[1],
	    "PendingFileRenameOperations");
	h = &inv->hosts[1];
	assert_string_equal(h->ui_language, "zh-Hans-CN");
	assert_int_equal(h->has_superseded, 1);	/* given, empty */
	assert_int_equal(h->nsuperseded, 0);
	assert_int_equal(h->has_experiencing, 0);
	assert_null(h->rollup);
	plan_inventory_free(inv);

	inv = parse("inv.csv", csv);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	h = &inv->hosts[0];
	assert_string_equal(h->version, "6.1.7601.24214");
	assert_string_equal(h->rollup, "7601.24214.1.4");
	assert_int_equal(h->nsuperseded, 2);
	assert_string_equal(h->superseded[1], "KB4338821");
	assert_string_equal(h->ui_language, "en-US");
	assert_int_equal(h->nexperiencing, 2);
	assert_string_equal(h->experiencing[1], "multicast-forwarding");
	assert_string_equal(h->pending_reboot_reasons[0], "CBS RebootPending");
	plan_inventory_free(inv);

	/* CSV: "-" is a list collected and empty, an empty cell absent */
	inv = parse("inv.csv", "name,installed,superseded,experiencing\n"
	    "a,-,-,\nb,,KB4338818,-\n");
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->hosts[0].has_installed, 1);
	assert_int_equal(inv->hosts[0].ninstalled, 0);
	assert_int_equal(inv->hosts[0].has_superseded, 1);
	assert_int_equal(inv->hosts[0].has_experiencing, 0);
	assert_int_equal(inv->hosts[1].has_installed, 0);
	assert_int_equal(inv->hosts[1].has_experiencing, 1);
	plan_inventory_free(inv);

	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"rollup\": "
	    "\"7601.x\"}]}", "inv.json: hosts[0] (a).rollup: '7601.x' is not "
	    "a package version", NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"superseded\": "
	    "[\"4338818\"]}]}", "hosts[0] (a).superseded: '4338818' is not a "
	    "KB id", NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"superseded\": "
	    "\"KB4338818\"}]}", "hosts[0] (a).superseded: must be an array",
	    NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"ui_language\": "
	    "\"german\"}]}", "hosts[0] (a).ui_language: 'german' is not a "
	    "language tag", NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"ui_language\": "
	    "\"de_DE\"}]}", "ui_language: 'de_DE'", NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", \"experiencing\": "
	    "[\"WFP two callouts\"]}]}", "hosts[0] (a).experiencing: 'WFP two "
	    "callouts' is not an advisory id", NULL);
	refused("inv.json", "{\"hosts\": [{\"name\": \"a\", "
	    "\"pending_reboot_reasons\": [\"x & calc.exe\"]}]}",
	    "hosts[0] (a).pending_reboot_reasons: 'x & calc.exe' is not a "
	    "reboot signal name", NULL);
	refused("inv.csv", "name,ui_language\na,en-US-\n",
	    "inv.csv: line 2 (a): ui_language: 'en-US-'", NULL);
	refused("inv.csv", "name,superseded\na,KB4338818;x\n",
	    "inv.csv: line 2 (a): superseded: 'x' is not a KB id", NULL);
}

/*
 * Every host gets an answer: an os kbfix does not know, or a version that
 * is not a build of the product, is that host's fact (the engine makes it
 * unknown), not the inventory's error; builds name the product.
 */
static void
test_plan_inventory_parse_unknown_products(void **state)
{
	static const char json[] = "{\"hosts\": ["
	    "{\"name\": \"xp\", \"os\": \"Windows XP Professional\"},"
	    "{\"name\": \"w7\", \"os\": \"Windows 7\", \"version\": \"6.3.9600\"},"
	    "{\"name\": \"w11\", \"os\": \"Windows 11 Pro\", \"version\": "
	    "\"10.0.22631.2861\", \"arch\": \"ARM64\"},"
	    "{\"name\": \"w11ad\", \"os\": \"Windows 10 Enterprise\", "
	    "\"version\": \"10.0 (22000)\"},"
	    "{\"name\": \"sac\", \"os\": \"Windows Server Datacenter\", "
	    "\"version\": \"10.0.17134.165\"},"
	    "{\"name\": \"sac19\", \"os\": \"Windows Server Standard\", "
	    "\"version\": \"10.0.17763\"},"
	    "{\"name\": \"s22\", \"os\": \"Windows Server 2022 Datacenter\"},"
	    "{\"name\": \"s25\", \"os\": \"Windows Server 2025 Standard\"}]}";
	struct plan_inventory *inv = parse("inv.json", json);

	(void)state;
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_null(inv->hosts[0].product);
	assert_string_equal(inv->hosts[0].os_raw, "Windows XP Professional");
	assert_string_equal(inv->hosts[1].product, "Windows 7");
	assert_string_equal(inv->hosts[1].fact_error, "version 6.3.9600 is not "
	    "a build of Windows 7 (6.1.7600 to 6.1.7601)");
	assert_string_equal(inv->hosts[2].product, "Windows 11");
	assert_string_equal(inv->hosts[2].arch, "arm64");
	assert_null(inv->hosts[2].fact_error);
	assert_string_equal(inv->hosts[3].product, "Windows 11");
	assert_string_equal(inv->hosts[4].product, "Windows Server 2016");
	assert_null(inv->hosts[4].fact_error);
	assert_string_equal(inv->hosts[5].product, "Windows Server");
	assert_null(inv->hosts[5].fact_error);
	assert_string_equal(inv->hosts[6].product, "Windows Server 2022");
	assert_string_equal(inv->hosts[7].product, "Windows Server 2025");
	plan_inventory_free(inv);
}

/*
 * Issue 16 leftover: names unique regardless of case, endpoints (address
 * and port) unique unless both hosts say shared_address: true (a
 * warning); PLAN_INV_SKIP_INVALID reports every bad host and keeps the
 * rest.
 */
static void
test_plan_inventory_unique_and_skip(void **state)
{
	static const char json[] = "{\"hosts\": ["
	    "{\"name\": \"a\", \"address\": \"10.0.0.1\"},"
	    "{\"name\": \"A\"},"
	    "{\"name\": \"b\", \"address\": \"10.0.0.1\"},"
	    "{\"name\": \"c\", \"port\": \"x\"},"
	    "{\"name\": \"d\", \"address\": \"10.0.0.1\", \"port\": 2222},"
	    "{\"name\": \"s1\", \"address\": \"h\", \"shared_address\": true},"
	    "{\"name\": \"s2\", \"address\": \"H\", \"shared_address\": true},"
	    "{\"name\": \"ok\"}]}";
	struct plan_inventory *inv;
	char *json2;
	struct buf b;

	(void)state;
	refused("i.json", json, "i.json: hosts[3] (c).port", NULL);
	inv = plan_inventory_parse_flags("i.json", json, strlen(json),
	    PLAN_INV_SKIP_INVALID);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->nskipped, 3);
	assert_non_null(strstr(inv->skipped[0], "hosts[3] (c).port"));
	assert_non_null(strstr(inv->skipped[1], "hosts[1] (A).name: "
	    "duplicate"));
	assert_non_null(strstr(inv->skipped[2], "hosts[2] (b).address: "
	    "'10.0.0.1' port 22 is also hosts[0] (a)'s"));
	assert_int_equal(inv->nwarnings, 1);
	assert_non_null(strstr(inv->warnings[0], "hosts[6] (s2) and hosts[5] "
	    "(s1) share address H port 22 (shared_address: true)"));
	assert_int_equal(inv->nhosts, 5);
	assert_string_equal(inv->hosts[1].name, "d");
	assert_int_equal(inv->hosts[2].shared_address, 1);
	/* shared_address is written and read back */
	buf_init(&b, 0);
	assert_int_equal(plan_inventory_write(inv, NULL, 0, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"address\": \"h\", "));
	assert_non_null(strstr(buf_str(&b), "\"shared_address\": true}"));
	json2 = buf_detach(&b, NULL);
	plan_inventory_free(inv);
	inv = parse("o.json", json2);
	assert_non_null(inv);
	assert_int_equal(inv->nhosts, 5);
	plan_inventory_free(inv);
	free(json2);
	/* only one side says shared: refused */
	refused("j.json", "{\"hosts\": [{\"name\": \"a\", \"address\": \"x\", "
	    "\"shared_address\": true}, {\"name\": \"b\", \"address\": \"x\"}]}",
	    "j.json: hosts[1] (b).address: 'x' port 22 is also hosts[0] (a)'s",
	    "shared_address: true on both");
	/* a document that cannot be read is still refused whole */
	assert_null(plan_inventory_parse_flags("k.json", "{\"hosts\": [", 12,
	    PLAN_INV_SKIP_INVALID));
}

static void
test_plan_norm_arch_and_regpath(void **state)
{
	char *p;

	(void)state;
	assert_string_equal(plan_norm_arch("64-bit"), "x64");
	assert_string_equal(plan_norm_arch("AMD64"), "x64");
	assert_string_equal(plan_norm_arch("x64"), "x64");
	assert_string_equal(plan_norm_arch("32-bit"), "x86");
	assert_string_equal(plan_norm_arch("x86"), "x86");
	assert_string_equal(plan_norm_arch("Itanium"), "ia64");
	assert_string_equal(plan_norm_arch("IA64"), "ia64");
	assert_string_equal(plan_norm_arch("ARM64"), "arm64");
	assert_string_equal(plan_norm_arch("aarch64"), "arm64");
	assert_null(plan_norm_arch("sparc"));
	p = plan_norm_regpath("hkey_local_machine\\Software\\X\\V");
	assert_string_equal(p, "HKLM\\Software\\X\\V");
	assert_true(plan_regpath_eq(p, "HKLM\\SOFTWARE\\x\\v"));
	free(p);
	assert_null(plan_norm_regpath("HKCU\\Software\\X"));
	assert_null(plan_norm_regpath("HKLM\\Software\\X & calc"));
	assert_true(plan_version_cmp("6.1.7600.20648", "6.1.7600.20628") > 0);
	assert_true(plan_version_cmp("6.1.7600.16512", "6.1.7600.20628") < 0);
	assert_int_equal(plan_version_cmp("6.0.6001.22222", "6.0.6001.22222"), 0);
}

static const char json_inv[] =
    "{\"defaults\": {\"user\": \"ops\", \"port\": 2222, \"arch\": \"x64\"},\n"
    " \"hosts\": [\n"
    "  {\"name\": \"web01\", \"address\": \"127.0.0.2\", \"os\": \"Windows 7 Enterprise\",\n"
    "   \"version\": \"6.1 (7601)\", \"arch\": \"AMD64\", \"channel\": \"Security Only\",\n"
    "   \"installed\": [\"kb4338823\"], \"files\": {\"Tcpip.SYS\": \"6.1.7601.24158\"},\n"
    "   \"multicast_forwarding\": false, \"wfp_callout_drivers\": 2,\n"
    "   \"registry\": {\"HKEY_LOCAL_MACHINE\\\\Software\\\\A\\\\B\": 1, \"HKLM\\\\S\\\\C\": \"x\", \"HKLM\\\\S\\\\D\": \"0x10\"},\n"
    "   \"roles\": [\"iis\"], \"group\": \"g1\", \"wave\": 3, \"transport\": \"SSH\",\n"
    "   \"unknown_field\": {\"kept\": true}},\n"
    "  {\"name\": \"web02\", \"port\": 22}\n"
    " ]}\n";

static void
test_plan_inventory_parse_json_fields(void **state)
{
	struct plan_inventory *inv;
	const struct plan_inv_host *h;

	(void)state;
	inv = parse("inv.json", json_inv);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->nhosts, 2);
	h = &inv->hosts[0];
	assert_string_equal(h->name, "web01");
	assert_string_equal(h->address, "127.0.0.2");
	assert_string_equal(h->user, "ops");
	assert_int_equal(h->port, 2222);
	assert_string_equal(h->product, "Windows 7");
	assert_string_equal(h->version, "6.1.7601");
	assert_string_equal(h->arch, "x64");
	assert_string_equal(h->channel, "security-only");
	assert_int_equal(h->ninstalled, 1);
	assert_string_equal(h->installed[0], "KB4338823");
	assert_string_equal(h->files[0].name, "tcpip.sys");
	assert_int_equal(h->multicast, 0);
	assert_int_equal(h->wfp_drivers, 2);
	assert_int_equal(h->nregistry, 3);
	assert_string_equal(h->registry[0].path, "HKLM\\Software\\A\\B");
	assert_int_equal(h->registry[0].num, 1);
	assert_false(h->registry[1].is_num);
	assert_string_equal(h->registry[1].str, "x");
	assert_true(h->registry[2].is_num);
	assert_int_equal(h->registry[2].num, 16);
	assert_string_equal(h->roles[0], "iis");
	assert_int_equal(h->wave, 3);
	assert_string_equal(h->transport, "ssh");
	h = &inv->hosts[1];
	assert_int_equal(h->port, 22);
	assert_string_equal(h->user, "ops");
	assert_string_equal(h->arch, "x64");
	assert_null(h->product);
	assert_int_equal(h->multicast, -1);
	assert_int_equal(h->wfp_drivers, -1);
	assert_false(h->has_installed);
	plan_inventory_free(inv);
}

static void
test_plan_inventory_parse_json_errors(void **state)
{
	(void)state;
	refused("bad.json", "{\"hosts\": [\n  {\"name\": \"a\",}\n]}",
	    "bad.json: line 2, column", "invalid JSON");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"port\": \"22\"}]}",
	    "t.json: hosts[0] (a).port", "integer");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"installed\": \"KB1\"}]}",
	    "hosts[0] (a).installed", "array");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"A\"}]}",
	    "hosts[1] (A).name: duplicate", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"installed\": [\"Q123\"]}]}",
	    "hosts[0] (a).installed", "KB id");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"version\": \"6.1\"}]}",
	    "hosts[0] (a).version", "6.1.7601");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"files\": "
	    "{\"tcpip.sys\": \"6.1\"}}]}", "hosts[0] (a).files", "file version");
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"registry\": "
	    "{\"HKCU\\\\X\": 1}}]}", "hosts[0] (a).registry", "HKLM");
	refused("t.json", "{\"hosts\": [{\"name\": \"a b\"}]}", "hosts[0].name", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"channel\": \"weekly\"}]}",
	    "hosts[0] (a).channel", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"multicast_forwarding\": 1}]}",
	    "hosts[0] (a).multicast_forwarding", "true or false");
	refused("t.json", "{\"hosts\": {}}", "t.json: hosts", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"user\": \"x & calc\"}]}",
	    "hosts[0] (a).user", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"address\": \"a b\"}]}",
	    "hosts[0] (a).address", NULL);
	refused("t.json", "{\"hosts\": [{\"name\": \"a\", \"version\": "
	    "\"10.0.12345.x\", \"os\": \"Windows 10\"}]}",
	    "hosts[0] (a).version", "not a Windows version");
}

static void
test_plan_inventory_parse_binary_refused(void **state)
{
	static const char bin[] = "{\"hosts\": []}\0\x01\x02";
	struct plan_inventory *inv;

	(void)state;
	inv = plan_inventory_parse("blob.bin", bin, sizeof(bin));
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "blob.bin: binary data"));
	inv = plan_inventory_parse("ps.json", "\xff\xfe{\0", 4);
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "save it as UTF-8"));
	inv = parse("bom.json", "\xef\xbb\xbf {\"hosts\": [{\"name\": \"a\"}]}");
	assert_non_null(inv);
	plan_inventory_free(inv);
}

static const char csv_inv[] =
    "\xef\xbb\xbfname,os,version,arch,installed,files,registry,multicast_forwarding,port,extra\r\n"
    "web01,\"Windows Server 2008 R2 Enterprise\",6.1.7601,64-bit,KB4338818; KB4345459,"
    "tcpip.sys=6.1.7601.24214,\"HKLM\\Software\\A\\V=0x10;HKLM\\Software\\A\\S=a,b\",yes,2222,ignored\r\n"
    "\r\n"
    "\"web02\",\"Windows 7 \"\"Pro\"\"\",6.1.7600,x86,,,,,,\r\n";

static void
test_plan_inventory_parse_csv(void **state)
{
	struct plan_inventory *inv;
	const struct plan_inv_host *h;

	(void)state;
	inv = parse("inv.csv", csv_inv);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->nhosts, 2);
	h = &inv->hosts[0];
	assert_string_equal(h->product, "Windows Server 2008 R2");
	assert_string_equal(h->arch, "x64");
	assert_int_equal(h->ninstalled, 2);
	assert_string_equal(h->installed[1], "KB4345459");
	assert_string_equal(h->files[0].version, "6.1.7601.24214");
	assert_int_equal(h->nregistry, 2);
	assert_int_equal(h->registry[0].num, 16);
	assert_string_equal(h->registry[1].str, "a,b");
	assert_int_equal(h->multicast, 1);
	assert_int_equal(h->port, 2222);
	h = &inv->hosts[1];
	assert_string_equal(h->os_raw, "Windows 7 \"Pro\"");
	assert_string_equal(h->product, "Windows 7");
	assert_false(h->has_installed);
	plan_inventory_free(inv);
}

static void
test_plan_inventory_parse_csv_errors(void **state)
{
	(void)state;
	refused("r.csv", "name,os\nweb01,Windows 7,extra\n",
	    "r.csv: line 2: 3 fields, the header has 2", NULL);
	refused("r.csv", "name,os\nweb01,\"Windows 7\n",
	    "r.csv: line 2: unterminated", NULL);
	refused("r.csv", "name,port\nweb01,http\n", "r.csv: line 2 (web01): port",
	    NULL);
	refused("r.csv", "os\nWindows 7\n", "no 'name' column", NULL);
	refused("r.csv", "name\na\nb\nA\n", "r.csv: line 4 (A): name: duplicate host name 'A' (also line 2 (a)", NULL);
	refused("r.csv", "name,installed\na,KB4338823;4345459\n",
	    "line 2 (a): installed", "4345459");
	refused("r.csv", "", "empty inventory", NULL);
}

static const char ad_export[] =
    "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer\r\n"
    "\"Name\",\"DNSHostName\",\"Enabled\",\"OperatingSystem\","
    "\"OperatingSystemVersion\",\"OperatingSystemServicePack\"\r\n"
    "\"SQL01\",\"sql01.corp.example.com\",\"True\",\"Windows Server 2008 R2 Enterprise\","
    "\"6.1 (7601)\",\"Service Pack 1\"\r\n"
    "\"PC042\",\"pc042.corp.example.com\",\"True\",\"Windows 7 Professional\","
    "\"6.1 (7600)\",\"\"\r\n"
    "\"CLUSTER1\",\"\",\"True\",\"\",\"\",\"\"\r\n";

static void
test_plan_inventory_parse_ad_export(void **state)
{
	struct plan_inventory *inv;

	(void)state;
	inv = parse("ad.csv", ad_export);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->nhosts, 3);
	assert_string_equal(inv->hosts[0].name, "SQL01");
	assert_string_equal(inv->hosts[0].address, "sql01.corp.example.com");
	assert_string_equal(inv->hosts[0].product, "Windows Server 2008 R2");
	assert_string_equal(inv->hosts[0].version, "6.1.7601");
	assert_string_equal(inv->hosts[1].version, "6.1.7600");
	assert_null(inv->hosts[2].product);
	assert_null(inv->hosts[2].address);
	assert_non_null(plan_inventory_find(inv, "pc042"));
	plan_inventory_free(inv);
}

/* Large inventories are converted on two threads: errors keep their order. */
static void
test_plan_inventory_parse_json_large_first_error(void **state)
{
	struct plan_inventory *inv;
	struct buf b;
	char *at;
	size_t i, n = 9000;

	(void)state;
	buf_init(&b, 1 << 24);
	buf_adds(&b, "{\"hosts\": [");
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s{\"name\": \"h%zu\", \"os\": \"%s\", "
		    "\"version\": \"6.1.7601\"}", i ? ", " : "", i,
		    i == 7000 ? "Windows 7\", \"port\": \"x" :
		    i == 8000 ? "Windows 7\", \"port\": \"y" : "Windows 7 Pro");
	buf_adds(&b, "]}");
	inv = plan_inventory_parse("big.json", b.data, b.len);
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "big.json: hosts[7000] (h7000).port"));
	/* and the first half's error wins over the second's */
	at = strstr(b.data, "\"h10\", \"os\": \"Windows 7 Pro\", \"version\": "
	    "\"6.1.7601");
	at[strlen("\"h10\", \"os\": \"Windows 7 Pro\", \"version\": \"6.1.")] =
	    'x';
	inv = plan_inventory_parse("big.json", b.data, b.len);
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "hosts[10] (h10).version"));
	buf_release(&b);
}

/* The streaming JSON reader: escapes, numbers, nesting, duplicates. */
static void
test_plan_inventory_parse_json_syntax(void **state)
{
	struct plan_inventory *inv;
	static const char ok[] =
	    "  {\"x\": [1, -2.5e3, true, null, {\"y\": [[]]}],\n"
	    "   \"hosts\": [{\"name\": \"a\", \"os\": \"Windows\\u0020 7 \\u00e9\\ud83d\\ude00\\t\",\n"
	    "     \"unknown\": {\"deep\": [1, {\"z\": \"\\\"\"}]}, \"port\": 2.2e1,\n"
	    "     \"user\": \"first\", \"group\": null}],\n"
	    "   \"defaults\": {\"group\": \"g\", \"arch\": \"x64\"}}\n";

	(void)state;
	inv = parse("s.json", ok);
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_string_equal(inv->hosts[0].os_raw,
	    "Windows  7 \xc3\xa9\xf0\x9f\x98\x80\t");
	assert_string_equal(inv->hosts[0].product, "Windows 7");
	assert_int_equal(inv->hosts[0].port, 22);
	assert_string_equal(inv->hosts[0].user, "first");
	plan_inventory_free(inv);
	/* a key given twice: jq and Python take the last, cJSON the first,
	 * so the inventory is refused rather than read one way */
	inv = parse("d.json", "{\"hosts\": [{\"name\": \"a\", \"user\": \"x\","
	    " \"user\": \"y\"}]}");
	assert_null(inv);
	assert_non_null(strstr(err_msg(),
	    "d.json: hosts[0] (a).user: given twice"));
	/* invalid UTF-8 (here in a group) never reaches the plan */
	inv = parse("u.json", "{\"hosts\": [{\"name\": \"a\", \"group\": "
	    "\"g\xff\xfe\"}]}");
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "u.json: line 1, column 37: invalid "
	    "JSON (not UTF-8)"));
	inv = parse("u.json", "{\"hosts\": [{\"name\": \"a\", \"group\": "
	    "\"\xed\xa0\x80\"}]}");	/* a UTF-16 surrogate */
	assert_null(inv);
	/* CSV too: Windows-1252 from an old Export-Csv is refused, with how */
	inv = parse("u.csv", "name,os\nweb01,Windows Vista\x99 Business\n");
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "u.csv: line 2: not UTF-8 (export it "
	    "again with Export-Csv -Encoding UTF8)"));
	inv = parse("d.json", "{\"hosts\": [], \"hosts\": [{\"name\": \"a\"}]}");
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "d.json: \"hosts\" given twice"));
	inv = parse("d.json", "{\"hosts\": [{\"name\": \"a\", \"registry\":"
	    " {\"HKLM\\\\X\\\\V\": 1, \"HKLM\\\\X\\\\V\": 2}}]}");
	assert_null(inv);
	assert_non_null(strstr(err_msg(), "given twice"));
	inv = parse("s.json", ok);
	assert_string_equal(inv->hosts[0].group, "g");	/* null: default */
	assert_string_equal(inv->hosts[0].arch, "x64");
	plan_inventory_free(inv);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\"}]} x", "line 1, column 28", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\\x\"}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"\\ud800\"}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\\u0000\"}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\", \"port\": 01}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\", \"port\": 1.}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\", \"port\": 22.5}]}",
	    "hosts[0] (a).port", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\",}]}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\"}],}", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\"}]", "invalid JSON", NULL);
	refused("s.json", "{\"hosts\": [\"a\"]}", "hosts[0].name: a host must be an object", NULL);
	refused("s.json", "{\"hosts\": [{\"os\": \"x\"}]}", "hosts[0].name: missing", NULL);
	refused("s.json", "{\"defaults\": {\"port\": \"x\"}, \"hosts\": []}",
	    "s.json: defaults.port", NULL);
	refused("s.json", "{\"defaults\": [], \"hosts\": []}", "defaults: must be an object", NULL);
	refused("s.json", "{\"hosts\": 1}", "hosts: must be an array", NULL);
	refused("s.json", "[]", "hosts: missing", NULL);
	refused("s.json", "{\"hosts\": [{\"name\": \"a\", \"files\": {\"tcpip.sys\": 6}}]}",
	    "hosts[0] (a).files", "version string");
	refused("s.json", "{\"hosts\": [{\"name\": \"a\", \"registry\": {\"HKLM\\\\A\\\\B\": -1}}]}",
	    "hosts[0] (a).registry", "32-bit");
}

/* Nesting deeper than the reader allows is refused, not a stack overflow. */
static void
test_plan_inventory_parse_json_deep(void **state)
{
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_adds(&b, "{\"x\": ");
	for (i = 0; i < 100000; i++)
		buf_addc(&b, '[');
	refused("d.json", buf_str(&b), "invalid JSON", NULL);
	buf_release(&b);
}

/*
 * What cJSON alone would read otherwise: numbers of 64 bytes or more (out
 * of every range, accepted where no field reads them), escaped keys, and
 * the first of duplicate "hosts" and "defaults".
 */
static void
test_plan_inventory_parse_json_scan_edges(void **state)
{
	struct plan_inventory *inv;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 16);
	buf_adds(&b, "{\"x\": -1");
	for (i = 0; i < 80; i++)
		buf_addc(&b, '0');
	buf_adds(&b, ", \"hos\\u0074s\": [{\"name\": \"a\", \"y\": 1");
	for (i = 0; i < 80; i++)
		buf_addc(&b, '0');
	buf_adds(&b, "e2, \"port\": 2222}],"
	    " \"defaults\": {\"user\": \"ops\"}}");
	inv = parse("e.json", buf_str(&b));
	if (inv == NULL)
		fail_msg("%s", err_msg());
	assert_int_equal(inv->nhosts, 1);
	assert_int_equal(inv->hosts[0].port, 2222);
	assert_string_equal(inv->hosts[0].user, "ops");
	plan_inventory_free(inv);
	buf_reset(&b);
	buf_adds(&b, "{\"hosts\": [{\"name\": \"a\", \"port\": 1");
	for (i = 0; i < 80; i++)
		buf_addc(&b, '0');
	buf_adds(&b, "}]}");
	refused("e.json", buf_str(&b), "hosts[0] (a).port", "1 to 65535");
	buf_release(&b);
	refused("e.json", "{\"hosts\": 1, \"x\": 01}", "hosts: must be an array", NULL);
	refused("e.json", "{\"x\": 01, \"hosts\": 1}", "line 1, column 8", NULL);
	refused("e.json", "{\"hosts\": [{\"name\": \"a\", \"x\": \"\x01\"}]}",
	    "invalid JSON", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_norm_os_names),
		cmocka_unit_test(test_plan_norm_version_forms),
		cmocka_unit_test(test_plan_inventory_parse_servicing_fields),
		cmocka_unit_test(test_plan_inventory_parse_unknown_products),
		cmocka_unit_test(test_plan_inventory_unique_and_skip),
		cmocka_unit_test(test_plan_norm_arch_and_regpath),
		cmocka_unit_test(test_plan_inventory_parse_json_fields),
		cmocka_unit_test(test_plan_inventory_parse_json_errors),
		cmocka_unit_test(test_plan_inventory_parse_binary_refused),
		cmocka_unit_test(test_plan_inventory_parse_csv),
		cmocka_unit_test(test_plan_inventory_parse_csv_errors),
		cmocka_unit_test(test_plan_inventory_parse_ad_export),
		cmocka_unit_test(test_plan_inventory_parse_json_large_first_error),
		cmocka_unit_test(test_plan_inventory_parse_json_syntax),
		cmocka_unit_test(test_plan_inventory_parse_json_deep),
		cmocka_unit_test(test_plan_inventory_parse_json_scan_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

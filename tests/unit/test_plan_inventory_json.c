/*
 * plan_inventory_write() without the original: a parsed inventory (CSV, AD export, JSON
 * with defaults) written as JSON reads back as the same hosts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static struct plan_inventory *
parse(const char *name, const char *s)
{
	struct plan_inventory *inv = plan_inventory_parse(name, s, strlen(s));

	if (inv == NULL)
		fail_msg("%s", err_msg());
	return inv;
}

static void
str_eq(const char *host, const char *field, const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		fail_msg("%s.%s: '%s' became '%s'", host, field,
		    a ? a : "(absent)", b ? b : "(absent)");
}

static void
lists_eq(const char *host, const char *field, char **a, size_t na, char **b,
    size_t nb)
{
	size_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		str_eq(host, field, a[i], b[i]);
}

static void
host_eq(const struct plan_inv_host *a, const struct plan_inv_host *b)
{
	size_t i;

	str_eq(a->name, "name", a->name, b->name);
	str_eq(a->name, "address", a->address, b->address);
	str_eq(a->name, "user", a->user, b->user);
	str_eq(a->name, "transport", a->transport, b->transport);
	str_eq(a->name, "group", a->group, b->group);
	str_eq(a->name, "os", a->os_raw, b->os_raw);
	str_eq(a->name, "product", a->product, b->product);
	str_eq(a->name, "version", a->version, b->version);
	str_eq(a->name, "arch", a->arch, b->arch);
	str_eq(a->name, "channel", a->channel, b->channel);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->wave, b->wave);
	assert_int_equal(a->multicast, b->multicast);
	assert_int_equal(a->wfp_drivers, b->wfp_drivers);
	assert_int_equal(a->has_installed, b->has_installed);
	lists_eq(a->name, "installed", a->installed, a->ninstalled,
	    b->installed, b->ninstalled);
	lists_eq(a->name, "roles", a->roles, a->nroles, b->roles, b->nroles);
	str_eq(a->name, "rollup", a->rollup, b->rollup);
	str_eq(a->name, "ui_language", a->ui_language, b->ui_language);
	assert_int_equal(a->has_superseded, b->has_superseded);
	lists_eq(a->name, "superseded", a->superseded, a->nsuperseded,
	    b->superseded, b->nsuperseded);
	assert_int_equal(a->has_experiencing, b->has_experiencing);
	lists_eq(a->name, "experiencing", a->experiencing, a->nexperiencing,
	    b->experiencing, b->nexperiencing);
	assert_int_equal(a->has_pending_reboot_reasons,
	    b->has_pending_reboot_reasons);
	lists_eq(a->name, "pending_reboot_reasons", a->pending_reboot_reasons,
	    a->npending_reboot_reasons, b->pending_reboot_reasons,
	    b->npending_reboot_reasons);
	assert_int_equal(a->has_files, b->has_files);
	assert_int_equal(a->nfiles, b->nfiles);
	for (i = 0; i < a->nfiles; i++) {
		str_eq(a->name, "files", a->files[i].name, b->files[i].name);
		str_eq(a->name, "files", a->files[i].version,
		    b->files[i].version);
	}
	assert_int_equal(a->has_registry, b->has_registry);
	assert_int_equal(a->nregistry, b->nregistry);
	for (i = 0; i < a->nregistry; i++) {
		str_eq(a->name, "registry", a->registry[i].path,
		    b->registry[i].path);
		assert_int_equal(a->registry[i].is_num, b->registry[i].is_num);
		assert_int_equal(a->registry[i].num, b->registry[i].num);
		str_eq(a->name, "registry", a->registry[i].str,
		    b->registry[i].str);
	}
}

/*
 * in -> JSON -> parse must give in's hosts, and writing that again must
 * give the same bytes.  Returns the JSON (caller frees) for more checks.
 */
static char *
round_trip(const char *name, const char *in, size_t want_hosts)
{
	struct plan_inventory *a = parse(name, in), *b;
	struct buf j1, j2;
	size_t i;

	assert_int_equal(a->nhosts, want_hosts);
	buf_init(&j1, 0);
	buf_init(&j2, 0);
	assert_int_equal(plan_inventory_write(a, NULL, 0, &j1), 0);
	if ((b = plan_inventory_parse("out.json", j1.data, j1.len)) == NULL)
		fail_msg("%s\n%s", err_msg(), buf_str(&j1));
	assert_int_equal(b->nhosts, a->nhosts);
	for (i = 0; i < a->nhosts; i++) {
		host_eq(&a->hosts[i], &b->hosts[i]);
		assert_int_equal(b->hosts[i].line, 0);
	}
	assert_int_equal(plan_inventory_write(b, NULL, 0, &j2), 0);
	assert_string_equal(buf_str(&j1), buf_str(&j2));
	plan_inventory_free(a);
	plan_inventory_free(b);
	buf_release(&j2);
	return buf_detach(&j1, NULL);
}

static const char csv_all[] =
    "name,address,port,user,transport,group,wave,os,version,arch,channel,"
    "installed,files,registry,multicast_forwarding,wfp_callout_drivers,"
    "roles\r\n"
    "web01,127.0.0.2,2222,CORP\\ops,ssh,web,2,"
    "Microsoft Windows 7 Professional,6.1 (7601),64-bit,Security Only,"
    "kb4338823;KB4345459,TCPIP.SYS=6.1.7601.24168,"
    "\"HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SQMClient\\Windows\\"
    "CEIPEnable=0x1;HKLM\\Software\\X\\S=a \"\"b\"\" \\c\",false,0,"
    "iis;sql\r\n"
    "\r\n"
    "vista01,,,,manual,,,Windows Vista\xe2\x84\xa2 Business,6.0.6002,x86,"
    ",,,,true,3,\r\n"
    "bare,,,,,,,,,,,,,,,,\r\n";

static void
test_plan_inventory_write_records_csv_round_trip(void **state)
{
	struct plan_inventory *inv;
	char *json;

	(void)state;
	json = round_trip("inv.csv", csv_all, 3);
	/* what the JSON says, not only that it reads back */
	assert_non_null(strstr(json, "\"name\": \"web01\", \"address\": "
	    "\"127.0.0.2\", \"port\": 2222, \"user\": \"CORP\\\\ops\""));
	assert_non_null(strstr(json, "\"installed\": [\"KB4338823\", "
	    "\"KB4345459\"]"));
	assert_non_null(strstr(json, "\"files\": {\"tcpip.sys\": "
	    "\"6.1.7601.24168\"}"));
	assert_non_null(strstr(json, "\"HKLM\\\\Software\\\\X\\\\S\": "
	    "\"a \\\"b\\\" \\\\c\""));
	assert_non_null(strstr(json, "CEIPEnable\": 1,"));
	assert_non_null(strstr(json, "\"roles\": [\"iis\", \"sql\"]"));
	assert_non_null(strstr(json, "\"multicast_forwarding\": true, "
	    "\"wfp_callout_drivers\": 3"));
	assert_non_null(strstr(json, "    {\"name\": \"bare\"}\n"));
	assert_null(strstr(json, "defaults"));
	inv = parse("out.json", json);
	assert_string_equal(inv->hosts[0].channel, "security-only");
	assert_string_equal(inv->hosts[0].version, "6.1.7601");
	assert_string_equal(inv->hosts[1].os_raw,
	    "Windows Vista\xe2\x84\xa2 Business");
	plan_inventory_free(inv);
	free(json);
}

static void
test_plan_inventory_write_records_ad_export(void **state)
{
	static const char ad[] =
	    "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer\n"
	    "\"Name\",\"DNSHostName\",\"OperatingSystem\","
	    "\"OperatingSystemVersion\",\"OperatingSystemServicePack\"\n"
	    "\"SQL01\",\"sql01.corp.example.com\",\"Windows Server 2008 R2 "
	    "Enterprise\",\"6.1 (7601)\",\"Service Pack 1\"\n"
	    "\"DEV10\",\"\",\"Windows 10 Enterprise\",\"10.0 (17134)\",\"\"\n";
	struct plan_inventory *inv = parse("ad.csv", ad);
	char *json;

	(void)state;
	/* the reader gives each host its record's line, for messages */
	assert_int_equal(inv->hosts[0].line, 3);
	assert_int_equal(inv->hosts[1].line, 4);
	plan_inventory_free(inv);
	json = round_trip("ad.csv", ad, 2);
	assert_non_null(strstr(json, "{\"name\": \"SQL01\", \"address\": "
	    "\"sql01.corp.example.com\", \"os\": \"Windows Server 2008 R2 "
	    "Enterprise\", \"version\": \"6.1.7601\"}"));
	assert_non_null(strstr(json, "{\"name\": \"DEV10\", \"os\": "
	    "\"Windows 10 Enterprise\", \"version\": \"10.0.17134\"}"));
	free(json);
}

/* JSON in: the defaults are folded into each host; an empty list stays. */
static void
test_plan_inventory_write_records_defaults_folded(void **state)
{
	static const char in[] =
	    "{\"defaults\": {\"port\": 2222, \"user\": \"ops\", \"arch\": "
	    "\"x64\", \"installed\": []},\n"
	    " \"hosts\": [{\"name\": \"a\", \"port\": 22},\n"
	    "  {\"name\": \"b\", \"installed\": [\"KB4338818\"], "
	    "\"registry\": {}, \"unknown\": {\"x\": 1}}]}";
	char *json;

	(void)state;
	json = round_trip("inv.json", in, 2);
	assert_non_null(strstr(json, "{\"name\": \"a\", \"port\": 22, "
	    "\"user\": \"ops\", \"arch\": \"x64\", \"installed\": []}"));
	assert_non_null(strstr(json, "{\"name\": \"b\", \"port\": 2222, "
	    "\"user\": \"ops\", \"arch\": \"x64\", \"installed\": "
	    "[\"KB4338818\"], \"registry\": {}}"));
	assert_null(strstr(json, "defaults"));
	free(json);
}

static void
test_plan_inventory_write_records_full_buffer(void **state)
{
	struct plan_inventory *inv = parse("inv.csv", csv_all);
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(plan_inventory_write(inv, NULL, 0, &b), -1);
	assert_non_null(strstr(err_msg(), "inv.csv: the inventory as JSON "
	    "is larger than 64 bytes"));
	buf_release(&b);
	plan_inventory_free(inv);
}

/*
 * With the original JSON: only what the edit functions set or changed is
 * written (a value equal to the defaults' included, when set), in place
 * or appended; the rest as written.  Edits are checked as the readers do.
 * A registry value found absent makes the registry collected ({}).
 */
static void
test_plan_inventory_write_edits(void **state)
{
	static const char in[] = "{\"defaults\": {\"group\": \"g\"}, "
	    "\"hosts\": [{\"name\": \"a\", \"x\": 1},\n{\"name\": \"b\", "
	    "\"version\": \"6.1 (7601)\", \"os\": \"windows-7\", "
	    "\"registry\": null}], \"z\": [true]}";
	struct plan_inventory *inv = parse("inv.json", in);
	char *kb[] = { "kb12345" }, *kbs[] = { "kb4338823" };
	struct buf b;

	(void)state;
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "group", "g"),
	    0);
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "installed", kbs, 1), 0);
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "installed", kb, 1), -1);
	assert_string_equal(err_msg(), "a: installed: 'kb12345' is not a KB "
	    "id like KB4338823");
	assert_int_equal(plan_inv_host_set_reg(inv, &inv->hosts[1],
	    "HKCU\\Software\\X", 1, NULL), -1);
	assert_int_equal(plan_inv_host_del_reg(inv, &inv->hosts[1],
	    "HKLM\\Software\\X"), 0);
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[1], "colour",
	    "red"), -1);
	buf_init(&b, 0);
	assert_int_equal(plan_inventory_write(inv, in, strlen(in), &b), 0);
	assert_string_equal(buf_str(&b), "{\n  \"defaults\": {\"group\": "
	    "\"g\"},\n  \"hosts\": [\n    {\"name\": \"a\", \"x\": 1, "
	    "\"group\": \"g\", \"installed\": [\"KB4338823\"]},\n    "
	    "{\"name\": \"b\", \"version\": \"6.1 (7601)\", \"os\": "
	    "\"windows-7\", \"registry\": {}}\n  ],\n  \"z\": [true]\n}\n");
	buf_release(&b);
	plan_inventory_free(inv);
}

/*
 * The servicing fields of issue 11: written from CSV records and read
 * back; set by the edit functions with the readers' checks, and written
 * into the operator's JSON in place or appended.
 */
static void
test_plan_inventory_write_servicing_fields(void **state)
{
	static const char csv[] = "name,version,rollup,superseded,"
	    "ui_language,experiencing,pending_reboot_reasons\n"
	    "w7,6.1.7601.24214,7601.24214.1.4,kb4338818;KB4338821,en-US,"
	    "ws2-unload-ceip,CBS RebootPending;PendingFileRenameOperations\n"
	    "w10,10.0.17134.165,,,,,\n";
	static const char in[] = "{\"hosts\": [{\"name\": \"a\", "
	    "\"rollup\": \"7601.1.1.1\", \"version\": \"6.1.7601\"}]}";
	struct plan_inventory *inv;
	char *kb[] = { "kb4343900" }, *bad[] = { "x" },
	    *sig[] = { "WindowsUpdate RebootRequired" },
	    *adv[] = { "wfp-two-callouts" };
	char *json;
	struct buf b;

	(void)state;
	json = round_trip("inv.csv", csv, 2);
	assert_non_null(strstr(json, "{\"name\": \"w7\", \"version\": "
	    "\"6.1.7601.24214\", \"rollup\": \"7601.24214.1.4\", "
	    "\"superseded\": [\"KB4338818\", \"KB4338821\"], \"ui_language\": "
	    "\"en-US\", \"experiencing\": [\"ws2-unload-ceip\"], "
	    "\"pending_reboot_reasons\": [\"CBS RebootPending\", "
	    "\"PendingFileRenameOperations\"]}"));
	assert_non_null(strstr(json, "{\"name\": \"w10\", \"version\": "
	    "\"10.0.17134.165\"}"));
	free(json);

	inv = parse("inv.json", in);
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "rollup",
	    "7601.24214.1.4"), 0);
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "rollup",
	    "7601;1"), -1);
	assert_non_null(strstr(err_msg(), "a: rollup: '7601;1' is not a "
	    "package version"));
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "version",
	    "6.1.7601.24214"), 0);
	assert_int_equal(plan_inv_host_check(inv, &inv->hosts[0]), 0);
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "ui_language",
	    "fr-FR"), 0);
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "superseded", kb, 1), 0);
	assert_string_equal(inv->hosts[0].superseded[0], "KB4343900");
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "superseded", bad, 1), -1);
	assert_string_equal(err_msg(), "a: superseded: 'x' is not a KB id "
	    "like KB4338823");
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "pending_reboot_reasons", sig, 1), 0);
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "experiencing", adv, 1), 0);
	assert_int_equal(plan_inv_host_set_list(inv, &inv->hosts[0],
	    "experiencing", bad + 0, 0), 0);	/* none: an empty list */
	assert_int_equal(inv->hosts[0].has_experiencing, 1);
	buf_init(&b, 0);
	assert_int_equal(plan_inventory_write(inv, in, strlen(in), &b), 0);
	assert_string_equal(buf_str(&b), "{\n  \"hosts\": [\n    {\"name\": "
	    "\"a\", \"rollup\": \"7601.24214.1.4\", \"version\": "
	    "\"6.1.7601.24214\", \"superseded\": [\"KB4343900\"], "
	    "\"ui_language\": \"fr-FR\", \"experiencing\": [], "
	    "\"pending_reboot_reasons\": [\"WindowsUpdate RebootRequired\"]}\n"
	    "  ]\n}\n");
	buf_release(&b);
	plan_inventory_free(inv);
}

/* The groups object (reboot group budgets) survives an edit: kept as
 * written, read back the same; a record without the original (CSV has
 * no groups) writes none. */
static void
test_plan_inventory_write_keeps_groups(void **state)
{
	const char *in = "{\"groups\": {\"web\": {\"max_unavailable\": "
	    "\"25%\"}, \"sql\": {\"max_unavailable\": 2}},\n"
	    " \"hosts\": [{\"name\": \"a\", \"group\": \"web\"}]}\n";
	struct plan_inventory *inv = parse("g.json", in), *back;
	struct buf b;

	(void)state;
	assert_int_equal(inv->ngroups, 2);
	assert_int_equal(plan_inv_host_set(inv, &inv->hosts[0], "user",
	    "ops"), 0);
	buf_init(&b, 0);
	assert_int_equal(plan_inventory_write(inv, in, strlen(in), &b), 0);
	back = parse("g2.json", buf_str(&b));
	assert_int_equal(back->ngroups, 2);
	assert_string_equal(back->groups[0].name, "web");
	assert_int_equal(back->groups[0].percent, 25);
	assert_int_equal(back->groups[1].count, 2);
	assert_string_equal(back->hosts[0].user, "ops");
	plan_inventory_free(back);
	buf_release(&b);
	plan_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_inventory_write_records_csv_round_trip),
		cmocka_unit_test(test_plan_inventory_write_records_ad_export),
		cmocka_unit_test(test_plan_inventory_write_records_defaults_folded),
		cmocka_unit_test(test_plan_inventory_write_records_full_buffer),
		cmocka_unit_test(test_plan_inventory_write_edits),
		cmocka_unit_test(test_plan_inventory_write_servicing_fields),
		cmocka_unit_test(test_plan_inventory_write_keeps_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

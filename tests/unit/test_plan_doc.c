#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static const char sample[] =
    "{\n"
    "  \"format\": \"kbfix-plan/1\",\n"
    "  \"created\": \"2026-11-21T12:00:00Z\",\n"
    "  \"advisories\": [{\"id\": \"tcpip-2018-07\", \"title\": \"t\"}],\n"
    "  \"summary\": {\"hosts\": 1},\n"
    "  \"packages\": [{\"kb\": \"KB4345459\", \"product\": \"Windows 7\","
    " \"arch\": \"x64\", \"hosts\": [\"web01\"]}],\n"
    "  \"hosts\": [{\"name\": \"web01\", \"address\": \"127.0.0.2\","
    " \"port\": 2222, \"status\": \"needs-action\", \"group\": \"sql\","
    " \"findings\": [{\"advisory\": \"tcpip-2018-07\", \"state\": \"affected\","
    " \"reason\": \"KB4338823 installed\"}],"
    " \"actions\": [{\"kind\": \"registry\", \"key\":"
    " \"HKLM\\\\Software\\\\Microsoft\\\\SQMClient\\\\Windows\","
    " \"value\": \"CEIPEnable\", \"type\": \"REG_DWORD\", \"data\": 0,"
    " \"advisory\": \"ws2-unload-ceip\", \"group_policy\": \"the GPP item,"
    " data 1 to 0\"},"
    " {\"kind\": \"multicast-forwarding\", \"family\": \"ipv4\","
    " \"state\": \"disabled\"},"
    " {\"kind\": \"install\", \"kb\": \"KB4345459\"},"
    " {\"kind\": \"reboot\"}, {\"kind\": \"verify\"}], \"wave\": 2}]\n"
    "}\n";

static void
test_plan_parse_reads_every_field(void **state)
{
	struct plan *p;
	const struct plan_host *h;

	(void)state;
	p = plan_parse("plan.json", sample, strlen(sample));
	assert_non_null(p);
	assert_int_equal(p->npackages, 1);
	assert_string_equal(p->packages[0].product, "Windows 7");
	assert_string_equal(p->packages[0].hosts[0], "web01");
	h = plan_host_find(p, "web01");
	assert_non_null(h);
	assert_int_equal(h->port, 2222);
	assert_int_equal(h->wave, 2);
	assert_string_equal(h->group, "sql");
	assert_int_equal(h->status, PLAN_NEEDS_ACTION);
	assert_int_equal(h->nfindings, 1);
	assert_int_equal(h->findings[0].state, FINDING_AFFECTED);
	assert_int_equal(h->nactions, 5);
	assert_int_equal(h->actions[0].kind, ACTION_REGISTRY);
	assert_string_equal(h->actions[0].value, "CEIPEnable");
	assert_int_equal(h->actions[0].data_num, 0);
	assert_string_equal(h->actions[0].group_policy,
	    "the GPP item, data 1 to 0");
	assert_null(h->actions[1].group_policy);
	assert_int_equal(h->actions[1].kind, ACTION_MULTICAST);
	assert_int_equal(h->actions[1].enabled, 0);
	assert_string_equal(h->actions[2].kb, "KB4345459");
	plan_free(p);
}

/* p written, read back and written again gives the same text, holding
 * want. */
static void
assert_roundtrip(const struct plan *p, const char *want)
{
	struct plan *q;
	struct buf a, b;

	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(plan_write_json(p, &a), 0);
	assert_non_null(strstr(buf_str(&a), want));
	q = plan_parse("again.json", a.data, a.len);
	assert_non_null(q);
	assert_int_equal(plan_write_json(q, &b), 0);
	assert_string_equal(buf_str(&a), buf_str(&b));
	buf_release(&a);
	buf_release(&b);
	plan_free(q);
}

static void
test_plan_write_json_roundtrips(void **state)
{
	struct plan *p;

	(void)state;
	p = plan_parse("plan.json", sample, strlen(sample));
	assert_non_null(p);
	assert_roundtrip(p, "\"needs-action\": 1");
	assert_roundtrip(p, "\"group_policy\": \"the GPP item, data 1 to 0\"");
	plan_free(p);
}

static void
expect_error(const char *doc, const char *needle)
{
	struct plan *p = plan_parse("bad.json", doc, strlen(doc));

	assert_null(p);
	if (strstr(err_msg(), needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err_msg(), needle);
}

static void
test_plan_parse_names_the_bad_field(void **state)
{
	(void)state;
	expect_error("{\"format\": \"kbfix-plan/1\",\n \"hosts\": [}",
	    "bad.json: line 2, column 12: invalid JSON");
	expect_error("{\"format\": \"kbfix-plan/2\", \"hosts\": []}",
	    "format: must be");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"status\": \"needs-action\", \"actions\": [{\"kind\":"
	    " \"install\", \"kb\": \"KB1 & calc\"}]}]}",
	    "hosts[0].actions[0].kb: must look like");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"status\": \"compliant\"}, {\"name\": \"a\","
	    " \"status\": \"compliant\"}]}",
	    "hosts[1].name: duplicate host name");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"status\": \"needs-action\", \"actions\": [{\"kind\":"
	    " \"registry\", \"key\": \"HKLM\\\\X\", \"value\": \"V\","
	    " \"type\": \"REG_DWORD\", \"data\": \"1|x\"}]}]}",
	    "actions[0].data: must be a 32-bit");
	/* it reaches a runbook's echo line and the reason */
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"status\": \"needs-action\", \"actions\": [{\"kind\":"
	    " \"registry\", \"key\": \"HKLM\\\\X\", \"value\": \"V\","
	    " \"type\": \"REG_DWORD\", \"data\": 0, \"group_policy\":"
	    " \"x & calc\"}]}]}",
	    "hosts[0].actions[0].group_policy: must be one line of printable");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a b\", \"status\": \"compliant\"}]}", "hosts[0].name");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"address\": \"-oProxyCommand=x\", \"status\":"
	    " \"compliant\"}]}", "hosts[0].address: not a host name");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"user\": \"ops;id\", \"status\": \"compliant\"}]}",
	    "hosts[0].user: not a plain user name");
	/* issue 11: versions keep their revision, nothing else passes */
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"version\": \"10.0.17134.165\\n# x\", \"status\":"
	    " \"compliant\"}]}", "hosts[0].version: must be a Windows build");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\":"
	    " \"a\", \"arch\": \"AMD64\", \"status\": \"compliant\"}]}",
	    "hosts[0].arch: must be x86, x64, ia64 or arm64");
	expect_error("{\"format\": \"kbfix-plan/1\", \"hosts\": [], "
	    "\"packages\": [{\"kb\": \"KB4345459\", \"product\": \"Windows 7\", "
	    "\"arch\": \"x64\", \"classification\": \"Drivers\", \"hosts\": "
	    "[]}]}", "packages[0].classification: must be Updates");
	{
		static const char ok[] = "{\"format\": \"kbfix-plan/1\", "
		    "\"hosts\": [{\"name\": \"a\", \"version\": "
		    "\"10.0.17134.165\", \"arch\": \"arm64\", \"status\": "
		    "\"exposed\", \"findings\": [{\"advisory\": \"x\", "
		    "\"state\": \"exposed\", \"reason\": \"r\"}]}]}";
		struct plan *p = plan_parse("ok.json", ok, strlen(ok));

		if (p == NULL)
			fail_msg("%s", err_msg());
		assert_string_equal(p->hosts[0].version, "10.0.17134.165");
		assert_int_equal(p->hosts[0].status, PLAN_EXPOSED);
		assert_int_equal(p->hosts[0].findings[0].state, FINDING_EXPOSED);
		plan_free(p);
	}
}

static void
test_plan_valid_patterns(void **state)
{
	(void)state;
	assert_true(str_is_kb("KB4345459"));
	assert_true(str_is_kb("KB976527"));
	assert_false(str_is_kb("KB12"));
	assert_false(str_is_kb("kb4345459"));
	assert_true(plan_valid_regkey("HKLM\\Software\\Microsoft\\SQMClient\\Windows"));
	assert_true(plan_valid_regkey("hklm\\SOFTWARE\\Reliability Analysis\\RAC"));
	assert_false(plan_valid_regkey("HKCU\\Software"));
	assert_false(plan_valid_regkey("HKLM\\a&b"));
	assert_false(plan_valid_regkey("HKLM\\a%PATH%"));
	assert_false(plan_valid_regvalue("a\"b"));
	assert_true(plan_valid_hostname("web-01.corp"));
	assert_false(plan_valid_hostname("web01;rm"));
	assert_true(plan_valid_address("10.0.0.5"));
	assert_true(plan_valid_address("fe80::1"));
	assert_true(plan_valid_address("web01.corp.example.com"));
	assert_false(plan_valid_address("-oProxyCommand=x"));
	assert_false(plan_valid_address("a b"));
	assert_true(plan_valid_user("CORP\\ops"));
	assert_true(plan_valid_user("ops@corp.example.com"));
	assert_false(plan_valid_user("-l"));
	assert_false(plan_valid_user("ops$(id)"));
	/* a template reaches Ansible; a leading '-' reaches ssh */
	assert_false(plan_valid_user("{{ lookup(*dict(pipe=1,id=2)) }}"));
	assert_false(plan_valid_user("a\\b\\c"));
	assert_false(plan_valid_user("a@b@c"));
	assert_false(plan_valid_user("CORP\\"));
	assert_false(plan_valid_hostname("-web01"));
	assert_false(plan_valid_hostname(".web01"));
}

/* A window that does not parse stops the reader: apply would otherwise run
 * without one (issue 16 M2). */
static void
test_plan_parse_refuses_bad_window(void **state)
{
	static const char *const bad[] = {
		"{\"start\": \"tonight\", \"duration_s\": 3600}",
		"{\"start\": \"2026-13-45T99:00:00Z\", \"duration_s\": 3600}",
		"{\"start\": \"2026-11-21T22:00:00Z\", \"duration_s\": 0}",
		"{\"start\": \"2026-11-21T22:00:00Z\"}",
		"{\"start\": \"2026-11-21T22:00:00Z\", \"duration_s\": 99999999}",
	};
	struct plan *p;
	size_t i;
	char *doc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = xasprintf("{\"format\": \"kbfix-plan/1\", \"window\": %s, "
		    "\"hosts\": []}", bad[i]);
		p = plan_parse("plan.json", doc, strlen(doc));
		if (p != NULL)
			fail_msg("window %s accepted", bad[i]);
		assert_non_null(strstr(err_msg(), "plan.json: window."));
		free(doc);
	}
	/* a key given twice is refused: readers disagree on which counts */
	doc = xasprintf("{\"format\": \"kbfix-plan/1\", \"hosts\": [{"
	    "\"name\": \"a\", \"address\": \"127.0.0.2\", \"address\": "
	    "\"10.0.0.1\", \"status\": \"compliant\"}]}");
	assert_null(plan_parse("plan.json", doc, strlen(doc)));
	assert_non_null(strstr(err_msg(), "key \"address\" given twice"));
	free(doc);
	doc = xasprintf("{\"format\": \"kbfix-plan/1\", \"window\": "
	    "{\"start\": \"2026-11-21T22:00:00Z\", \"duration_s\": 3600}, "
	    "\"hosts\": []}");
	p = plan_parse("plan.json", doc, strlen(doc));
	assert_non_null(p);
	assert_int_equal(p->window_duration_s, 3600);
	plan_free(p);
	free(doc);
}

/* The plan's reboot group budgets: read, written back the same, looked
 * up by name (1 for a group the plan does not list); bad ones refused. */
static void
test_plan_groups_roundtrip_and_checks(void **state)
{
	static const char doc[] = "{\"format\": \"kbfix-plan/1\", "
	    "\"groups\": {\"web\": {\"max_unavailable\": 10, \"members\": "
	    "40, \"percent\": 25}, \"sql\": {\"max_unavailable\": 2, "
	    "\"members\": 3}}, \"advisories\": [], \"hosts\": []}";
	struct plan *p;

	(void)state;
	p = plan_parse("plan.json", doc, strlen(doc));
	assert_non_null(p);
	assert_int_equal(p->ngroups, 2);
	assert_string_equal(p->groups[0].name, "sql");	/* by name */
	assert_int_equal(plan_group_budget(p, "web"), 10);
	assert_int_equal(plan_group_find(p, "web")->percent, 25);
	assert_int_equal(plan_group_find(p, "web")->members, 40);
	assert_int_equal(plan_group_budget(p, "sql"), 2);
	assert_int_equal(plan_group_budget(p, "other"), 1);
	assert_int_equal(plan_group_budget(p, NULL), 1);
	assert_roundtrip(p, "\"web\": {\"max_unavailable\": 10, "
	    "\"members\": 40, \"percent\": 25}");
	plan_free(p);
	expect_error("{\"format\": \"kbfix-plan/1\", \"groups\": {\"web\": "
	    "{\"members\": 2}}, \"hosts\": []}",
	    "bad.json: groups.web.max_unavailable: missing");
	expect_error("{\"format\": \"kbfix-plan/1\", \"groups\": {\"web\": "
	    "{\"max_unavailable\": 0}}, \"hosts\": []}",
	    "groups.web.max_unavailable: must be 1 to 1000000");
	expect_error("{\"format\": \"kbfix-plan/1\", \"groups\": {\"web\": "
	    "{\"max_unavailable\": -1}}, \"hosts\": []}",
	    "groups.web.max_unavailable: must be 1 to 1000000");
	expect_error("{\"format\": \"kbfix-plan/1\", \"groups\": {\"web\": "
	    "{\"max_unavailable\": 2, \"percent\": 101}}, \"hosts\": []}",
	    "groups.web.percent: must be 0 to 100");
	expect_error("{\"format\": \"kbfix-plan/1\", \"groups\": [], "
	    "\"hosts\": []}", "groups: must be an object");
}

static void
test_plan_host_has_finds_a_kind(void **state)
{
	struct plan_action acts[2];
	struct plan_host h;

	(void)state;
	memset(acts, 0, sizeof(acts));
	memset(&h, 0, sizeof(h));
	acts[0].kind = ACTION_INSTALL;
	acts[1].kind = ACTION_REBOOT;
	h.actions = acts;
	assert_false(plan_host_has(&h, ACTION_REBOOT));	/* no actions */
	h.nactions = 2;
	assert_true(plan_host_has(&h, ACTION_REBOOT));
	assert_true(plan_host_has(&h, ACTION_INSTALL));
	assert_false(plan_host_has(&h, ACTION_REGISTRY));
	h.nactions = 1;
	assert_false(plan_host_has(&h, ACTION_REBOOT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_parse_reads_every_field),
		cmocka_unit_test(test_plan_write_json_roundtrips),
		cmocka_unit_test(test_plan_parse_names_the_bad_field),
		cmocka_unit_test(test_plan_valid_patterns),
		cmocka_unit_test(test_plan_parse_refuses_bad_window),
		cmocka_unit_test(test_plan_groups_roundtrip_and_checks),
		cmocka_unit_test(test_plan_host_has_finds_a_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

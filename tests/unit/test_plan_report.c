#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static const char doc[] =
    "{\"format\": \"kbfix-plan/1\", \"created\": \"2026-11-21T12:00:00Z\",\n"
    " \"window\": {\"start\": \"2026-11-21T22:00:00Z\", \"duration_s\": 600},\n"
    " \"advisories\": [{\"id\": \"tcpip-2018-07\", \"title\": \"t\"}],\n"
    " \"packages\": [{\"kb\": \"KB4345459\", \"product\": \"Windows 7\", \"arch\": \"x64\", \"hosts\": [\"web01\"]}],\n"
    " \"hosts\": [{\"name\": \"web01\", \"status\": \"needs-action\", \"os\": \"Windows 7\",\n"
    "   \"findings\": [{\"advisory\": \"tcpip-2018-07\", \"state\": \"affected\",\n"
    "     \"reason\": \"<script>alert('x')</script> \\\"quoted\\\", and | piped\"}],\n"
    "   \"actions\": [{\"kind\": \"install\", \"kb\": \"KB4345459\", \"advisory\": \"tcpip-2018-07\"},\n"
    "     {\"kind\": \"registry\", \"key\": \"HKLM\\\\Software\\\\A, B\", \"value\": \"V\", \"type\": \"REG_DWORD\", \"data\": 0},\n"
    "     {\"kind\": \"reboot\"}, {\"kind\": \"verify\"}], \"estimate_s\": 1200, \"wave\": 1},\n"
    "  {\"name\": \"ok01\", \"status\": \"compliant\", \"findings\": [], \"actions\": [], \"wave\": 0}]}\n";

static struct plan *
sample(void)
{
	struct plan *p = plan_parse("p.json", doc, strlen(doc));

	if (p == NULL)
		fail_msg("%s", err_msg());
	return p;
}

static char *
report(const struct plan *p, enum plan_format f)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	assert_int_equal(plan_report(p, f, &b), 0);
	return buf_detach(&b, NULL);
}

static void
test_plan_report_text_has_tables(void **state)
{
	struct plan *p = sample();
	char *s = report(p, PLAN_FORMAT_TEXT);

	(void)state;
	assert_non_null(strstr(s, "kbfix plan: 2 hosts"));
	assert_non_null(strstr(s, "needs-action 1"));
	assert_non_null(strstr(s, "\nHosts\n"));
	assert_non_null(strstr(s, "\nPackages\n"));
	assert_non_null(strstr(s, "KB4345459  Windows 7"));
	/* the actions fold inside their column */
	assert_non_null(strstr(s, "install KB4345459,\n"));
	assert_non_null(strstr(s, "      registry HKLM"));
	/* 20 min of work does not fit a 10 min window */
	assert_non_null(strstr(s, "DOES NOT FIT"));
	assert_null(strstr(s, "\033["));	/* no colour unless asked */
	free(s);
	plan_free(p);
}

/* Every line of the text report fits 100 columns; colours when asked. */
static void
test_plan_report_text_fits_100_columns(void **state)
{
	static const char d[] =
	    "{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\": "
	    "\"a-very-long-host-name-that-is-sixty-three-characters-long-abcde\","
	    " \"status\": \"blocked\", \"os\": \"Windows Server 2008 R2\","
	    " \"findings\": [{\"advisory\": \"tcpip-2018-07\", \"state\":"
	    " \"blocked\", \"reason\": \"a reason long enough to fold over"
	    " more than one line of a terminal that is one hundred columns wide,"
	    " as reasons that name the fact to collect often are\"}],"
	    " \"actions\": []}]}";
	struct plan_report_ctx ctx = { NULL, NULL, 1 };
	struct plan *p = plan_parse("p.json", d, strlen(d));
	struct buf b;
	const char *line, *nl;

	(void)state;
	assert_non_null(p);
	buf_init(&b, 1 << 20);
	assert_int_equal(plan_report_for(p, PLAN_FORMAT_TEXT, &ctx, &b), 0);
	for (line = b.data; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		size_t n = (size_t)(nl - line);

		if (strncmp(line, "\033[31m", 5) == 0)
			n -= 5 + 4;	/* the SGR sequences around a row */
		assert_true(n <= 100);
	}
	/* a blocked host's row is red on a terminal */
	assert_non_null(strstr(b.data, "\033[31ma-very-long-host "));
	assert_non_null(strstr(b.data, "often are\n"));
	buf_release(&b);
	plan_free(p);
}

static void
test_plan_report_html_escapes(void **state)
{
	struct plan *p = sample();
	char *s = report(p, PLAN_FORMAT_HTML);

	(void)state;
	/* one script, the page's own; the reason's is text */
	assert_non_null(strstr(s, "<script>(function(){"));
	assert_null(strstr(strstr(s, "<script>") + 1, "<script>"));
	assert_null(strstr(s, "<script>alert"));
	assert_non_null(strstr(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
	/* one timeline bar per host that needs action, nothing fetched */
	assert_non_null(strstr(s, "<g class=\"bar def\" data-wave=\"1\" data-host=\"web01\">"));
	assert_null(strstr(s, "ok01\"><title>"));
	assert_null(strstr(s, "http://"));
	assert_null(strstr(s, "https://"));
	assert_non_null(strstr(s, "<details><summary>1 finding(s), 1 to read</summary>"));
	assert_non_null(strstr(s, "&quot;quoted&quot;"));
	assert_non_null(strstr(s, "<!DOCTYPE html>"));
	assert_non_null(strstr(s, "</html>"));
	free(s);
	plan_free(p);
}

static void
test_plan_report_csv_quotes(void **state)
{
	struct plan *p = sample();
	char *s = report(p, PLAN_FORMAT_CSV);

	(void)state;
	assert_true(strncmp(s, "host,status,wave,step,kind,kb,advisory,product,arch,detail\r\n",
	    60) == 0);
	assert_non_null(strstr(s, "web01,needs-action,1,1,install,KB4345459,tcpip-2018-07,Windows 7,,install KB4345459\r\n"));
	assert_non_null(strstr(s, ",\"registry HKLM\\Software\\A, B\\V=0\"\r\n"));
	assert_non_null(strstr(s, "ok01,compliant,0,0,none,"));
	free(s);
	plan_free(p);
}

static void
test_plan_report_markdown_for_change_request(void **state)
{
	struct plan *p = sample();
	char *s = report(p, PLAN_FORMAT_MARKDOWN);

	(void)state;
	assert_non_null(strstr(s, "## 1. Summary and justification"));
	assert_non_null(strstr(s, "| Reboots | 1 |"));
	assert_non_null(strstr(s, "| tcpip-2018-07 | - | t | 1 | 0 | 0 |"));
	/* 20 min of work, a 10 min window: the wave is late */
	assert_non_null(strstr(s, "| 1 | 1 | 2026-11-21 22:00 UTC | "
	    "2026-11-21 22:20 UTC | 2026-11-21 22:00 UTC | "
	    "2026-11-21 22:20 UTC | **no** |"));
	assert_non_null(strstr(s, "Deferral risk: 1 host(s)"));
	assert_non_null(strstr(s, "| KB4345459 | Windows 7 | x64 | Updates | 1 |"));
	assert_non_null(strstr(s, "kbfix rollback RUN_DIR"));
	assert_non_null(strstr(s, "## Appendix: actions per host"));
	assert_non_null(strstr(s, "and \\| piped"));
	/* markup from a reason is text (issue 16: one Markdown escaper) */
	assert_null(strstr(s, "<script>"));
	assert_non_null(strstr(s, "&lt;script&gt;"));
	free(s);
	plan_free(p);
}

/* Roles per wave, the window's offset, the plan's own hash. */
static void
test_plan_report_markdown_schedule_roles_hash(void **state)
{
	static const char d[] =
	    "{\"format\": \"kbfix-plan/1\",\n"
	    " \"window\": {\"start\": \"2026-11-21T22:00:00Z\", \"duration_s\": 3600, \"offset_s\": -18000},\n"
	    " \"hosts\": [\n"
	    "  {\"name\": \"a\", \"status\": \"needs-action\", \"roles\": [\"sql_*\"], \"group\": \"g\",\n"
	    "   \"findings\": [], \"actions\": [{\"kind\": \"reboot\"}], \"estimate_s\": 600, \"wave\": 1},\n"
	    "  {\"name\": \"b\", \"status\": \"needs-action\", \"roles\": [\"iis\"], \"group\": \"g\",\n"
	    "   \"findings\": [], \"actions\": [{\"kind\": \"reboot\"}], \"estimate_s\": 900, \"wave\": 3},\n"
	    "  {\"name\": \"c\", \"status\": \"needs-action\", \"roles\": [\"iis\"],\n"
	    "   \"findings\": [], \"actions\": [{\"kind\": \"verify\"}], \"estimate_s\": 60, \"wave\": 3}]}\n";
	struct plan_report_ctx ctx = { "my plan.json", NULL, 0 };
	struct plan *p = plan_parse("p.json", d, strlen(d));
	struct buf b;
	char sha[65], *s;

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->window_offset_s, -18000);
	buf_init(&b, 1 << 24);
	assert_int_equal(plan_report_for(p, PLAN_FORMAT_MARKDOWN, &ctx, &b), 0);
	s = b.data;
	assert_non_null(strstr(s, "| 1 | 1 | 1 | 0 | sql\\_\\* | g |"));
	assert_non_null(strstr(s, "| 3 | 2 | 1 | 0 | iis | g |"));
	assert_non_null(strstr(s, "Largest blast radius: wave 3, 2 host(s)"));
	assert_non_null(strstr(s, "| 3 | 2 | 2026-11-21 22:10 UTC | "
	    "2026-11-21 22:25 UTC | 2026-11-21 17:10 -05:00 | "
	    "2026-11-21 17:25 -05:00 | yes |"));
	/* plan_write_json's document is what plan -o writes */
	buf_reset(&b);
	assert_int_equal(plan_write_json(p, &b), 0);
	sha256_hex(b.data, b.len, sha);
	buf_reset(&b);
	assert_int_equal(plan_report_for(p, PLAN_FORMAT_MARKDOWN, &ctx, &b), 0);
	assert_non_null(strstr(b.data, sha));
	/* a path that code spans would show escaped is a placeholder */
	assert_non_null(strstr(b.data, "kbfix apply PLAN.json --bundle"));
	buf_release(&b);
	plan_free(p);
}

/* A CR or a newline in a value cannot end a Markdown line or cell. */
static void
test_plan_report_markdown_one_line_per_value(void **state)
{
	static const char hostile[] =
	    "{\"format\": \"kbfix-plan/1\", \"hosts\": [{\"name\": \"web01\","
	    " \"status\": \"needs-action\", \"os\": \"Windows 7\\r\\n"
	    "<h2>Approved: no action needed</h2>\", \"findings\": [{"
	    "\"advisory\": \"tcpip-2018-07\", \"state\": \"affected\","
	    " \"reason\": \"x\\r| **approved** |\"}], \"actions\": []}]}";
	struct plan *p = plan_parse("p.json", hostile, strlen(hostile));
	char *s;

	(void)state;
	if (p == NULL)
		fail_msg("%s", err_msg());
	s = report(p, PLAN_FORMAT_MARKDOWN);
	assert_null(strstr(s, "<h2>"));
	assert_null(strstr(s, "\r"));
	assert_non_null(strstr(s, "### web01 (needs-action, wave 0, Windows 7  "
	    "&lt;h2&gt;Approved: no action needed&lt;/h2&gt;"));
	assert_non_null(strstr(s, "x \\| \\*\\*approved\\*\\* \\|"));
	free(s);
	plan_free(p);
}

static void
test_plan_report_json_roundtrip(void **state)
{
	const char *csv = "name,os,version,arch,installed,address,port\n"
	    "web01,Windows 7 Pro,6.1.7601,x64,KB4338823,127.0.0.2,2222\n";
	struct plan_options o = { .created = "2026-11-21T12:00:00Z",
	    .window_start = "2026-11-21T22:00:00Z", .window_duration_s = 14400 };
	struct advisory_set *set = plan_advisory_builtin();
	struct plan_inventory *inv = plan_inventory_parse("i.csv", csv, strlen(csv));
	struct plan *p, *q;
	char *s;

	(void)state;
	p = plan_build(inv, set, &o);
	s = report(p, PLAN_FORMAT_JSON);
	q = plan_parse("out.json", s, strlen(s));
	if (q == NULL)
		fail_msg("%s", err_msg());
	assert_string_equal(q->window_start, "2026-11-21T22:00:00Z");
	assert_int_equal(q->window_duration_s, 14400);
	assert_int_equal(q->nhosts, 1);
	assert_string_equal(q->hosts[0].address, "127.0.0.2");
	assert_int_equal(q->hosts[0].port, 2222);
	assert_string_equal(q->hosts[0].transport, "ssh");
	assert_string_equal(q->hosts[0].version, "6.1.7601");
	assert_int_equal(q->hosts[0].estimate_s, p->hosts[0].estimate_s);
	assert_string_equal(q->hosts[0].actions[0].kb, "KB4345459");
	assert_string_equal(q->hosts[0].actions[0].advisory, "tcpip-2018-07");
	assert_int_equal(q->nadvisories, set->n);
	plan_free(q);
	plan_free(p);
	free(s);
	plan_inventory_free(inv);
	plan_advisory_set_free(set);
}

static void
test_plan_format_parse_names(void **state)
{
	enum plan_format f;

	(void)state;
	assert_int_equal(plan_format_parse("html", &f), 0);
	assert_int_equal(f, PLAN_FORMAT_HTML);
	assert_int_equal(plan_format_parse("md", &f), 0);
	assert_int_equal(f, PLAN_FORMAT_MARKDOWN);
	assert_int_equal(plan_format_parse("pdf", &f), -1);
	assert_non_null(strstr(err_msg(), "pdf"));
}

/* Each reboot group's budget and waves, in every format, escaped. */
static void
test_plan_report_group_budgets(void **state)
{
	static const char g[] =
	    "{\"format\": \"kbfix-plan/1\", \"groups\": {\"<web>|\": "
	    "{\"max_unavailable\": 2, \"members\": 3, \"percent\": 66}},\n"
	    " \"advisories\": [], \"hosts\": [\n"
	    "  {\"name\": \"a\", \"status\": \"needs-action\", \"group\": "
	    "\"<web>|\", \"findings\": [], \"actions\": [{\"kind\": "
	    "\"reboot\"}], \"wave\": 1},\n"
	    "  {\"name\": \"b\", \"status\": \"needs-action\", \"group\": "
	    "\"<web>|\", \"findings\": [], \"actions\": [{\"kind\": "
	    "\"reboot\"}], \"wave\": 1},\n"
	    "  {\"name\": \"c\", \"status\": \"needs-action\", \"group\": "
	    "\"<web>|\", \"findings\": [], \"actions\": [{\"kind\": "
	    "\"reboot\"}], \"wave\": 2}]}\n";
	struct plan *p = plan_parse("g.json", g, strlen(g));
	char *s;

	(void)state;
	assert_non_null(p);
	s = report(p, PLAN_FORMAT_TEXT);
	assert_non_null(strstr(s, "(max_unavailable): <web>| 2 of 3 (66%)"));
	assert_non_null(strstr(s, "over 2 wave(s)"));
	free(s);
	s = report(p, PLAN_FORMAT_MARKDOWN);
	assert_non_null(strstr(s, "(max_unavailable): &lt;web&gt;\\| 2 of 3 "
	    "(66%) over 2 wave(s)"));
	free(s);
	s = report(p, PLAN_FORMAT_HTML);
	assert_non_null(strstr(s, "(max_unavailable): &lt;web&gt;| 2 of 3 "
	    "(66%) over 2 wave(s)"));
	free(s);
	plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_report_markdown_one_line_per_value),
		cmocka_unit_test(test_plan_report_text_has_tables),
		cmocka_unit_test(test_plan_report_text_fits_100_columns),
		cmocka_unit_test(test_plan_report_html_escapes),
		cmocka_unit_test(test_plan_report_csv_quotes),
		cmocka_unit_test(test_plan_report_markdown_for_change_request),
		cmocka_unit_test(test_plan_report_markdown_schedule_roles_hash),
		cmocka_unit_test(test_plan_report_json_roundtrip),
		cmocka_unit_test(test_plan_format_parse_names),
		cmocka_unit_test(test_plan_report_group_budgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A host's evidence in the inventory and the plan (issue 12): the reader
 * (inventory and plan), the one writer, the finding sentence, the counts
 * and the wave order.
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

static struct advisory_set *set;

static int
setup(void **state)
{
	(void)state;
	set = plan_advisory_builtin();
	return set ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	plan_advisory_set_free(set);
	return 0;
}

#define W7	"\"os\": \"Windows 7 Professional\", \"version\": \"6.1.7601\", " \
		"\"arch\": \"x64\", \"installed\": [\"KB4338823\"]"
#define EV_D1(t)	"{\"advisory\": \"tcpip-2018-07\", \"time\": \"" t "\", " \
		"\"event_id\": 1001, \"provider\": " \
		"\"Microsoft-Windows-WER-SystemErrorReporting\", " \
		"\"bugcheck\": \"0x000000D1\"}"
#define WIN	"\"since\": \"2026-11-01T00:00:00Z\", " \
		"\"read_at\": \"2026-12-01T00:00:00Z\""

static const char inv_ok[] =
    "{\"hosts\": [\n"
    "{\"name\": \"calm\", " W7 ", \"evidence\": {" WIN ", \"state\": "
    "\"read\", \"events\": []}},\n"
    "{\"name\": \"hot\", " W7 ", \"evidence\": {" WIN ", \"state\": "
    "\"read\", \"events\": [" EV_D1("2026-11-28T03:12:09Z") ", "
    EV_D1("2026-11-20T01:00:00Z") ", " EV_D1("2026-11-10T01:00:00Z") ", "
    "{\"advisory\": \"tcpip-2018-07\", \"time\": \"2026-11-09T00:00:00Z\", "
    "\"event_id\": 16002, \"provider\": \"AFD\"}]}},\n"
    "{\"name\": \"dark\", " W7 ", \"evidence\": {" WIN ", \"state\": "
    "\"unknown\", \"error\": \"wevtutil exited 5: Access is denied.\", "
    "\"events\": []}},\n"
    "{\"name\": \"none\", " W7 "}\n"
    "]}\n";

static struct plan_inventory *
inv_parse(const char *s)
{
	return plan_inventory_parse("inv.json", s, strlen(s));
}

static struct plan *
build(const struct plan_inventory *inv)
{
	struct plan_options o = { .prefer = PLAN_PREFER_CHANNEL,
	    .created = "2026-12-01T00:00:00Z" };

	return plan_build(inv, set, &o);
}

static const char *
reason(const struct plan_host *h, const char *adv)
{
	size_t i;

	for (i = 0; i < h->nfindings; i++)
		if (strcmp(h->findings[i].advisory, adv) == 0)
			return h->findings[i].reason;
	fail_msg("%s: no finding %s", h->name, adv);
	return NULL;
}

/* Read, written by the one writer, read back the same. */
static void
test_evidence_inventory_roundtrip(void **state)
{
	struct plan_inventory *inv, *back;
	const struct plan_inv_host *h;
	struct buf out, a, b;

	(void)state;
	inv = inv_parse(inv_ok);
	assert_non_null(inv);
	h = plan_inventory_find(inv, "hot");
	assert_int_equal(h->evidence.present, 1);
	assert_int_equal(h->evidence.unknown, 0);
	assert_int_equal(h->evidence.nevents, 4);
	assert_int_equal(h->evidence.events[0].bugcheck, 0xd1);
	assert_int_equal(h->evidence.events[3].id, 16002);
	assert_null(h->evidence.events[3].module);
	h = plan_inventory_find(inv, "dark");
	assert_int_equal(h->evidence.unknown, 1);
	assert_string_equal(h->evidence.error,
	    "wevtutil exited 5: Access is denied.");
	assert_int_equal(plan_inventory_find(inv, "none")->evidence.present, 0);

	/* from the records (CSV-style output) and from the document */
	buf_init(&out, 0);
	assert_int_equal(plan_inventory_write(inv, NULL, 0, &out), 0);
	back = inv_parse(buf_str(&out));
	assert_non_null(back);
	buf_init(&a, 0);
	buf_init(&b, 0);
	plan_evidence_write(&plan_inventory_find(inv, "hot")->evidence, &a);
	plan_evidence_write(&plan_inventory_find(back, "hot")->evidence, &b);
	assert_string_equal(buf_str(&a), buf_str(&b));
	assert_non_null(strstr(buf_str(&out), "\"bugcheck\": \"0x000000D1\""));
	assert_null(strstr(buf_str(&out), "\"evidence\": null"));
	buf_release(&a);
	buf_release(&b);
	buf_release(&out);
	plan_inventory_free(back);
	plan_inventory_free(inv);
}

static void
bad(const char *evidence, const char *msg)
{
	char *doc = xasprintf("{\"hosts\": [{\"name\": \"h1\", " W7
	    ", \"evidence\": %s}]}", evidence);
	struct plan_inventory *inv = inv_parse(doc);

	if (inv != NULL)
		fail_msg("accepted: %s", evidence);
	if (strstr(err_msg(), msg) == NULL)
		fail_msg("'%s' lacks '%s'", err_msg(), msg);
	free(doc);
}

/* Bad values: refused, naming the field. */
static void
test_evidence_inventory_bad(void **state)
{
	struct buf many;
	size_t i;

	(void)state;
	bad("[]", "hosts[0] (h1).evidence: must be an object");
	bad("{" WIN ", \"state\": \"maybe\", \"events\": []}",
	    "evidence: state: must be \"read\" or \"unknown\"");
	bad("{\"since\": \"2026-11-01T00:00:00+01:00\", \"read_at\": "
	    "\"2026-12-01T00:00:00Z\", \"state\": \"read\", \"events\": []}",
	    "evidence: since: must be a UTC time");
	bad("{\"since\": \"2026-12-02T00:00:00Z\", \"read_at\": "
	    "\"2026-12-01T00:00:00Z\", \"state\": \"read\", \"events\": []}",
	    "evidence: since: later than read_at");
	bad("{" WIN ", \"state\": \"read\"}", "evidence: events: must be an "
	    "array");
	bad("{" WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"tcpip-2018-07\", \"time\": \"2026-11-28T03:12:09Z\", "
	    "\"event_id\": 1001, \"provider\": \"x\", \"bugcheck\": "
	    "\"0xZZ\"}]}", "evidence: events[0].bugcheck: must be a bug check");
	/* privacy: a message body is not an evidence field */
	bad("{" WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"tcpip-2018-07\", \"time\": \"2026-11-28T03:12:09Z\", "
	    "\"event_id\": 1001, \"provider\": \"x\", \"message\": \"The "
	    "computer has rebooted\"}]}",
	    "evidence: events[0].message: not an evidence field");
	bad("{" WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"Tcpip\", \"time\": \"2026-11-28T03:12:09Z\", \"event_id\": 1, "
	    "\"provider\": \"x\"}]}", "events[0].advisory: must be an "
	    "advisory id");
	bad("{" WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"tcpip-2018-07\", \"time\": \"2026-11-28T03:12:09Z\", "
	    "\"event_id\": 70000, \"provider\": \"x\"}]}",
	    "events[0].event_id: must be an integer 0 to 65535");
	bad("{" WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"tcpip-2018-07\", \"time\": \"2026-11-28T03:12:09Z\", "
	    "\"event_id\": 1000, \"provider\": \"Application Error\", "
	    "\"module\": \"ws2_32.dll\\n\"}]}",
	    "events[0].module: must be 1-63 printable");
	/* bounded: the 1,000-event cap */
	buf_init(&many, 0);
	buf_adds(&many, "{" WIN ", \"state\": \"read\", \"events\": [");
	for (i = 0; i <= PLAN_EVIDENCE_MAX; i++)
		buf_addf(&many, "%s" EV_D1("2026-11-28T03:12:09Z"), i ? ", " :
		    "");
	buf_adds(&many, "]}");
	bad(buf_str(&many), "evidence: events: more than 1000 events");
	buf_release(&many);
	/* per host, never a default */
	assert_null(inv_parse("{\"defaults\": {\"evidence\": {" WIN ", "
	    "\"state\": \"read\", \"events\": []}}, \"hosts\": []}"));
	assert_non_null(strstr(err_msg(), "defaults.evidence: a host's own"));
}

/* One sentence per finding, the plan's order, the counts. */
static void
test_evidence_plan_findings_counts_order(void **state)
{
	struct plan_inventory *inv;
	struct plan *p;
	struct plan_evidence_counts c;
	struct buf b;

	(void)state;
	inv = inv_parse(inv_ok);
	assert_non_null(inv);
	p = build(inv);
	/* the experiencing host first, the others in inventory order */
	assert_string_equal(p->hosts[0].name, "hot");
	assert_string_equal(p->hosts[1].name, "calm");
	assert_string_equal(p->hosts[2].name, "dark");
	assert_string_equal(p->hosts[3].name, "none");
	assert_non_null(strstr(reason(&p->hosts[0], "tcpip-2018-07"),
	    "experiencing: 3 bug checks 0xD1, 1 AFD 16002 event in the last 30 "
	    "days (latest 2026-11-28T03:12Z). "));
	assert_non_null(strstr(reason(&p->hosts[1], "tcpip-2018-07"),
	    "exposed, no crash seen in the last 30 days. "));
	assert_non_null(strstr(reason(&p->hosts[2], "tcpip-2018-07"),
	    "evidence unknown: the event log could not be read (wevtutil "
	    "exited 5: Access is denied.). "));
	assert_null(strstr(reason(&p->hosts[3], "tcpip-2018-07"), "evidence"));
	plan_evidence_counts(p, "tcpip-2018-07", &c);
	assert_int_equal(c.experiencing, 1);
	assert_int_equal(c.exposed, 1);
	assert_int_equal(c.unknown, 2);
	buf_init(&b, 0);
	plan_evidence_counts_text(&c, &b);
	assert_string_equal(buf_str(&b), "1 experiencing, 1 exposed (no crash "
	    "seen), 2 evidence unknown");
	buf_release(&b);
	/* the plan JSON carries it, the reader takes it back */
	buf_init(&b, 0);
	assert_int_equal(plan_write_json(p, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"evidence_counts\": {"));
	assert_non_null(strstr(buf_str(&b), "\"tcpip-2018-07\": "
	    "{\"experiencing\": 1, \"exposed\": 1, \"unknown\": 2}"));
	{
		struct plan *q = plan_parse("plan.json", b.data, b.len);
		struct buf x, y;

		assert_non_null(q);
		buf_init(&x, 0);
		buf_init(&y, 0);
		plan_evidence_write(&p->hosts[0].evidence, &x);
		plan_evidence_write(&q->hosts[0].evidence, &y);
		assert_string_equal(buf_str(&x), buf_str(&y));
		assert_int_equal(q->hosts[3].evidence.present, 0);
		buf_release(&x);
		buf_release(&y);
		plan_free(q);
	}
	buf_release(&b);
	plan_free(p);
	plan_inventory_free(inv);
}

/* A bad evidence member in a plan: refused, naming the host and field. */
static void
test_evidence_plan_bad(void **state)
{
	static const char doc[] = "{\"format\": \"kbfix-plan/1\", "
	    "\"hosts\": [{\"name\": \"h1\", \"status\": \"compliant\", "
	    "\"findings\": [], \"actions\": [], \"wave\": 0, \"evidence\": {"
	    WIN ", \"state\": \"read\", \"events\": [{\"advisory\": "
	    "\"tcpip-2018-07\", \"time\": \"yesterday\", \"event_id\": 1, "
	    "\"provider\": \"x\"}]}}]}";

	(void)state;
	assert_null(plan_parse("plan.json", doc, strlen(doc)));
	assert_non_null(strstr(err_msg(), "evidence"));
	assert_non_null(strstr(err_msg(), "events[0].time: must be a UTC "
	    "time"));
}

/* Reboot groups: the experiencing member takes the group's first wave. */
static void
test_evidence_wave_order_groups(void **state)
{
	static const char doc[] = "{\"hosts\": [\n"
	    "{\"name\": \"g1\", \"group\": \"web\", " W7 "},\n"
	    "{\"name\": \"g2\", \"group\": \"web\", " W7 "},\n"
	    "{\"name\": \"g3\", \"group\": \"web\", " W7 ", \"evidence\": {"
	    WIN ", \"state\": \"read\", \"events\": ["
	    EV_D1("2026-11-28T03:12:09Z") "]}},\n"
	    "{\"name\": \"solo\", " W7 "}\n]}\n";
	struct plan_inventory *inv = inv_parse(doc);
	struct plan *p;

	(void)state;
	assert_non_null(inv);
	p = build(inv);
	assert_string_equal(p->hosts[0].name, "g3");
	assert_int_equal(p->hosts[0].wave, 1);
	assert_string_equal(p->hosts[1].name, "g1");
	assert_int_equal(p->hosts[1].wave, 2);
	assert_string_equal(p->hosts[2].name, "g2");
	assert_int_equal(p->hosts[2].wave, 3);
	assert_string_equal(p->hosts[3].name, "solo");
	assert_int_equal(p->hosts[3].wave, 1);
	plan_free(p);
	plan_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_inventory_roundtrip),
		cmocka_unit_test(test_evidence_inventory_bad),
		cmocka_unit_test(test_evidence_plan_findings_counts_order),
		cmocka_unit_test(test_evidence_plan_bad),
		cmocka_unit_test(test_evidence_wave_order_groups),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* Evidence: the queries discover sends and events matched to advisories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover/discover.h"

static void
test_discover_evidence_commands_builtin(void **state)
{
	struct advisory_set *set = plan_advisory_builtin();
	struct buf sys, app;

	(void)state;
	buf_init(&sys, 0);
	buf_init(&app, 0);
	assert_int_equal(discover_evidence_commands(set, 30LL * 86400000, 200,
	    &sys, &app), 0);
	/* the built-in advisories, in file order: multicast-forwarding
	 * (bug checks), tcpip-2018-07 (AFD 16002, SCM 7011) */
	assert_string_equal(sys.data, "wevtutil qe System \"/q:*[System["
	    "(EventID=1001 or EventID=41 or EventID=16002 or EventID=7011) and "
	    "TimeCreated[timediff(@SystemTime) <= 2592000000]]]\" /f:xml "
	    "/c:200 /rd:true");
	assert_string_equal(app.data, "wevtutil qe Application \"/q:*[System["
	    "Provider[@Name='Application Error'] and (EventID=1000) and "
	    "TimeCreated[timediff(@SystemTime) <= 2592000000]]]\" /f:xml "
	    "/c:200 /rd:true");
	buf_reset(&sys);
	assert_int_equal(discover_evidence_commands(set, 0, 200, &sys, &app),
	    -1);
	assert_int_equal(discover_evidence_commands(set, 1, 1001, &sys, &app),
	    -1);
	buf_release(&sys);
	buf_release(&app);
	plan_advisory_set_free(set);
}

static const char answer[] =
    /* Kernel-Power 41 then 1001 for the same 0xD1 crash: one crash */
    "<Event><System><Provider Name='Microsoft-Windows-WER-SystemErrorReporting'/>"
    "<EventID>1001</EventID><TimeCreated SystemTime='2026-11-20T10:05:00Z'/>"
    "</System><EventData><Data Name='param1'>0x000000d1 (0x0, 0x2, 0x0, 0x1)"
    "</Data></EventData></Event>"
    "<Event><System><Provider Name='Microsoft-Windows-Kernel-Power'/>"
    "<EventID>41</EventID><TimeCreated SystemTime='2026-11-20T10:01:00Z'/>"
    "</System><EventData><Data Name='BugcheckCode'>209</Data></EventData>"
    "</Event>"
    /* a 0x50 crash: wfp-classify-handle only */
    "<Event><System><Provider Name='Microsoft-Windows-Kernel-Power'/>"
    "<EventID>41</EventID><TimeCreated SystemTime='2026-11-19T10:00:00Z'/>"
    "</System><EventData><Data Name='BugcheckCode'>80</Data></EventData>"
    "</Event>"
    /* power loss: no advisory */
    "<Event><System><Provider Name='Microsoft-Windows-Kernel-Power'/>"
    "<EventID>41</EventID><TimeCreated SystemTime='2026-11-18T10:00:00Z'/>"
    "</System><EventData><Data Name='BugcheckCode'>0</Data></EventData>"
    "</Event>"
    /* 7011 for W3SVC counts, for another service not */
    "<Event><System><Provider Name='Service Control Manager'/>"
    "<EventID>7011</EventID><TimeCreated SystemTime='2026-11-17T10:00:00Z'/>"
    "</System><EventData><Data Name='param1'>30000</Data>"
    "<Data Name='param2'>w3svc</Data></EventData></Event>"
    "<Event><System><Provider Name='Service Control Manager'/>"
    "<EventID>7011</EventID><TimeCreated SystemTime='2026-11-17T11:00:00Z'/>"
    "</System><EventData><Data Name='param1'>30000</Data>"
    "<Data Name='param2'>Spooler</Data></EventData></Event>"
    "<Event><System><Provider Name='Application Error'/>"
    "<EventID>1000</EventID><TimeCreated SystemTime='2026-11-16T10:00:00Z'/>"
    "</System><EventData><Data Name='ModuleName'>WS2_32.dll</Data>"
    "</EventData></Event>";

static size_t
count(const struct evidence_host *h, const char *adv)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += strcmp(h->items[i].advisory, adv) == 0;
	return n;
}

static void
test_discover_evidence_match(void **state)
{
	struct advisory_set *set = plan_advisory_builtin();
	struct winevent_list l;
	struct evidence_host h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(transport_winevent_parse(answer, strlen(answer), &l),
	    0);
	discover_evidence_match(set, &l, &h);
	/* tcpip-2018-07: the 0xD1 crash once, the W3SVC timeout */
	assert_int_equal(count(&h, "tcpip-2018-07"), 2);
	/* multicast-forwarding names 0x1E and 0xD1 too */
	assert_int_equal(count(&h, "multicast-forwarding"), 1);
	assert_int_equal(count(&h, "wfp-classify-handle"), 1);
	assert_int_equal(count(&h, "ws2-unload-ceip"), 1);
	assert_int_equal(count(&h, "wfp-two-callouts"), 0);
	assert_int_equal(h.n, 5);
	assert_int_equal(h.items[0].id, 1001);
	assert_int_equal(h.items[0].bugcheck, 0xd1);
	assert_int_equal(h.items[0].time, 1795169100);
	assert_string_equal(h.items[3].module, "w3svc");
	assert_string_equal(h.items[4].module, "WS2_32.dll");
	transport_winevent_list_release(&l);
	discover_evidence_host_release(&h);
	plan_advisory_set_free(set);
}

static void
test_discover_evidence_apply_adds_to_experiencing(void **state)
{
	static const char inv_json[] = "{\"hosts\": [{\"name\": \"web01\", "
	    "\"os\": \"windows-7\", \"version\": \"6.1.7601\", "
	    "\"experiencing\": [\"wfp-two-callouts\"]}]}";
	struct advisory_set *set = plan_advisory_builtin();
	struct plan_inventory *inv;
	struct winevent_list l;
	struct evidence_host h;
	struct plan_inv_host *rec;

	(void)state;
	inv = plan_inventory_parse("inv.json", inv_json, strlen(inv_json));
	assert_non_null(inv);
	rec = &inv->hosts[0];
	memset(&h, 0, sizeof(h));
	assert_int_equal(transport_winevent_parse(answer, strlen(answer), &l),
	    0);
	discover_evidence_match(set, &l, &h);
	h.unknown = 1;	/* unknown: nothing changes */
	assert_int_equal(discover_evidence_apply(inv, rec, &h), 0);
	assert_int_equal(rec->nexperiencing, 1);
	h.unknown = 0;
	assert_int_equal(discover_evidence_apply(inv, rec, &h), 0);
	assert_int_equal(rec->nexperiencing, 5);
	assert_string_equal(rec->experiencing[0], "wfp-two-callouts");
	assert_string_equal(rec->experiencing[1], "multicast-forwarding");
	assert_string_equal(rec->experiencing[2], "tcpip-2018-07");
	assert_string_equal(rec->experiencing[3], "wfp-classify-handle");
	assert_string_equal(rec->experiencing[4], "ws2-unload-ceip");
	/* again: nothing new */
	assert_int_equal(discover_evidence_apply(inv, rec, &h), 0);
	assert_int_equal(rec->nexperiencing, 5);
	transport_winevent_list_release(&l);
	discover_evidence_host_release(&h);
	plan_inventory_free(inv);
	plan_advisory_set_free(set);
}

/* The record discover writes: newest first, the window, the cap, unknown. */
static void
test_discover_evidence_record(void **state)
{
	static const char inv_json[] = "{\"hosts\": [{\"name\": \"web01\", "
	    "\"os\": \"windows-7\", \"version\": \"6.1.7601\"}]}";
	struct plan_inventory *inv;
	struct plan_inv_host *rec;
	struct evidence_host h;
	const struct plan_evidence *ev;
	struct buf out;
	size_t i, n = PLAN_EVIDENCE_MAX + 5;

	(void)state;
	inv = plan_inventory_parse("inv.json", inv_json, strlen(inv_json));
	assert_non_null(inv);
	rec = &inv->hosts[0];
	memset(&h, 0, sizeof(h));
	h.items = xcalloc(n, sizeof(*h.items));
	/* System's events (older first here), then Application's newest */
	for (i = 0; i < n - 1; i++) {
		h.items[i].advisory = "tcpip-2018-07";
		h.items[i].time = 1700000000 + (int64_t)i;
		h.items[i].id = 1001;
		strcpy(h.items[i].provider, "Microsoft-Windows-WER-"
		    "SystemErrorReporting");
		h.items[i].bugcheck = 0xd1;
	}
	h.items[i].advisory = "ws2-unload-ceip";
	h.items[i].time = 1800000000;
	h.items[i].id = 1000;
	strcpy(h.items[i].provider, "Application Error");
	strcpy(h.items[i].module, "ws2_32.dll\x01");
	h.n = n;
	assert_int_equal(discover_evidence_record(inv, rec, &h, 1690000000,
	    1800000100), 0);
	ev = &rec->evidence;
	assert_int_equal(ev->present, 1);
	assert_int_equal(ev->unknown, 0);
	assert_int_equal(ev->capped, 1);
	assert_int_equal(ev->nevents, PLAN_EVIDENCE_MAX);
	assert_int_equal(ev->since, 1690000000);
	assert_int_equal(ev->read_at, 1800000100);
	/* the newest kept, newest first; a control byte made printable */
	assert_string_equal(ev->events[0].advisory, "ws2-unload-ceip");
	assert_string_equal(ev->events[0].module, "ws2_32.dll?");
	assert_null(ev->events[0].service);
	assert_int_equal(ev->events[1].time, 1700000000 + (int64_t)n - 2);
	assert_int_equal(ev->events[PLAN_EVIDENCE_MAX - 1].time,
	    1700000000 + (int64_t)n - PLAN_EVIDENCE_MAX);
	/* the writer writes it, the reader reads it back */
	buf_init(&out, 0);
	assert_int_equal(plan_inventory_write(inv, inv_json, strlen(inv_json),
	    &out), 0);
	assert_non_null(strstr(buf_str(&out), "\"capped\": true"));
	buf_release(&out);
	/* unknown: recorded with its error, never "no crash" */
	h.n = 0;
	h.unknown = 1;
	h.error = xstrdup("wevtutil exited 5: Access is denied.");
	assert_int_equal(discover_evidence_record(inv, rec, &h, 1690000000,
	    1800000100), 0);
	assert_int_equal(rec->evidence.unknown, 1);
	assert_string_equal(rec->evidence.error,
	    "wevtutil exited 5: Access is denied.");
	assert_int_equal(rec->evidence.nevents, 0);
	discover_evidence_host_release(&h);
	plan_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_evidence_commands_builtin),
		cmocka_unit_test(test_discover_evidence_match),
		cmocka_unit_test(test_discover_evidence_apply_adds_to_experiencing),
		cmocka_unit_test(test_discover_evidence_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

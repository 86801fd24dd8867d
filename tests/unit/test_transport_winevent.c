/*
 * The wevtutil /f:xml parser on the real captures of
 * tests/fixtures/windows/events (SOURCES.md there) and on variants of
 * them, each marked with what was changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "transport/transport.h"

#define FIX "tests/fixtures/windows/events/"

static void
parse_file(const char *name, struct winevent_list *l)
{
	struct buf b;
	char *path = xasprintf(FIX "%s", name);

	assert_int_equal(file_read(path, 1 << 20, &b), 0);
	free(path);
	if (transport_winevent_parse(b.data, b.len, l) == -1)
		fail_msg("%s: %s", name, err_msg());
	buf_release(&b);
}

static int
parse_str(const char *s, struct winevent_list *l)
{
	return transport_winevent_parse(s, strlen(s), l);
}

static void
test_winevent_parse_bugcheck_1001(void **state)
{
	struct winevent_list l;
	const struct winevent *e;

	(void)state;
	parse_file("bops_system_1001_bugcheck_0x50.xml", &l);
	assert_int_equal(l.n, 1);
	e = &l.v[0];
	assert_int_equal(e->time, 1788511524);	/* 2026-09-04T08:45:24Z */
	assert_string_equal(e->provider,
	    "Microsoft-Windows-WER-SystemErrorReporting");
	assert_int_equal(e->id, 1001);
	assert_int_equal(e->has_bugcheck, 1);
	assert_int_equal(e->bugcheck, 0x50);
	assert_true(e->param[0] == 0xfffff801013caad3ULL);
	assert_true(e->param[1] == 0x10);
	assert_true(e->param[2] == 0xfffff8017ba5f4a1ULL);
	assert_true(e->param[3] == 0x2);
	assert_string_equal(e->module, "");
	assert_string_equal(e->service, "");
	transport_winevent_list_release(&l);
}

static void
test_winevent_parse_kernel_power_41_no_bugcheck(void **state)
{
	struct winevent_list l;

	(void)state;
	parse_file("bops_system_41_kernel_power.xml", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].time, 1790793720);
	assert_string_equal(l.v[0].provider, "Microsoft-Windows-Kernel-Power");
	assert_int_equal(l.v[0].id, 41);
	/* BugcheckCode 0: power loss or a hang, not a bug check */
	assert_int_equal(l.v[0].has_bugcheck, 0);
	assert_int_equal(l.v[0].bugcheck, 0);
	transport_winevent_list_release(&l);
}

static void
test_winevent_parse_application_error_module(void **state)
{
	struct winevent_list l;

	(void)state;
	parse_file("bops_application_1000_kernelbase.xml", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].time, 1790802440);
	assert_string_equal(l.v[0].provider, "Application Error");
	assert_int_equal(l.v[0].id, 1000);
	assert_string_equal(l.v[0].module, "KERNELBASE.dll");
	assert_int_equal(l.v[0].has_bugcheck, 0);
	transport_winevent_list_release(&l);
}

static void
test_winevent_parse_scm_service(void **state)
{
	struct winevent_list l;

	(void)state;
	parse_file("datadog_system_7036_scm.xml", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].time, 1377183104);	/* 9 fraction digits */
	assert_string_equal(l.v[0].provider, "Service Control Manager");
	assert_int_equal(l.v[0].id, 7036);
	assert_string_equal(l.v[0].service, "Windows Event Log");
	transport_winevent_list_release(&l);
}

static void
test_winevent_parse_stream_in_order(void **state)
{
	struct winevent_list l;

	(void)state;
	parse_file("DERIVED_wevtutil_stream_system.xml", &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].id, 1001);
	assert_int_equal(l.v[0].bugcheck, 0x50);
	assert_int_equal(l.v[1].id, 41);
	assert_int_equal(l.v[2].id, 7036);
	assert_string_equal(l.v[2].service, "Windows Event Log");
	transport_winevent_list_release(&l);
}

/* The Kernel-Power 41 capture with BugcheckCode 209 (0xD1) and its
 * parameters set, the rest trimmed. */
static const char kp41_d1[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
    "<System><Provider Name='Microsoft-Windows-Kernel-Power' "
    "Guid='{331c3b3a-2005-44c2-ac5e-77220c37d6b4}'/><EventID>41</EventID>"
    "<TimeCreated SystemTime='2026-09-30T18:42:00.1234567Z'/>"
    "<Channel>System</Channel></System><EventData>"
    "<Data Name='BugcheckCode'>209</Data>"
    "<Data Name='BugcheckParameter1'>0xffffd20e53b6e010</Data>"
    "<Data Name='BugcheckParameter2'>0x2</Data>"
    "<Data Name='BugcheckParameter3'>0x0</Data>"
    "<Data Name='BugcheckParameter4'>0xfffff8074b2e1234</Data>"
    "<Data Name='SleepInProgress'>0</Data></EventData></Event>";

static void
test_winevent_parse_kernel_power_41_decimal_code(void **state)
{
	struct winevent_list l;

	(void)state;
	assert_int_equal(parse_str(kp41_d1, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].has_bugcheck, 1);
	assert_int_equal(l.v[0].bugcheck, 0xd1);
	assert_true(l.v[0].param[0] == 0xffffd20e53b6e010ULL);
	assert_true(l.v[0].param[1] == 2);
	assert_true(l.v[0].param[3] == 0xfffff8074b2e1234ULL);
	transport_winevent_list_release(&l);
}

/* Variants of the captured shapes: 1001 with a Windows 7 0xD1 (32-bit
 * parameters), Application Error with unnamed Data (the older layout) and
 * a ws2_32.dll module, SCM 7011 (param2 is the service), double quotes
 * and whitespace as Event Viewer's XML view prints. */
static const char variants[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
    "<System><Provider Name='Microsoft-Windows-WER-SystemErrorReporting' "
    "EventSourceName='BugCheck'/><EventID Qualifiers='16384'>1001</EventID>"
    "<TimeCreated SystemTime='2018-07-20T10:00:00.000000000Z'/></System>"
    "<EventData><Data Name='param1'>0x000000d1 (0x00000000, 0x00000002, "
    "0x00000000, 0x8c81f1b6)</Data><Data Name='param2'>C:\\Windows\\"
    "MEMORY.DMP</Data></EventData></Event>\r\n"
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
    "<System><Provider Name='Application Error'/><EventID Qualifiers='0'>"
    "1000</EventID><TimeCreated SystemTime='2018-07-20T11:00:00Z'/>"
    "</System><EventData><Data>w3wp.exe</Data><Data>7.5.7601.17514</Data>"
    "<Data>4ce7afa2</Data><Data>WS2_32.dll</Data><Data>6.1.7601.23451</Data>"
    "</EventData><RenderingInfo Culture='en-US'><Message>Faulting "
    "application name: w3wp.exe</Message></RenderingInfo></Event>"
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
    "  <System>\n    <Provider Name=\"Service Control Manager\"/>\n"
    "    <EventID Qualifiers=\"49152\">7011</EventID>\n"
    "    <TimeCreated SystemTime=\"2018-07-20T12:00:00.5Z\" />\n  </System>\n"
    "  <EventData>\n    <Data Name=\"param1\">30000</Data>\n"
    "    <Data Name=\"param2\">W3SVC</Data>\n  </EventData>\n</Event>\n";

static void
test_winevent_parse_variants(void **state)
{
	struct winevent_list l;

	(void)state;
	assert_int_equal(parse_str(variants, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].bugcheck, 0xd1);
	assert_true(l.v[0].param[1] == 2 && l.v[0].param[3] == 0x8c81f1b6);
	assert_string_equal(l.v[1].module, "WS2_32.dll");
	assert_int_equal(l.v[1].time, 1532084400);
	assert_string_equal(l.v[2].service, "W3SVC");
	assert_int_equal(l.v[2].id, 7011);
	assert_int_equal(l.v[2].time, 1532088000);
	transport_winevent_list_release(&l);
}

/* UTF-16LE with a BOM (what wevtutil writes to a file) and an entity. */
static void
test_winevent_parse_utf16_and_entities(void **state)
{
	const char *s = "<Event><System><Provider Name='Application Error'/>"
	    "<EventID>1000</EventID><TimeCreated SystemTime="
	    "'2026-01-01T00:00:00Z'/></System><EventData><Data Name="
	    "'ModuleName'>a&amp;b&#46;dll</Data></EventData></Event>";
	size_t i, n = strlen(s);
	char *u = xmalloc(2 * n + 2);
	struct winevent_list l;

	(void)state;
	u[0] = (char)0xff;
	u[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u[2 + 2 * i] = s[i];
		u[3 + 2 * i] = 0;
	}
	assert_int_equal(transport_winevent_parse(u, 2 * n + 2, &l), 0);
	free(u);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].module, "a&b.dll");
	transport_winevent_list_release(&l);
}

static void
test_winevent_parse_empty_is_no_events(void **state)
{
	struct winevent_list l;

	(void)state;
	assert_int_equal(parse_str("", &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse_str("\r\n", &l), 0);
	assert_int_equal(l.n, 0);
}

static void
test_winevent_parse_refuses_bad_output(void **state)
{
	struct winevent_list l;
	char *cut;

	(void)state;
	cut = xstrndup(kp41_d1, sizeof(kp41_d1) - 10);
	assert_int_equal(parse_str(cut, &l), -1);
	assert_string_equal(err_msg(),
	    "event 1: no </Event> (output cut short?)");
	free(cut);
	assert_int_equal(parse_str("Failed to read events. Access is denied.",
	    &l), -1);
	assert_int_equal(parse_str("<Event><System><Provider Name='x'/>"
	    "<TimeCreated SystemTime='2026-01-01T00:00:00Z'/></System></Event>",
	    &l), -1);
	assert_string_equal(err_msg(), "event 1: no EventID from 0 to 65535");
	assert_int_equal(parse_str("<Event><System><Provider Name='x'/>"
	    "<EventID>1</EventID><TimeCreated SystemTime='yesterday'/>"
	    "</System></Event>", &l), -1);
	assert_int_equal(l.n, 0);
}

static void
test_winevent_parse_bounds(void **state)
{
	const char *one = "<Event><System><Provider Name='p'/><EventID>1"
	    "</EventID><TimeCreated SystemTime='2026-01-01T00:00:00Z'/>"
	    "</System></Event>";
	struct winevent_list l;
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < TRANSPORT_WINEVENT_MAX; i++)
		buf_adds(&b, one);
	assert_int_equal(transport_winevent_parse(b.data, b.len, &l), 0);
	assert_int_equal(l.n, TRANSPORT_WINEVENT_MAX);
	transport_winevent_list_release(&l);
	buf_adds(&b, one);
	assert_int_equal(transport_winevent_parse(b.data, b.len, &l), -1);
	assert_string_equal(err_msg(), "more than 1000 events");
	buf_release(&b);
	/* a module name longer than the field is left out, not cut */
	buf_init(&b, 0);
	buf_adds(&b, "<Event><System><Provider Name='Application Error'/>"
	    "<EventID>1000</EventID><TimeCreated SystemTime="
	    "'2026-01-01T00:00:00Z'/></System><EventData><Data Name="
	    "'ModuleName'>");
	for (i = 0; i < WINEVENT_NAME_MAX; i++)
		buf_addc(&b, 'm');
	buf_adds(&b, "</Data></EventData></Event>");
	assert_int_equal(transport_winevent_parse(b.data, b.len, &l), 0);
	assert_string_equal(l.v[0].module, "");
	transport_winevent_list_release(&l);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_winevent_parse_bugcheck_1001),
		cmocka_unit_test(test_winevent_parse_kernel_power_41_no_bugcheck),
		cmocka_unit_test(test_winevent_parse_application_error_module),
		cmocka_unit_test(test_winevent_parse_scm_service),
		cmocka_unit_test(test_winevent_parse_stream_in_order),
		cmocka_unit_test(test_winevent_parse_kernel_power_41_decimal_code),
		cmocka_unit_test(test_winevent_parse_variants),
		cmocka_unit_test(test_winevent_parse_utf16_and_entities),
		cmocka_unit_test(test_winevent_parse_empty_is_no_events),
		cmocka_unit_test(test_winevent_parse_refuses_bad_output),
		cmocka_unit_test(test_winevent_parse_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The shared domain rules (plan/domain.c): registry value paths, versions,
 * windows and durations, the manual-transport rule.  Each rule is pinned
 * here once; its callers (plan, apply, export, discover) rely on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static void
test_plan_valid_regkey_roots_and_characters(void **state)
{
	(void)state;
	assert_true(plan_valid_regkey("HKLM\\Software\\Microsoft\\SQMClient"));
	assert_true(plan_valid_regkey("hkey_local_machine\\SYSTEM\\X"));
	assert_false(plan_valid_regkey("HKCU\\Software\\X"));
	assert_false(plan_valid_regkey("HKLM\\"));
	assert_false(plan_valid_regkey("HKLM\\a\\\\b"));
	assert_false(plan_valid_regkey("HKLM\\a\\"));
	assert_false(plan_valid_regkey("HKLM\\a&calc"));
	assert_false(plan_valid_regkey("HKLM\\a\"b"));
	assert_false(plan_valid_regkey("HKLM\\a\nb"));
	assert_true(plan_valid_regvalue("CEIPEnable"));
	assert_true(plan_valid_regvalue("Path Value (x86)"));
	assert_false(plan_valid_regvalue("a\\b"));
	assert_false(plan_valid_regvalue("%PATH%"));
	assert_false(plan_valid_regvalue(""));
}

static void
test_plan_norm_regpath_and_eq(void **state)
{
	char *p;

	(void)state;
	p = plan_norm_regpath("HKEY_LOCAL_MACHINE\\Software\\X\\V");
	assert_non_null(p);
	assert_string_equal(p, "HKLM\\Software\\X\\V");
	free(p);
	assert_null(plan_norm_regpath("HKCU\\Software\\X"));
	assert_true(plan_regpath_eq("HKLM\\SOFTWARE\\x",
	    "hkey_local_machine\\software\\X"));
	assert_false(plan_regpath_eq("HKLM\\Software\\x", "HKLM\\Software\\y"));
}

static void
test_plan_version_parse_fields(void **state)
{
	struct plan_version v;

	(void)state;
	assert_int_equal(plan_version_parse("10.0.17134.165", &v), 0);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.f[0], 10);
	assert_int_equal(v.f[2], 17134);
	assert_int_equal(v.f[3], 165);	/* the build revision is kept */
	assert_int_equal(plan_version_parse("6.1", &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(plan_version_parse("6", &v), -1);
	assert_non_null(strstr(err_msg(), "'6'"));
	assert_int_equal(plan_version_parse("6.1.7601.1.2", &v), -1);
	assert_int_equal(plan_version_parse("6.1.", &v), -1);
	assert_int_equal(plan_version_parse(".6.1", &v), -1);
	assert_int_equal(plan_version_parse("6.1.123456", &v), -1);
	assert_int_equal(plan_version_parse("6.1.7601 ", &v), -1);
	assert_int_equal(plan_version_parse("6.-1.7601", &v), -1);
	assert_true(plan_valid_fileversion("6.1.7601.24168"));
	assert_false(plan_valid_fileversion("6.1.7601"));
	assert_true(plan_valid_version("6.1.7601", 3));
	assert_false(plan_valid_version("6.1.7601.1", 3));
}

static void
test_plan_version_cmp_missing_fields_are_zero(void **state)
{
	(void)state;
	assert_int_equal(plan_version_cmp("6.1", "6.1.0"), 0);
	assert_int_equal(plan_version_cmp("6.1.7601", "6.1.7601.0"), 0);
	assert_true(plan_version_cmp("6.1.7601", "6.1.7601.1") < 0);
	assert_true(plan_version_cmp("6.1.7601.24168", "6.1.7601.17514") > 0);
	assert_true(plan_version_cmp("6.1.7601.2416", "6.1.7601.24168") < 0);
	assert_true(plan_version_cmp("10.0.17134.167", "6.3.9600.19067") > 0);
	assert_int_equal(plan_version_cmp("10.0.17134.167", "10.0.17134.167"),
	    0);
}

static void
test_plan_duration_parse_forms(void **state)
{
	int64_t d;

	(void)state;
	assert_int_equal(plan_duration_parse("4h", &d), 0);
	assert_int_equal(d, 4 * 3600);
	assert_int_equal(plan_duration_parse("1h30m", &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(plan_duration_parse("2d", &d), 0);
	assert_int_equal(d, 2 * 86400);
	assert_int_equal(plan_duration_parse("3600s", &d), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(plan_duration_parse("3600", &d), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(plan_duration_parse("PT4H", &d), 0);
	assert_int_equal(d, 4 * 3600);
	assert_int_equal(plan_duration_parse("PT1H30M", &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(plan_duration_parse("P1DT2H", &d), 0);
	assert_int_equal(d, 26 * 3600);
	assert_int_equal(plan_duration_parse("31d", &d), 0);
	assert_int_equal(plan_duration_parse("32d", &d), -1);
	assert_non_null(strstr(err_msg(), "31 days"));
	assert_int_equal(plan_duration_parse("0h", &d), -1);
	assert_int_equal(plan_duration_parse("0", &d), -1);
	assert_int_equal(plan_duration_parse("", &d), -1);
	assert_int_equal(plan_duration_parse("4x", &d), -1);
	assert_int_equal(plan_duration_parse("h", &d), -1);
	assert_int_equal(plan_duration_parse("PT", &d), -1);
	assert_int_equal(plan_duration_parse("4h ", &d), -1);
	assert_int_equal(plan_duration_parse("-4h", &d), -1);
	assert_int_equal(plan_duration_parse("99999999999h", &d), -1);
}

static void
test_plan_window_parse_forms(void **state)
{
	int64_t st, d;

	(void)state;
	assert_int_equal(plan_window_parse("2026-11-21T22:00:00Z/4h", 0, &st,
	    &d), 0);
	assert_int_equal(st, 1795298400);
	assert_int_equal(d, 4 * 3600);
	/* the forms plan and apply used to disagree on */
	assert_int_equal(plan_window_parse("2026-12-02T22:00:00Z/2d", 0, &st,
	    &d), 0);
	assert_int_equal(d, 2 * 86400);
	assert_int_equal(plan_window_parse("now/4h", 1000, &st, &d), 0);
	assert_int_equal(st, 1000);
	assert_int_equal(plan_window_parse("now/3600", 0, &st, &d), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(plan_window_parse("now/PT1H30M", 0, &st, &d), 0);
	assert_int_equal(d, 5400);
	assert_int_equal(plan_window_parse("2026-11-21T22:00:00Z", 0, &st, &d),
	    -1);
	assert_non_null(strstr(err_msg(), "START/DURATION"));
	assert_int_equal(plan_window_parse("tonight/4h", 0, &st, &d), -1);
	assert_non_null(strstr(err_msg(), "start"));
	assert_int_equal(plan_window_parse("now/4x", 0, &st, &d), -1);
	assert_non_null(strstr(err_msg(), "'4x'"));
	assert_int_equal(plan_window_parse("now/0s", 0, &st, &d), -1);
	assert_int_equal(plan_window_parse("now", 0, &st, &d), -1);
}

static void
test_plan_transport_manual_rule(void **state)
{
	(void)state;
	assert_true(plan_transport_manual("manual"));
	assert_true(plan_transport_manual("MANUAL"));
	assert_false(plan_transport_manual("ssh"));
	assert_false(plan_transport_manual(NULL));
	assert_true(plan_manual_by_default("Windows Vista"));
	assert_true(plan_manual_by_default("Windows Server 2008"));
	assert_false(plan_manual_by_default("Windows Server 2008 R2"));
	assert_false(plan_manual_by_default(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_valid_regkey_roots_and_characters),
		cmocka_unit_test(test_plan_norm_regpath_and_eq),
		cmocka_unit_test(test_plan_version_parse_fields),
		cmocka_unit_test(test_plan_version_cmp_missing_fields_are_zero),
		cmocka_unit_test(test_plan_duration_parse_forms),
		cmocka_unit_test(test_plan_window_parse_forms),
		cmocka_unit_test(test_plan_transport_manual_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

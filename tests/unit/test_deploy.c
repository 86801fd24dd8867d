#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "deploy/deploy_int.h"
#include "util/util.h"

static void
test_deploy_waves_canary_then_parallel_chunks(void **state)
{
	struct deploy_slot s[7];
	int wave[7], n;
	size_t i;

	(void)state;
	memset(s, 0, sizeof(s));
	for (i = 0; i < 7; i++)
		s[i].name = "h";
	s[3].manual = 1;
	n = deploy_waves(s, 7, 1, 2, wave);
	assert_int_equal(n, 4);
	assert_int_equal(wave[0], 0);
	assert_int_equal(wave[1], 1);
	assert_int_equal(wave[2], 1);
	assert_int_equal(wave[3], -1);
	assert_int_equal(wave[4], 2);
	assert_int_equal(wave[5], 2);
	assert_int_equal(wave[6], 3);
}

static void
test_deploy_waves_follow_plan_waves(void **state)
{
	struct deploy_slot s[5];
	int wave[5], n;

	(void)state;
	memset(s, 0, sizeof(s));
	s[0].plan_wave = 3;
	s[1].plan_wave = 1;
	s[2].plan_wave = 3;
	s[3].plan_wave = 0;
	s[4].plan_wave = 1;
	n = deploy_waves(s, 5, 1, 50, wave);
	/* canary: the first host of the lowest plan wave */
	assert_int_equal(wave[1], 0);
	assert_int_equal(wave[4], 1);
	assert_int_equal(wave[0], 2);
	assert_int_equal(wave[2], 2);
	assert_int_equal(wave[3], 3);
	assert_int_equal(n, 4);
}

static void
test_deploy_waves_no_canary(void **state)
{
	struct deploy_slot s[3];
	int wave[3];

	(void)state;
	memset(s, 0, sizeof(s));
	assert_int_equal(deploy_waves(s, 3, 0, 10, wave), 1);
	assert_int_equal(wave[0], 0);
	assert_int_equal(wave[2], 0);
}

static void
test_deploy_window_fits_defers(void **state)
{
	(void)state;
	/* not open yet */
	assert_int_equal(deploy_window_fits(99, 100, 600, 10), 0);
	assert_int_equal(deploy_window_fits(100, 100, 600, 600), 1);
	assert_int_equal(deploy_window_fits(101, 100, 600, 600), 0);
	assert_int_equal(deploy_window_fits(5, 0, 0, 1000), 1);
	assert_int_equal(deploy_remaining_s(600, DEPLOY_PHASE_START), 600);
	assert_int_equal(deploy_remaining_s(600, DEPLOY_PHASE_VERIFY), 60);
	assert_true(deploy_remaining_s(600, DEPLOY_PHASE_REBOOT) <
	    deploy_remaining_s(600, DEPLOY_PHASE_INSTALL));
}

static void
test_deploy_max_fail_exceeded_threshold(void **state)
{
	(void)state;
	assert_int_equal(deploy_max_fail_exceeded(0, 10, 0), 0);
	assert_int_equal(deploy_max_fail_exceeded(1, 10, 0), 1);
	assert_int_equal(deploy_max_fail_exceeded(1, 10, 10), 0);
	assert_int_equal(deploy_max_fail_exceeded(2, 10, 10), 1);
	assert_int_equal(deploy_max_fail_exceeded(3, 10, 100), 0);
}

static void
test_deploy_group_acquire_one_at_a_time(void **state)
{
	struct deploy_grouplock l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(deploy_group_acquire(&l, "sql", "a"), 1);
	assert_int_equal(deploy_group_acquire(&l, "sql", "b"), 0);
	assert_int_equal(deploy_group_acquire(&l, "web", "b"), 1);
	assert_int_equal(deploy_group_acquire(&l, NULL, "c"), 1);
	deploy_group_release(&l, "sql", "b");
	assert_int_equal(deploy_group_acquire(&l, "sql", "b"), 0);
	deploy_group_release(&l, "sql", "a");
	assert_int_equal(deploy_group_acquire(&l, "sql", "b"), 1);
	deploy_grouplock_release(&l);
}

/* A budget of 2: two members at once, a third waits; a lease the journal
 * holds counts even beyond the budget, and a release frees one slot. */
static void
test_deploy_group_budget_counted(void **state)
{
	struct deploy_grouplock l;

	(void)state;
	memset(&l, 0, sizeof(l));
	deploy_group_budget(&l, "web", 2);
	assert_int_equal(deploy_group_acquire(&l, "web", "a"), 1);
	assert_int_equal(deploy_group_acquire(&l, "web", "b"), 1);
	assert_int_equal(deploy_group_acquire(&l, "web", "a"), 1);
	assert_int_equal(deploy_group_acquire(&l, "web", "c"), 0);
	assert_int_equal(deploy_group_held(&l, "web"), 2);
	deploy_group_take(&l, "web", "d");	/* resumed: still down */
	assert_int_equal(deploy_group_held(&l, "web"), 3);
	deploy_group_release(&l, "web", "a");
	assert_int_equal(deploy_group_acquire(&l, "web", "c"), 0);
	deploy_group_release(&l, "web", "d");
	assert_int_equal(deploy_group_acquire(&l, "web", "c"), 1);
	assert_int_equal(deploy_group_acquire(&l, "other", "x"), 1);
	assert_int_equal(deploy_group_acquire(&l, "other", "y"), 0);
	deploy_grouplock_release(&l);
}

static void
test_wo_dism_package_by_kb(void **state)
{
	static const char out[] = "Deployment Image Servicing and Management "
	    "tool\r\n\r\nPackage Identity : Package_for_KB4338823~31bf3856ad364e35"
	    "~amd64~~6.1.1.1\r\nState : Installed\r\n\r\nPackage Identity : "
	    "Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\r\nState : "
	    "Install Pending\r\n\r\nThe operation completed successfully.\r\n";
	char *t = wo_text(out, sizeof(out) - 1), *id = NULL, *st = NULL;

	(void)state;
	assert_int_equal(wo_dism_package(t, "KB4345459", &id, &st), 0);
	assert_string_equal(id,
	    "Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1");
	assert_string_equal(st, "Install Pending");
	free(id);
	free(st);
	assert_int_equal(wo_dism_package(t, "KB434545", &id, &st), -1);
	free(t);
}

/* A Package Identity line without its State line (findstr's cut of a
 * real listing) crashed kbfix (xstrdup(NULL)): it is no package state. */
static void
test_wo_dism_package_no_state_line(void **state)
{
	struct buf b;
	char *t, *id = NULL, *st = NULL;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(file_read("tests/fixtures/windows/dism/"
	    "blog_win7_getpackages_findstr_KB2706045.txt", 1 << 20, &b), 0);
	t = wo_text(b.data, b.len);
	assert_int_equal(wo_dism_package(t, "KB2706045", &id, &st), 0);
	assert_string_equal(id,
	    "Package_for_KB2706045~31bf3856ad364e35~amd64~~6.1.1.0");
	assert_string_equal(st, "");
	free(id);
	free(st);
	free(t);
	buf_release(&b);
}

/* Boot times are instants: the same instant in two offsets is no reboot,
 * an earlier one neither (issue 10); without the host's clock (a journal
 * of an older kbfix) a later boot is a reboot. */
static void
test_wo_rebooted_instants(void **state)
{
	(void)state;
	assert_false(wo_rebooted("20261121023000.500000+120",
	    "20261121013000.500000+060", NULL));
	assert_true(wo_rebooted("20261121023000.500001+120",
	    "20261121013000.500000+060", NULL));
	assert_false(wo_rebooted("20261121120000.000000+000",
	    "20261121120500.000000+000", NULL));
	assert_true(wo_rebooted("20260621145108.500000-300",
	    "20260621194000.000000+000", NULL));
	/* not WMI datetimes: as text */
	assert_true(wo_rebooted("x", "y", NULL));
	assert_false(wo_rebooted("x", "x", NULL));
}

/*
 * With the host's clock when shutdown /r was sent (issue 10 item 4): the
 * boot was at 08:00 UTC, the shutdown at 12:00:00 (14:00:00+120).
 */
#define BOOT0	"20261121080000.250000+000"
#define CLOCK	"20261121140000.000000+120"
static void
test_wo_rebooted_clock(void **state)
{
	(void)state;
	assert_int_equal(BOOT_DRIFT_US, 2000000);
	/* the old boot read again, moved by a second (the clock was
	 * corrected; LastBootUpTime is now less the uptime): no reboot,
	 * where boot against boot would have said one */
	assert_true(wo_rebooted("20261121080001.250000+000", BOOT0, NULL));
	assert_false(wo_rebooted("20261121080001.250000+000", BOOT0, CLOCK));
	assert_false(wo_rebooted("20261121090001.250000+060", BOOT0, CLOCK));
	/* moved back, or within the tolerance either way: no reboot */
	assert_false(wo_rebooted("20261121075958.250000+000", BOOT0, CLOCK));
	assert_false(wo_rebooted("20261121080002.250000+000", BOOT0, CLOCK));
	assert_false(wo_rebooted(BOOT0, BOOT0, CLOCK));
	/* rebooted: later than the clock, in any offset */
	assert_true(wo_rebooted("20261121120031.500000+000", BOOT0, CLOCK));
	assert_true(wo_rebooted("20261121063031.500000-330", BOOT0, CLOCK));
	/* winsim's sub-second reboot: 300 ms after the shutdown */
	assert_true(wo_rebooted("20261121120000.300000+000", BOOT0, CLOCK));
	/* the clock set back while the host restarted: seen within the
	 * tolerance (1.5 s before the clock), not beyond it (2.5 s) */
	assert_true(wo_rebooted("20261121115958.500000+000", BOOT0, CLOCK));
	assert_false(wo_rebooted("20261121115957.500000+000", BOOT0, CLOCK));
	/* the same instant as the clock, in another offset: rebooted */
	assert_true(wo_rebooted("20261121130000.000000+060", BOOT0, CLOCK));
	/* a boot that is not later than the old one never counts, even
	 * near the clock (a host that booted just before the shutdown) */
	assert_false(wo_rebooted("20261121115959.000000+000",
	    "20261121115959.500000+000", CLOCK));
	/* a clock that is not a WMI datetime: boot against boot */
	assert_true(wo_rebooted("20261121080001.250000+000", BOOT0, "x"));
}
#undef BOOT0
#undef CLOCK

/* A host without wmic (Windows 11 24H2, Server 2025): told, not
 * misparsed. */
static void
test_wo_wmic_missing(void **state)
{
	struct transport_result r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.out = "";
	r.err = "'wmic' is not recognized as an internal or external command,"
	    "\r\noperable program or batch file.\r\n";
	r.exit_status = 49;	/* 9009 cut to 8 bits by a POSIX sshd */
	assert_true(wo_wmic_missing(&r));
	r.err = "";
	r.exit_status = 9009;
	assert_true(wo_wmic_missing(&r));
	r.exit_status = 0;
	assert_false(wo_wmic_missing(&r));
	assert_non_null(strstr(WO_NO_WMIC, "Windows 11 24H2"));
}

static void
test_wo_value_utf16_wmic(void **state)
{
	static const char out[] = "\xff\xfe\r\0\r\0\n\0L\0a\0s\0t\0B\0o\0o\0t\0"
	    "U\0p\0T\0i\0m\0e\0=\0" "2\0" "0\0" "2\0" "6\0\r\0\r\0\n\0";
	char *t = wo_text(out, sizeof(out) - 1), *v = NULL;

	(void)state;
	assert_int_equal(wo_value(t, "LastBootUpTime", &v), 0);
	assert_string_equal(v, "2026");
	free(v);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deploy_waves_canary_then_parallel_chunks),
		cmocka_unit_test(test_deploy_waves_follow_plan_waves),
		cmocka_unit_test(test_deploy_waves_no_canary),
		cmocka_unit_test(test_deploy_window_fits_defers),
		cmocka_unit_test(test_deploy_max_fail_exceeded_threshold),
		cmocka_unit_test(test_deploy_group_acquire_one_at_a_time),
		cmocka_unit_test(test_deploy_group_budget_counted),
		cmocka_unit_test(test_wo_dism_package_by_kb),
		cmocka_unit_test(test_wo_dism_package_no_state_line),
		cmocka_unit_test(test_wo_rebooted_instants),
		cmocka_unit_test(test_wo_rebooted_clock),
		cmocka_unit_test(test_wo_wmic_missing),
		cmocka_unit_test(test_wo_value_utf16_wmic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

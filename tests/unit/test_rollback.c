#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rollback/rollback.h"
#include "util/util.h"

static const char journal[] =
    "{\"seq\":1,\"ev\":\"begin\",\"op\":\"apply\"}\n"
    "{\"seq\":2,\"ev\":\"done\",\"host\":\"web01\",\"step\":\"connect\"}\n"
    "{\"seq\":3,\"ev\":\"prior\",\"host\":\"web01\",\"kind\":\"registry\","
    "\"key\":\"HKLM\\\\Software\\\\X\",\"value\":\"CEIPEnable\","
    "\"existed\":false}\n"
    "{\"seq\":4,\"ev\":\"prior\",\"host\":\"web01\",\"kind\":\"multicast\","
    "\"family\":\"ipv4\",\"enabled\":true}\n"
    "{\"seq\":5,\"ev\":\"intent\",\"host\":\"web01\",\"step\":\"install\"}\n"
    "{\"seq\":6,\"ev\":\"done\",\"host\":\"web01\",\"step\":\"install\","
    "\"state\":\"reboot-required\",\"identity\":\"Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1\"}\n"
    "{\"seq\":7,\"ev\":\"intent\",\"host\":\"web01\",\"step\":\"reboot\","
    "\"boot\":\"20261121121712.076000+000\"}\n"
    "{\"seq\":8,\"ev\":\"state\",\"host\":\"db01\",\"state\":\"failed\","
    "\"error\":\"db01: dism exited 0x800f081e\"}\n";

static void
test_rollback_log_parse_ignores_torn_last_line(void **state)
{
	struct rollback_log log;
	char *text;

	(void)state;
	text = xasprintf("%s{\"seq\":9,\"ev\":\"do", journal);
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), 0);
	assert_int_equal(log.nrecs, 8);
	assert_int_equal(log.torn, 1);
	assert_string_equal(log.recs[2].key, "HKLM\\Software\\X");
	assert_int_equal(log.recs[2].existed, 0);
	assert_int_equal(log.recs[3].enabled, 1);
	rollback_log_release(&log);
	free(text);
}

static void
test_rollback_log_parse_refuses_bad_middle_line(void **state)
{
	struct rollback_log log;
	const char *text = "{\"seq\":1,\"ev\":\"begin\"}\nnot json\n"
	    "{\"seq\":3,\"ev\":\"end\"}\n";

	(void)state;
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), -1);
	assert_non_null(strstr(err_msg(), "j: line 2"));
}

static void
test_rollback_replay_host_state(void **state)
{
	struct rollback_log log;
	struct rollback_replay rp;
	const struct rollback_host *h;

	(void)state;
	assert_int_equal(rollback_log_parse("j", journal, strlen(journal),
	    &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	assert_int_equal(rp.nhosts, 2);
	assert_int_equal(rp.open_run, 1);
	h = rollback_replay_host(&rp, "web01");
	assert_non_null(h);
	assert_string_equal(h->state, "running");
	assert_string_equal(h->step, "install");
	assert_string_equal(h->inflight, "reboot");
	assert_string_equal(h->reboot_boot, "20261121121712.076000+000");
	assert_int_equal(h->npriors, 2);
	assert_int_equal(h->reboot_needed, 1);
	assert_true(rollback_host_done(h, "connect"));
	assert_false(rollback_host_done(h, "verify"));
	assert_non_null(strstr(h->identity, "KB4345459"));
	h = rollback_replay_host(&rp, "db01");
	assert_string_equal(h->state, "failed");
	rollback_replay_release(&rp);
	rollback_log_release(&log);
}

static void
test_rollback_replay_end_marks_interrupted(void **state)
{
	struct rollback_log log;
	struct rollback_replay rp;
	char *text;

	(void)state;
	text = xasprintf("%s{\"seq\":9,\"ev\":\"end\",\"op\":\"apply\"}\n",
	    journal);
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	assert_int_equal(rp.open_run, 0);
	assert_string_equal(rollback_replay_host(&rp, "web01")->state,
	    "interrupted");
	rollback_replay_release(&rp);
	rollback_log_release(&log);
	free(text);
}

static void
test_rollback_journal_append_roundtrip(void **state)
{
	char dir[] = "/tmp/kbfix-rb.XXXXXX";
	struct rollback_journal *j;
	struct rollback_rec r;
	struct rollback_log log;
	char *path;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	j = rollback_journal_open(dir);
	assert_non_null(j);
	rollback_rec_init(&r);
	r.ev = RB_EV_PRIOR;
	r.host = "web01";
	r.kind = RB_KIND_REGISTRY;
	r.key = "HKLM\\A b";
	r.data = "say \"hi\"";
	r.existed = 1;
	assert_int_equal(rollback_journal_append(j, &r), 0);
	rollback_journal_close(j);
	/* A crash mid-write leaves a torn line; reopening cuts it. */
	path = xasprintf("%s/journal.jsonl", dir);
	f = fopen(path, "a");
	fputs("{\"seq\":2,\"ev\"", f);
	fclose(f);
	j = rollback_journal_open(dir);
	assert_int_equal(rollback_journal_count(j), 1);
	r.ev = RB_EV_DONE;
	r.step = "capture";
	assert_int_equal(rollback_journal_append(j, &r), 0);
	rollback_journal_close(j);
	assert_int_equal(rollback_log_read(dir, &log), 0);
	assert_int_equal(log.nrecs, 2);
	assert_int_equal(log.torn, 0);
	assert_int_equal(log.recs[1].seq, 2);
	assert_string_equal(log.recs[0].data, "say \"hi\"");
	assert_string_equal(log.recs[0].key, "HKLM\\A b");
	rollback_log_release(&log);
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollback_log_parse_ignores_torn_last_line),
		cmocka_unit_test(test_rollback_log_parse_refuses_bad_middle_line),
		cmocka_unit_test(test_rollback_replay_host_state),
		cmocka_unit_test(test_rollback_replay_end_marks_interrupted),
		cmocka_unit_test(test_rollback_journal_append_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

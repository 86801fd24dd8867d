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
#include "transport/transport.h"
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

/* M4: a prior without its type crashed the restore (strcmp on NULL). */
static void
test_rollback_log_parse_refuses_prior_without_type(void **state)
{
	struct rollback_log log;
	const char *text = "{\"seq\":1,\"ev\":\"begin\"}\n"
	    "{\"seq\":2,\"ev\":\"prior\",\"host\":\"w\",\"kind\":\"registry\","
	    "\"key\":\"HKLM\\\\S\",\"value\":\"V\",\"existed\":true,"
	    "\"data\":\"0x1\"}\n";

	(void)state;
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), -1);
	assert_non_null(strstr(err_msg(), "j: line 2: field 'type'"));
}

static void
test_rollback_log_parse_refuses_garbage(void **state)
{
	struct rollback_log log;
	static const char *const bad[] = {
		"hello, not a journal",			/* no newline */
		"{\"seq\":1,\"ev\":\"begin\"}\n[1,2]\n",	/* last, whole */
		"{\"seq\":1,\"ev\":\"begin\",\"ev\":\"end\"}\n",
		"{\"seq\":1e300,\"ev\":\"begin\"}\n",
		"{\"seq\":1,\"ev\":\"begin\",\"action\":-2}\n",
		"{\"seq\":1,\"ev\":\"state\",\"host\":7}\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rollback_log_parse("j", bad[i],
		    strlen(bad[i]), &log), -1);
		assert_non_null(strstr(err_msg(), "j: line "));
	}
}

static int
prior_ok(const char *key, const char *existed_type_data)
{
	struct rollback_rec r;
	char buf[256];
	char *t, *d;

	rollback_rec_init(&r);
	r.ev = RB_EV_PRIOR;
	r.kind = RB_KIND_REGISTRY;
	r.key = key;
	r.value = "CEIPEnable";
	snprintf(buf, sizeof(buf), "%s", existed_type_data);
	t = strchr(buf, ' ');
	r.existed = buf[0] == '1';
	if (t != NULL) {
		*t++ = '\0';
		d = strchr(t, ' ');
		if (d != NULL)
			*d++ = '\0';
		r.type = t;
		r.data = d;
	}
	return rollback_prior_check(&r);
}

static void
test_rollback_prior_check_registry(void **state)
{
	(void)state;
	assert_int_equal(prior_ok("HKLM\\Software\\X", "0"), 0);
	assert_int_equal(prior_ok("HKLM\\Software\\X", "1 REG_DWORD 0x1"), 0);
	assert_int_equal(prior_ok("HKLM\\Software\\X", "1 REG_DWORD 7"), 0);
	assert_int_equal(prior_ok("HKEY_LOCAL_MACHINE\\X", "1 REG_SZ a(b)"), 0);
	assert_int_equal(prior_ok("HKCU\\Software\\X", "0"), -1);
	assert_int_equal(prior_ok("HKLM\\X & calc", "0"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1 REG_DWORD"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1 REG_DWORD 0x100000000"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1 REG_DWORD 1x"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1 REG_QWORD 1"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "1 REG_SZ a&b"), -1);
	assert_int_equal(prior_ok("HKLM\\X", "0 REG_SZ a"), -1);
}

/* Replay finds hosts by a hash: many hosts, each found, in order. */
static void
test_rollback_replay_host_many(void **state)
{
	struct rollback_log log;
	struct rollback_replay rp;
	struct buf b;
	char name[32];
	size_t i, n = 5000;

	(void)state;
	buf_init(&b, BUF_MAX_DEFAULT);
	for (i = 0; i < n; i++)
		buf_addf(&b, "{\"seq\":%zu,\"ev\":\"state\",\"host\":\"h%zu\","
		    "\"state\":\"%s\"}\n", i + 1, i % (n / 2),
		    i < n / 2 ? "failed" : "done");
	assert_int_equal(rollback_log_parse("j", b.data, b.len, &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	assert_int_equal(rp.nhosts, n / 2);
	for (i = 0; i < n / 2; i++) {
		snprintf(name, sizeof(name), "h%zu", i);
		assert_string_equal(rp.hosts[i].name, name);
		assert_ptr_equal(rollback_replay_host(&rp, name), &rp.hosts[i]);
		assert_string_equal(rp.hosts[i].state, "done");
	}
	assert_null(rollback_replay_host(&rp, "h-none"));
	rollback_replay_release(&rp);
	rollback_log_release(&log);
	buf_release(&b);
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

/* Intent of the runs, leases of reboot groups, undoing hosts (issue 17). */
static void
test_rollback_replay_intent_lease(void **state)
{
	static const char text[] =
	    "{\"seq\":1,\"ev\":\"begin\",\"op\":\"apply\","
	    "\"intent\":\"apply\"}\n"
	    "{\"seq\":2,\"ms\":1000,\"ev\":\"intent\",\"host\":\"a\","
	    "\"step\":\"reboot\",\"group\":\"g\",\"boot\":\"B1\"}\n"
	    "{\"seq\":3,\"ev\":\"intent\",\"host\":\"b\","
	    "\"step\":\"reboot\",\"group\":\"g\",\"boot\":\"B2\"}\n"
	    "{\"seq\":4,\"ev\":\"fail\",\"host\":\"b\","
	    "\"step\":\"reboot\",\"error\":\"b: shutdown refused\"}\n"
	    "{\"seq\":5,\"ev\":\"intent\",\"host\":\"c\","
	    "\"step\":\"rb-registry\"}\n"
	    "{\"seq\":6,\"ev\":\"intent\",\"host\":\"d\","
	    "\"step\":\"connect\"}\n"
	    "{\"seq\":7,\"ev\":\"begin\",\"op\":\"rollback\","
	    "\"intent\":\"rollback\",\"host\":\"c\"}\n"
	    "{\"seq\":8,\"ev\":\"begin\",\"op\":\"resume\"}\n";
	struct rollback_log log;
	struct rollback_replay rp;
	const struct rollback_host *h;
	char *more;

	(void)state;
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	/* a resume without an intent continues the last one */
	assert_string_equal(rp.intent, "rollback");
	assert_string_equal(rp.intent_host, "c");
	h = rollback_replay_host(&rp, "a");
	assert_string_equal(h->lease_group, "g");
	assert_string_equal(h->lease_boot, "B1");
	assert_int_equal(h->reboot_ms, 1000);
	/* a reboot refused never went out: no lease */
	assert_null(rollback_replay_host(&rp, "b")->lease_group);
	assert_int_equal(rollback_replay_host(&rp, "c")->undoing, 1);
	assert_int_equal(rollback_replay_host(&rp, "a")->undoing, 0);
	/* a connect is never in flight */
	assert_null(rollback_replay_host(&rp, "d")->inflight);
	rollback_replay_release(&rp);
	rollback_log_release(&log);

	/* a lease record ends the lease */
	more = xasprintf("%s{\"seq\":9,\"ev\":\"lease\",\"host\":\"a\","
	    "\"state\":\"released\",\"group\":\"g\"}\n", text);
	assert_int_equal(rollback_log_parse("j", more, strlen(more), &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	assert_null(rollback_replay_host(&rp, "a")->lease_group);
	assert_string_equal(rollback_replay_host(&rp, "a")->reboot_boot, "B1");
	rollback_replay_release(&rp);
	rollback_log_release(&log);
	free(more);
}

/*
 * The host's clock at the shutdown (issue 10 item 4): a second reboot
 * intent carries it, a new reboot's first intent drops it, the done
 * record clears it; a journal without it (older kbfix) gives NULL, the
 * boot-against-boot rule.
 */
static void
test_rollback_replay_reboot_clock(void **state)
{
	static const char text[] =
	    "{\"seq\":1,\"ev\":\"begin\",\"op\":\"apply\","
	    "\"intent\":\"apply\"}\n"
	    "{\"seq\":2,\"ms\":1000,\"ev\":\"intent\",\"host\":\"a\","
	    "\"step\":\"reboot\",\"group\":\"g\",\"boot\":\"B1\"}\n"
	    "{\"seq\":3,\"ms\":1200,\"ev\":\"intent\",\"host\":\"a\","
	    "\"step\":\"reboot\",\"group\":\"g\",\"boot\":\"B1\","
	    "\"clock\":\"20261121140000.000000+120\"}\n"
	    "{\"seq\":4,\"ms\":1000,\"ev\":\"intent\",\"host\":\"old\","
	    "\"step\":\"reboot\",\"boot\":\"B2\"}\n";
	struct rollback_log log;
	struct rollback_replay rp;
	const struct rollback_host *h;
	char *more;

	(void)state;
	assert_int_equal(rollback_log_parse("j", text, strlen(text), &log), 0);
	assert_string_equal(log.recs[2].clock, "20261121140000.000000+120");
	assert_int_equal(rollback_replay(&log, &rp), 0);
	h = rollback_replay_host(&rp, "a");
	assert_string_equal(h->reboot_boot, "B1");
	assert_string_equal(h->reboot_clock, "20261121140000.000000+120");
	assert_string_equal(h->lease_clock, "20261121140000.000000+120");
	assert_string_equal(h->inflight, "reboot");
	assert_int_equal(h->reboot_ms, 1200);
	h = rollback_replay_host(&rp, "old");
	assert_string_equal(h->reboot_boot, "B2");
	assert_null(h->reboot_clock);
	rollback_replay_release(&rp);
	rollback_log_release(&log);

	/* a later reboot's first intent starts without a clock; done
	 * clears all */
	more = xasprintf("%s{\"seq\":5,\"ev\":\"intent\",\"host\":\"a\","
	    "\"step\":\"reboot\",\"boot\":\"B3\"}\n"
	    "{\"seq\":6,\"ev\":\"done\",\"host\":\"old\","
	    "\"step\":\"reboot\",\"boot\":\"B2\",\"boot_after\":\"B4\","
	    "\"clock\":\"20261121140000.000000+120\"}\n", text);
	assert_int_equal(rollback_log_parse("j", more, strlen(more), &log), 0);
	assert_int_equal(rollback_replay(&log, &rp), 0);
	assert_null(rollback_replay_host(&rp, "a")->reboot_clock);
	assert_null(rollback_replay_host(&rp, "a")->lease_clock);
	assert_null(rollback_replay_host(&rp, "old")->reboot_boot);
	assert_null(rollback_replay_host(&rp, "old")->reboot_clock);
	rollback_replay_release(&rp);
	rollback_log_release(&log);
	free(more);
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
	r.value = "Path";
	r.type = "REG_SZ";
	r.data = "C:\\Program Files (x86)\\say 'hi'";
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
	r.clock = "20261121140000.000000+120";
	assert_int_equal(rollback_journal_append(j, &r), 0);
	rollback_journal_close(j);
	assert_int_equal(rollback_log_read(dir, &log), 0);
	assert_int_equal(log.nrecs, 2);
	assert_int_equal(log.torn, 0);
	assert_int_equal(log.recs[1].seq, 2);
	assert_string_equal(log.recs[0].data,
	    "C:\\Program Files (x86)\\say 'hi'");
	assert_string_equal(log.recs[0].key, "HKLM\\A b");
	assert_null(log.recs[0].clock);
	assert_string_equal(log.recs[1].clock, "20261121140000.000000+120");
	rollback_log_release(&log);
	/* never written what the reader would refuse */
	j = rollback_journal_open(dir);
	r.ev = RB_EV_PRIOR;
	r.type = NULL;
	r.clock = NULL;
	assert_int_equal(rollback_journal_append(j, &r), -1);
	assert_non_null(strstr(err_msg(), "record not written: field 'type'"));
	assert_int_equal(rollback_journal_count(j), 2);
	rollback_journal_close(j);
	unlink(path);
	rmdir(dir);
	free(path);
}

static struct transport_result
answer(const char *out, uint32_t exit_status)
{
	struct transport_result r;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.out_len = strlen(out);
	r.err = "";
	r.exit_status = exit_status;
	return r;
}

static void
test_rollback_prior_read_after_reg_add(void **state)
{
	struct transport_result r = answer("The operation completed "
	    "successfully.\r\n\r\n\r\nHKEY_LOCAL_MACHINE\\Software\\"
	    "Microsoft\\SQMClient\\Windows\r\n"
	    "    CEIPEnable    REG_DWORD    0x0\r\n\r\n", 0);
	struct rollback_prior p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_REGISTRY;
	p.value = xstrdup("ceipenable");
	assert_int_equal(rollback_prior_read(&p, &r), 0);
	assert_int_equal(p.existed, 1);
	assert_string_equal(p.type, "REG_DWORD");
	assert_string_equal(p.data, "0x0");
	assert_true(rollback_reg_equal(p.type, p.data, "0"));
	assert_false(rollback_reg_equal(p.type, p.data, "1"));
	assert_false(rollback_reg_equal(p.type, "0x", "0"));
	free(p.value);
	p.value = xstrdup("Other");
	assert_int_equal(rollback_prior_read(&p, &r), 0);
	assert_int_equal(p.existed, 0);
	rollback_prior_release(&p);
}

static void
test_rollback_prior_holds_multicast(void **state)
{
	struct transport_result on = answer("General Global Parameters\n"
	    "Multicast Forwarding                : enabled\n", 0);
	struct transport_result none = answer("nothing\n", 0);
	struct rollback_prior p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_MULTICAST;
	p.enabled = 1;
	assert_true(rollback_prior_holds(&p, &on));
	assert_false(rollback_prior_holds(&p, &none));
	assert_int_equal(rollback_prior_read(&p, &none), -1);
	p.enabled = 0;
	assert_false(rollback_prior_holds(&p, &on));
}

static void
test_rollback_restore_cmd_dword_decimal(void **state)
{
	struct rollback_prior p;
	struct buf line;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_REGISTRY;
	p.key = "HKLM\\Software\\Microsoft\\SQMClient\\Windows";
	p.value = "CEIPEnable";
	p.type = "REG_DWORD";
	p.data = "0x1a";
	p.existed = 1;
	buf_init(&line, 8192);
	assert_int_equal(rollback_restore_cmd(&p, &line), 0);
	assert_non_null(strstr(buf_str(&line), "/d 26 /f & reg query"));
	buf_release(&line);
	p.data = "bad";
	buf_init(&line, 8192);
	assert_int_equal(rollback_restore_cmd(&p, &line), -1);
	buf_release(&line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rollback_log_parse_ignores_torn_last_line),
		cmocka_unit_test(test_rollback_log_parse_refuses_bad_middle_line),
		cmocka_unit_test(test_rollback_log_parse_refuses_prior_without_type),
		cmocka_unit_test(test_rollback_log_parse_refuses_garbage),
		cmocka_unit_test(test_rollback_prior_check_registry),
		cmocka_unit_test(test_rollback_replay_host_many),
		cmocka_unit_test(test_rollback_replay_host_state),
		cmocka_unit_test(test_rollback_replay_end_marks_interrupted),
		cmocka_unit_test(test_rollback_replay_intent_lease),
		cmocka_unit_test(test_rollback_replay_reboot_clock),
		cmocka_unit_test(test_rollback_journal_append_roundtrip),
		cmocka_unit_test(test_rollback_prior_read_after_reg_add),
		cmocka_unit_test(test_rollback_prior_holds_multicast),
		cmocka_unit_test(test_rollback_restore_cmd_dword_decimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

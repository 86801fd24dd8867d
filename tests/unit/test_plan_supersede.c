/*
 * Supersedence data (plan/supersede.c): the built-in files read, a file
 * written by plan_supersede_write() reads back the same, bad files are
 * refused naming the field, lookups by product, advisory and KB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/plan.h"

static void
test_plan_supersede_builtin_from_seed(void **state)
{
	struct plan_supersede *s = plan_supersede_builtin();
	const struct plan_supersede_entry *m[4];

	(void)state;
	if (s == NULL)
		fail_msg("%s", err_msg());
	/* seed 001 note 3: the August 2018 updates contain the fix */
	assert_int_equal(plan_supersede_find(s, "Windows 7", "tcpip-2018-07",
	    "KB4343900", m, 4), 2);
	assert_string_equal(m[0]->file->refreshed, "2018-08-20T00:00:00Z");
	assert_int_equal(plan_supersede_find(s, "Windows 10", "tcpip-2018-07",
	    "KB4343909", m, 4), 1);
	assert_string_equal(m[0]->fix, "KB4345421");
	assert_int_equal(plan_supersede_find(s, "Windows Server 2016",
	    "tcpip-2018-07", "KB4343887", m, 4), 1);
	assert_int_equal(plan_supersede_find(s, "Windows 7", "tcpip-2018-07",
	    "KB4343909", m, 4), 0);
	assert_int_equal(plan_supersede_find(s, "Windows 7", "other",
	    "KB4343900", m, 4), 0);
	plan_supersede_free(s);
}

static void
test_plan_supersede_write_reads_back(void **state)
{
	struct plan_supersede_entry e[2] = {
		{ .advisory = "tcpip-2018-07", .fix = "KB4338821",
		  .kb = "KB4457144", .date = "2018-09-11",
		  .title = "2018-09 Rollup \"x\" (KB4457144)",
		  .update_id = "5eed0001-4b1d-4c2a-9e10-000000000001" },
		{ .advisory = "tcpip-2018-07", .fix = "KB4345459",
		  .kb = "KB4457145" },
	};
	struct plan_supersede_file f = { .product = "Windows 7",
	    .refreshed = "2026-12-02T08:00:00Z", .source = "test", .v = e,
	    .n = 2 };
	struct plan_supersede_file *g;
	struct buf b, b2;

	(void)state;
	buf_init(&b, 0);
	buf_init(&b2, 0);
	assert_int_equal(plan_supersede_write(&f, &b), 0);
	if ((g = plan_supersede_parse("w.json", b.data, b.len)) == NULL)
		fail_msg("%s\n%s", err_msg(), buf_str(&b));
	assert_int_equal(g->n, 2);
	assert_string_equal(g->v[0].title, "2018-09 Rollup \"x\" (KB4457144)");
	assert_null(g->v[1].date);
	assert_int_equal(plan_supersede_write(g, &b2), 0);
	assert_string_equal(buf_str(&b), buf_str(&b2));
	buf_release(&b);
	buf_release(&b2);
	{
		struct plan_supersede *s = calloc(1, sizeof(*s));

		plan_supersede_add(s, g);	/* takes g */
		plan_supersede_free(s);
	}
}

static void
refused(const char *doc, const char *want)
{
	struct plan_supersede_file *f = plan_supersede_parse("s.json", doc,
	    strlen(doc));

	if (f != NULL)
		fail_msg("accepted: %s", doc);
	if (strstr(err_msg(), want) == NULL)
		fail_msg("'%s' lacks '%s'", err_msg(), want);
}

#define HEAD "{\"format\": \"kbfix-supersede/1\", \"product\": \"Windows 7\", " \
    "\"refreshed\": \"2026-12-02T08:00:00Z\", \"source\": \"t\", "

static void
test_plan_supersede_refuses_bad_files(void **state)
{
	(void)state;
	refused("{", "s.json: not a JSON document");
	refused("{\"format\": \"kbfix-supersede/2\"}", "s.json: format: must be "
	    "kbfix-supersede/1");
	refused(HEAD "\"updates\": 1}", "s.json: updates: must be an array");
	refused(HEAD "\"updates\": [{\"advisory\": \"tcpip-2018-07\", \"fix\": "
	    "\"KB4338821\", \"kb\": \"4457144\"}]}", "s.json: updates[0].kb: "
	    "must look like");
	refused(HEAD "\"updates\": [{\"advisory\": \"Tcpip\", \"fix\": "
	    "\"KB4338821\", \"kb\": \"KB4457144\"}]}", "updates[0].advisory");
	refused(HEAD "\"updates\": [{\"advisory\": \"tcpip-2018-07\", \"fix\": "
	    "\"KB4338821\", \"kb\": \"KB4457144\", \"date\": \"9/11/2018\"}]}",
	    "updates[0].date: must be YYYY-MM-DD");
	refused(HEAD "\"updates\": [{\"advisory\": \"tcpip-2018-07\", \"fix\": "
	    "\"KB4338821\", \"kb\": \"KB4457144\", \"title\": \"a\\u001b[31m\"}]}",
	    "updates[0].title: holds a control character");
	refused("{\"format\": \"kbfix-supersede/1\", \"product\": \"Windows 7\", "
	    "\"product\": \"Windows 8\"}", "s.json: product: given twice");
	refused("{\"format\": \"kbfix-supersede/1\", \"product\": \"Windows 7\", "
	    "\"refreshed\": \"yesterday\", \"source\": \"t\", \"updates\": []}",
	    "refreshed: must be an ISO 8601 time");
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
drop(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

/* --supersede DIR: its *.json files in name order, others ignored. */
static void
test_plan_supersede_load_dir_reads_json_files(void **state)
{
	char dir[] = "/tmp/kbfix-sup.XXXXXX";
	struct plan_supersede *s = plan_supersede_builtin();
	const struct plan_supersede_entry *m[4];
	size_t base = s->nfiles;
	char *want;

	(void)state;
	assert_non_null(mkdtemp(dir));
	want = xasprintf("%s: no *.json supersedence files", dir);
	put(dir, "notes.txt", "not data");
	put(dir, ".hidden.json", "{");
	assert_int_equal(plan_supersede_load_dir(s, dir), -1);
	assert_string_equal(err_msg(), want);
	put(dir, "b.json", HEAD "\"updates\": [{\"advisory\": \"x\", "
	    "\"fix\": \"KB4338821\", \"kb\": \"KB4457199\"}]}");
	put(dir, "a.json", HEAD "\"updates\": []}");
	assert_int_equal(plan_supersede_load_dir(s, dir), 0);
	assert_int_equal(s->nfiles, base + 2);
	assert_non_null(strstr(s->files[base]->name, "/a.json"));
	assert_non_null(strstr(s->files[base + 1]->name, "/b.json"));
	assert_int_equal(plan_supersede_find(s, "Windows 7", "x", "KB4457199",
	    m, 4), 1);
	/* a bad file stops the load, named with its field */
	put(dir, "c.json", HEAD "\"updates\": [{\"advisory\": \"x\"}]}");
	assert_int_equal(plan_supersede_load_dir(s, dir), -1);
	free(want);
	want = xasprintf("%s/c.json: updates[0].fix: missing", dir);
	assert_string_equal(err_msg(), want);
	drop(dir, "a.json");
	drop(dir, "b.json");
	drop(dir, "c.json");
	drop(dir, "notes.txt");
	drop(dir, ".hidden.json");
	assert_int_equal(rmdir(dir), 0);
	/* a missing directory is named */
	assert_int_equal(plan_supersede_load_dir(s, dir), -1);
	assert_non_null(strstr(err_msg(), dir));
	free(want);
	plan_supersede_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_supersede_builtin_from_seed),
		cmocka_unit_test(test_plan_supersede_write_reads_back),
		cmocka_unit_test(test_plan_supersede_refuses_bad_files),
		cmocka_unit_test(test_plan_supersede_load_dir_reads_json_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

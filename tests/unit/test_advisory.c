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

static const char good[] =
    "{\"id\": \"wfp-test\", \"kb\": \"KB999999\", \"title\": \"t\",\n"
    " \"model\": \"hotfix\", \"reboot\": true, \"os\": [\"Windows 7\"],\n"
    " \"file\": \"tcpip.sys\",\n"
    " \"trigger\": {\"fact\": \"wfp_callout_drivers\", \"min\": 1, \"text\": \"a driver\"},\n"
    " \"targets\": [{\"os\": [\"Windows 7\"], \"build\": \"6.1.7600\",\n"
    "   \"branches\": [{\"name\": \"ldr\", \"from\": 20000, \"to\": 29999,\n"
    "                 \"fixed\": \"6.1.7600.20700\"}]}]}\n";

static struct advisory *
parse(const char *s)
{
	return plan_advisory_parse("x.json", s, strlen(s));
}

static void
refused(const char *s, const char *needle)
{
	struct advisory *a = parse(s);

	if (a) {
		plan_advisory_free(a);
		fail_msg("accepted: %s", s);
	}
	if (strstr(err_msg(), needle) == NULL)
		fail_msg("'%s' lacks '%s'", err_msg(), needle);
}

/* good with one substring replaced */
static char *
edit(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	char *out;

	assert_non_null(at);
	out = xasprintf("%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	return out;
}

static void
test_plan_advisory_builtin_has_five(void **state)
{
	struct advisory_set *s = plan_advisory_builtin();
	static const char *const ids[] = { "tcpip-2018-07", "wfp-classify-handle",
	    "ws2-unload-ceip", "wfp-two-callouts", "multicast-forwarding" };
	const struct advisory *a;
	size_t i;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n, 5);
	for (i = 0; i < 5; i++)
		assert_non_null(plan_advisory_find(s, ids[i]));
	a = plan_advisory_find(s, "tcpip-2018-07");
	assert_int_equal(a->model, ADVISORY_UPDATE_TABLE);
	assert_int_equal(a->nrows, 12);
	assert_true(a->reboot);
	a = plan_advisory_find(s, "wfp-classify-handle");
	assert_string_equal(a->kb, "KB976527");
	assert_string_equal(a->targets[0].branches[0].fixed, "6.1.7600.16512");
	assert_string_equal(a->targets[0].branches[1].fixed, "6.1.7600.20628");
	a = plan_advisory_find(s, "wfp-two-callouts");
	assert_int_equal(a->ntargets, 3);
	assert_int_equal(a->trigger.min, 2);
	a = plan_advisory_find(s, "multicast-forwarding");
	assert_true(a->workaround.present);
	assert_true(a->workaround.only_blocked);
	assert_string_equal(a->prerequisites[0].text, "Windows Vista SP1");
	a = plan_advisory_find(s, "ws2-unload-ceip");
	assert_false(a->reboot);
	assert_int_equal(a->registry.high.dflt, 10000000);
	assert_string_equal(a->workaround.value, "CEIPEnable");
	/* seed 002 note 2: the GPO setting to change when a preference
	 * writes the value back */
	assert_non_null(strstr(a->workaround.group_policy,
	    "Deploying Windows Feedback Forwarding"));
	assert_null(plan_advisory_find(s, "multicast-forwarding")->
	    workaround.group_policy);
	plan_advisory_set_free(s);
}

/* The August 2018 updates supersede the fix (seed 001, note 3). */
static void
test_plan_advisory_builtin_august_supersedence(void **state)
{
	static const char *const august[] = { "KB4343909", "KB4343897",
	    "KB4343885", "KB4343887", "KB4343892", "KB4343888", "KB4343898",
	    "KB4343896", "KB4343901", "KB4343899", "KB4343900" };
	struct advisory_set *s = plan_advisory_builtin();
	const struct advisory *a = plan_advisory_find(s, "tcpip-2018-07");
	size_t i, j, k;

	(void)state;
	for (k = 0; k < sizeof(august) / sizeof(august[0]); k++) {
		int found = 0;

		for (i = 0; i < a->nrows; i++)
			for (j = 0; j < a->rows[i].nsuperseded; j++)
				found |= strcmp(a->rows[i].superseded_by[j],
				    august[k]) == 0;
		if (!found)
			fail_msg("%s missing", august[k]);
	}
	plan_advisory_set_free(s);
}

static void
test_plan_advisory_parse_accepts_good(void **state)
{
	struct advisory *a;

	(void)state;
	a = parse(good);
	if (a == NULL)
		fail_msg("%s", err_msg());
	assert_string_equal(a->id, "wfp-test");
	assert_int_equal(a->targets[0].branches[0].lo, 20000);
	plan_advisory_free(a);
}

static void
test_plan_advisory_parse_names_field(void **state)
{
	char *s;

	(void)state;
	refused("{\"id\": 1}", "x.json: id: must be a non-empty string");
	refused("{\n\"id\": \"a\",,\n}", "x.json: line 2, column 1");
	refused("[]", "x.json: an advisory is a JSON object");
	s = edit("\"KB999999\"", "\"KB99\"");
	refused(s, "x.json: kb: must look like KB4345459");
	free(s);
	s = edit("\"fixed\": \"6.1.7600.20700\"", "\"fixed\": \"6.1.7601.20700\"");
	refused(s, "x.json: targets[0].branches[0].fixed");
	free(s);
	s = edit("\"fixed\": \"6.1.7600.20700\"", "\"fixed\": \"6.1.7600.10700\"");
	refused(s, "outside the branch's range");
	free(s);
	s = edit("\"min\": 1", "\"min\": \"1\"");
	refused(s, "x.json: trigger.min");
	free(s);
	s = edit("wfp_callout_drivers", "drivers");
	refused(s, "x.json: trigger.fact");
	free(s);
	s = edit("\"hotfix\"", "\"magic\"");
	refused(s, "x.json: model: must be update-table, hotfix or registry");
	free(s);
	s = edit("\"build\": \"6.1.7600\"", "\"build\": \"6.1\"");
	refused(s, "x.json: targets[0].build");
	free(s);
	s = edit("\"reboot\": true", "\"reboot\": 1");
	refused(s, "x.json: reboot: must be true or false");
	free(s);
	s = edit("\"id\": \"wfp-test\"", "\"id\": \"WFP test\"");
	refused(s, "x.json: id: must be 1-64 of [a-z0-9-]");
	free(s);
	refused("{\"id\": \"a\", \"title\": \"t\", \"reboot\": false, \"os\": [\"Windows 7\"],"
	    " \"model\": \"update-table\", \"problem_text\": \"July\", \"rows\": [{\"os\": "
	    "[\"Windows 7\"], \"build\": \"6.1.7601\", \"label\": \"l\", \"channel\": "
	    "\"weekly\", \"problem\": [\"KB4338823\"], \"fix\": \"KB4345459\"}]}",
	    "x.json: rows[0].channel");
	refused("{\"id\": \"a\", \"title\": \"t\", \"reboot\": false, \"os\": [\"Windows 7\"],"
	    " \"model\": \"registry\", \"registry\": {\"enable\": \"HKCU\\\\X\"}}",
	    "x.json: registry.enable");
	{
		/* a workaround value with cmd.exe metacharacters and CR LF
		 * is refused when the advisory is loaded, not by apply later */
		struct buf f;
		char *bad;
		const char *at;

		assert_int_equal(file_read("plan/advisories/ws2-unload-ceip.json",
		    1 << 20, &f), 0);
		at = strstr(f.data, "\"CEIPEnable\"");
		assert_non_null(at);
		bad = xasprintf("%.*s\"CEIPEnable & calc.exe\\r\\n\"%s",
		    (int)(at - f.data), f.data, at + strlen("\"CEIPEnable\""));
		refused(bad, "workaround.value: must be a plain value name");
		free(bad);
		at = strstr(f.data, "\"group_policy\": \"");
		assert_non_null(at);
		at += strlen("\"group_policy\": \"");
		bad = xasprintf("%.*s%%COMSPEC%% %s", (int)(at - f.data),
		    f.data, at);
		refused(bad, "workaround.group_policy: must be one line of "
		    "printable ASCII");
		free(bad);
		buf_release(&f);
	}
	assert_null(plan_advisory_parse("bin.json", "{}\0\1", 4));
	assert_non_null(strstr(err_msg(), "bin.json: binary data"));
}

static void
test_plan_advisory_parse_evidence(void **state)
{
	struct advisory_set *set = plan_advisory_builtin();
	const struct advisory *a;
	char *s;

	(void)state;
	a = plan_advisory_find(set, "tcpip-2018-07");
	assert_true(a->evidence.present);
	assert_int_equal(a->evidence.nbugchecks, 1);
	assert_int_equal(a->evidence.bugchecks[0], 0xd1);
	assert_int_equal(a->evidence.nevents, 2);
	assert_string_equal(a->evidence.events[0].provider, "AFD");
	assert_int_equal(a->evidence.events[0].id, 16002);
	assert_null(a->evidence.events[0].service);
	assert_string_equal(a->evidence.events[1].service, "W3SVC");
	a = plan_advisory_find(set, "ws2-unload-ceip");
	assert_int_equal(a->evidence.nmodules, 1);
	assert_string_equal(a->evidence.modules[0], "ws2_32.dll");
	assert_false(plan_advisory_find(set, "wfp-two-callouts")->evidence.present);
	plan_advisory_set_free(set);
	s = edit("\"file\"", "\"evidence\": {\"bugchecks\": [\"D1\"]}, \"file\"");
	refused(s, "x.json: evidence.bugchecks: must hold bug check codes like 0xD1");
	free(s);
	s = edit("\"file\"", "\"evidence\": {\"events\": [{\"provider\": \"AFD\", "
	    "\"id\": 70000}]}, \"file\"");
	refused(s, "x.json: evidence.events[0].id: must be an event id");
	free(s);
	s = edit("\"file\"", "\"evidence\": {\"modules\": [\"..\\\\x.dll\"]}, \"file\"");
	refused(s, "x.json: evidence.modules: must hold file names");
	free(s);
	s = edit("\"file\"", "\"evidence\": {}, \"file\"");
	refused(s, "x.json: evidence: names no bug check, event or module");
	free(s);
}

static void
test_plan_advisory_load_dir_adds_and_replaces(void **state)
{
	char dir[] = "/tmp/kbfix-adv.XXXXXX", *path, *s;
	struct advisory_set *set;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/new.json", dir);
	f = fopen(path, "w");
	fputs(good, f);
	fclose(f);
	set = plan_advisory_builtin();
	assert_int_equal(plan_advisory_load_dir(set, dir), 0);
	assert_int_equal(set->n, 6);
	assert_non_null(plan_advisory_find(set, "wfp-test"));
	free(path);
	/* same id as a built-in one: replaces it */
	path = xasprintf("%s/override.json", dir);
	s = edit("\"id\": \"wfp-test\"", "\"id\": \"wfp-classify-handle\"");
	f = fopen(path, "w");
	fputs(s, f);
	fclose(f);
	free(s);
	assert_int_equal(plan_advisory_load_dir(set, dir), 0);
	assert_int_equal(set->n, 6);
	assert_string_equal(plan_advisory_find(set, "wfp-classify-handle")->kb,
	    "KB999999");
	unlink(path);
	free(path);
	/* a malformed file is refused by name */
	path = xasprintf("%s/bad.json", dir);
	f = fopen(path, "w");
	fputs("{\"id\": \"x\"}", f);
	fclose(f);
	assert_int_equal(plan_advisory_load_dir(set, dir), -1);
	assert_non_null(strstr(err_msg(), "bad.json: title: missing"));
	unlink(path);
	free(path);
	path = xasprintf("%s/new.json", dir);
	unlink(path);
	free(path);
	/* an empty directory is refused: --advisories names a mistake */
	path = xasprintf("%s: no *.json advisory files", dir);
	assert_int_equal(plan_advisory_load_dir(set, dir), -1);
	assert_string_equal(err_msg(), path);
	free(path);
	rmdir(dir);
	plan_advisory_set_free(set);
}

static void
test_plan_advisory_write_json_lists(void **state)
{
	struct advisory_set *s = plan_advisory_builtin();
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(plan_advisory_write_json(s, &b), 0);
	assert_non_null(strstr(buf_str(&b), "\"id\": \"tcpip-2018-07\""));
	assert_non_null(strstr(buf_str(&b), "\"KB4345459\""));
	assert_non_null(strstr(buf_str(&b), "\"kb\": \"KB2979267\""));
	buf_release(&b);
	plan_advisory_set_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_advisory_builtin_has_five),
		cmocka_unit_test(test_plan_advisory_builtin_august_supersedence),
		cmocka_unit_test(test_plan_advisory_parse_accepts_good),
		cmocka_unit_test(test_plan_advisory_parse_names_field),
		cmocka_unit_test(test_plan_advisory_parse_evidence),
		cmocka_unit_test(test_plan_advisory_load_dir_adds_and_replaces),
		cmocka_unit_test(test_plan_advisory_write_json_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

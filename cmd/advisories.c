/*
 * kbfix advisories: the advisory catalog in use.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "cmd/cmd.h"

static const char advisories_usage[] =
    "usage: kbfix advisories [--json] [--advisories DIR]\n"
    "\n"
    "Lists the advisories kbfix plans with: the built-in ones, plus (or\n"
    "replaced by id by) the *.json files of DIR.\n";

static void
advisories_text(const struct advisory_set *set, struct buf *b)
{
	size_t i, j;

	buf_addf(b, "%-22s %-10s %-12s %-6s %s\n", "ID", "KB", "MODEL",
	    "REBOOT", "TITLE");
	for (i = 0; i < set->n; i++) {
		const struct advisory *a = set->items[i];

		buf_addf(b, "%-22s %-10s %-12s %-6s %s\n", a->id,
		    a->kb ? a->kb : "-", plan_advisory_model_name(a->model),
		    a->reboot ? "yes" : "no", a->title);
		buf_adds(b, "    os:");
		for (j = 0; j < a->nos; j++)
			buf_addf(b, "%s %s", j ? "," : "", a->os[j]);
		if (a->nrows) {
			buf_adds(b, "\n    fixes:");
			for (j = 0; j < a->nrows; j++)
				buf_addf(b, " %s", a->rows[j].fix);
		}
		if (a->workaround.present)
			buf_addf(b, "\n    workaround: %s", a->workaround.text);
		if (a->workaround.group_policy != NULL)
			buf_addf(b, "\n    group policy: apply reads it again "
			    "after gpupdate; set back, the host is blocked: %s",
			    a->workaround.group_policy);
		buf_addf(b, "\n    source: %s\n", a->source);
	}
}

int
cmd_advisories(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "advisories", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct advisory_set *set = NULL;
	const char *dir = NULL;
	struct buf out;
	int c, json = 0, rc = EXIT_USAGE;

	buf_init(&out, BUF_MAX_DEFAULT);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		switch (c) {
		case 'j': json = 1; break;
		case 'a': dir = optarg; break;
		case 'h':
			fputs(advisories_usage, stdout);
			rc = EXIT_OK;
			goto out;
		default:
			fputs(advisories_usage, stderr);
			goto out;
		}
	if (optind != argc) {
		fputs(advisories_usage, stderr);
		goto out;
	}
	if ((set = cmd_load_advisories(dir)) == NULL) {
		warnmsg("%s", err_msg());
		goto out;
	}
	if (json)
		plan_advisory_write_json(set, &out);
	else
		advisories_text(set, &out);
	rc = cmd_write_output(NULL, &out);
out:
	buf_release(&out);
	plan_advisory_set_free(set);
	return rc;
}

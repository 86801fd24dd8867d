/*
 * kbfix status RUN_DIR [--json]: where each host of a run stands, from
 * its journal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "plan/plan.h"
#include "rollback/rollback.h"
#include "util/util.h"

static void
status_usage(FILE *f)
{
	fputs("usage: kbfix status RUN_DIR [--json] [--import RESULT]\n\n"
	    "Print each host's state, last step and error from the run's\n"
	    "journal (RUN_DIR/journal.jsonl), then the wave running now and the\n"
	    "time left in the window.  --json prints a kbfix-status/1\n"
	    "document.  Manual hosts show as 'manual' until their runbook's\n"
	    "result is imported: --import HOST-result.txt (written next to\n"
	    "RUN_DIR/runbooks/HOST.cmd or HOST-rollback.cmd when run on the\n"
	    "host) records done, failed, rolled-back or what is left.\n"
	    "'kbfix report RUN_DIR' is the full review.\n", f);
}

/* The current wave and the time left in the window (a run without its
 * run.json or plan, e.g. a hand-made journal, has neither: left out). */
static void
status_progress(const char *run_dir, struct buf *out)
{
	struct plan_review r;

	if (deploy_review_build(run_dir, &r) == -1)
		return;
	plan_review_progress(&r, (int64_t)time(NULL), out);
	plan_review_release(&r);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "import", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct rollback_log log;
	struct rollback_replay rp;
	struct buf out;
	const char *import = NULL;
	char *ih, *is;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i': import = optarg; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: status_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		status_usage(stderr);
		return EXIT_USAGE;
	}
	if (import != NULL) {
		if (deploy_runbook_import(argv[optind], import, &ih, &is) ==
		    -1) {
			warnmsg("%s", err_msg());
			return EXIT_USAGE;
		}
		fprintf(stderr, "%s: %s (from %s)\n", ih, is, import);
		free(ih);
		free(is);
	}
	if (rollback_log_read(argv[optind], &log) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	rollback_replay(&log, &rp);
	buf_init(&out, BUF_MAX_DEFAULT);
	if (json)
		rc = rollback_status_json(&rp, argv[optind], &out);
	else
		rc = rollback_status_text(&rp, &out);
	if (rc == 0 && !json)
		status_progress(argv[optind], &out);
	if (rc == 0)
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	buf_release(&out);
	rollback_replay_release(&rp);
	rollback_log_release(&log);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

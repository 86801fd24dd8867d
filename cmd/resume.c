/*
 * kbfix resume RUN_DIR: continue a run after a crash or Ctrl-C, with the
 * options recorded in RUN_DIR/run.json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "util/util.h"

static void
resume_usage(FILE *f)
{
	fputs("usage: kbfix resume RUN_DIR\n\n"
	    "Continue an interrupted 'kbfix apply' with the options it was\n"
	    "started with.  Finished hosts are left alone; every step of the\n"
	    "others first checks the host's actual state, so nothing done is\n"
	    "done twice.  Exit status as for apply.\n", f);
}

int
cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_run run;
	struct deploy_result res;
	const char *v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': resume_usage(stdout); return EXIT_OK;
		default: resume_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		resume_usage(stderr);
		return EXIT_USAGE;
	}
	if (deploy_run_load(argv[optind], &run) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	/* TEST ONLY: crash again after N journal records. */
	v = getenv("KBFIX_TEST_KILL_AFTER");
	if (v != NULL && *v != '\0' &&
	    parse_u64(v, UINT64_MAX, &run.opts.kill_after) == -1) {
		warnmsg("KBFIX_TEST_KILL_AFTER '%s': not a number", v);
		deploy_run_release(&run);
		return EXIT_USAGE;
	}
	cmd_deploy_signals();
	rc = deploy_apply(&run.opts, 1, cmd_deploy_progress, NULL, &res);
	deploy_run_release(&run);
	return cmd_deploy_report(rc, &res, 0);
}

/*
 * kbfix resume RUN_DIR: continue a run after a crash or Ctrl-C, with the
 * options recorded in RUN_DIR/run.json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "util/util.h"

static void
resume_usage(FILE *f)
{
	fputs("usage: kbfix resume RUN_DIR [--bundle DIR] [--connect-timeout S]"
	    "\n         [--command-timeout S]\n\n"
	    "Continue an interrupted 'kbfix apply' with the options it was\n"
	    "started with.  Finished hosts are left alone; every step of the\n"
	    "others first checks the host's actual state, so nothing done is\n"
	    "done twice.  A run whose last operation was a rollback goes on\n"
	    "rolling back (never the reverse).  --bundle names the bundle\n"
	    "when it moved (its files are checked against its manifest as\n"
	    "for apply); the timeouts replace the run's own.  Exit status as\n"
	    "for apply.\n", f);
}

int
cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "bundle", required_argument, NULL, 'b' },
		CMD_DEPLOY_TIMEOUT_OPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_run run;
	struct deploy_result res;
	struct deploy_opts t;
	const char *v, *bundle = NULL;
	int c, rc;

	memset(&t, 0, sizeof(t));
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
		if ((rc = cmd_deploy_timeout(c, optarg, &t)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'b': bundle = optarg; break;
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
	if (bundle != NULL)
		run.opts.bundle_dir = bundle;	/* a bundle that moved */
	if (t.connect_timeout_ms > 0)
		run.opts.connect_timeout_ms = t.connect_timeout_ms;
	if (t.command_timeout_ms > 0)
		run.opts.command_timeout_ms = t.command_timeout_ms;
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

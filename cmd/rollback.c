/*
 * kbfix rollback RUN_DIR [--host NAME]: undo what a run changed.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "util/util.h"

static void
rollback_usage(FILE *f)
{
	fputs("usage: kbfix rollback RUN_DIR [--host NAME] [--window START/DUR]"
	    "\n         [--reboot-timeout S] [--known-hosts FILE] [--accept-new]\n"
	    "         [-k KEY] [-u USER]\n"
	    "\nUndo a run in reverse order on each host it changed (or on\n"
	    "NAME only), whatever its state (done, failed, interrupted,\n"
	    "deferred, rollback-failed): dism /remove-package of the package\n"
	    "identity kbfix installed, registry values restored (deleted where\n"
	    "they did not exist), multicast forwarding restored, a reboot only\n"
	    "when the removal needs one, verify.  It runs now: the plan's and\n"
	    "the apply's window do not bind it; --window (the apply forms)\n"
	    "makes it wait for and keep to one.  Hosts it does not undo keep\n"
	    "their state in the journal.  Running it again is harmless: every\n"
	    "step reads the host first.  The prior state comes from\n"
	    "RUN_DIR/journal.jsonl; the connection options default to the\n"
	    "run's (RUN_DIR/run.json).  Exit: 0 all rolled back, 3 some hosts\n"
	    "could not be, 1 the run failed, 2 bad input.\n", f);
}

int
cmd_rollback(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "window", required_argument, NULL, 'w' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "accept-new", no_argument, NULL, 'A' },
		{ "key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_run run;
	struct deploy_result res;
	const char *host = NULL, *window = NULL, *kh = NULL, *key = NULL;
	const char *user = NULL;
	int accept_new = 0;
	int c, rc, timeout = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "k:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'w': window = optarg; break;
		case 'K': kh = optarg; break;
		case 'A': accept_new = 1; break;
		case 'k': key = optarg; break;
		case 'u': user = optarg; break;
		case 't':
			if (parse_int(optarg, 1, 86400, &timeout) == -1) {
				warnmsg("--reboot-timeout '%s': expected "
				    "seconds", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': rollback_usage(stdout); return EXIT_OK;
		default: rollback_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		rollback_usage(stderr);
		return EXIT_USAGE;
	}
	if (deploy_run_load(argv[optind], &run) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	run.opts.only_host = host;
	/* the apply's window is not the back-out's */
	run.opts.window = window;
	if (kh != NULL)
		run.opts.known_hosts = kh;
	if (key != NULL)
		run.opts.key_file = key;
	if (user != NULL)
		run.opts.user = user;
	if (accept_new)
		run.opts.accept_new = 1;
	if (timeout > 0)
		run.opts.reboot_timeout_s = timeout;
	cmd_deploy_signals();
	rc = deploy_rollback(&run.opts, cmd_deploy_progress, NULL, &res);
	deploy_run_release(&run);
	return cmd_deploy_report(rc, &res, 1);
}

/*
 * kbfix rollback RUN_DIR [--host NAME]: undo what a run changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "transport/transport.h"
#include "util/util.h"

static void
rollback_usage(FILE *f)
{
	fputs("usage: kbfix rollback RUN_DIR [--host NAME] [--window START/DUR]"
	    "\n         [--reboot-timeout S] [--force] [--known-hosts FILE] [--accept-new]\n"
	    "         [-k KEY] [-u USER] [--connect-timeout S] [--command-timeout S]\n"
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
	    "RUN_DIR/journal.jsonl.  A value someone changed since kbfix set\n"
	    "it is left as it is, and the host ends rollback-failed naming the\n"
	    "value before kbfix, the one it set and the one now; --force\n"
	    "restores it all the same.  The connection options default to the\n"
	    "run's (RUN_DIR/run.json).  Exit: 0 all rolled back, 3 some hosts\n"
	    "could not be, 1 the run failed, 2 bad input.\n\nSSH options:\n", f);
	fputs(cmd_ssh_conn_usage, f);
}

int
cmd_rollback(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "window", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 0x1703 },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		CMD_SSH_CONN_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_run run;
	struct deploy_result res;
	struct transport_opts ssh;
	const char *host = NULL, *window = NULL;
	int c, rc, force = 0, timeout = 0;

	memset(&ssh, 0, sizeof(ssh));
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:u:h", opts, NULL)) != -1) {
		if ((rc = cmd_ssh_opt(c, optarg, &ssh)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'H': host = optarg; break;
		case 'w': window = optarg; break;
		case 0x1703: force = 1; break;
		case 't':
			if (cmd_opt_int("reboot-timeout", optarg, 1, 86400,
			    &timeout) == -1)
				return EXIT_USAGE;
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
	run.opts.force = force;
	cmd_ssh_deploy(&ssh, &run.opts);
	if (timeout > 0)
		run.opts.reboot_timeout_s = timeout;
	cmd_deploy_signals();
	rc = deploy_rollback(&run.opts, cmd_deploy_progress, NULL, &res);
	deploy_run_release(&run);
	return cmd_deploy_report(rc, &res, 1);
}

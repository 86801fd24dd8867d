/*
 * kbfix resume RUN_DIR [options]: continue a run after a crash, Ctrl-C,
 * a closed window or a repaired fault, with the options recorded in
 * RUN_DIR/run.json; the options given here replace them (and are
 * recorded for the next resume and rollback).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "transport/transport.h"
#include "util/util.h"

static void
resume_usage(FILE *f)
{
	fputs("usage: kbfix resume RUN_DIR [--window START/DURATION] [--bundle DIR]\n"
	    "         [--retry-failed] [--limit HOST,...|@FILE]\n"
	    "         [--parallel N] [--reboot-timeout S] [--known-hosts FILE]\n"
	    "         [--accept-new] [-k KEY] [-u USER] [--connect-timeout S]\n"
	    "         [--command-timeout S]\n\n"
	    "Continue an interrupted 'kbfix apply' with the options it was\n"
	    "started with; options given here replace them and are recorded\n"
	    "in RUN_DIR/run.json (a new window, key or known_hosts file).\n"
	    "Finished hosts are left alone; every step of the others first\n"
	    "checks the host's actual state, so nothing done is done twice.\n"
	    "A host that failed because it did not come back from its reboot\n"
	    "in time is looked at again and verified once it is back.\n"
	    "--retry-failed: failed and rolled-back hosts start again from\n"
	    "their real state (after the fault is cleared); the prior state\n"
	    "of the first capture stays what rollback restores.\n"
	    "--limit HOST,... or @FILE (e.g. @RUN_DIR/retry, the hosts the\n"
	    "run left unfinished): only those hosts.\n"
	    "A run whose last operation was a rollback goes on rolling back\n"
	    "(never the reverse).  --bundle names the bundle when it moved\n"
	    "(its files are checked against its manifest as for apply).\n"
	    "Exit status as for apply.\n\nSSH options:\n", f);
	fputs(cmd_ssh_usage, f);
}

int
cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "retry-failed", no_argument, NULL, 'R' },
		{ "limit", required_argument, NULL, 'l' },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "bundle", required_argument, NULL, 'b' },
		CMD_SSH_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_opts given;
	struct deploy_run run;
	struct deploy_result res;
	struct transport_opts ssh;
	const char *v, *bundle = NULL;
	int c, rc, bad = 0;

	memset(&given, 0, sizeof(given));
	memset(&ssh, 0, sizeof(ssh));
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:p:k:u:h", opts, NULL)) != -1) {
		if ((rc = cmd_ssh_opt(c, optarg, &ssh)) < 0)
			return EXIT_USAGE;
		if (rc > 0)
			continue;
		switch (c) {
		case 'w': given.window = optarg; break;
		case 'R': given.retry_failed = 1; break;
		case 'l': given.limit = optarg; break;
		case 't': bad |= cmd_opt_int("reboot-timeout", optarg, 1, 86400,
			    &given.reboot_timeout_s); break;
		case 'b': bundle = optarg; break;
		case 'h': resume_usage(stdout); return EXIT_OK;
		default: resume_usage(stderr); return EXIT_USAGE;
		}
	}
	if (bad)
		return EXIT_USAGE;
	if (optind + 1 != argc) {
		resume_usage(stderr);
		return EXIT_USAGE;
	}
	if (deploy_run_load(argv[optind], &run) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_USAGE;
	}
	if (given.window)
		run.opts.window = given.window;
	if (given.reboot_timeout_s)
		run.opts.reboot_timeout_s = given.reboot_timeout_s;
	cmd_ssh_deploy(&ssh, &run.opts);
	/* a new window, key, ... is the run's from now on */
	run.opts.save_opts = given.window || given.reboot_timeout_s ||
	    ssh.parallel || ssh.known_hosts || ssh.accept_new ||
	    ssh.key_file || ssh.user;
	run.opts.retry_failed = given.retry_failed;
	run.opts.limit = given.limit;
	if (bundle != NULL)
		run.opts.bundle_dir = bundle;	/* a bundle that moved */
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

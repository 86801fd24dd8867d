/*
 * kbfix apply PLAN.json --bundle DIR --run-dir DIR [...]: carry out a plan.
 * Also the progress line and summary table shared by resume and rollback.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "util/util.h"

static void
apply_usage(FILE *f)
{
	fputs("usage: kbfix apply PLAN.json --bundle DIR --run-dir DIR\n"
	    "         [--window START/DURATION] [--parallel N] [--canary N]\n"
	    "         [--max-fail PCT] [--reboot-timeout S] [--reboot-delay S]\n"
	    "         [--no-auto-rollback] [--known-hosts FILE] [--accept-new]\n"
	    "         [-k KEY] [-u USER] [--connect-timeout S]\n"
	    "         [--command-timeout S]\n\n"
	    "Carry out the plan on its hosts in waves: canary hosts first\n"
	    "(--canary, default 1), then the plan's waves or chunks of\n"
	    "--parallel (default 32).  Any failure stops the run after the\n"
	    "current wave unless --max-fail PCT allows it.  --window\n"
	    "2026-11-21T22:00:00Z/4h (or now/90m; durations 90m, 4h, 1h30m, 2d,\n"
	    "3600s, 3600, PT4H, as for kbfix plan): nothing starts before it\n"
	    "opens, hosts that cannot finish in it are deferred, no reboot\n"
	    "starts after it closes.  Every step is journaled in\n"
	    "RUN_DIR/journal.jsonl; see 'kbfix status', 'kbfix resume',\n"
	    "'kbfix rollback'.  Manual hosts get RUN_DIR/runbooks/<host>.cmd.\n"
	    "--connect-timeout S (10) and --command-timeout S (600) bound each\n"
	    "connect and each command; the reboot wait's are also bounded by\n"
	    "what is left of --reboot-timeout (600).\n"
	    "Exit: 0 all done, 3 some hosts failed or were not done,\n"
	    "1 the run failed, 2 bad input.\n", f);
}

static void
on_signal(int sig)
{
	(void)sig;
	deploy_stop();
}

void
cmd_deploy_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* One live line per wave on a terminal (stderr). */
void
cmd_deploy_progress(const struct deploy_progress *p, void *arg)
{
	static int last_wave = -1;
	static int64_t last_ms;
	int64_t now = time_now_ms();

	(void)arg;
	if (!isatty(STDERR_FILENO))
		return;
	if (p->wave != last_wave && last_wave != -1)
		fputc('\n', stderr);
	if (p->wave == last_wave && now - last_ms < 200)
		return;
	last_wave = p->wave;
	last_ms = now;
	fprintf(stderr, "\r\033[Kwave %d/%d: %zu done, %zu failed, %zu "
	    "running of %zu%s%s%s%s", p->wave + 1, p->nwaves, p->done,
	    p->failed, p->running, p->total, p->host ? " (" : "",
	    p->host ? p->host : "", p->host ? ": " : "",
	    p->step ? p->step : "");
	if (p->host)
		fputc(')', stderr);
	fflush(stderr);
}

/* s for a terminal (an error may quote a host's output), in t. */
static const char *
term_text(struct buf *t, const char *s)
{
	buf_reset(t);
	buf_add_term(t, s ? s : "");
	return buf_str(t);
}

int
cmd_deploy_report(int rc, struct deploy_result *res, int rollback)
{
	struct buf t;
	size_t i;
	int status;

	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	if (rc == -1 && res->bad_input) {
		warnmsg("%s", err_msg());
		deploy_result_release(res);
		return EXIT_USAGE;
	}
	buf_init(&t, BUF_MAX_DEFAULT);
	if (res->nhosts > 0)
		printf("%-24s %-5s %-16s %-12s %s\n", "HOST", "WAVE", "STATE",
		    "STEP", "ERROR");
	for (i = 0; i < res->nhosts; i++) {
		char wave[12];

		if (res->hosts[i].wave < 0)
			snprintf(wave, sizeof(wave), "-");
		else
			snprintf(wave, sizeof(wave), "%d", res->hosts[i].wave);
		printf("%-24s %-5s %-16s %-12s %s\n", res->hosts[i].name,
		    wave, res->hosts[i].state, res->hosts[i].step,
		    term_text(&t, res->hosts[i].error));
	}
	buf_release(&t);
	printf("%zu %s, %zu failed, %zu other (deferred, drifted, "
	    "interrupted or not started)\n", res->ndone,
	    rollback ? "rolled back" : "done", res->nfailed, res->nother);
	if (res->stop_reason)
		printf("%s\n", res->stop_reason);
	if (rc == -1) {
		warnmsg("%s", err_msg());
		status = EXIT_FAIL;
	} else if (res->nfailed > 0 || res->nother > 0) {
		status = EXIT_PARTIAL;
	} else {
		status = EXIT_OK;
	}
	deploy_result_release(res);
	return status;
}

int
cmd_deploy_timeout(int c, const char *v, struct deploy_opts *o)
{
	int s;

	if (c != CMD_OPT_CONNECT_TIMEOUT && c != CMD_OPT_COMMAND_TIMEOUT)
		return 0;
	if (cmd_opt_int(c == CMD_OPT_CONNECT_TIMEOUT ? "connect-timeout" :
	    "command-timeout", v, 1, 86400, &s) == -1)
		return -1;
	if (c == CMD_OPT_CONNECT_TIMEOUT)
		o->connect_timeout_ms = s * 1000;
	else
		o->command_timeout_ms = s * 1000;
	return 1;
}

static int
test_kill_after(struct deploy_opts *o)
{
	const char *v = getenv("KBFIX_TEST_KILL_AFTER");

	/* TEST ONLY: SIGKILL after N journal records (crash tests). */
	if (v == NULL || *v == '\0')
		return 0;
	if (parse_u64(v, UINT64_MAX, &o->kill_after) == -1) {
		warnmsg("KBFIX_TEST_KILL_AFTER '%s': not a number", v);
		return -1;
	}
	return 0;
}

int
cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "canary", required_argument, NULL, 'c' },
		{ "max-fail", required_argument, NULL, 'm' },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "reboot-delay", required_argument, NULL, 'd' },
		{ "no-auto-rollback", no_argument, NULL, 'N' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "accept-new", no_argument, NULL, 'A' },
		{ "key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		CMD_DEPLOY_TIMEOUT_OPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_opts o;
	struct deploy_result res;
	int c, t, rc, bad = 0;

	memset(&o, 0, sizeof(o));
	o.canary = -1;
	o.reboot_delay_s = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:u:h", opts, NULL)) != -1) {
		if ((t = cmd_deploy_timeout(c, optarg, &o)) != 0) {
			bad |= t < 0;
			continue;
		}
		switch (c) {
		case 'b': o.bundle_dir = optarg; break;
		case 'r': o.run_dir = optarg; break;
		case 'w': o.window = optarg; break;
		case 'p': bad |= cmd_opt_int("parallel", optarg, 1, 10000,
			    &o.parallel); break;
		case 'c': bad |= cmd_opt_int("canary", optarg, 0, 10000,
			    &o.canary); break;
		case 'm': bad |= cmd_opt_int("max-fail", optarg, 0, 100,
			    &o.max_fail_pct); break;
		case 't': bad |= cmd_opt_int("reboot-timeout", optarg, 1, 86400,
			    &o.reboot_timeout_s); break;
		case 'd': bad |= cmd_opt_int("reboot-delay", optarg, 0, 600,
			    &o.reboot_delay_s); break;
		case 'N': o.no_auto_rollback = 1; break;
		case 'K': o.known_hosts = optarg; break;
		case 'A': o.accept_new = 1; break;
		case 'k': o.key_file = optarg; break;
		case 'u': o.user = optarg; break;
		case 'h': apply_usage(stdout); return EXIT_OK;
		default: apply_usage(stderr); return EXIT_USAGE;
		}
	}
	if (bad || test_kill_after(&o) == -1)
		return EXIT_USAGE;
	if (optind + 1 != argc || o.bundle_dir == NULL || o.run_dir == NULL) {
		apply_usage(stderr);
		return EXIT_USAGE;
	}
	o.plan_path = argv[optind];
	cmd_deploy_signals();
	rc = deploy_apply(&o, 0, cmd_deploy_progress, NULL, &res);
	return cmd_deploy_report(rc, &res, 0);
}

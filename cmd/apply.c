/*
 * kbfix apply PLAN.json --bundle DIR --run-dir DIR [...]: carry out a plan.
 * Also the progress line and summary table shared by resume and rollback.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "transport/transport.h"
#include "util/util.h"

static void
apply_usage(FILE *f)
{
	fputs("usage: kbfix apply PLAN.json --bundle DIR --run-dir DIR\n"
	    "       kbfix apply PLAN.json --bundle DIR --check [--limit ...]\n"
	    "         [--window START/DURATION] [--parallel N] [--canary N]\n"
	    "         [--max-fail PCT] [--reboot-timeout S] [--reboot-delay S]\n"
	    "         [--no-auto-rollback] [--known-hosts FILE] [--accept-new]\n"
	    "         [-k KEY] [-u USER] [--limit HOST,...|@FILE]\n"
	    "         [--expect-plan SHA256] [--connect-timeout S]\n"
	    "         [--command-timeout S]\n\n"
	    "Carry out the plan on its hosts in waves: canary hosts first\n"
	    "(--canary, default 1), then the plan's waves or chunks of\n"
	    "--parallel (default 32).  Any failure stops the run after the\n"
	    "current wave unless --max-fail PCT allows it.  --window\n"
	    "2026-11-21T22:00:00Z/4h (or now/90m; durations 90m, 4h, 1h30m, 2d,\n"
	    "3600s, 3600, PT4H, as for kbfix plan): nothing starts before it\n"
	    "opens, hosts that cannot finish in it are deferred, no reboot\n"
	    "starts after it closes.  At most the plan's max_unavailable\n"
	    "members of a reboot group (default 1) are down at once.  Every\n"
	    "step is journaled in RUN_DIR/journal.jsonl; see 'kbfix status',\n"
	    "'kbfix resume', 'kbfix rollback'.  Manual hosts get\n"
	    "RUN_DIR/runbooks/<host>.cmd.\n"
	    "A workaround a Group Policy preference may write back (CEIPEnable)\n"
	    "is read again after 'gpupdate /target:computer /force' (within\n"
	    "--command-timeout): set back, the host ends 'blocked' (counted as\n"
	    "failed; the reason names the GPO setting to change), nothing more\n"
	    "is done on it; 'kbfix resume --retry-failed' once the GPO is fixed.\n"
	    "--check: connect, preflight and read every host (no change, no\n"
	    "journal, no --run-dir needed, no window) and print what apply\n"
	    "would change: workaround values old -> new, packages, reboot,\n"
	    "and drift from the plan (exit 0, or 3 when a host drifted or\n"
	    "could not be read).\n"
	    "--limit HOST,... or @FILE (a name a line): only those hosts; into\n"
	    "a RUN_DIR holding a run of the same plan it continues that run\n"
	    "(same journal) for them, failed ones included.  At the end\n"
	    "RUN_DIR/retry lists the hosts not done (--limit @RUN_DIR/retry).\n"
	    "Progress goes to stderr: a live line on a terminal, timestamped\n"
	    "lines (one per host step) otherwise.  Ctrl-C or SIGTERM: nothing\n"
	    "new starts, running steps end at their next safe point, waits end\n"
	    "at once; a second one exits at once (resume continues).\n"
	    "--expect-plan SHA256 (from the change request, 'kbfix report\n"
	    "PLAN.json'): refuse, before anything starts, a plan file with\n"
	    "another SHA-256; run.json records the hash of the plan run.\n"
	    "The reboot wait's connects and commands are also bounded by\n"
	    "what is left of --reboot-timeout (600).  A reboot is done when\n"
	    "the host answers with a boot time later than its own clock at\n"
	    "shutdown /r (read in the same command) less 2 s.\n"
	    "Exit: 0 all done, 3 some hosts failed or were not done,\n"
	    "4 the rest done but manual hosts remain (their runbooks),\n"
	    "1 the run failed, 2 bad input.\n\nSSH options:\n", f);
	fputs(cmd_ssh_usage, f);
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
	cmd_signals_catch(on_signal);
	signal(SIGPIPE, SIG_IGN);
}

/* "6d 18h", "1h 12m", "3m 5s", "42 s" */
static void
dur_text(char *out, size_t n, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, n, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, n, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, n, "%lldm %llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(out, n, "%lld s", (long long)s);
}

/*
 * Progress on stderr.  On a terminal: one live line (the wave's counts,
 * the host longest in its step, the time left in the window, or what the
 * run waits for) and a permanent line for each wave's final counts, each
 * host that did not end done, a wait and a stop.  Off a terminal
 * (a log): the same permanent lines and one line per host step, each
 * with a UTC timestamp; a wait and a long step are repeated now and then.
 */
static struct {
	int	 init, tty, live;
	int64_t	 wait_logged, long_logged;
	struct buf t;
} pr;

static void
pr_begin(void)
{
	char ts[21];

	if (pr.tty) {
		if (pr.live)
			fputs("\r\033[K", stderr);
		pr.live = 0;
		return;
	}
	time_iso8601((int64_t)time(NULL), ts);
	fprintf(stderr, "%s ", ts);
}

/* The live line cleared, the progress state released. */
static void
pr_end(void)
{
	if (pr.live) {
		fputs("\r\033[K", stderr);
		pr.live = 0;
	}
	if (pr.init) {
		buf_release(&pr.t);
		pr.init = 0;
	}
}

static const char *
pr_term(const char *s)
{
	buf_reset(&pr.t);
	buf_add_term(&pr.t, s ? s : "");
	return buf_str(&pr.t);
}

/* "wave 0 (canary, 1 of 3)", "wave 2 (3 of 3)", then what */
static void
pr_wave(const struct deploy_progress *p, const char *what)
{
	fprintf(stderr, "wave %d (%s%d of %d)%s", p->label, p->label == 0 ?
	    "canary, " : "", p->wave + 1, p->nwaves, what);
}

static void
pr_counts(const struct deploy_progress *p)
{
	fprintf(stderr, "%zu done, %zu failed", p->done, p->failed);
	if (p->rolledback)
		fprintf(stderr, ", %zu rolled back", p->rolledback);
	if (p->interrupted)
		fprintf(stderr, ", %zu interrupted", p->interrupted);
	if (p->other)
		fprintf(stderr, ", %zu deferred/drifted", p->other);
}

static void
pr_window_left(const struct deploy_progress *p, int64_t now)
{
	char d[32];

	if (p->window_end == 0 || p->wait_for != NULL)
		return;
	if (now >= p->window_end) {
		fputs("; the window has closed", stderr);
		return;
	}
	dur_text(d, sizeof(d), p->window_end - now);
	fprintf(stderr, "; window closes in %s", d);
}

static void
pr_wait(const struct deploy_progress *p, int64_t now)
{
	char at[21], d[32];

	time_iso8601(p->wait_until, at);
	dur_text(d, sizeof(d), p->wait_until - now);
	fprintf(stderr, "waiting for %s at %s (in %s)", p->wait_for, at, d);
}

void
cmd_deploy_progress(const struct deploy_progress *p, void *arg)
{
	int64_t now = (int64_t)time(NULL);
	char d[32];

	(void)arg;
	if (!pr.init) {
		pr.init = 1;
		pr.tty = isatty(STDERR_FILENO);
		buf_init(&pr.t, BUF_MAX_DEFAULT);
	}
	switch (p->ev) {
	case DEPLOY_PEV_TICK:
		if (pr.tty) {
			fputs("\r\033[K", stderr);
			if (p->wait_for != NULL) {
				pr_wait(p, now);
			} else {
				pr_wave(p, ": ");
				pr_counts(p);
				fprintf(stderr, ", %zu running of %zu",
				    p->running, p->total);
				if (p->long_host != NULL) {
					dur_text(d, sizeof(d),
					    p->long_ms / 1000);
					fprintf(stderr, "; %s: %s %s",
					    p->long_host, p->long_step, d);
				}
				pr_window_left(p, now);
			}
			pr.live = 1;
			break;
		}
		if (p->wait_for != NULL && now - pr.wait_logged >= 600) {
			pr.wait_logged = now;
			pr_begin();
			pr_wait(p, now);
			fputc('\n', stderr);
		}
		if (p->long_host != NULL && p->long_ms >= 30000 &&
		    now - pr.long_logged >= 60) {
			pr.long_logged = now;
			dur_text(d, sizeof(d), p->long_ms / 1000);
			pr_begin();
			fprintf(stderr, "%s: %s running for %s\n",
			    p->long_host, p->long_step, d);
		}
		return;
	case DEPLOY_PEV_STEP:
		if (pr.tty)
			return;
		pr_begin();
		fprintf(stderr, "%s: %s\n", p->host, p->step);
		return;
	case DEPLOY_PEV_END:
		if (pr.tty && p->state != NULL &&
		    strcmp(p->state, "done") == 0)
			return;
		pr_begin();
		fprintf(stderr, "%s: %s", p->host, p->state ? p->state : "?");
		if (p->error != NULL)
			fprintf(stderr, " (%s)", pr_term(p->error));
		fputc('\n', stderr);
		break;
	case DEPLOY_PEV_WAVE:
		pr_begin();
		pr_wave(p, " finished: ");
		pr_counts(p);
		fprintf(stderr, " of %zu", p->total);
		pr_window_left(p, now);
		fputc('\n', stderr);
		break;
	case DEPLOY_PEV_WAIT:
		pr.wait_logged = now;
		pr_begin();
		pr_wait(p, now);
		fputc('\n', stderr);
		break;
	case DEPLOY_PEV_STOP:
		pr_begin();
		fprintf(stderr, "stopping (%s): nothing new starts, running "
		    "steps end at their next safe point; a second signal "
		    "stops at once\n", pr_term(p->stop_reason));
		break;
	}
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

	pr_end();
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

		/* waves as progress and the plan number them: 0 canary */
		if (res->hosts[i].wave < 0)
			snprintf(wave, sizeof(wave), "-");
		else
			snprintf(wave, sizeof(wave), "%d", res->hosts[i].wave);
		printf("%-24s %-5s %-16s %-12s %s\n", res->hosts[i].name,
		    wave, res->hosts[i].state, res->hosts[i].step,
		    term_text(&t, res->hosts[i].error));
	}
	buf_release(&t);
	if (rollback)
		printf("%zu rolled back, %zu failed, %zu interrupted, %zu "
		    "other (not undone)\n", res->ndone, res->nfailed,
		    res->ninterrupted, res->nother + res->nrolledback +
		    res->nmanual);
	else
		printf("%zu done, %zu failed, %zu rolled back, %zu "
		    "interrupted, %zu manual, %zu other (deferred, drifted "
		    "or not started)\n", res->ndone, res->nfailed,
		    res->nrolledback, res->ninterrupted, res->nmanual,
		    res->nother);
	if (res->stop_reason)
		printf("%s\n", res->stop_reason);
	if (rc == -1) {
		warnmsg("%s", err_msg());
		status = EXIT_FAIL;
	} else if (res->nfailed > 0 || res->nother > 0 ||
	    res->nrolledback > 0 || res->ninterrupted > 0 ||
	    (rollback && res->nmanual > 0)) {
		status = EXIT_PARTIAL;
	} else if (res->nmanual > 0) {
		status = EXIT_MANUAL;
	} else {
		status = EXIT_OK;
	}
	deploy_result_release(res);
	return status;
}

/* apply --check: per host what would change, or why it was not read. */
static int
check_report(int rc, struct deploy_result *res)
{
	struct buf t;
	size_t i;
	int status;

	pr_end();
	if (rc == -1) {
		warnmsg("%s", err_msg());
		status = res->bad_input ? EXIT_USAGE : EXIT_FAIL;
		deploy_result_release(res);
		return status;
	}
	buf_init(&t, BUF_MAX_DEFAULT);
	for (i = 0; i < res->nhosts; i++) {
		const struct deploy_hostres *h = &res->hosts[i];

		if (strcmp(h->state, "checked") == 0) {
			const char *l = h->check ? h->check : "", *nl;

			printf("%s: would change:\n", h->name);
			for (; *l; l = *nl ? nl + 1 : nl) {
				char *one;

				nl = l + strcspn(l, "\n");
				one = xstrndup(l, (size_t)(nl - l));
				printf("%s\n", term_text(&t, one));
				free(one);
			}
			continue;
		}
		/* errors start with the host's name */
		if (h->error != NULL)
			printf("%s [%s]\n", term_text(&t, h->error), h->state);
		else
			printf("%s: %s\n", h->name, h->state);
	}
	buf_release(&t);
	printf("%zu checked, %zu drifted or not read, %zu failed; nothing "
	    "was changed\n", res->nchecked, res->nother + res->ninterrupted,
	    res->nfailed);
	status = res->nchecked == res->nhosts ? EXIT_OK : EXIT_PARTIAL;
	deploy_result_release(res);
	return status;
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

/* The approved plan is the plan that runs: refused before anything. */
static int
expect_plan(const char *path, const char *want)
{
	struct buf b;
	char sha[65];
	int rc = -1;

	if (strlen(want) != 64 || strspn(want, "0123456789abcdefABCDEF") != 64) {
		warnmsg("--expect-plan '%s': not a SHA-256 (64 hex digits)", want);
		return -1;
	}
	buf_init(&b, (size_t)1 << 30);
	if (file_read(path, b.max, &b) == -1) {
		warnmsg("%s", err_msg());
		goto out;
	}
	sha256_hex(buf_str(&b), b.len, sha);
	if (strcasecmp(sha, want) != 0) {
		warnmsg("%s: SHA-256 is %s, not the approved %s: not the plan "
		    "that was approved; nothing started", path, sha, want);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

int
cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "window", required_argument, NULL, 'w' },
		{ "canary", required_argument, NULL, 'c' },
		{ "max-fail", required_argument, NULL, 'm' },
		{ "reboot-timeout", required_argument, NULL, 't' },
		{ "reboot-delay", required_argument, NULL, 'd' },
		{ "no-auto-rollback", no_argument, NULL, 'N' },
		{ "limit", required_argument, NULL, 'l' },
		{ "expect-plan", required_argument, NULL, 'E' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		CMD_SSH_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *want = NULL;
	struct deploy_opts o;
	struct transport_opts ssh;
	struct deploy_result res;
	int c, t, rc, bad = 0;

	memset(&o, 0, sizeof(o));
	memset(&ssh, 0, sizeof(ssh));
	o.canary = -1;
	o.reboot_delay_s = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:k:u:h", opts, NULL)) != -1) {
		if ((t = cmd_ssh_opt(c, optarg, &ssh)) != 0) {
			bad |= t < 0;
			continue;
		}
		switch (c) {
		case 'b': o.bundle_dir = optarg; break;
		case 'r': o.run_dir = optarg; break;
		case 'w': o.window = optarg; break;
		case 'c': bad |= cmd_opt_int("canary", optarg, 0, 10000,
			    &o.canary); break;
		case 'm': bad |= cmd_opt_int("max-fail", optarg, 0, 100,
			    &o.max_fail_pct); break;
		case 't': bad |= cmd_opt_int("reboot-timeout", optarg, 1, 86400,
			    &o.reboot_timeout_s); break;
		case 'd': bad |= cmd_opt_int("reboot-delay", optarg, 0, 600,
			    &o.reboot_delay_s); break;
		case 'N': o.no_auto_rollback = 1; break;
		case 'l': o.limit = optarg; break;
		case 'E': want = optarg; break;
		case 'C': o.check = 1; break;
		case 'h': apply_usage(stdout); return EXIT_OK;
		default: apply_usage(stderr); return EXIT_USAGE;
		}
	}
	if (bad || test_kill_after(&o) == -1)
		return EXIT_USAGE;
	cmd_ssh_deploy(&ssh, &o);
	if (optind + 1 != argc || o.bundle_dir == NULL ||
	    (o.run_dir == NULL && !o.check)) {
		apply_usage(stderr);
		return EXIT_USAGE;
	}
	o.plan_path = argv[optind];
	if (want && expect_plan(o.plan_path, want) == -1)
		return EXIT_USAGE;
	cmd_deploy_signals();
	rc = deploy_apply(&o, 0, cmd_deploy_progress, NULL, &res);
	if (o.check)
		return check_report(rc, &res);
	return cmd_deploy_report(rc, &res, 0);
}

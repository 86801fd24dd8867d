/*
 * kbfix discover -i INVENTORY -o OUT.json: fill an inventory (JSON, CSV or
 * AD export; written as JSON) from live hosts over SSH.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/util.h"
#include "transport/transport.h"
#include "plan/plan.h"
#include "discover/discover.h"

static const char usage_text[] =
"usage: kbfix discover -i INVENTORY -o OUT.json [--parallel N]\n"
"           [--known-hosts FILE] [--accept-new] [-k KEYFILE] [-u USER]\n"
"           [--connect-timeout S] [--command-timeout S] [--no-progress]\n"
"           [--skip-invalid]\n"
"           [--since DAYS] [--no-evidence]\n"
"\n"
"Connect to every host of INVENTORY over SSH, in parallel, and\n"
"read OS name, version and architecture, installed updates, the tcpip.sys\n"
"version, the CEIP registry values (local and policy) and RacSampleNumber,\n"
"IPv4 multicast forwarding and pending reboot.  OUT.json is the inventory\n"
"with those fields filled in; every other field, the defaults and the key\n"
"order are kept, and `kbfix plan` reads it.  Hosts that cannot be reached\n"
"keep what the input had and are listed on stderr.  INVENTORY is read and\n"
"checked by the planner's reader before any connection is made: what\n"
"`kbfix plan` refuses, discover refuses (exit 2, the field named).\n"
"A host without wmic.exe (Windows 11 24H2, Server 2025) is discovered\n"
"with a warning naming what was left as it was (tcpip.sys, last_boot) and\n"
"the fix (the WMIC feature on demand).\n"
"\n"
"INVENTORY is JSON when its first byte (after a UTF-8 byte order mark and\n"
"blanks) is '{' or '['; anything else is read as CSV or an Active\n"
"Directory export, as `kbfix plan` reads it (the file name does not\n"
"matter).  OUT.json is always JSON: a CSV's hosts with the facts it held\n"
"(columns the planner does not know are dropped).\n"
"\n"
"  -i, --inventory FILE    inventory to read (JSON, CSV or AD export)\n"
"  -o, --output FILE       inventory to write (may be the same file)\n";

/* After cmd_ssh_usage. */
static const char usage_more[] =
"      --print-command     print the cmd.exe line run on each host, and exit\n"
"      --since DAYS        evidence: read the event logs of the last DAYS\n"
"                          days (30); advisories whose evidence (bug\n"
"                          checks, events, faulting modules) a host's log\n"
"                          shows are added to its `experiencing`\n"
"      --no-evidence       do not read the event logs\n"
"      --skip-invalid      report every bad host of INVENTORY (all of them)\n"
"                          and discover the others; the bad ones are\n"
"                          written back to OUT.json as they were (exit 3)\n"
"      --no-progress       no progress on stderr (by default: a line that\n"
"                          names the hosts still being read and for how\n"
"                          long; timestamped lines off a terminal)\n"
"\n"
"Ctrl-C or SIGTERM stops discover within a second: the hosts already read\n"
"are written to OUT.json, those not finished keep what INVENTORY had and\n"
"are listed on stderr as interrupted; run it again to read them.  A second\n"
"Ctrl-C ends it at once (nothing written).\n"
"\n"
"Exit status: 0 all hosts discovered, 1 runtime failure, 2 bad usage or\n"
"bad inventory, 3 some hosts could not be discovered; interrupted: killed\n"
"by the signal after writing (130 after SIGINT, 143 after SIGTERM).\n";

static void
usage(FILE *f)
{
	fputs(usage_text, f);
	fputs(cmd_ssh_usage, f);
	fputs(usage_more, f);
}

enum { OPT_PRINT = 256, OPT_SINCE, OPT_NOEVIDENCE, OPT_NOPROGRESS,
	OPT_SKIPINVALID };

static const struct option longopts[] = {
	{ "inventory",		required_argument, NULL, 'i' },
	{ "output",		required_argument, NULL, 'o' },
	CMD_SSH_LONGOPTS,
	{ "print-command",	no_argument,	   NULL, OPT_PRINT },
	{ "since",		required_argument, NULL, OPT_SINCE },
	{ "no-evidence",	no_argument,	   NULL, OPT_NOEVIDENCE },
	{ "no-progress",	no_argument,	   NULL, OPT_NOPROGRESS },
	{ "skip-invalid",	no_argument,	   NULL, OPT_SKIPINVALID },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
print_command(void)
{
	struct buf b;

	buf_init(&b, 0);
	if (discover_commands(&b) == -1) {
		warnmsg("discover: %s", err_msg());
		return EXIT_FAIL;
	}
	printf("%s\n", b.data);
	buf_release(&b);
	return EXIT_OK;
}

static int no_progress, skip_invalid;

static int
parse_args(int argc, char **argv, struct transport_opts *o,
    const char **in, const char **out, int *since)
{
	int ch, taken;

	while ((ch = getopt_long(argc, argv, "i:o:p:k:u:h", longopts,
	    NULL)) != -1) {
		if ((taken = cmd_ssh_opt(ch, optarg, o)) == -1)
			return -1;
		if (taken)
			continue;
		switch (ch) {
		case 'i': *in = optarg; break;
		case 'o': *out = optarg; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case OPT_PRINT:
			exit(print_command());
		case OPT_SINCE:
			if (cmd_opt_int("since", optarg, 1, 3650, &ch) == -1)
				return -1;
			*since = *since == -1 ? -1 : ch;
			break;
		case OPT_NOEVIDENCE:
			*since = -1;
			break;
		case OPT_NOPROGRESS:
			no_progress = 1;
			break;
		case OPT_SKIPINVALID:
			skip_invalid = 1;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || *in == NULL || *out == NULL) {
		warnmsg("discover: -i INVENTORY and -o OUT.json are required, "
		    "and nothing else");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* What the event logs showed, one line a host with evidence or none. */
static void
report_evidence(const struct discover *d)
{
	const struct evidence_host *ev;
	size_t i;

	for (i = 0; i < discover_nhosts(d); i++) {
		if ((ev = discover_host_evidence(d, i)) == NULL)
			continue;
		if (ev->unknown)
			warnmsg("%s: evidence unknown: %s",
			    discover_host_name(d, i), ev->error);
		else if (ev->n > 0)
			fprintf(stderr, "kbfix: discover: %s: %zu event(s) in "
			    "its logs point to an advisory\n",
			    discover_host_name(d, i),
			    discover_evidence_nevents(ev));
	}
}

/*
 * Progress per host: on a terminal one line, redrawn, naming the hosts
 * still being read, longest first, with their time; off a terminal a
 * timestamped line as each host ends and, every WAIT_LINE_MS, one naming
 * the hosts still being read.
 */
#define WAIT_SHOWN	3
#define WAIT_LINE_MS	5000

struct shown {
	int		 tty;
	int		 on_line;
	int64_t		 last_line;
};

/* "h003 (reading, 12 s), h007 (connecting, 3 s) and 4 more" */
static void
waiting(const struct discover *d, struct buf *b)
{
	size_t i, k, n = discover_nhosts(d), shown = 0, more = 0;
	int64_t ms, best;
	const char *what;
	char *taken = xcalloc(n + 1, 1);

	for (k = 0; k < WAIT_SHOWN; k++) {
		size_t pick = n;
		best = -1;
		for (i = 0; i < n; i++)
			if (!taken[i] && discover_host_elapsed(d, i, &ms,
			    &what) && ms > best) {
				best = ms;
				pick = i;
			}
		if (pick == n)
			break;
		taken[pick] = 1;
		discover_host_elapsed(d, pick, &ms, &what);
		buf_addf(b, "%s%s (%s, %lld s)", shown++ ? ", " : "",
		    discover_host_name(d, pick), what, (long long)(ms / 1000));
	}
	for (i = 0; i < n; i++)
		more += !taken[i] && discover_host_elapsed(d, i, &ms, &what);
	if (more)
		buf_addf(b, " and %zu more", more);
	free(taken);
}

static void
progress(const struct discover *d, const struct discover_progress *p,
    void *arg)
{
	struct shown *sh = arg;
	const char *err;
	struct buf b;

	buf_init(&b, 0);
	buf_addf(&b, "discover: %zu/%zu host(s) done, %zu failed",
	    p->done, p->total, p->failed);
	if (p->done < p->total) {
		buf_adds(&b, "; reading ");
		waiting(d, &b);
	}
	if (sh->tty) {
		fprintf(stderr, "\r%s\033[K", buf_str(&b));
		sh->on_line = 1;
		if (p->done == p->total) {
			fputc('\n', stderr);
			sh->on_line = 0;
		}
	} else if (p->ended >= 0) {
		err = discover_host_error(d, (size_t)p->ended);
		cmd_progress_line("discover: %s: %s (%zu/%zu)",
		    discover_host_name(d, (size_t)p->ended), err ? "failed" :
		    "discovered", p->done, p->total);
	} else if (time_now_ms() - sh->last_line >= WAIT_LINE_MS) {
		sh->last_line = time_now_ms();
		cmd_progress_line("%s", buf_str(&b));
	}
	buf_release(&b);
}

static int
report(const struct discover *d)
{
	size_t i, ok = 0, bad = 0, skipped = 0;

	report_evidence(d);
	for (i = 0; i < discover_nhosts(d); i++) {
		if (discover_host_skipped(d, i))
			skipped++;
		else if (discover_host_error(d, i) != NULL) {
			warnmsg("%s", discover_host_error(d, i));
			bad++;
		} else {
			if (discover_host_warning(d, i) != NULL)
				warnmsg("warning: %s",
				    discover_host_warning(d, i));
			ok++;
		}
	}
	fprintf(stderr, "kbfix: discover: %zu host(s) discovered, %zu failed"
	    ", %zu skipped (transport manual)\n", ok, bad, skipped);
	if (bad == 0)
		return EXIT_OK;
	return EXIT_PARTIAL;
}

int
cmd_discover(int argc, char **argv)
{
	struct transport_opts o;
	struct discover *d;
	struct advisory_set *set = NULL;
	struct shown sh = { isatty(STDERR_FILENO), 0, 0 };
	struct discover_hooks hooks = { NULL, progress, &sh };
	const char *in = NULL, *out = NULL;
	const struct plan_inventory *inv;
	size_t i;
	int rc, failed, since = DISCOVER_EVIDENCE_DAYS;

	memset(&o, 0, sizeof(o));
	if (parse_args(argc, argv, &o, &in, &out, &since) == -1)
		return EXIT_USAGE;
	if ((d = discover_load(in, skip_invalid ? PLAN_INV_SKIP_INVALID :
	    0)) == NULL) {
		warnmsg("discover: %s", err_msg());
		return EXIT_USAGE;
	}
	inv = discover_inventory(d);
	for (i = 0; i < inv->nskipped; i++)
		warnmsg("discover: skipped: %s", inv->skipped[i]);
	if (since > 0 && (set = plan_advisory_builtin()) != NULL)
		discover_set_evidence(d, set, (int64_t)since * 86400000,
		    DISCOVER_EVIDENCE_COUNT);
	sh.last_line = time_now_ms();
	if (no_progress)
		hooks.progress = NULL;
	hooks.stop = cmd_interrupt_catch();
	if ((failed = discover_run(d, &o, &hooks)) == -1) {
		warnmsg("discover: %s", err_msg());
		discover_free(d);
		plan_advisory_set_free(set);
		return EXIT_FAIL;
	}
	if (sh.on_line)
		fputc('\n', stderr);
	rc = report(d);
	if (inv->nskipped > 0) {
		warnmsg("discover: %s: %zu host(s) skipped (--skip-invalid), "
		    "written back as they were", in, inv->nskipped);
		rc = rc == EXIT_OK ? EXIT_PARTIAL : rc;
	}
	if (discover_write(d, out) == -1) {
		warnmsg("discover: %s", err_msg());
		rc = EXIT_FAIL;
	} else if (discover_interrupted(d))
		warnmsg("discover: %s: stopped; %s written with the hosts "
		    "read so far, run it again for the others",
		    cmd_interrupt_name(), out);
	discover_free(d);
	plan_advisory_set_free(set);
	cmd_interrupt_exit();
	return rc;
}

/*
 * kbfix evidence RUN_DIR [--since DAYS] [--json]: did the fix work?  The
 * options in, discover_evidence_run_*() (discover/evidence_run.c) to read
 * the run's hosts again and report, the exit status out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover/discover.h"

static const char usage_text[] =
"usage: kbfix evidence RUN_DIR [--since DAYS] [--json] [--count N]\n"
"           [--advisories DIR]\n"
"           [--parallel N] [--known-hosts FILE] [--accept-new] [-k KEYFILE]\n"
"           [-u USER] [--connect-timeout S] [--command-timeout S]\n"
"\n"
"Read the System and Application event logs of every host of the run in\n"
"RUN_DIR again (wevtutil over SSH, as discover does) and report, for each\n"
"advisory and host, the events that point to the advisory (bug checks,\n"
"AFD 16002, W3SVC stuck stopping, crashes in ws2_32.dll: the advisory's\n"
"\"evidence\"): before the run (the DAYS before it started), during it,\n"
"and after the host was fixed, per day.  A host fixed by the run that\n"
"crashed again afterwards is flagged CRASHED AGAIN.  A host whose log\n"
"cannot be read is \"evidence unknown\", never \"no crash\".  The JSON\n"
"document is also written to RUN_DIR/evidence.json (each time), which\n"
"`kbfix report RUN_DIR` embeds in the post-implementation review.\n"
"\n"
"      --since DAYS        days before the run to look at (30)\n"
"      --count N           events read per log and host at most (200)\n"
"      --advisories DIR    more advisories (their \"evidence\"), as for plan\n"
"      --json              a kbfix-evidence/1 document on stdout\n";

static const char exit_text[] =
"\n"
"Exit status: 0 every host read, 1 runtime failure, 2 bad usage or a bad\n"
"run directory, 3 some hosts' evidence unknown.\n";

enum { OPT_SINCE = 256, OPT_JSON, OPT_COUNT, OPT_ADV };

static void
usage(FILE *f)
{
	fputs(usage_text, f);
	fputs(cmd_ssh_usage, f);
	fputs(exit_text, f);
}

static const struct option longopts[] = {
	{ "since",		required_argument, NULL, OPT_SINCE },
	{ "count",		required_argument, NULL, OPT_COUNT },
	{ "json",		no_argument,	   NULL, OPT_JSON },
	{ "advisories",		required_argument, NULL, OPT_ADV },
	CMD_SSH_LONGOPTS,
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct eargs {
	struct transport_opts o;
	const char	*run_dir, *advisories;
	int		 since_days, count, json;
};

static int
parse_args(int argc, char **argv, struct eargs *a)
{
	int ch, s;

	memset(a, 0, sizeof(*a));
	a->since_days = DISCOVER_EVIDENCE_DAYS;
	a->count = DISCOVER_EVIDENCE_COUNT;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:k:u:h", longopts, NULL)) != -1) {
		if ((s = cmd_ssh_opt(ch, optarg, &a->o)) != 0) {
			if (s == -1)
				return -1;
			continue;
		}
		switch (ch) {
		case OPT_SINCE:
			if (cmd_opt_int("since", optarg, 1, 3650,
			    &a->since_days) == -1)
				return -1;
			break;
		case OPT_COUNT:
			if (cmd_opt_int("count", optarg, 1,
			    TRANSPORT_WINEVENT_MAX, &a->count) == -1)
				return -1;
			break;
		case OPT_JSON: a->json = 1; break;
		case OPT_ADV: a->advisories = optarg; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind + 1 != argc) {
		warnmsg("evidence: one RUN_DIR, and nothing else");
		usage(stderr);
		return -1;
	}
	a->run_dir = argv[optind];
	return 0;
}

/* One timestamped line a host as it is read. */
static void
progress(const char *name, const struct evidence_host *ev, void *arg)
{
	char now[21];

	(void)arg;
	time_iso8601((int64_t)time(NULL), now);
	if (ev->unknown)
		fprintf(stderr, "%s evidence: %s: unknown (%s)\n", now, name,
		    ev->error);
	else
		fprintf(stderr, "%s evidence: %s: %zu event(s) point to an "
		    "advisory\n", now, name, discover_evidence_nevents(ev));
}

/* RUN_DIR/evidence.json, the document `kbfix report RUN_DIR` embeds. */
static int
save(const struct evidence_run *r, const char *run_dir)
{
	struct buf doc;
	char *path = xasprintf("%s/" PLAN_REVIEW_EVIDENCE_FILE, run_dir);
	int rc;

	buf_init(&doc, BUF_MAX_DEFAULT);
	rc = discover_evidence_run_json(r, &doc);
	if (rc == 0)
		rc = file_write_atomic(path, doc.data, doc.len, 0644);
	buf_release(&doc);
	free(path);
	return rc;
}

int
cmd_evidence(int argc, char **argv)
{
	struct eargs a;
	struct evidence_run *r = NULL;
	struct advisory_set *set = NULL;
	struct buf out;
	int rc = EXIT_USAGE;

	buf_init(&out, BUF_MAX_DEFAULT);
	if (parse_args(argc, argv, &a) == -1)
		goto out;
	if ((set = cmd_load_advisories(a.advisories)) == NULL ||
	    (r = discover_evidence_run_load(a.run_dir, set,
	    a.since_days)) == NULL) {
		warnmsg("evidence: %s", err_msg());
		goto out;
	}
	rc = EXIT_FAIL;
	if (discover_evidence_run_read(r, &a.o, (unsigned)a.count, progress,
	    NULL) == -1 || save(r, a.run_dir) == -1 ||
	    (a.json ? discover_evidence_run_json(r, &out) :
	    discover_evidence_run_text(r, &out)) == -1) {
		warnmsg("evidence: %s", err_msg());
		goto out;
	}
	fwrite(buf_str(&out), 1, out.len, stdout);
	rc = discover_evidence_run_unknown(r) > 0 ? EXIT_PARTIAL : EXIT_OK;
out:
	buf_release(&out);
	discover_evidence_run_free(r);
	plan_advisory_set_free(set);
	return rc;
}

/*
 * kbfix discover -i INVENTORY -o OUT.json: fill an inventory (JSON, CSV or
 * AD export; written as JSON) from live hosts over SSH.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/util.h"
#include "transport/transport.h"
#include "plan/plan.h"
#include "discover/discover.h"

static const char usage_text[] =
"usage: kbfix discover -i INVENTORY -o OUT.json [--parallel N]\n"
"           [--known-hosts FILE] [--accept-new] [-k KEYFILE] [-u USER]\n"
"           [--connect-timeout S] [--command-timeout S]\n"
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
"\n"
"INVENTORY is JSON when its first byte (after a UTF-8 byte order mark and\n"
"blanks) is '{' or '['; anything else is read as CSV or an Active\n"
"Directory export, as `kbfix plan` reads it (the file name does not\n"
"matter).  OUT.json is always JSON: a CSV's hosts with the facts it held\n"
"(columns the planner does not know are dropped).\n"
"\n"
"  -i, --inventory FILE    inventory to read (JSON, CSV or AD export)\n"
"  -o, --output FILE       inventory to write (may be the same file)\n"
"  -p, --parallel N        open at most N connections at a time (32)\n"
"      --known-hosts FILE  OpenSSH known_hosts (~/.ssh/known_hosts); an\n"
"                          unknown or changed host key is refused\n"
"      --accept-new        trust unknown host keys and record them\n"
"  -k, --key FILE          private key (default: ssh-agent)\n"
"  -u, --user USER         user for hosts without one (default: $USER)\n"
"      --connect-timeout S per host connect timeout in seconds (10)\n"
"      --command-timeout S per host command timeout in seconds (600)\n"
"      --print-command     print the cmd.exe line run on each host, and exit\n"
"      --since DAYS        evidence: read the event logs of the last DAYS\n"
"                          days (30); advisories whose evidence (bug\n"
"                          checks, events, faulting modules) a host's log\n"
"                          shows are added to its `experiencing`\n"
"      --no-evidence       do not read the event logs\n"
"\n"
"Exit status: 0 all hosts discovered, 1 runtime failure, 2 bad usage or\n"
"bad inventory, 3 some hosts could not be discovered.\n";

enum { OPT_KNOWN = 256, OPT_ACCEPT, OPT_CTIMEOUT, OPT_XTIMEOUT, OPT_PRINT,
	OPT_SINCE, OPT_NOEVIDENCE };

static const struct option longopts[] = {
	{ "inventory",		required_argument, NULL, 'i' },
	{ "output",		required_argument, NULL, 'o' },
	{ "parallel",		required_argument, NULL, 'p' },
	{ "known-hosts",	required_argument, NULL, OPT_KNOWN },
	{ "accept-new",		no_argument,	   NULL, OPT_ACCEPT },
	{ "key",		required_argument, NULL, 'k' },
	{ "user",		required_argument, NULL, 'u' },
	{ "connect-timeout",	required_argument, NULL, OPT_CTIMEOUT },
	{ "command-timeout",	required_argument, NULL, OPT_XTIMEOUT },
	{ "print-command",	no_argument,	   NULL, OPT_PRINT },
	{ "since",		required_argument, NULL, OPT_SINCE },
	{ "no-evidence",	no_argument,	   NULL, OPT_NOEVIDENCE },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
seconds(const char *opt, const char *arg, int *ms)
{
	int s;

	if (parse_int(arg, 1, 86400, &s) == -1) {
		warnmsg("discover: %s: '%s' is not a number of seconds (1 to "
		    "86400)", opt, arg);
		return -1;
	}
	*ms = s * 1000;
	return 0;
}

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

static int
parse_args(int argc, char **argv, struct transport_opts *o,
    const char **in, const char **out, int *since)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "i:o:p:k:u:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i': *in = optarg; break;
		case 'o': *out = optarg; break;
		case 'k': o->key_file = optarg; break;
		case 'u': o->user = optarg; break;
		case OPT_KNOWN: o->known_hosts = optarg; break;
		case OPT_ACCEPT: o->accept_new = 1; break;
		case 'p':
			if (parse_int(optarg, 1, 10000, &o->parallel) == -1) {
				warnmsg("discover: --parallel: '%s' is not a "
				    "number from 1 to 10000", optarg);
				return -1;
			}
			break;
		case OPT_CTIMEOUT:
			if (seconds("--connect-timeout", optarg,
			    &o->connect_timeout_ms) == -1)
				return -1;
			break;
		case OPT_XTIMEOUT:
			if (seconds("--command-timeout", optarg,
			    &o->command_timeout_ms) == -1)
				return -1;
			break;
		case 'h':
			fputs(usage_text, stdout);
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
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc || *in == NULL || *out == NULL) {
		warnmsg("discover: -i INVENTORY and -o OUT.json are required, "
		    "and nothing else");
		fputs(usage_text, stderr);
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
		} else
			ok++;
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
	const char *in = NULL, *out = NULL;
	int rc, failed, since = DISCOVER_EVIDENCE_DAYS;

	memset(&o, 0, sizeof(o));
	if (parse_args(argc, argv, &o, &in, &out, &since) == -1)
		return EXIT_USAGE;
	if ((d = discover_load(in)) == NULL) {
		warnmsg("discover: %s", err_msg());
		return EXIT_USAGE;
	}
	if (since > 0 && (set = plan_advisory_builtin()) != NULL)
		discover_set_evidence(d, set, (int64_t)since * 86400000,
		    DISCOVER_EVIDENCE_COUNT);
	if ((failed = discover_run(d, &o)) == -1) {
		warnmsg("discover: %s", err_msg());
		discover_free(d);
		plan_advisory_set_free(set);
		return EXIT_FAIL;
	}
	rc = report(d);
	if (discover_write(d, out) == -1) {
		warnmsg("discover: %s", err_msg());
		rc = EXIT_FAIL;
	}
	discover_free(d);
	plan_advisory_set_free(set);
	return rc;
}

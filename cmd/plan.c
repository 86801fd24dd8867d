/*
 * kbfix plan: an inventory and the advisories in, a remediation plan or a
 * dry-run report out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plan/plan.h"
#include "cmd/cmd.h"

static const char plan_usage[] =
    "usage: kbfix plan -i INVENTORY [-o FILE] [--format text|json|markdown|html|csv]\n"
    "                  [--prefer channel|minimal|latest] [--window START/DURATION]\n"
    "                  [--hotfix-policy evidence|exposed] [--advisories DIR]\n"
    "                  [--supersede DIR] [--created TIME] [--skip-invalid]\n"
    "\n"
    "Decides, for every host of INVENTORY (JSON, CSV or an Active Directory\n"
    "export), which advisories apply and what fixes them, and prints a report\n"
    "(text by default) or writes the plan (-o FILE: JSON by default, written\n"
    "atomically).  --prefer channel follows the host's servicing channel,\n"
    "minimal adds the smallest package, latest the newest update with the fix.\n"
    "--hotfix-policy evidence (default, Microsoft's guidance) plans the hotfixes\n"
    "KB976527, KB979278 and KB943650 only for hosts whose inventory entry says\n"
    "they experience the problem (experiencing: [\"wfp-two-callouts\"], or\n"
    "events in the evidence discover read); other exposed hosts are reported\n"
    "as exposed.  exposed plans them on exposure.  With discover's evidence,\n"
    "findings say \"experiencing: 3 bug checks 0xD1 in the last 30 days\",\n"
    "\"exposed, no crash seen\" or \"evidence unknown\", reports count them\n"
    "per advisory, and experiencing hosts come first in the wave order.\n"
    "--window 2026-11-21T22:00:00Z/4h (or now/90m; durations 90m, 4h, 1h30m,\n"
    "2d, 3600s, 3600, PT4H, up to 31 days) records the maintenance window.\n"
    "--advisories DIR adds (or replaces by id) advisory files.  --supersede DIR\n"
    "adds supersedence data (kbfix supersede --refresh -o DIR writes it) to the\n"
    "built-in data: an installed or superseded update known to contain a fix\n"
    "makes the host fixed.  --created or\n"
    "KBFIX_NOW fixes the plan's timestamp (reproducible output).\n"
    "--skip-invalid plans the hosts that read well and reports every bad one\n"
    "(bad field, duplicate name or address) on stderr, exit status 3; without\n"
    "it one bad host refuses the inventory (exit 2).  Host names must be unique\n"
    "regardless of case; two hosts on one address and port need\n"
    "\"shared_address\": true on both (a warning).\n"
    "Reboot groups: a host's \"group\"; a JSON inventory's top-level\n"
    "\"groups\": {\"web\": {\"max_unavailable\": \"25%\"}} (a count or a\n"
    "percentage of the members, rounded down, at least 1; default 1) lets that\n"
    "many members share a wave and restart at once (apply and the export hold\n"
    "it too): 40 members at 25% plan in 4 waves.\n";

struct advisory_set *
cmd_load_advisories(const char *dir)
{
	struct advisory_set *set = plan_advisory_builtin();

	if (set == NULL)
		return NULL;
	if (dir && plan_advisory_load_dir(set, dir) == -1) {
		plan_advisory_set_free(set);
		return NULL;
	}
	return set;
}

struct plan_supersede *
cmd_load_supersede(const char *dir)
{
	struct plan_supersede *s = plan_supersede_builtin();

	if (s == NULL)
		return NULL;
	if (dir && plan_supersede_load_dir(s, dir) == -1) {
		plan_supersede_free(s);
		return NULL;
	}
	return s;
}

/* --created TIME or KBFIX_NOW, checked; NULL: now. */
int
cmd_created(const char *arg, char out[21], const char **created)
{
	int64_t t;

	*created = NULL;
	if (arg == NULL)
		arg = getenv("KBFIX_NOW");
	if (arg == NULL || *arg == '\0')
		return 0;
	if (time_parse_iso8601(arg, &t) == -1) {
		warnmsg("--created/KBFIX_NOW: %s", err_msg());
		return -1;
	}
	time_iso8601(t, out);
	*created = out;
	return 0;
}

int
cmd_write_output(const char *path, struct buf *b)
{
	if (path == NULL) {
		if (fwrite(b->data, 1, b->len, stdout) != b->len ||
		    fflush(stdout) != 0) {
			warnmsg("stdout: write failed");
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (file_write_atomic(path, b->data, b->len, 0644) == -1) {
		warnmsg("%s", err_msg());
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
sink_stdout(void *arg, const char *data, size_t len)
{
	(void)arg;
	if (fwrite(data, 1, len, stdout) != len) {
		err_set("stdout: write failed");
		return -1;
	}
	return 0;
}

struct plan_args {
	const char	*inventory, *output, *format, *advisories, *created;
	const char	*supersede;
	int		 skip_invalid;
	const char	*window;
	char		 window_start[21];
	struct plan_options opt;
};

static int
plan_getopt(int argc, char **argv, struct plan_args *a)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "prefer", required_argument, NULL, 'p' },
		{ "hotfix-policy", required_argument, NULL, 'H' },
		{ "window", required_argument, NULL, 'w' },
		{ "advisories", required_argument, NULL, 'a' },
		{ "supersede", required_argument, NULL, 's' },
		{ "skip-invalid", no_argument, NULL, 'S' },
		{ "created", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:o:f:h", opts, NULL)) != -1)
		switch (c) {
		case 'i': a->inventory = optarg; break;
		case 'o': a->output = optarg; break;
		case 'f': a->format = optarg; break;
		case 'a': a->advisories = optarg; break;
		case 's': a->supersede = optarg; break;
		case 'S': a->skip_invalid = 1; break;
		case 'c': a->created = optarg; break;
		case 'p':
			if (plan_prefer_parse(optarg, &a->opt.prefer) == -1) {
				warnmsg("--prefer: %s", err_msg());
				return EXIT_USAGE;
			}
			break;
		case 'w':
			a->window = optarg;
			break;
		case 'H':
			if (plan_hotfix_policy_parse(optarg,
			    &a->opt.hotfix_policy) == -1) {
				warnmsg("--hotfix-policy: %s", err_msg());
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(plan_usage, stdout);
			return -1;
		default:
			fputs(plan_usage, stderr);
			return EXIT_USAGE;
		}
	if (a->inventory == NULL || optind != argc) {
		fputs(plan_usage, stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* --window, "now" being the plan's creation time. */
static int
plan_window_opt(struct plan_args *a)
{
	int64_t now = (int64_t)time(NULL), start;

	if (a->window == NULL)
		return 0;
	if (a->opt.created != NULL &&
	    time_parse_iso8601(a->opt.created, &now) == -1)
		return -1;
	if (plan_window_parse(a->window, now, &start,
	    &a->opt.window_duration_s) == -1) {
		warnmsg("--window: %s", err_msg());
		return -1;
	}
	time_iso8601(start, a->window_start);
	a->opt.window_start = a->window_start;
	/* the offset the operator wrote, for the reports' local times */
	if (strncmp(a->window, "now", 3) != 0) {
		char *st = xstrndup(a->window, strcspn(a->window, "/"));
		int64_t t;

		(void)time_parse_iso8601_off(st, &t, &a->opt.window_offset_s);
		free(st);
	}
	return 0;
}

/* An experiencing entry no advisory has is a typo: say so (10 at most). */
static void
warn_experiencing(const struct plan_inventory *inv,
    const struct advisory_set *set)
{
	size_t i, j, n = 0;

	for (i = 0; i < inv->nhosts; i++)
		for (j = 0; j < inv->hosts[i].nexperiencing; j++) {
			const char *id = inv->hosts[i].experiencing[j];

			if (plan_advisory_find(set, id) != NULL || n++ >= 10)
				continue;
			warnmsg("warning: %s: %s: experiencing names '%s', "
			    "which no advisory has (kbfix advisories lists "
			    "them)", inv->name, inv->hosts[i].name, id);
		}
}

int
cmd_plan(int argc, char **argv)
{
	struct plan_args a = { 0 };
	struct plan_report_ctx ctx = { NULL, NULL, 0 };
	struct plan_inventory *inv = NULL;
	struct advisory_set *set = NULL;
	struct plan_supersede *sup = NULL;
	struct plan *p = NULL;
	enum plan_format fmt;
	struct buf out;
	char created[21];
	size_t i;
	int rc;

	buf_init(&out, BUF_MAX_DEFAULT);
	if ((rc = plan_getopt(argc, argv, &a)) != EXIT_OK) {
		rc = rc == -1 ? EXIT_OK : rc;
		goto out;
	}
	rc = EXIT_USAGE;
	if (plan_format_parse(a.format ? a.format : a.output ? "json" : "text",
	    &fmt) == -1) {
		warnmsg("--format: %s", err_msg());
		goto out;
	}
	if (cmd_created(a.created, created, &a.opt.created) == -1 ||
	    plan_window_opt(&a) == -1)
		goto out;
	if ((set = cmd_load_advisories(a.advisories)) == NULL ||
	    (sup = cmd_load_supersede(a.supersede)) == NULL ||
	    (inv = plan_inventory_read_flags(a.inventory, a.skip_invalid ?
	    PLAN_INV_SKIP_INVALID : 0)) == NULL) {
		warnmsg("%s", err_msg());
		goto out;
	}
	for (i = 0; i < inv->nwarnings; i++)
		warnmsg("warning: %s", inv->warnings[i]);
	warn_experiencing(inv, set);
	for (i = 0; i < inv->nskipped; i++)
		warnmsg("skipped: %s", inv->skipped[i]);
	if (inv->nskipped)
		warnmsg("%s: %zu host(s) skipped (--skip-invalid), %zu planned",
		    a.inventory, inv->nskipped, inv->nhosts);
	a.opt.supersede = sup;
	p = plan_build(inv, set, &a.opt);
	if (fmt == PLAN_FORMAT_JSON && a.output == NULL) {
		/* to stdout a piece at a time: a large plan never sits in memory */
		rc = inv->nskipped ? EXIT_PARTIAL : EXIT_OK;
		if (plan_write_json_stream(p, sink_stdout, NULL) == -1 ||
		    fflush(stdout) != 0) {
			warnmsg("%s", err_msg());
			rc = EXIT_FAIL;
		}
		goto out;
	}
	ctx.color = a.output == NULL && cmd_color();
	if (plan_report_for(p, fmt, &ctx, &out) == -1) {
		warnmsg("%s", err_msg());
		rc = EXIT_FAIL;
		goto out;
	}
	rc = cmd_write_output(a.output, &out);
	if (rc == EXIT_OK && inv->nskipped)
		rc = EXIT_PARTIAL;
out:
	buf_release(&out);
	plan_free(p);
	plan_inventory_free(inv);
	plan_advisory_set_free(set);
	plan_supersede_free(sup);
	return rc;
}

/*
 * kbfix evidence RUN_DIR [--since DAYS] [--json]: did the fix work?  The
 * event logs of the run's hosts read again (discover/evidence.c), and per
 * advisory and host the crashes before the run (the --since days before
 * it started), during it, and after the host was fixed, per day; a host
 * that crashed again after being fixed is flagged.
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
#include "rollback/rollback.h"
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
"cannot be read is \"evidence unknown\", never \"no crash\".\n"
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

struct ehost {
	const struct plan_host *ph;
	const char	*state;		/* the journal's end state, or NULL */
	int64_t		 fixed;		/* when it reached done (s), or 0 */
	int		 manual;
	struct evidence_host ev;
	struct transport_conn *conn;
};

struct erun {
	struct plan	*plan;
	struct advisory_set *set;
	struct ehost	*hosts;
	size_t		 n;
	int64_t		 start, since, now;	/* seconds */
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

static struct ehost *
find_host(struct erun *r, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < r->n; i++)
		if (strcmp(r->hosts[i].ph->name, name) == 0)
			return &r->hosts[i];
	return NULL;
}

/* The run's start and each host's end state and time, from the journal. */
static int
read_journal(struct erun *r, const char *run_dir)
{
	struct rollback_log log;
	const struct rollback_rec *rec;
	struct ehost *h;
	size_t i;

	if (rollback_log_read(run_dir, &log) == -1)
		return -1;
	r->start = 0;
	for (i = 0; i < log.nrecs; i++) {
		rec = &log.recs[i];
		if (rec->ev == RB_EV_BEGIN && r->start == 0)
			r->start = rec->at_ms / 1000;
		if (rec->ev != RB_EV_STATE || (h = find_host(r, rec->host)) ==
		    NULL)
			continue;
		/* the journal's strings go with the log: keep a static name */
		h->state = strcmp(rec->state, "done") == 0 ? "done" :
		    strcmp(rec->state, "rolled-back") == 0 ? "rolled-back" :
		    "not fixed";
		h->fixed = strcmp(rec->state, "done") == 0 ? rec->at_ms / 1000 : 0;
	}
	rollback_log_release(&log);
	if (r->start == 0) {
		err_set("%s: the journal records no run", run_dir);
		return -1;
	}
	return 0;
}

static int
load_run(struct erun *r, const struct eargs *a)
{
	char *path = xasprintf("%s/plan.json", a->run_dir);
	size_t i;

	memset(r, 0, sizeof(*r));
	r->plan = plan_read(path);
	free(path);
	if (r->plan == NULL)
		return -1;
	r->n = r->plan->nhosts;
	r->hosts = xcalloc(r->n + 1, sizeof(*r->hosts));
	for (i = 0; i < r->n; i++) {
		r->hosts[i].ph = &r->plan->hosts[i];
		r->hosts[i].manual = r->plan->hosts[i].transport != NULL &&
		    strcmp(r->plan->hosts[i].transport, "manual") == 0;
	}
	if (read_journal(r, a->run_dir) == -1 ||
	    (r->set = cmd_load_advisories(a->advisories)) == NULL)
		return -1;
	r->now = (int64_t)time(NULL);
	r->since = r->start - (int64_t)a->since_days * 86400;
	return 0;
}

static void
run_free(struct erun *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		discover_evidence_host_release(&r->hosts[i].ev);
	free(r->hosts);
	plan_advisory_set_free(r->set);
	plan_free(r->plan);
}

/* Reading: one connection a host, both queries on it. */

static void
progress(const char *name, const struct evidence_host *ev)
{
	char now[21];

	time_iso8601((int64_t)time(NULL), now);
	if (ev->unknown)
		fprintf(stderr, "%s evidence: %s: unknown (%s)\n", now, name,
		    ev->error);
	else
		fprintf(stderr, "%s evidence: %s: %zu event(s) point to an "
		    "advisory\n", now, name, discover_evidence_nevents(ev));
}

static void
on_read(struct evidence_host *ev, void *arg)
{
	struct ehost *h = arg;

	progress(h->ph->name, ev);
	transport_close(h->conn);
	h->conn = NULL;
}

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct ehost *h = arg;

	(void)c;
	if (!ok && !h->ev.unknown) {
		h->ev.unknown = 1;
		h->ev.error = xstrdup(error);
	}
}

static int
read_hosts(struct erun *r, const struct eargs *a)
{
	struct transport *t;
	struct ehost *h;
	int64_t within = (r->now - r->since) * 1000;
	size_t i;

	if ((t = transport_new(&a->o)) == NULL)
		return -1;
	for (i = 0; i < r->n; i++) {
		h = &r->hosts[i];
		if (h->manual) {
			h->ev.unknown = 1;
			h->ev.error = xstrdup("transport manual: not contacted");
			continue;
		}
		h->conn = transport_connect(t, h->ph->name, h->ph->address ?
		    h->ph->address : h->ph->name, h->ph->port ? h->ph->port : 22,
		    h->ph->user, on_connect, h);
		if (h->conn == NULL || discover_evidence_read(h->conn, r->set,
		    within, (unsigned)a->count, &h->ev, on_read, h) == -1) {
			h->ev.unknown = 1;
			h->ev.error = xstrdup(err_msg());
			transport_close(h->conn);
			h->conn = NULL;
		}
	}
	if (transport_run(t) == -1) {
		transport_free(t);
		return -1;
	}
	transport_free(t);
	return 0;
}

/* Reporting. */

enum when { BEFORE, DURING, AFTER, OLDER };

static enum when
when_of(const struct erun *r, const struct ehost *h, int64_t t)
{
	if (t < r->since)
		return OLDER;
	if (t < r->start)
		return BEFORE;
	if (h->fixed ? t >= h->fixed : t >= r->start)
		return AFTER;
	return DURING;
}

/* The run set out to fix adv on h: the plan found h affected by it. */
static int
planned(const struct ehost *h, const char *adv)
{
	size_t i;

	for (i = 0; i < h->ph->nfindings; i++)
		if (strcmp(h->ph->findings[i].advisory, adv) == 0)
			return h->ph->findings[i].state == FINDING_AFFECTED;
	return 0;
}

/* "bug check 0xD1", "AFD 16002", "Service Control Manager 7011 (W3SVC)" */
static void
describe(struct buf *b, const struct evidence_item *it)
{
	if (it->bugcheck)
		buf_addf(b, "bug check 0x%X", it->bugcheck);
	else {
		buf_addf(b, "%s %u", it->provider, it->id);
		if (it->module[0])
			buf_addf(b, " (%s)", it->module);
	}
}

static size_t
count_when(const struct erun *r, const struct ehost *h, const char *adv,
    enum when w)
{
	size_t i, n = 0;

	for (i = 0; i < h->ev.n; i++)
		n += strcmp(h->ev.items[i].advisory, adv) == 0 &&
		    when_of(r, h, h->ev.items[i].time) == w;
	return n;
}

static int
in_slice(const struct erun *r, const struct ehost *h,
    const struct evidence_item *it, const char *adv, enum when w,
    const char *day)
{
	char iso[21];

	time_iso8601(it->time, iso);
	return strcmp(it->advisory, adv) == 0 && when_of(r, h, it->time) == w &&
	    (day == NULL || strncmp(iso, day, 10) == 0);
}

/* "2 bug check 0xD1, 1 AFD 16002" for the items of adv in w (and day). */
static void
summary(struct buf *b, const struct erun *r, const struct ehost *h,
    const char *adv, enum when w, const char *day)
{
	char *desc[32];
	size_t cnt[32], nd = 0, i, j;
	struct buf d;

	for (i = 0; i < h->ev.n; i++) {
		if (!in_slice(r, h, &h->ev.items[i], adv, w, day))
			continue;
		buf_init(&d, 256);
		describe(&d, &h->ev.items[i]);
		for (j = 0; j < nd && strcmp(desc[j], buf_str(&d)) != 0; j++)
			;
		if (j < nd)
			cnt[j]++;
		else if (nd < sizeof(desc) / sizeof(desc[0])) {
			cnt[nd] = 1;
			desc[nd++] = xstrdup(buf_str(&d));
		}
		buf_release(&d);
	}
	for (j = 0; j < nd; j++) {
		buf_addf(b, "%s%zu ", j ? ", " : "", cnt[j]);
		buf_add_term(b, desc[j]);
		free(desc[j]);
	}
}

/* After the fix, per day: "2026-12-02: 1 bug check 0xD1; 2026-12-03: ..." */
static void
after_days(struct buf *b, const struct erun *r, const struct ehost *h,
    const char *adv)
{
	char iso[21], day[11], last[11] = "";
	size_t i;

	/* items are newest first (wevtutil /rd:true) */
	for (i = 0; i < h->ev.n; i++) {
		if (strcmp(h->ev.items[i].advisory, adv) ||
		    when_of(r, h, h->ev.items[i].time) != AFTER)
			continue;
		time_iso8601(h->ev.items[i].time, iso);
		memcpy(day, iso, 10);
		day[10] = '\0';
		if (strcmp(day, last) == 0)
			continue;
		buf_addf(b, "%s%s: ", last[0] ? "; " : "", day);
		summary(b, r, h, adv, AFTER, day);
		memcpy(last, day, sizeof(last));
	}
}

static int
crashed_again(const struct erun *r, const struct ehost *h, const char *adv)
{
	return h->fixed && planned(h, adv) && !h->ev.unknown &&
	    count_when(r, h, adv, AFTER) > 0;
}

/* Listed under adv: planned for it, or events point to it. */
static int
listed(const struct erun *r, const struct ehost *h, const char *adv)
{
	return planned(h, adv) || count_when(r, h, adv, BEFORE) +
	    count_when(r, h, adv, DURING) + count_when(r, h, adv, AFTER) > 0;
}

static void
text_host(struct buf *b, const struct erun *r, const struct ehost *h,
    const char *adv)
{
	char iso[21];

	buf_adds(b, "  ");
	buf_add_term(b, h->ph->name);
	if (!planned(h, adv))
		buf_adds(b, ": not planned for this advisory");
	else if (h->fixed) {
		time_iso8601(h->fixed, iso);
		buf_addf(b, ": fixed %s", iso);
	} else
		buf_addf(b, ": %s", h->state ? h->state : "not started");
	if (h->ev.unknown) {
		buf_adds(b, "; evidence unknown (");
		buf_add_term(b, h->ev.error);
		buf_adds(b, ")\n");
		return;
	}
	buf_adds(b, "; before the run: ");
	if (count_when(r, h, adv, BEFORE) == 0)
		buf_adds(b, "none");
	summary(b, r, h, adv, BEFORE, NULL);
	if (count_when(r, h, adv, DURING) > 0) {
		buf_adds(b, "; during the run: ");
		summary(b, r, h, adv, DURING, NULL);
	}
	buf_adds(b, h->fixed && planned(h, adv) ? "; after the fix: " :
	    "; after the run: ");
	if (count_when(r, h, adv, AFTER) == 0)
		buf_adds(b, "none");
	after_days(b, r, h, adv);
	if (crashed_again(r, h, adv))
		buf_adds(b, "  CRASHED AGAIN AFTER THE FIX");
	if (h->ev.capped)
		buf_adds(b, " (more events than --count: older ones not read)");
	buf_adds(b, "\n");
}

static void
report_text(struct buf *b, const struct erun *r, const char *run_dir)
{
	char start[21], since[21];
	size_t i, k, n, unknown = 0, again = 0;
	const struct advisory *a;

	time_iso8601(r->start, start);
	time_iso8601(r->since, since);
	buf_adds(b, "Evidence for the run in ");
	buf_add_term(b, run_dir);
	buf_addf(b, " (started %s); events since %s\n", start, since);
	for (k = 0; k < r->set->n; k++) {
		a = r->set->items[k];
		if (!a->evidence.present)
			continue;
		buf_addf(b, "\n%s: ", a->id);
		buf_add_term(b, a->title);
		buf_adds(b, "\n");
		for (i = n = 0; i < r->n; i++)
			if (listed(r, &r->hosts[i], a->id)) {
				text_host(b, r, &r->hosts[i], a->id);
				n++;
			}
		if (n == 0)
			buf_adds(b, "  no host planned, no event seen\n");
	}
	for (i = 0; i < r->n; i++) {
		unknown += r->hosts[i].ev.unknown;
		for (k = 0; k < r->set->n; k++)
			if (crashed_again(r, &r->hosts[i], r->set->items[k]->id))
				break;
		again += k < r->set->n;
	}
	buf_addf(b, "\n%zu host(s): %zu crashed again after the fix, %zu "
	    "with evidence unknown\n", r->n, again, unknown);
}

static void
json_item(struct buf *b, const struct erun *r, const struct ehost *h,
    const struct evidence_item *it)
{
	static const char *const names[] = { "before", "during", "after",
	    "older" };
	char iso[21];

	time_iso8601(it->time, iso);
	buf_addf(b, "{\"time\": \"%s\", \"when\": \"%s\", \"event_id\": %u, "
	    "\"provider\": ", iso, names[when_of(r, h, it->time)], it->id);
	buf_add_json_str(b, it->provider);
	if (it->bugcheck)
		buf_addf(b, ", \"bugcheck\": \"0x%08X\"", it->bugcheck);
	if (it->module[0]) {
		buf_adds(b, it->id == 1000 ? ", \"module\": " : ", \"service\": ");
		buf_add_json_str(b, it->module);
	}
	buf_adds(b, "}");
}

static void
json_advisory(struct buf *b, const struct erun *r, const struct ehost *h,
    const char *adv)
{
	size_t i, first = 1;

	buf_adds(b, "{\"id\": ");
	buf_add_json_str(b, adv);
	buf_addf(b, ", \"planned\": %s, \"before\": %zu, \"during\": %zu, "
	    "\"after\": %zu, \"crashed_after_fix\": %s, \"events\": [",
	    planned(h, adv) ? "true" : "false",
	    count_when(r, h, adv, BEFORE), count_when(r, h, adv, DURING),
	    count_when(r, h, adv, AFTER),
	    crashed_again(r, h, adv) ? "true" : "false");
	for (i = 0; i < h->ev.n; i++) {
		if (strcmp(h->ev.items[i].advisory, adv) != 0 ||
		    when_of(r, h, h->ev.items[i].time) == OLDER)
			continue;
		buf_adds(b, first ? "" : ", ");
		json_item(b, r, h, &h->ev.items[i]);
		first = 0;
	}
	buf_adds(b, "]}");
}

static void
json_host(struct buf *b, const struct erun *r, const struct ehost *h)
{
	char iso[21];
	size_t k, first = 1;

	buf_adds(b, "{\"name\": ");
	buf_add_json_str(b, h->ph->name);
	buf_adds(b, ", \"state\": ");
	buf_add_json_str(b, h->state ? h->state : "not started");
	if (h->fixed) {
		time_iso8601(h->fixed, iso);
		buf_addf(b, ", \"fixed\": \"%s\"", iso);
	} else
		buf_adds(b, ", \"fixed\": null");
	buf_addf(b, ", \"evidence\": \"%s\", \"error\": ",
	    h->ev.unknown ? "unknown" : "read");
	if (h->ev.unknown)
		buf_add_json_str(b, h->ev.error);
	else
		buf_adds(b, "null");
	buf_addf(b, ", \"capped\": %s, \"advisories\": [",
	    h->ev.capped ? "true" : "false");
	for (k = 0; !h->ev.unknown && k < r->set->n; k++) {
		if (!r->set->items[k]->evidence.present ||
		    !listed(r, h, r->set->items[k]->id))
			continue;
		buf_adds(b, first ? "" : ", ");
		json_advisory(b, r, h, r->set->items[k]->id);
		first = 0;
	}
	buf_adds(b, "]}");
}

static void
report_json(struct buf *b, const struct erun *r, const char *run_dir)
{
	char start[21], since[21], now[21];
	size_t i;

	time_iso8601(r->start, start);
	time_iso8601(r->since, since);
	time_iso8601(r->now, now);
	buf_adds(b, "{\"format\": \"kbfix-evidence/1\", \"run\": ");
	buf_add_json_str(b, run_dir);
	buf_addf(b, ", \"created\": \"%s\", \"run_start\": \"%s\", "
	    "\"since\": \"%s\", \"hosts\": [", now, start, since);
	for (i = 0; i < r->n; i++) {
		buf_adds(b, i ? ",\n  " : "\n  ");
		json_host(b, r, &r->hosts[i]);
	}
	buf_adds(b, "\n]}\n");
}

int
cmd_evidence(int argc, char **argv)
{
	struct eargs a;
	struct erun r;
	struct buf out;
	size_t i;
	int rc = EXIT_OK;

	if (parse_args(argc, argv, &a) == -1)
		return EXIT_USAGE;
	if (load_run(&r, &a) == -1) {
		warnmsg("evidence: %s", err_msg());
		run_free(&r);
		return EXIT_USAGE;
	}
	if (read_hosts(&r, &a) == -1) {
		warnmsg("evidence: %s", err_msg());
		run_free(&r);
		return EXIT_FAIL;
	}
	buf_init(&out, BUF_MAX_DEFAULT);
	if (a.json)
		report_json(&out, &r, a.run_dir);
	else
		report_text(&out, &r, a.run_dir);
	fwrite(buf_str(&out), 1, out.len, stdout);
	for (i = 0; i < r.n; i++)
		if (r.hosts[i].ev.unknown)
			rc = EXIT_PARTIAL;
	buf_release(&out);
	run_free(&r);
	return rc;
}

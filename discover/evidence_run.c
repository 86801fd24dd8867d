/*
 * kbfix evidence's work (discover_evidence_run_*(), discover.h): a run
 * directory's hosts (plan.json) and their end states (the journal), one
 * connection a host with the evidence queries on it, and the report: per
 * advisory and host, the events before the run, during it and after the
 * host was fixed, per day, a host that crashed again flagged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "rollback/rollback.h"
#include "discover/discover.h"

struct ehost {
	const struct plan_host *ph;
	const char	*state;		/* the journal's end state, or NULL */
	int64_t		 fixed;		/* when it reached done (s), or 0 */
	int		 manual;
	struct evidence_host ev;
	struct transport_conn *conn;
	struct evidence_run *r;
};

struct evidence_run {
	char		*run_dir;
	struct plan	*plan;
	const struct advisory_set *set;
	struct ehost	*hosts;
	size_t		 n;
	int64_t		 start, since, now;	/* seconds */
	discover_evidence_progress *progress;
	void		*progress_arg;
};

static struct ehost *
find_host(struct evidence_run *r, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < r->n; i++)
		if (strcmp(r->hosts[i].ph->name, name) == 0)
			return &r->hosts[i];
	return NULL;
}

/* The run's start and each host's end state and time, from the journal. */
static int
read_journal(struct evidence_run *r, const char *run_dir)
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

struct evidence_run *
discover_evidence_run_load(const char *run_dir,
    const struct advisory_set *set, int since_days)
{
	struct evidence_run *r = xcalloc(1, sizeof(*r));
	char *path = xasprintf("%s/plan.json", run_dir);
	size_t i;

	r->run_dir = xstrdup(run_dir);
	r->set = set;
	r->plan = plan_read(path);
	free(path);
	if (r->plan == NULL) {
		discover_evidence_run_free(r);
		return NULL;
	}
	r->n = r->plan->nhosts;
	r->hosts = xcalloc(r->n + 1, sizeof(*r->hosts));
	for (i = 0; i < r->n; i++) {
		r->hosts[i].ph = &r->plan->hosts[i];
		r->hosts[i].manual = r->plan->hosts[i].transport != NULL &&
		    strcmp(r->plan->hosts[i].transport, "manual") == 0;
	}
	if (read_journal(r, run_dir) == -1) {
		discover_evidence_run_free(r);
		return NULL;
	}
	r->now = (int64_t)time(NULL);
	r->since = r->start - (int64_t)since_days * 86400;
	return r;
}

void
discover_evidence_run_free(struct evidence_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		discover_evidence_host_release(&r->hosts[i].ev);
	free(r->hosts);
	plan_free(r->plan);
	free(r->run_dir);
	free(r);
}

size_t
discover_evidence_run_unknown(const struct evidence_run *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->hosts[i].ev.unknown;
	return n;
}

/* Reading: one connection a host, both queries on it. */

static void
on_read(struct evidence_host *ev, void *arg)
{
	struct ehost *h = arg;

	if (h->r->progress)
		h->r->progress(h->ph->name, ev, h->r->progress_arg);
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

int
discover_evidence_run_read(struct evidence_run *r,
    const struct transport_opts *o, unsigned count,
    discover_evidence_progress *progress, void *arg)
{
	struct transport *t;
	struct ehost *h;
	int64_t within = (r->now - r->since) * 1000;
	size_t i;

	if ((t = transport_new(o)) == NULL)
		return -1;
	r->progress = progress;
	r->progress_arg = arg;
	for (i = 0; i < r->n; i++) {
		h = &r->hosts[i];
		h->r = r;
		if (h->manual) {
			h->ev.unknown = 1;
			h->ev.error = xstrdup("transport manual: not contacted");
			continue;
		}
		h->conn = transport_connect(t, h->ph->name, h->ph->address ?
		    h->ph->address : h->ph->name, h->ph->port ? h->ph->port : 22,
		    h->ph->user, on_connect, h);
		if (h->conn == NULL || discover_evidence_read(h->conn, r->set,
		    within, count, &h->ev, on_read, h) == -1) {
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
when_of(const struct evidence_run *r, const struct ehost *h, int64_t t)
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
count_when(const struct evidence_run *r, const struct ehost *h, const char *adv,
    enum when w)
{
	size_t i, n = 0;

	for (i = 0; i < h->ev.n; i++)
		n += strcmp(h->ev.items[i].advisory, adv) == 0 &&
		    when_of(r, h, h->ev.items[i].time) == w;
	return n;
}

static int
in_slice(const struct evidence_run *r, const struct ehost *h,
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
summary(struct buf *b, const struct evidence_run *r, const struct ehost *h,
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
after_days(struct buf *b, const struct evidence_run *r, const struct ehost *h,
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
crashed_again(const struct evidence_run *r, const struct ehost *h, const char *adv)
{
	return h->fixed && planned(h, adv) && !h->ev.unknown &&
	    count_when(r, h, adv, AFTER) > 0;
}

/* Listed under adv: planned for it, or events point to it. */
static int
listed(const struct evidence_run *r, const struct ehost *h, const char *adv)
{
	return planned(h, adv) || count_when(r, h, adv, BEFORE) +
	    count_when(r, h, adv, DURING) + count_when(r, h, adv, AFTER) > 0;
}

static void
text_host(struct buf *b, const struct evidence_run *r, const struct ehost *h,
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

int
discover_evidence_run_text(const struct evidence_run *r, struct buf *b)
{
	const char *run_dir = r->run_dir;
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
	return b->failed ? -1 : 0;
}

static void
json_item(struct buf *b, const struct evidence_run *r, const struct ehost *h,
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
json_advisory(struct buf *b, const struct evidence_run *r, const struct ehost *h,
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
json_host(struct buf *b, const struct evidence_run *r, const struct ehost *h)
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

int
discover_evidence_run_json(const struct evidence_run *r, struct buf *b)
{
	const char *run_dir = r->run_dir;
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
	return b->failed ? -1 : 0;
}


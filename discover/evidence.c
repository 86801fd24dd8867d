/*
 * Evidence (issue 12): the events of a host's event logs that point to an
 * advisory (its "evidence" member: bug check codes, events, faulting
 * modules).  Two wevtutil queries per host over the host's SSH session,
 * bounded in time (timediff) and count (/c:), newest first; the answers
 * read by transport_winevent_parse(), which keeps no message text.  A log
 * that cannot be read makes the host's evidence unknown, never "no crash".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover/discover.h"

/* A crash writes Kernel-Power 41 at the next boot and 1001 once the dump
 * is read: one crash, counted once when both are within this time. */
#define SAME_CRASH_S	(30 * 60)

static int
has_id(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The System-log event ids the advisories name (1001 and 41 for bug
 * checks); 0 when none.  *modules: some advisory names a module. */
static size_t
system_ids(const struct advisory_set *set, uint32_t *ids, size_t max,
    int *modules)
{
	const struct advisory_evidence *v;
	size_t i, j, n = 0;

	*modules = 0;
	for (i = 0; i < set->n; i++) {
		v = &set->items[i]->evidence;
		if (v->nbugchecks > 0 && !has_id(ids, n, 1001) && n + 2 <= max) {
			ids[n++] = 1001;
			ids[n++] = 41;
		}
		for (j = 0; j < v->nevents; j++)
			if (!has_id(ids, n, v->events[j].id) && n < max)
				ids[n++] = v->events[j].id;
		*modules |= v->nmodules > 0;
	}
	return n;
}

static int
query_line(struct buf *out, const char *log, const char *filter,
    int64_t within_ms, unsigned count)
{
	char *q = xasprintf("/q:*[System[%s and TimeCreated[timediff("
	    "@SystemTime) <= %lld]]]", filter, (long long)within_ms);
	char *c = xasprintf("/c:%u", count);
	const char *argv[] = { "wevtutil", "qe", log, q, "/f:xml", c,
	    "/rd:true", NULL };
	int rc = transport_cmdline(out, argv);

	free(q);
	free(c);
	return rc;
}

int
discover_evidence_commands(const struct advisory_set *set, int64_t within_ms,
    unsigned count, struct buf *sys, struct buf *app)
{
	uint32_t ids[64];
	struct buf f;
	size_t i, n;
	int modules, rc = 0;

	if (within_ms < 1 || count < 1 || count > TRANSPORT_WINEVENT_MAX) {
		err_set("evidence: a time of at least 1 ms and 1 to %d events "
		    "a log", TRANSPORT_WINEVENT_MAX);
		return -1;
	}
	n = system_ids(set, ids, sizeof(ids) / sizeof(ids[0]), &modules);
	buf_init(&f, 0);
	for (i = 0; i < n; i++)
		buf_addf(&f, "%sEventID=%u", i ? " or " : "(", ids[i]);
	if (n > 0) {
		buf_adds(&f, ")");
		rc = query_line(sys, "System", f.data, within_ms, count);
	}
	if (rc == 0 && modules)
		rc = query_line(app, "Application", "Provider[@Name='Application "
		    "Error'] and (EventID=1000)", within_ms, count);
	buf_release(&f);
	return rc;
}

static int
event_matches(const struct advisory_evidence *v, const struct winevent *e)
{
	size_t i;

	if (e->has_bugcheck && (e->id == 1001 || e->id == 41) &&
	    has_id(v->bugchecks, v->nbugchecks, e->bugcheck))
		return 1;
	for (i = 0; i < v->nevents; i++)
		if (v->events[i].id == e->id &&
		    strcasecmp(v->events[i].provider, e->provider) == 0 &&
		    (v->events[i].service == NULL ||
		    strcasecmp(v->events[i].service, e->service) == 0))
			return 1;
	if (e->id == 1000 && strcasecmp(e->provider, "Application Error") == 0)
		for (i = 0; i < v->nmodules; i++)
			if (strcasecmp(v->modules[i], e->module) == 0)
				return 1;
	return 0;
}

/* A Kernel-Power 41 whose crash a 1001 of the same code already reports. */
static int
same_crash(const struct evidence_host *h, const struct evidence_item *it)
{
	size_t i;
	int64_t d;

	for (i = 0; i < h->n; i++) {
		d = h->items[i].time - it->time;
		if (h->items[i].advisory == it->advisory &&
		    h->items[i].bugcheck == it->bugcheck && it->bugcheck != 0 &&
		    h->items[i].id != it->id && d > -SAME_CRASH_S &&
		    d < SAME_CRASH_S)
			return 1;
	}
	return 0;
}

void
discover_evidence_match(const struct advisory_set *set,
    const struct winevent_list *l, struct evidence_host *h)
{
	struct evidence_item it;
	size_t i, k;

	for (k = 0; k < l->n; k++)
		for (i = 0; i < set->n; i++) {
			if (!event_matches(&set->items[i]->evidence, &l->v[k]))
				continue;
			memset(&it, 0, sizeof(it));
			it.advisory = set->items[i]->id;
			it.time = l->v[k].time;
			it.id = l->v[k].id;
			memcpy(it.provider, l->v[k].provider, sizeof(it.provider));
			it.bugcheck = l->v[k].has_bugcheck ? l->v[k].bugcheck : 0;
			memcpy(it.module, l->v[k].id == 1000 ? l->v[k].module :
			    l->v[k].service, sizeof(it.module));
			if (same_crash(h, &it))
				continue;
			h->items = xreallocarray(h->items, h->n + 1,
			    sizeof(*h->items));
			h->items[h->n++] = it;
		}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
discover_evidence_apply(struct plan_inventory *inv, struct plan_inv_host *rec,
    const struct evidence_host *h)
{
	char **ids;
	size_t i, n = 0;
	int rc;

	if (h->unknown || h->n == 0)
		return 0;
	ids = xcalloc(rec->nexperiencing + h->n + 1, sizeof(*ids));
	for (i = 0; i < rec->nexperiencing; i++)
		ids[n++] = rec->experiencing[i];
	for (i = 0; i < h->n; i++)
		if (!strv_has(ids, n, h->items[i].advisory))
			ids[n++] = (char *)(uintptr_t)h->items[i].advisory;
	/* what the operator wrote first, then the new ids in name order */
	qsort(ids + rec->nexperiencing, n - rec->nexperiencing, sizeof(*ids),
	    cmp_str);
	rc = n == rec->nexperiencing ? 0 :
	    plan_inv_host_set_list(inv, rec, "experiencing", ids, n);
	free(ids);
	return rc;
}

/* A name as the inventory keeps it: printable ASCII, or NULL when empty. */
static char *
clean_name(const char *s, size_t max)
{
	char *c;
	size_t i;

	if (s[0] == '\0')
		return NULL;
	c = xstrndup(s, max);
	for (i = 0; c[i]; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] > 0x7e)
			c[i] = '?';
	return c;
}

/* Newest first, stable (the order read on a tie): two sorted runs. */
static void
sort_newest_first(struct plan_evidence_event *v, size_t n)
{
	struct plan_evidence_event t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 && v[j - 1].time < t.time; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

int
discover_evidence_record(struct plan_inventory *inv, struct plan_inv_host *rec,
    const struct evidence_host *h, int64_t since, int64_t read_at)
{
	struct plan_evidence ev;
	struct plan_evidence_event *e;
	size_t i;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.present = 1;
	ev.unknown = h->unknown;
	ev.capped = h->capped || h->n > PLAN_EVIDENCE_MAX;
	ev.since = since;
	ev.read_at = read_at;
	if (h->unknown)
		ev.error = clean_name(h->error ? h->error : "not read",
		    PLAN_EVIDENCE_ERROR_MAX);
	ev.events = xcalloc(h->n + 1, sizeof(*ev.events));
	for (i = 0; i < h->n; i++) {
		e = &ev.events[i];
		e->advisory = xstrdup(h->items[i].advisory);
		e->time = h->items[i].time;
		e->id = h->items[i].id;
		e->provider = clean_name(h->items[i].provider[0] ?
		    h->items[i].provider : "(none)", PLAN_EVIDENCE_NAME_MAX);
		e->bugcheck = h->items[i].bugcheck;
		if (h->items[i].id == 1000)
			e->module = clean_name(h->items[i].module,
			    PLAN_EVIDENCE_NAME_MAX);
		else
			e->service = clean_name(h->items[i].module,
			    PLAN_EVIDENCE_NAME_MAX);
	}
	ev.nevents = h->n;
	sort_newest_first(ev.events, ev.nevents);
	if (ev.nevents > PLAN_EVIDENCE_MAX) {
		for (i = PLAN_EVIDENCE_MAX; i < ev.nevents; i++) {
			free(ev.events[i].advisory);
			free(ev.events[i].provider);
			free(ev.events[i].module);
			free(ev.events[i].service);
		}
		ev.nevents = PLAN_EVIDENCE_MAX;
	}
	rc = plan_inv_host_set_evidence(inv, rec, &ev);
	plan_evidence_release(&ev);
	return rc;
}

size_t
discover_evidence_nevents(const struct evidence_host *h)
{
	size_t i, j, n = 0;

	for (i = 0; i < h->n; i++) {
		for (j = 0; j < i; j++)
			if (h->items[j].time == h->items[i].time &&
			    h->items[j].id == h->items[i].id)
				break;
		n += j == i;
	}
	return n;
}

void
discover_evidence_host_release(struct evidence_host *h)
{
	free(h->error);
	free(h->items);
	h->error = NULL;
	h->items = NULL;
	h->n = 0;
}

/* Reading one host over its connection: the System log, then Application. */

struct ereader {
	struct evidence_host	*h;
	const struct advisory_set *set;
	unsigned		 count;
	char			*app;		/* NULL: no second query */
	discover_evidence_cb	*cb;
	void			*arg;
};

static void
unknown(struct evidence_host *h, const char *fmt, const char *a,
    const char *b)
{
	struct buf m;

	if (h->unknown)
		return;
	h->unknown = 1;
	buf_init(&m, 1024);
	buf_addf(&m, fmt, a, b);
	free(h->error);
	h->error = buf_detach(&m, NULL);
}

/* The first line of wevtutil's message, as printable text. */
static char *
first_line(const char *s)
{
	struct buf b;
	char *line = xstrndup(s, strcspn(s, "\r\n"));

	buf_init(&b, 512);
	buf_add_term(&b, line);
	free(line);
	return buf_detach(&b, NULL);
}

static void
read_answer(struct ereader *r, const struct transport_result *res,
    const char *log)
{
	struct winevent_list l;
	char code[16], *msg;

	if (res->failed) {
		unknown(r->h, "%s (%s log)", res->error, log);
		return;
	}
	if (res->exit_status != 0) {
		snprintf(code, sizeof(code), "%lu",
		    (unsigned long)res->exit_status);
		msg = first_line(res->err_len ? res->err : res->out);
		unknown(r->h, "wevtutil exited %s: %s", code, msg);
		free(msg);
		return;
	}
	if (transport_winevent_parse(res->out, res->out_len, &l) == -1) {
		unknown(r->h, "%s log: %s", log, err_msg());
		return;
	}
	if (l.n >= r->count)
		r->h->capped = 1;
	discover_evidence_match(r->set, &l, r->h);
	transport_winevent_list_release(&l);
}

static void
finish(struct ereader *r)
{
	r->cb(r->h, r->arg);
	free(r->app);
	free(r);
}

static void
on_app(struct transport_conn *c, const struct transport_result *res, void *a)
{
	struct ereader *r = a;

	(void)c;
	read_answer(r, res, "Application");
	finish(r);
}

static void
on_sys(struct transport_conn *c, const struct transport_result *res, void *a)
{
	struct ereader *r = a;

	read_answer(r, res, "System");
	if (r->app == NULL || r->h->unknown ||
	    transport_exec(c, r->app, on_app, r) == -1)
		finish(r);
}

int
discover_evidence_read(struct transport_conn *c, const struct advisory_set *set,
    int64_t within_ms, unsigned count, struct evidence_host *h,
    discover_evidence_cb *cb, void *arg)
{
	struct ereader *r;
	struct buf sys, app;
	int rc = -1;

	buf_init(&sys, 0);
	buf_init(&app, 0);
	if (discover_evidence_commands(set, within_ms, count, &sys, &app) == -1)
		goto out;
	r = xcalloc(1, sizeof(*r));
	*r = (struct ereader){ h, set, count, NULL, cb, arg };
	if (app.len > 0)
		r->app = buf_detach(&app, NULL);
	if (sys.len > 0)
		rc = transport_exec(c, sys.data, on_sys, r);
	else if (r->app != NULL)
		rc = transport_exec(c, r->app, on_app, r);
	else {
		err_set("no advisory names any evidence");
		rc = -1;
	}
	if (rc == -1) {
		free(r->app);
		free(r);
	}
out:
	buf_release(&sys);
	buf_release(&app);
	return rc;
}

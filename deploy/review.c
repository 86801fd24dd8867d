/*
 * The review of a run (plan.h "struct plan_review"): the run's plan, its
 * apply waves as deploy_waves() makes them, and the journal, read without
 * the run lock so that it is safe beside a running apply (the reader
 * ignores a torn last line).  Reads only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "deploy/deploy.h"
#include "plan/plan.h"
#include "rollback/rollback.h"
#include "util/util.h"

struct rv {
	struct plan_review *r;
	const struct plan *p;
	size_t	*byname;	/* review host indexes sorted by name */
	int64_t	*last_ms, *reboot_at;
};

static int
name_cmp(const void *a, const void *b, void *arg)
{
	const struct plan_review *r = arg;

	return strcmp(r->hosts[*(const size_t *)a].name,
	    r->hosts[*(const size_t *)b].name);
}

static struct plan_review_host *
rv_host(const struct rv *v, const char *name)
{
	size_t lo = 0, hi = v->r->nhosts, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(v->r->hosts[v->byname[mid]].name, name);
		if (c == 0)
			return &v->r->hosts[v->byname[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
runs(const struct plan_host *ph)
{
	return ph->status == PLAN_NEEDS_ACTION && ph->nactions > 0;
}

static enum plan_review_kind
step_kind(const char *step)
{
	if (strncmp(step, "rb-", 3) == 0)
		return REVIEW_UNDO;
	if (strcmp(step, "reboot") == 0 || strcmp(step, "wait") == 0)
		return REVIEW_REBOOT;
	if (strcmp(step, "verify") == 0 || strcmp(step, "cleanup") == 0)
		return REVIEW_VERIFY;
	return REVIEW_WORK;
}

/* Apply's waves for the plan's hosts, and the planned times from them. */
static void
rv_waves(struct rv *v, const struct deploy_opts *o)
{
	struct plan_review *r = v->r;
	struct deploy_slot *slots = xcalloc(r->nhosts + 1, sizeof(*slots));
	int *wave = xcalloc(r->nhosts + 1, sizeof(*wave)), nw, w;
	int64_t t = 0, len;
	size_t i, n = 0, *map = xcalloc(r->nhosts + 1, sizeof(*map));
	const struct plan_host *ph;

	for (i = 0; i < r->nhosts; i++) {
		ph = plan_host_find(v->p, r->hosts[i].name);
		r->hosts[i].wave = -1;
		if (plan_transport_manual(ph->transport))
			continue;
		slots[n].name = ph->name;
		slots[n].group = ph->group;
		slots[n].plan_wave = ph->wave;
		map[n++] = i;
	}
	nw = deploy_waves(slots, n, o->canary < 0 ? 1 : o->canary,
	    o->parallel > 0 ? o->parallel : 32, wave);
	r->waves = xcalloc((size_t)nw + 1, sizeof(*r->waves));
	for (w = 0; w < nw; w++) {
		len = 0;
		for (i = 0; i < n; i++) {
			if (wave[i] != w)
				continue;
			r->hosts[map[i]].wave = w;
			ph = plan_host_find(v->p, r->hosts[map[i]].name);
			r->hosts[map[i]].plan_start_s = t;
			r->hosts[map[i]].plan_end_s = t + ph->estimate_s;
			if (ph->estimate_s > len)
				len = ph->estimate_s;
			r->waves[r->nwaves].nhosts++;
		}
		if (r->waves[r->nwaves].nhosts == 0)
			continue;
		r->waves[r->nwaves].wave = w;
		r->waves[r->nwaves].plan_start_s = t;
		t += len;
		r->waves[r->nwaves++].plan_end_s = t;
	}
	free(slots);
	free(wave);
	free(map);
}

static void
seg_add(struct plan_review_host *h, const char *step,
    enum plan_review_kind k, int64_t a, int64_t z)
{
	struct plan_review_seg *s;

	h->segs = xreallocarray(h->segs, h->nsegs + 1, sizeof(*h->segs));
	s = &h->segs[h->nsegs++];
	s->step = xstrdup(step);
	s->kind = k;
	s->start_ms = a;
	s->end_ms = z < a ? a : z;
}

/* One journal record into its host's actual timeline. */
static void
rv_rec(struct rv *v, const struct rollback_rec *rec)
{
	struct plan_review_host *h;
	size_t i;

	if (rec->host == NULL || (h = rv_host(v, rec->host)) == NULL)
		return;
	i = (size_t)(h - v->r->hosts);
	if (h->start_ms == 0)
		h->start_ms = rec->at_ms;
	/* the second intent (the host's clock, once shutdown /r answered)
	 * does not restart the reboot */
	if (rec->ev == RB_EV_INTENT && rec->step &&
	    strstr(rec->step, "reboot") != NULL && v->reboot_at[i] == 0)
		v->reboot_at[i] = rec->at_ms;
	if ((rec->ev == RB_EV_DONE || rec->ev == RB_EV_FAIL) && rec->step) {
		seg_add(h, rec->step, rec->ev == RB_EV_FAIL ? REVIEW_FAIL :
		    step_kind(rec->step), v->last_ms[i] ? v->last_ms[i] :
		    rec->at_ms, rec->at_ms);
		if (strstr(rec->step, "reboot") != NULL && v->reboot_at[i]) {
			h->reboot_ms += rec->at_ms - v->reboot_at[i];
			v->reboot_at[i] = 0;
		}
		if (strncmp(rec->step, "rb-", 3) == 0)
			h->rolled_back = 1;
	}
	v->last_ms[i] = rec->at_ms;
	h->end_ms = rec->at_ms;
}

static void
rv_states(struct plan_review *r, const struct rollback_replay *rp)
{
	const struct rollback_host *jh;
	size_t i;

	for (i = 0; i < r->nhosts; i++) {
		struct plan_review_host *h = &r->hosts[i];

		jh = rollback_replay_host(rp, h->name);
		h->state = xstrdup(jh ? jh->state : "pending");
		h->step = jh && jh->step ? xstrdup(jh->step) : NULL;
		h->error = jh && jh->error ? xstrdup(jh->error) : NULL;
		if (jh && strcmp(jh->state, "rolled-back") == 0)
			h->rolled_back = 1;
	}
	for (i = 0; i < r->nwaves; i++) {
		struct plan_review_wave *w = &r->waves[i];
		size_t j;

		for (j = 0; j < r->nhosts; j++) {
			const struct plan_review_host *h = &r->hosts[j];

			if (h->wave != w->wave || h->start_ms == 0)
				continue;
			if (w->start_ms == 0 || h->start_ms < w->start_ms)
				w->start_ms = h->start_ms;
			if (h->end_ms > w->end_ms)
				w->end_ms = h->end_ms;
		}
	}
}

static void
rv_window(struct plan_review *r, const struct deploy_opts *o,
    const struct plan *p)
{
	r->window_start = -1;
	r->window_offset_s = p->window_offset_s;
	if (o->window && plan_window_parse(o->window, r->start_ms / 1000,
	    &r->window_start, &r->window_duration_s) == 0)
		return;
	r->window_start = -1;
	if (p->window_start &&
	    time_parse_iso8601(p->window_start, &r->window_start) == 0)
		r->window_duration_s = p->window_duration_s;
	else
		r->window_start = -1;
}

static void
rv_journal(struct rv *v, const struct rollback_log *log)
{
	struct plan_review *r = v->r;
	size_t i;

	for (i = 0; i < log->nrecs; i++) {
		const struct rollback_rec *rec = &log->recs[i];

		if (rec->ev == RB_EV_BEGIN && r->start_ms == 0)
			r->start_ms = rec->at_ms;
		if (rec->at_ms > r->end_ms)
			r->end_ms = rec->at_ms;
		rv_rec(v, rec);
	}
	r->torn = log->torn;
}

/*
 * RUN_DIR/evidence.json (kbfix evidence, format kbfix-evidence/1), when
 * there is one: per host and advisory the counts and the flag.  Checked
 * like every file kbfix reads: a bad value is refused, naming it.
 */
#define EVIDENCE_DOC_MAX	((size_t)64 << 20)

static int
ev_count(struct jpath *jp, const cJSON *o, const char *key, size_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 1000000 ||
	    v->valuedouble != (double)(size_t)v->valuedouble)
		return jpath_fail(jp, key, "must be a count 0 to 1000000");
	*out = (size_t)v->valuedouble;
	return 0;
}

static const char *
ev_str(struct jpath *jp, const cJSON *o, const char *key, int (*valid)(
    const char *), const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || !valid(v->valuestring)) {
		jpath_fail(jp, key, "must be %s", what);
		return NULL;
	}
	return v->valuestring;
}

static int
valid_time(const char *s)
{
	int64_t t;

	return time_parse_iso8601(s, &t) == 0;
}

static int
valid_error(const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return n <= 1024;
}

static struct plan_review_crash *
crash_add(struct plan_review *r, const char *host)
{
	struct plan_review_crash *c;

	r->crashes = xreallocarray(r->crashes, r->ncrashes + 1,
	    sizeof(*r->crashes));
	c = &r->crashes[r->ncrashes++];
	memset(c, 0, sizeof(*c));
	c->host = xstrdup(host);
	return c;
}

static int
ev_host(struct jpath *jp, struct plan_review *r, const cJSON *o)
{
	const cJSON *a, *advs, *v;
	struct plan_review_crash *c;
	const char *name, *st, *id;
	size_t m, mi, i = 0;

	if ((name = ev_str(jp, o, "name", plan_valid_hostname,
	    "a host name")) == NULL)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "evidence");
	if (!cJSON_IsString(v) || (strcmp(v->valuestring, "read") != 0 &&
	    strcmp(v->valuestring, "unknown") != 0))
		return jpath_fail(jp, "evidence", "must be \"read\" or "
		    "\"unknown\"");
	st = v->valuestring;
	if (strcmp(st, "unknown") == 0) {
		c = crash_add(r, name);
		c->unknown = 1;
		v = cJSON_GetObjectItemCaseSensitive(o, "error");
		if (cJSON_IsString(v)) {
			if (!valid_error(v->valuestring))
				return jpath_fail(jp, "error", "must be one "
				    "line of at most 1024 bytes");
			c->error = xstrdup(v->valuestring);
		}
		return 0;
	}
	advs = cJSON_GetObjectItemCaseSensitive(o, "advisories");
	if (!cJSON_IsArray(advs))
		return jpath_fail(jp, "advisories", "must be an array");
	m = jpath_key(jp, "advisories");
	cJSON_ArrayForEach(a, advs) {
		mi = jpath_index(jp, i++, NULL);
		if ((id = ev_str(jp, a, "id", plan_valid_advisory_id,
		    "an advisory id")) == NULL)
			return -1;
		c = crash_add(r, name);
		c->advisory = xstrdup(id);
		if (ev_count(jp, a, "before", &c->before) == -1 ||
		    ev_count(jp, a, "during", &c->during) == -1 ||
		    ev_count(jp, a, "after", &c->after) == -1)
			return -1;
		v = cJSON_GetObjectItemCaseSensitive(a, "crashed_after_fix");
		if (!cJSON_IsBool(v))
			return jpath_fail(jp, "crashed_after_fix", "must be "
			    "true or false");
		c->crashed_after_fix = cJSON_IsTrue(v);
		jpath_back(jp, mi);
	}
	jpath_back(jp, m);
	return 0;
}

static int
rv_evidence(struct plan_review *r, const char *run_dir)
{
	char *path = xasprintf("%s/%s", run_dir, PLAN_REVIEW_EVIDENCE_FILE);
	struct jpath jp;
	struct buf b;
	cJSON *root = NULL;
	const cJSON *v, *hosts;
	const char *s;
	size_t i = 0, m, mi;
	int rc = -1;

	buf_init(&b, EVIDENCE_DOC_MAX);
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = 0;			/* none: kbfix evidence was not run */
		goto out;
	}
	if (file_read(path, EVIDENCE_DOC_MAX, &b) == -1)
		goto out;
	jpath_init(&jp, path);
	if ((root = cJSON_ParseWithLength(b.data, b.len)) == NULL ||
	    !cJSON_IsObject(root)) {
		err_set("%s: not a kbfix evidence JSON document", path);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!cJSON_IsString(v) || strcmp(v->valuestring,
	    "kbfix-evidence/1") != 0) {
		jpath_fail(&jp, "format", "must be \"kbfix-evidence/1\"");
		goto out;
	}
	if ((s = ev_str(&jp, root, "created", valid_time, "a UTC time")) ==
	    NULL)
		goto out;
	r->evidence_created = xstrdup(s);
	if ((s = ev_str(&jp, root, "since", valid_time, "a UTC time")) ==
	    NULL)
		goto out;
	r->evidence_since = xstrdup(s);
	hosts = cJSON_GetObjectItemCaseSensitive(root, "hosts");
	if (!cJSON_IsArray(hosts)) {
		jpath_fail(&jp, "hosts", "must be an array");
		goto out;
	}
	m = jpath_key(&jp, "hosts");
	cJSON_ArrayForEach(v, hosts) {
		mi = jpath_index(&jp, i++, NULL);
		if (!cJSON_IsObject(v)) {
			jpath_fail(&jp, NULL, "must be an object");
			goto out;
		}
		if (ev_host(&jp, r, v) == -1)
			goto out;
		jpath_back(&jp, mi);
	}
	jpath_back(&jp, m);
	rc = 0;
out:
	cJSON_Delete(root);
	buf_release(&b);
	free(path);
	return rc;
}

int
deploy_review_build(const char *run_dir, struct plan_review *r)
{
	struct deploy_run run;
	struct rollback_log log;
	struct rollback_replay rp;
	struct plan *p = NULL;
	struct buf b;
	struct rv v;
	char sha[65];
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	memset(&log, 0, sizeof(log));
	buf_init(&b, (size_t)1 << 30);
	if (deploy_run_load(run_dir, &run) == -1)
		return -1;
	if (file_read(run.opts.plan_path, b.max, &b) == -1 ||
	    (p = plan_parse(run.opts.plan_path, buf_str(&b), b.len)) == NULL ||
	    rollback_log_read(run_dir, &log) == -1)
		goto out;
	sha256_hex(buf_str(&b), b.len, sha);
	r->plan_sha256 = xstrdup(sha);
	r->run_dir = xstrdup(run_dir);
	r->hosts = xcalloc(p->nhosts + 1, sizeof(*r->hosts));
	for (i = 0; i < p->nhosts; i++)
		if (runs(&p->hosts[i]))
			r->hosts[r->nhosts++].name = xstrdup(p->hosts[i].name);
	v.r = r;
	v.p = p;
	v.byname = xcalloc(r->nhosts + 1, sizeof(*v.byname));
	v.last_ms = xcalloc(r->nhosts + 1, sizeof(*v.last_ms));
	v.reboot_at = xcalloc(r->nhosts + 1, sizeof(*v.reboot_at));
	for (i = 0; i < r->nhosts; i++)
		v.byname[i] = i;
	qsort_r(v.byname, r->nhosts, sizeof(*v.byname), name_cmp, r);
	rv_waves(&v, &run.opts);
	rv_journal(&v, &log);
	rollback_replay(&log, &rp);
	rv_states(r, &rp);
	r->run_state = xstrdup(rp.open_run ? "running or interrupted" :
	    log.nrecs ? "finished" : "not started");
	rollback_replay_release(&rp);
	rv_window(r, &run.opts, p);
	if (rv_evidence(r, run_dir) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		plan_review_release(r);
	free(v.byname);
	free(v.last_ms);
	free(v.reboot_at);
	rollback_log_release(&log);
	plan_free(p);
	buf_release(&b);
	deploy_run_release(&run);
	return rc;
}

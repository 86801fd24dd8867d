/*
 * A host's evidence (issue 12) as the inventory and the plan carry it:
 * the one reader of the "evidence" member (inventory and plan readers),
 * its one writer, the copy a built plan keeps, the one sentence findings
 * say about it and the per-advisory counts every report shows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plan/plan.h"
#include "plan/engine.h"

/* Reading: arena NULL allocates with malloc (parsed plans own strings). */

struct erd {
	struct plan_arena *ar;
	char		*msg;		/* caller's buffer */
	size_t		 msglen;
};

static int
efail(struct erd *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
efail(struct erd *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, e->msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static char *
edup(struct erd *e, const char *s)
{
	return e->ar ? plan_arena_strdup(e->ar, s) : xstrdup(s);
}

/* 1 to max bytes of printable ASCII. */
static int
printable(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* "2026-11-28T03:12:09Z": UTC instants only. */
static int
read_time(struct erd *e, const cJSON *o, const char *key, int required,
    const char *where, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	*out = 0;
	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return efail(e, "%s%s: missing", where, key);
	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) < 2 ||
	    v->valuestring[n - 1] != 'Z' ||
	    time_parse_iso8601(v->valuestring, out) == -1)
		return efail(e, "%s%s: must be a UTC time like "
		    "\"2026-11-28T03:12:09Z\"", where, key);
	return 0;
}

static int
read_name(struct erd *e, const cJSON *o, const char *key, int required,
    const char *where, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return efail(e, "%s%s: missing", where, key);
	if (!cJSON_IsString(v) || !printable(v->valuestring,
	    PLAN_EVIDENCE_NAME_MAX))
		return efail(e, "%s%s: must be 1-%d printable ASCII characters",
		    where, key, PLAN_EVIDENCE_NAME_MAX);
	*out = edup(e, v->valuestring);
	return 0;
}

/* "0x000000D1" or "0xd1": 1 to 8 hex digits after 0x, not 0. */
static int
parse_bugcheck(const char *s, uint32_t *out)
{
	size_t n;
	char *end;
	unsigned long v;

	if (strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0)
		return -1;
	n = strspn(s + 2, "0123456789abcdefABCDEF");
	if (n < 1 || n > 8 || s[2 + n] != '\0')
		return -1;
	v = strtoul(s + 2, &end, 16);
	if (v == 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const char *const event_keys[] = {
	"advisory", "time", "event_id", "provider", "bugcheck", "module",
	"service", NULL
};

static int
known_key(const char *k, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(k, *keys) == 0)
			return 1;
	return 0;
}

static int
read_event(struct erd *e, const cJSON *o, size_t i,
    struct plan_evidence_event *ev)
{
	const cJSON *v;
	char where[48];

	snprintf(where, sizeof(where), "events[%zu].", i);
	if (!cJSON_IsObject(o))
		return efail(e, "events[%zu]: must be an object", i);
	cJSON_ArrayForEach(v, o)
		if (!known_key(v->string, event_keys))
			return efail(e, "%s%s: not an evidence field (only "
			    "advisory, time, event_id, provider, bugcheck, "
			    "module and service are kept)", where, v->string);
	v = cJSON_GetObjectItemCaseSensitive(o, "advisory");
	if (!cJSON_IsString(v) || !plan_valid_advisory_id(v->valuestring))
		return efail(e, "%sadvisory: must be an advisory id like "
		    "tcpip-2018-07 (1-64 of [a-z0-9-])", where);
	ev->advisory = edup(e, v->valuestring);
	if (read_time(e, o, "time", 1, where, &ev->time) == -1)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "event_id");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 65535 ||
	    v->valuedouble != (double)(int)v->valuedouble)
		return efail(e, "%sevent_id: must be an integer 0 to 65535",
		    where);
	ev->id = (uint32_t)v->valuedouble;
	if (read_name(e, o, "provider", 1, where, &ev->provider) == -1 ||
	    read_name(e, o, "module", 0, where, &ev->module) == -1 ||
	    read_name(e, o, "service", 0, where, &ev->service) == -1)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "bugcheck")) != NULL &&
	    (!cJSON_IsString(v) || parse_bugcheck(v->valuestring,
	    &ev->bugcheck) == -1))
		return efail(e, "%sbugcheck: must be a bug check code like "
		    "\"0x000000D1\"", where);
	return 0;
}

static const char *const evidence_keys[] = {
	"since", "read_at", "state", "error", "capped", "events", NULL
};

int
plan_evidence_read(const struct cJSON *v, struct plan_arena *ar,
    struct plan_evidence *ev, char *msg, size_t msglen)
{
	struct erd e = { ar, msg, msglen };
	const cJSON *m, *st, *events;
	size_t i = 0, n;

	memset(ev, 0, sizeof(*ev));
	if (!cJSON_IsObject(v))
		return efail(&e, "must be an object with since, read_at, state "
		    "and events");
	cJSON_ArrayForEach(m, v)
		if (!known_key(m->string, evidence_keys))
			return efail(&e, "%s: not an evidence field", m->string);
	ev->present = 1;
	if (read_time(&e, v, "since", 1, "", &ev->since) == -1 ||
	    read_time(&e, v, "read_at", 1, "", &ev->read_at) == -1)
		return -1;
	if (ev->since > ev->read_at)
		return efail(&e, "since: later than read_at");
	st = cJSON_GetObjectItemCaseSensitive(v, "state");
	if (!cJSON_IsString(st) || (strcmp(st->valuestring, "read") != 0 &&
	    strcmp(st->valuestring, "unknown") != 0))
		return efail(&e, "state: must be \"read\" or \"unknown\"");
	ev->unknown = strcmp(st->valuestring, "unknown") == 0;
	if ((m = cJSON_GetObjectItemCaseSensitive(v, "error")) != NULL) {
		if (!cJSON_IsString(m) || !printable(m->valuestring,
		    PLAN_EVIDENCE_ERROR_MAX))
			return efail(&e, "error: must be 1-%d printable ASCII "
			    "characters", PLAN_EVIDENCE_ERROR_MAX);
		ev->error = edup(&e, m->valuestring);
	}
	if ((m = cJSON_GetObjectItemCaseSensitive(v, "capped")) != NULL) {
		if (!cJSON_IsBool(m))
			return efail(&e, "capped: must be true or false");
		ev->capped = cJSON_IsTrue(m);
	}
	events = cJSON_GetObjectItemCaseSensitive(v, "events");
	if (!cJSON_IsArray(events))
		return efail(&e, "events: must be an array");
	if ((n = (size_t)cJSON_GetArraySize(events)) > PLAN_EVIDENCE_MAX)
		return efail(&e, "events: more than %d events",
		    PLAN_EVIDENCE_MAX);
	ev->events = ar ? plan_arena_alloc(ar, (n + 1) * sizeof(*ev->events)) :
	    xcalloc(n + 1, sizeof(*ev->events));
	cJSON_ArrayForEach(m, events) {
		ev->nevents = i + 1;
		if (read_event(&e, m, i, &ev->events[i]) == -1)
			return -1;
		i++;
	}
	return 0;
}

void
plan_evidence_release(struct plan_evidence *ev)
{
	size_t i;

	for (i = 0; i < ev->nevents; i++) {
		free(ev->events[i].advisory);
		free(ev->events[i].provider);
		free(ev->events[i].module);
		free(ev->events[i].service);
	}
	free(ev->events);
	free(ev->error);
	memset(ev, 0, sizeof(*ev));
}

static char *
adup(struct plan_arena *ar, const char *s)
{
	return s ? plan_arena_strdup(ar, s) : NULL;
}

void
plan_evidence_copy(struct plan_arena *ar, struct plan_evidence *dst,
    const struct plan_evidence *src)
{
	size_t i;

	*dst = *src;
	if (!src->present)
		return;
	dst->error = adup(ar, src->error);
	dst->events = plan_arena_alloc(ar, (src->nevents + 1) *
	    sizeof(*dst->events));
	for (i = 0; i < src->nevents; i++) {
		dst->events[i] = src->events[i];
		dst->events[i].advisory = adup(ar, src->events[i].advisory);
		dst->events[i].provider = adup(ar, src->events[i].provider);
		dst->events[i].module = adup(ar, src->events[i].module);
		dst->events[i].service = adup(ar, src->events[i].service);
	}
}

/* Writing: one line, the members in this order. */

int
plan_evidence_write(const struct plan_evidence *ev, struct buf *b)
{
	const struct plan_evidence_event *e;
	char t[21];
	size_t i;

	time_iso8601(ev->since, t);
	buf_addf(b, "{\"since\": \"%s\", ", t);
	time_iso8601(ev->read_at, t);
	buf_addf(b, "\"read_at\": \"%s\", \"state\": \"%s\"", t,
	    ev->unknown ? "unknown" : "read");
	if (ev->error) {
		buf_adds(b, ", \"error\": ");
		buf_add_json_str(b, ev->error);
	}
	if (ev->capped)
		buf_adds(b, ", \"capped\": true");
	buf_adds(b, ", \"events\": [");
	for (i = 0; i < ev->nevents; i++) {
		e = &ev->events[i];
		time_iso8601(e->time, t);
		buf_adds(b, i ? ", {\"advisory\": " : "{\"advisory\": ");
		buf_add_json_str(b, e->advisory);
		buf_addf(b, ", \"time\": \"%s\", \"event_id\": %u, "
		    "\"provider\": ", t, e->id);
		buf_add_json_str(b, e->provider);
		if (e->bugcheck)
			buf_addf(b, ", \"bugcheck\": \"0x%08X\"", e->bugcheck);
		if (e->module) {
			buf_adds(b, ", \"module\": ");
			buf_add_json_str(b, e->module);
		}
		if (e->service) {
			buf_adds(b, ", \"service\": ");
			buf_add_json_str(b, e->service);
		}
		buf_adds(b, "}");
	}
	buf_adds(b, "]}");
	return b->failed ? -1 : 0;
}

/* What findings and reports say. */

size_t
plan_evidence_count(const struct plan_evidence *ev, const char *advisory)
{
	size_t i, n = 0;

	for (i = 0; ev->present && i < ev->nevents; i++)
		n += strcmp(ev->events[i].advisory, advisory) == 0;
	return n;
}

/* "bug checks 0xD1", "AFD 16002 events", "application crashes in ws2_32.dll" */
static void
kind(struct buf *b, const struct plan_evidence_event *e, size_t n)
{
	if (e->bugcheck)
		buf_addf(b, "%zu bug check%s 0x%X", n, n == 1 ? "" : "s",
		    e->bugcheck);
	else if (e->module) {
		buf_addf(b, "%zu application crash%s in ", n, n == 1 ? "" :
		    "es");
		buf_add_term(b, e->module);
	} else {
		buf_addf(b, "%zu ", n);
		buf_add_term(b, e->provider);
		buf_addf(b, " %u event%s", e->id, n == 1 ? "" : "s");
		if (e->service) {
			buf_adds(b, " (");
			buf_add_term(b, e->service);
			buf_adds(b, ")");
		}
	}
}

static int
same_kind(const struct plan_evidence_event *a,
    const struct plan_evidence_event *b)
{
	if (a->bugcheck || b->bugcheck)
		return a->bugcheck == b->bugcheck;
	return a->id == b->id && strcmp(a->provider, b->provider) == 0 &&
	    (a->module == NULL) == (b->module == NULL) &&
	    (a->module == NULL || strcmp(a->module, b->module) == 0) &&
	    (a->service == NULL) == (b->service == NULL) &&
	    (a->service == NULL || strcmp(a->service, b->service) == 0);
}

void
plan_evidence_sentence(const struct plan_evidence *ev, const char *advisory,
    struct buf *b)
{
	const struct plan_evidence_event *e, *latest = NULL;
	int64_t days = (ev->read_at - ev->since + 43199) / 86400;
	char t[21];
	size_t i, j, n, kinds = 0;

	if (!ev->present)
		return;
	for (i = 0; i < ev->nevents; i++)
		if (strcmp(ev->events[i].advisory, advisory) == 0 &&
		    (latest == NULL || ev->events[i].time > latest->time))
			latest = &ev->events[i];
	if (latest == NULL) {
		if (ev->unknown) {
			buf_adds(b, "evidence unknown: the event log could not "
			    "be read");
			if (ev->error) {
				buf_adds(b, " (");
				buf_add_term(b, ev->error);
				buf_adds(b, ")");
			}
		} else
			buf_addf(b, "exposed, no crash seen in the last %lld "
			    "day%s", (long long)days, days == 1 ? "" : "s");
		return;
	}
	buf_adds(b, "experiencing: ");
	for (i = 0; i < ev->nevents; i++) {
		e = &ev->events[i];
		if (strcmp(e->advisory, advisory) != 0)
			continue;
		for (j = 0; j < i; j++)		/* each kind once */
			if (strcmp(ev->events[j].advisory, advisory) == 0 &&
			    same_kind(&ev->events[j], e))
				break;
		if (j < i)
			continue;
		for (n = 0, j = i; j < ev->nevents; j++)
			n += strcmp(ev->events[j].advisory, advisory) == 0 &&
			    same_kind(&ev->events[j], e);
		buf_adds(b, kinds++ ? ", " : "");
		kind(b, e, n);
	}
	time_iso8601(latest->time, t);
	/* "2026-11-28T03:12Z": the minute is enough */
	buf_addf(b, " in the last %lld day%s (latest %.16sZ)", (long long)days,
	    days == 1 ? "" : "s", t);
	if (ev->unknown)
		buf_adds(b, "; a log could not be read, there may be more");
	else if (ev->capped)
		buf_adds(b, "; more events than discover reads, older ones "
		    "not counted");
}

int
plan_evidence_known(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nhosts; i++)
		if (p->hosts[i].evidence.present)
			return 1;
	return 0;
}

void
plan_evidence_counts(const struct plan *p, const char *advisory,
    struct plan_evidence_counts *c)
{
	const struct plan_host *h;
	const struct plan_finding *f;
	size_t i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < p->nhosts; i++) {
		h = &p->hosts[i];
		for (j = 0, f = NULL; j < h->nfindings && f == NULL; j++)
			if (strcmp(h->findings[j].advisory, advisory) == 0)
				f = &h->findings[j];
		if (plan_evidence_count(&h->evidence, advisory) > 0)
			c->experiencing++;
		else if (f == NULL || f->state == FINDING_FIXED ||
		    f->state == FINDING_NOT_AFFECTED)
			continue;
		else if (!h->evidence.present || h->evidence.unknown)
			c->unknown++;
		else
			c->exposed++;
	}
}

void
plan_evidence_counts_text(const struct plan_evidence_counts *c,
    struct buf *b)
{
	buf_addf(b, "%zu experiencing, %zu exposed (no crash seen), %zu "
	    "evidence unknown", c->experiencing, c->exposed, c->unknown);
}

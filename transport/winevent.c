/*
 * `wevtutil qe LOG /f:xml` output: a stream of <Event> elements with no
 * root element (tests/fixtures/windows/events).  Only what evidence needs
 * is kept (the time, the provider, the event id, a bug check's code and
 * parameters, the faulting module, the service): message texts, user
 * names, paths and the rest of EventData are read past, never copied.
 * Bounded: at most TRANSPORT_WINEVENT_BYTES of input and
 * TRANSPORT_WINEVENT_MAX events; each element is searched for inside its
 * event only, so the work is linear in the input.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "transport/transport.h"

struct span {
	const char	*p;
	const char	*end;
};

static const char *
find(const struct span *s, const char *what)
{
	return memmem(s->p, (size_t)(s->end - s->p), what, strlen(what));
}

/* The element <name ...> or <name>: s->p moved to its '<', tag its
 * attributes (up to '>' or "/>"); 0, or -1 when there is none. */
static int
element(struct span *s, const char *name, struct span *tag)
{
	const char *p;
	size_t n = strlen(name);

	for (p = s->p; (p = memchr(p, '<', (size_t)(s->end - p))) != NULL;
	    p++) {
		if ((size_t)(s->end - p) <= n + 1 ||
		    memcmp(p + 1, name, n) != 0 ||
		    (p[n + 1] != '>' && p[n + 1] != ' ' && p[n + 1] != '/' &&
		    p[n + 1] != '\n' && p[n + 1] != '\t'))
			continue;
		s->p = p;
		tag->p = p + n + 1;
		tag->end = memchr(tag->p, '>', (size_t)(s->end - tag->p));
		return tag->end == NULL ? -1 : 0;
	}
	return -1;
}

/* An attribute's value in tag, quoted with ' or ". */
static int
attribute(const struct span *tag, const char *name, struct span *val)
{
	const char *p = tag->p;
	size_t n = strlen(name);

	while ((p = memmem(p, (size_t)(tag->end - p), name, n)) != NULL) {
		if (p > tag->p && (p[-1] == ' ' || p[-1] == '\t' ||
		    p[-1] == '\n') && p + n + 1 < tag->end && p[n] == '=' &&
		    (p[n + 1] == '\'' || p[n + 1] == '"')) {
			val->p = p + n + 2;
			val->end = memchr(val->p, p[n + 1],
			    (size_t)(tag->end - val->p));
			return val->end == NULL ? -1 : 0;
		}
		p += n;
	}
	return -1;
}

/* The text of the element whose tag is tag (empty for <x/>). */
static int
element_text(const struct span *s, const struct span *tag, struct span *text)
{
	const char *lt;

	text->p = tag->end + 1;
	if (tag->end[-1] == '/') {
		text->end = text->p;
		return 0;
	}
	lt = memchr(text->p, '<', (size_t)(s->end - text->p));
	text->end = lt;
	return lt == NULL ? -1 : 0;
}

/* One XML entity at p (after '&'); the code point or -1. */
static long
entity(const char *p, const char *end, size_t *used)
{
	static const struct { const char *name; char ch; } named[] = {
		{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'},
		{"apos;", '\''},
	};
	const char *semi = memchr(p, ';', (size_t)(end - p));
	char num[16];
	uint64_t v;
	size_t i, n;

	if (semi == NULL)
		return -1;
	n = (size_t)(semi - p) + 1;
	*used = n;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (n == strlen(named[i].name) &&
		    memcmp(p, named[i].name, n) == 0)
			return named[i].ch;
	if (*p != '#' || n < 3 || n - 2 >= sizeof(num))
		return -1;
	memcpy(num, p + 1, n - 2);
	num[n - 2] = '\0';
	if (num[0] == 'x' ? parse_hex(num + 1, 0x10ffff, &v) :
	    parse_u64(num, 0x10ffff, &v))
		return -1;
	return (long)v;
}

/*
 * The text, entities decoded, into out (size n): 0; -1 when it does not
 * fit, holds a character outside printable ASCII (names kbfix compares
 * are ASCII) or a bad entity.
 */
static int
text_copy(const struct span *t, char *out, size_t n)
{
	const char *p;
	size_t len = 0, used;
	long ch;

	for (p = t->p; p < t->end; p++) {
		ch = (unsigned char)*p;
		if (*p == '&') {
			if ((ch = entity(p + 1, t->end, &used)) == -1)
				return -1;
			p += used;
		}
		if (ch < 0x20 || ch >= 0x7f || len + 1 >= n)
			return -1;
		out[len++] = (char)ch;
	}
	out[len] = '\0';
	return 0;
}

/* "2026-09-04T08:45:24.0000000Z" (0 to 9 fraction digits) to seconds. */
static int
system_time(const struct span *t, int64_t *epoch)
{
	char s[32];
	size_t n = (size_t)(t->end - t->p), i = 19;

	if (n < 20 || n >= sizeof(s))
		return -1;
	memcpy(s, t->p, n);
	s[n] = '\0';
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (s[i] != 'Z' || s[i + 1] != '\0')
		return -1;
	s[19] = 'Z';
	s[20] = '\0';
	return time_parse_iso8601(s, epoch);
}

static int
ci_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* The System element: provider, id, time. */
static int
read_system(const struct span *ev, struct winevent *e)
{
	struct span sys = *ev, s, tag, v;
	uint64_t id;
	char num[16];

	if (element(&sys, "System", &tag) == -1 ||
	    (sys.end = find(&sys, "</System>")) == NULL) {
		err_set("no System element");
		return -1;
	}
	s = sys;
	if (element(&s, "Provider", &tag) == -1 ||
	    attribute(&tag, "Name", &v) == -1 ||
	    text_copy(&v, e->provider, sizeof(e->provider)) == -1) {
		err_set("no Provider Name (or not a plain name)");
		return -1;
	}
	s = sys;
	if (element(&s, "EventID", &tag) == -1 ||
	    element_text(&s, &tag, &v) == -1 ||
	    text_copy(&v, num, sizeof(num)) == -1 ||
	    parse_u64(num, 65535, &id) == -1) {
		err_set("no EventID from 0 to 65535");
		return -1;
	}
	e->id = (uint32_t)id;
	s = sys;
	if (element(&s, "TimeCreated", &tag) == -1 ||
	    attribute(&tag, "SystemTime", &v) == -1 ||
	    system_time(&v, &e->time) == -1) {
		err_set("no TimeCreated SystemTime like "
		    "2026-09-04T08:45:24.0000000Z");
		return -1;
	}
	return 0;
}

/*
 * Which Data element holds what this event keeps: by its Name, or by its
 * position when the provider writes them unnamed (older layouts).
 */
enum want { W_NONE, W_CHECK, W_P1, W_P2, W_P3, W_P4, W_MODULE, W_SERVICE };

static int
is_bugcheck_1001(const struct winevent *e)
{
	return e->id == 1001 &&
	    (ci_eq(e->provider, "Microsoft-Windows-WER-SystemErrorReporting") ||
	    ci_eq(e->provider, "BugCheck") || ci_eq(e->provider, "Save Dump"));
}

static enum want
wanted(const struct winevent *e, const char *name, size_t pos)
{
	static const char *const kp[] = { "BugcheckCode",
	    "BugcheckParameter1", "BugcheckParameter2", "BugcheckParameter3",
	    "BugcheckParameter4" };
	size_t i;

	if (is_bugcheck_1001(e))
		return (name ? ci_eq(name, "param1") : pos == 0) ? W_CHECK :
		    W_NONE;
	if (e->id == 41 && ci_eq(e->provider, "Microsoft-Windows-Kernel-Power")) {
		for (i = 0; name && i < 5; i++)
			if (ci_eq(name, kp[i]))
				return (enum want)(W_CHECK + i);
		return W_NONE;
	}
	if (e->id == 1000 && ci_eq(e->provider, "Application Error"))
		return (name ? ci_eq(name, "ModuleName") : pos == 3) ?
		    W_MODULE : W_NONE;
	/* "Timeout (%1 milliseconds) waiting for ... the %2 service" */
	if (ci_eq(e->provider, "Service Control Manager")) {
		i = e->id == 7009 || e->id == 7011 ? 1 : 0;
		if (name)
			return ci_eq(name, i ? "param2" : "param1") ?
			    W_SERVICE : W_NONE;
		return pos == i ? W_SERVICE : W_NONE;
	}
	return W_NONE;
}

/* A "0x..." token at *s, at most max; *s moved past it. */
static int
hex_token(const char **s, uint64_t max, uint64_t *v)
{
	char part[24];
	size_t n = strspn(*s, "0123456789abcdefABCDEFx");

	if (n < 3 || n >= sizeof(part) || str_casecmp_prefix(*s, "0x") != 0)
		return -1;
	memcpy(part, *s, n);
	part[n] = '\0';
	*s += n;
	return parse_hex(part, max, v);
}

/* 1001's param1: "0x00000050 (0xfffff801013caad3, 0x10, 0x.., 0x..)". */
static void
read_bugcheck_text(struct winevent *e, const char *s)
{
	static const char *const sep[5] = { " (", ", ", ", ", ", ", ")" };
	uint64_t v[5] = { 0 };
	size_t i;

	for (i = 0; i < 5; i++) {
		if (hex_token(&s, i ? UINT64_MAX : UINT32_MAX, &v[i]) == -1)
			return;
		if (i == 0 && *s == '\0')
			break;
		if (strncmp(s, sep[i], strlen(sep[i])) != 0)
			return;
		s += strlen(sep[i]);
	}
	if (*s != '\0')
		return;
	e->has_bugcheck = v[0] != 0;
	e->bugcheck = (uint32_t)v[0];
	memcpy(e->param, v + 1, sizeof(e->param));
}

static void
keep(struct winevent *e, enum want w, const char *val)
{
	uint64_t v;

	switch (w) {
	case W_CHECK:
		if (is_bugcheck_1001(e))
			read_bugcheck_text(e, val);
		else if (parse_u64(val, UINT32_MAX, &v) == 0) {
			/* Kernel-Power 41 writes the code in decimal; 0:
			 * no bug check (power loss, a hang) */
			e->has_bugcheck = v != 0;
			e->bugcheck = (uint32_t)v;
		}
		break;
	case W_P1: case W_P2: case W_P3: case W_P4:
		if (parse_hex(val, UINT64_MAX, &v) == 0)
			e->param[w - W_P1] = v;
		break;
	case W_MODULE:
		if (strlen(val) < sizeof(e->module))
			memcpy(e->module, val, strlen(val) + 1);
		break;
	case W_SERVICE:
		if (strlen(val) < sizeof(e->service))
			memcpy(e->service, val, strlen(val) + 1);
		break;
	case W_NONE:
		break;
	}
}

/* EventData: a name too long or not plain ASCII is left out (""). */
static void
read_data(const struct span *ev, struct winevent *e)
{
	struct span d = *ev, tag, v, text;
	char name[64], val[128];	/* 1001 param1 is 90 bytes */
	size_t pos;
	enum want w;

	if (element(&d, "EventData", &tag) == -1 ||
	    (d.end = find(&d, "</EventData>")) == NULL)
		return;
	d.p = tag.end;
	for (pos = 0; element(&d, "Data", &tag) == 0; pos++) {
		if (attribute(&tag, "Name", &v) == 0)
			w = text_copy(&v, name, sizeof(name)) == 0 ?
			    wanted(e, name, pos) : W_NONE;
		else
			w = wanted(e, NULL, pos);
		if (element_text(&d, &tag, &text) == -1)
			return;
		if (w != W_NONE && text_copy(&text, val, sizeof(val)) == 0)
			keep(e, w, val);
		d.p = text.end;
	}
}

static int
read_event(const struct span *ev, struct winevent *e)
{
	memset(e, 0, sizeof(*e));
	if (read_system(ev, e) == -1)
		return -1;
	read_data(ev, e);
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int
parse_text(const char *text, size_t len, struct winevent_list *l)
{
	struct span s = { text, text + len }, ev;
	const char *close;

	for (;;) {
		while (s.p < s.end && is_space(*s.p))
			s.p++;
		if (s.p == s.end)
			return 0;
		if (s.end - s.p < 7 || memcmp(s.p, "<Event", 6) != 0 ||
		    !(s.p[6] == ' ' || s.p[6] == '>')) {
			err_set("event %zu: not an <Event> element", l->n + 1);
			return -1;
		}
		if ((close = find(&s, "</Event>")) == NULL) {
			err_set("event %zu: no </Event> (output cut short?)",
			    l->n + 1);
			return -1;
		}
		if (l->n == TRANSPORT_WINEVENT_MAX) {
			err_set("more than %d events", TRANSPORT_WINEVENT_MAX);
			return -1;
		}
		ev.p = s.p;
		ev.end = close;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		if (read_event(&ev, &l->v[l->n]) == -1) {
			err_prefix("event %zu: ", l->n + 1);
			return -1;
		}
		l->n++;
		s.p = close + strlen("</Event>");
	}
}

int
transport_winevent_parse(const char *p, size_t len, struct winevent_list *l)
{
	char *text;
	size_t n;
	int rc;

	memset(l, 0, sizeof(*l));
	if (len > TRANSPORT_WINEVENT_BYTES) {
		err_set("event log answer larger than %zu bytes",
		    TRANSPORT_WINEVENT_BYTES);
		return -1;
	}
	text = transport_win_text(p, len, &n);
	rc = parse_text(text, n, l);
	free(text);
	if (rc == -1)
		transport_winevent_list_release(l);
	return rc;
}

void
transport_winevent_list_release(struct winevent_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

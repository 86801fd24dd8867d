/*
 * The syntax check of a JSON inventory, before cJSON reads it: RFC 8259
 * exactly (cJSON alone also takes 01, 1., raw control bytes and \u0000),
 * at most JP_DEPTH levels, strings of at most JS_STRING_MAX bytes.  An error
 * gives the line and column.  On the way it finds where "defaults" and each
 * element of "hosts" are, so that the reader parses one host at a time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/inventory_int.h"

#define JP_DEPTH	256
#define JS_STRING_MAX	((size_t)1 << 20)	/* decoded bytes */
#define JS_NUMBER_MAX	64	/* longer numbers: out of every range we accept */

struct js {
	const char	*buf, *p, *end;
	const char	*name;		/* file */
	struct inv_jindex *x;
	size_t		 slen;		/* decoded length of the last string */
	char		 key[16];	/* its first bytes (ASCII only), NUL-ended */
};

static int
js_syntax(const struct js *j, const char *at)
{
	const char *q;
	int line = 1, col = 1;

	for (q = j->buf; q < at && q < j->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	err_set("%s: line %d, column %d: invalid JSON", j->name, line, col);
	return -1;
}

/* The next non-blank byte, or 0 at the end. */
static int
js_peek(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
	return j->p < j->end ? (unsigned char)*j->p : 0;
}

static int
js_expect(struct js *j, int c)
{
	if (js_peek(j) != c)
		return js_syntax(j, j->p);
	j->p++;
	return 0;
}

static int
js_hex4(struct js *j, unsigned *out)
{
	int i;

	*out = 0;
	for (i = 0; i < 4; i++, j->p++) {
		if (j->p >= j->end || !isxdigit((unsigned char)*j->p))
			return js_syntax(j, j->p);
		*out = *out * 16 + (unsigned)(isdigit((unsigned char)*j->p) ?
		    *j->p - '0' : (tolower((unsigned char)*j->p) - 'a' + 10));
	}
	return 0;
}

/* One decoded character of the string: counted, kept when it is ASCII. */
static void
js_char(struct js *j, unsigned c)
{
	if (j->slen < sizeof(j->key) - 1)
		j->key[j->slen] = c < 0x80 ? (char)c : '\x7f';
	j->slen += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* \uXXXX, with surrogate pairs; \u0000 is refused (C strings). */
static int
js_unicode(struct js *j)
{
	const char *at = j->p - 2;
	unsigned c, lo;

	if (js_hex4(j, &c) == -1)
		return -1;
	if (c >= 0xd800 && c <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
			return js_syntax(j, at);
		j->p += 2;
		if (js_hex4(j, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return js_syntax(j, at);
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	} else if ((c >= 0xdc00 && c <= 0xdfff) || c == 0)
		return js_syntax(j, at);
	js_char(j, c);
	return 0;
}

static int
js_escape(struct js *j)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	const char *e;

	if (j->p + 1 >= j->end)
		return js_syntax(j, j->p);
	j->p++;
	if (*j->p == 'u') {
		j->p++;
		return js_unicode(j);
	}
	if ((e = strchr(esc_in, *j->p)) == NULL || *e == '\0')
		return js_syntax(j, j->p);
	js_char(j, (unsigned char)esc_out[e - esc_in]);
	j->p++;
	return 0;
}

static int
js_string(struct js *j)
{
	if (js_peek(j) != '"')
		return js_syntax(j, j->p);
	j->slen = 0;
	memset(j->key, 0, sizeof(j->key));
	for (j->p++; ; ) {
		if (j->p >= j->end || (unsigned char)*j->p < 0x20)
			return js_syntax(j, j->p);
		if (*j->p == '"')
			break;
		if (*j->p == '\\') {
			if (js_escape(j) == -1)
				return -1;
			continue;
		}
		if ((unsigned char)*j->p >= 0x80) {
			/* cJSON passes any byte on: bad UTF-8 would reach
			 * the plan, its reports and the export */
			size_t n = utf8_char_len(j->p, (size_t)(j->end - j->p));

			if (n == 0) {
				char msg[512];

				js_syntax(j, j->p);
				snprintf(msg, sizeof(msg), "%s", err_msg());
				err_set("%s (not UTF-8)", msg);
				return -1;
			}
			while (n-- > 0)
				js_char(j, (unsigned char)*j->p++);
			continue;
		}
		js_char(j, (unsigned char)*j->p++);
	}
	j->p++;
	if (j->slen > JS_STRING_MAX) {
		err_set("%s: a string longer than %zu bytes", j->name,
		    JS_STRING_MAX);
		return -1;
	}
	return 0;
}

static int
js_key_is(const struct js *j, const char *k)
{
	return j->slen == strlen(k) && strcmp(j->key, k) == 0;
}

static const char *
js_digits(const char *q, const char *end)
{
	while (q < end && isdigit((unsigned char)*q))
		q++;
	return q;
}

/*
 * A long number is written over as 1e300 in a copy of the document (cJSON
 * reads at most 63 bytes of a number), so it stays out of every range.
 */
static void
js_long_number(struct js *j, const char *s, const char *q)
{
	size_t off = (size_t)(s - j->buf), n = (size_t)(q - s);

	if (j->x->patch == NULL) {
		j->x->patch = xmalloc((size_t)(j->end - j->buf));
		memcpy(j->x->patch, j->buf, (size_t)(j->end - j->buf));
	}
	memset(j->x->patch + off, ' ', n);
	memcpy(j->x->patch + off, "1e300", 5);
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
js_number(struct js *j)
{
	const char *s = j->p, *q = j->p;

	if (q < j->end && *q == '-')
		q++;
	if (q >= j->end || !isdigit((unsigned char)*q))
		return js_syntax(j, q);
	q = *q == '0' ? q + 1 : js_digits(q, j->end);
	if (q < j->end && *q == '.') {
		if (++q >= j->end || !isdigit((unsigned char)*q))
			return js_syntax(j, q);
		q = js_digits(q, j->end);
	}
	if (q < j->end && (*q == 'e' || *q == 'E')) {
		if (++q < j->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= j->end || !isdigit((unsigned char)*q))
			return js_syntax(j, q);
		q = js_digits(q, j->end);
	}
	if (q - s >= JS_NUMBER_MAX)
		js_long_number(j, s, q);
	j->p = q;
	return 0;
}

static int
js_literal(struct js *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return js_syntax(j, j->p);
	j->p += n;
	return 0;
}

static int js_value(struct js *, int depth);

static int
js_members(struct js *j, int depth, int object)
{
	int close = object ? '}' : ']';

	j->p++;
	if (js_peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (object && (js_string(j) == -1 || js_expect(j, ':') == -1))
			return -1;
		if (js_value(j, depth + 1) == -1)
			return -1;
		if (js_peek(j) != ',')
			return js_expect(j, close);
		j->p++;
	}
}

/* Any value, checked. */
static int
js_value(struct js *j, int depth)
{
	if (depth > JP_DEPTH)
		return js_syntax(j, j->p);
	switch (js_peek(j)) {
	case '{':
		return js_members(j, depth, 1);
	case '[':
		return js_members(j, depth, 0);
	case '"':
		return js_string(j);
	case 't':
		return js_literal(j, "true");
	case 'f':
		return js_literal(j, "false");
	case 'n':
		return js_literal(j, "null");
	default:
		return js_number(j);
	}
}

/* A value at depth, and where it is. */
static int
js_span(struct js *j, int depth, struct inv_jspan *s)
{
	js_peek(j);
	s->off = (size_t)(j->p - j->buf);
	if (js_value(j, depth) == -1)
		return -1;
	s->len = (size_t)(j->p - j->buf) - s->off;
	return 0;
}

static int
js_hosts(struct js *j)
{
	struct inv_jindex *x = j->x;

	if (js_peek(j) != '[') {
		err_set("%s: hosts: must be an array of host objects", j->name);
		return -1;
	}
	j->p++;
	if (js_peek(j) == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (x->nhosts == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 1024;
			x->hosts = xreallocarray(x->hosts, x->cap,
			    sizeof(*x->hosts));
		}
		if (js_span(j, 2, &x->hosts[x->nhosts++]) == -1)
			return -1;
		if (js_peek(j) != ',')
			return js_expect(j, ']');
		j->p++;
	}
}

/* One member of the root object; "hosts" or "defaults" twice is refused. */
static int
js_root_member(struct js *j, int *seen_hosts)
{
	if (js_string(j) == -1 || js_expect(j, ':') == -1)
		return -1;
	if ((js_key_is(j, "hosts") && *seen_hosts) ||
	    (js_key_is(j, "defaults") && j->x->has_defaults) ||
	    (js_key_is(j, "groups") && j->x->has_groups)) {
		err_set("%s: \"%s\" given twice (JSON readers disagree on "
		    "which counts)", j->name, js_key_is(j, "hosts") ? "hosts" :
		    js_key_is(j, "groups") ? "groups" : "defaults");
		return -1;
	}
	if (js_key_is(j, "groups")) {
		j->x->has_groups = 1;
		return js_span(j, 1, &j->x->groups);
	}
	if (js_key_is(j, "hosts")) {
		*seen_hosts = 1;
		return js_hosts(j);
	}
	if (js_key_is(j, "defaults")) {
		j->x->has_defaults = 1;
		return js_span(j, 1, &j->x->defaults);
	}
	return js_value(j, 1);
}

static int
js_root(struct js *j)
{
	int seen_hosts = 0;

	if (js_peek(j) != '{') {
		if (js_value(j, 0) == -1)
			return -1;
		goto missing;
	}
	j->p++;
	if (js_peek(j) != '}')
		for (;;) {
			if (js_root_member(j, &seen_hosts) == -1)
				return -1;
			if (js_peek(j) != ',')
				break;
			j->p++;		/* a member must follow */
		}
	if (js_expect(j, '}') == -1)
		return -1;
	if (js_peek(j) != 0)
		return js_syntax(j, j->p);
	if (seen_hosts)
		return 0;
missing:
	err_set("%s: hosts: missing; an inventory is {\"defaults\": "
	    "{...}, \"hosts\": [...]}", j->name);
	return -1;
}

int
inv_json_scan(const char *name, const char *buf, size_t len,
    struct inv_jindex *x)
{
	struct js j = { .buf = buf, .p = buf, .end = buf + len, .name = name,
	    .x = x };

	memset(x, 0, sizeof(*x));
	return js_root(&j);
}

void
inv_jindex_release(struct inv_jindex *x)
{
	free(x->hosts);
	free(x->patch);
	memset(x, 0, sizeof(*x));
}

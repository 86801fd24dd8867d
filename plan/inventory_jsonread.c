/*
 * The JSON inventory reader: a JSON document into struct plan_inv_host,
 * through the checks inventory.c shares with the CSV reader.  Reading
 * only: inventory_json.c is the writer, which turns a parsed inventory
 * back into JSON for discover.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "engine.h"
#include "inventory_int.h"

/*
 * JSON: a streaming reader rather than a cJSON tree, because a
 * 100,000-host inventory would otherwise build and free millions of nodes
 * (tests/bench/plan.sh).  A first pass checks the syntax (an error gives
 * the line and column), finds "defaults", "hosts" and each host's start
 * and name; a second pass reads the fields of each host, on two threads
 * for large inventories.  Later duplicate keys are ignored, as cJSON does.
 */
/* In the order of json_fields[]. */
enum jfield {
	F_ADDRESS, F_PORT, F_USER, F_OS, F_VERSION, F_ARCH, F_CHANNEL,
	F_INSTALLED, F_FILES, F_MULTICAST, F_WFP, F_REGISTRY, F_ROLES,
	F_GROUP, F_WAVE, F_TRANSPORT, F_PENDING
};

static const char *const json_fields[] = {
	"address", "port", "user", "os", "version", "arch", "channel",
	"installed", "files", "multicast_forwarding", "wfp_callout_drivers",
	"registry", "roles", "group", "wave", "transport", "pending_reboot"
};

#define NJSON_FIELDS (sizeof(json_fields) / sizeof(json_fields[0]))

static int
json_field_index(const char *k)
{
	size_t i;

	for (i = 0; i < NJSON_FIELDS; i++)
		if (k[0] == json_fields[i][0] && strcmp(k, json_fields[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * One pass over the host's members, then over the defaults for the fields
 * the host did not set: a 100,000-host inventory stays linear and cheap.
 */
#define JP_DEPTH	256

struct jp {
	const char	*buf, *p, *end;
	const char	*name;		/* file */
	struct buf	 str;		/* the last string read, decoded */
};

static int
jp_syntax(const struct jp *j, const char *at)
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

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* The next non-blank byte, or 0 at the end. */
static int
jp_peek(struct jp *j)
{
	jp_ws(j);
	return j->p < j->end ? (unsigned char)*j->p : 0;
}

static int
jp_expect(struct jp *j, int c)
{
	if (jp_peek(j) != c)
		return jp_syntax(j, j->p);
	j->p++;
	return 0;
}

static int
jp_hex4(struct jp *j, unsigned *out)
{
	int i;

	*out = 0;
	for (i = 0; i < 4; i++, j->p++) {
		if (j->p >= j->end || !isxdigit((unsigned char)*j->p))
			return jp_syntax(j, j->p);
		*out = *out * 16 + (unsigned)(isdigit((unsigned char)*j->p) ?
		    *j->p - '0' : (tolower((unsigned char)*j->p) - 'a' + 10));
	}
	return 0;
}

static void
jp_utf8(struct buf *b, unsigned c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* \uXXXX, with surrogate pairs; \u0000 is refused (C strings). */
static int
jp_unicode(struct jp *j)
{
	const char *at = j->p - 2;
	unsigned c, lo;

	if (jp_hex4(j, &c) == -1)
		return -1;
	if (c >= 0xd800 && c <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
			return jp_syntax(j, at);
		j->p += 2;
		if (jp_hex4(j, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jp_syntax(j, at);
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	} else if ((c >= 0xdc00 && c <= 0xdfff) || c == 0)
		return jp_syntax(j, at);
	jp_utf8(&j->str, c);
	return 0;
}

/* A string at j->p into j->str; plain runs are copied at once. */
static int
jp_string(struct jp *j)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
	const char *run, *e;

	if (jp_peek(j) != '"')
		return jp_syntax(j, j->p);
	buf_reset(&j->str);
	buf_add(&j->str, "", 0);
	for (run = ++j->p; ; ) {
		if (j->p >= j->end)
			return jp_syntax(j, j->p);
		if (*j->p == '"' || *j->p == '\\' ||
		    (unsigned char)*j->p < 0x20) {
			buf_add(&j->str, run, (size_t)(j->p - run));
			if (*j->p == '"')
				break;
			if ((unsigned char)*j->p < 0x20 || j->p + 1 >= j->end)
				return jp_syntax(j, j->p);
			j->p++;
			if (*j->p == 'u') {
				j->p++;
				if (jp_unicode(j) == -1)
					return -1;
			} else if ((e = strchr(esc_in, *j->p)) != NULL && *e) {
				buf_addc(&j->str, esc_out[e - esc_in]);
				j->p++;
			} else
				return jp_syntax(j, j->p);
			run = j->p;
			continue;
		}
		j->p++;
	}
	j->p++;
	if (j->str.failed) {
		err_set("%s: a string longer than %zu bytes", j->name, j->str.max);
		return -1;
	}
	return 0;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
jp_number(struct jp *j, double *out)
{
	const char *s = j->p, *q = j->p;
	char tmp[64];

	if (q < j->end && *q == '-')
		q++;
	if (q >= j->end || !isdigit((unsigned char)*q))
		return jp_syntax(j, q);
	if (*q == '0')
		q++;
	else
		while (q < j->end && isdigit((unsigned char)*q))
			q++;
	if (q < j->end && *q == '.') {
		if (++q >= j->end || !isdigit((unsigned char)*q))
			return jp_syntax(j, q);
		while (q < j->end && isdigit((unsigned char)*q))
			q++;
	}
	if (q < j->end && (*q == 'e' || *q == 'E')) {
		if (++q < j->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= j->end || !isdigit((unsigned char)*q))
			return jp_syntax(j, q);
		while (q < j->end && isdigit((unsigned char)*q))
			q++;
	}
	j->p = q;
	if ((size_t)(q - s) >= sizeof(tmp)) {
		*out = 1e300;	/* out of every range we accept */
		return 0;
	}
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = '\0';
	*out = strtod(tmp, NULL);
	return 0;
}

static int
jp_literal(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return jp_syntax(j, j->p);
	j->p += n;
	return 0;
}

static int jp_skip(struct jp *, int depth);

static int
jp_skip_members(struct jp *j, int depth, int object)
{
	int close = object ? '}' : ']';

	j->p++;
	if (jp_peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (object && (jp_string(j) == -1 || jp_expect(j, ':') == -1))
			return -1;
		if (jp_skip(j, depth + 1) == -1)
			return -1;
		if (jp_peek(j) == ',') {
			j->p++;
			continue;
		}
		return jp_expect(j, close);
	}
}

/* Any value, checked. */
static int
jp_skip(struct jp *j, int depth)
{
	double d;

	if (depth > JP_DEPTH)
		return jp_syntax(j, j->p);
	switch (jp_peek(j)) {
	case '{':
		return jp_skip_members(j, depth, 1);
	case '[':
		return jp_skip_members(j, depth, 0);
	case '"':
		return jp_string(j);
	case 't':
		return jp_literal(j, "true");
	case 'f':
		return jp_literal(j, "false");
	case 'n':
		return jp_literal(j, "null");
	default:
		return jp_number(j, &d);
	}
}

/* Pass 1: where each host starts and where its "name" value is. */
struct jindex {
	const char	*defaults;	/* the defaults object, or NULL */
	const char	**at;		/* host i starts here */
	const char	**name;		/* its "name" value, or NULL */
	size_t		 n, cap;
};

static int
jx_host(struct jp *j, struct jindex *x)
{
	const char *value;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->at = xreallocarray(x->at, x->cap, sizeof(*x->at));
		x->name = xreallocarray(x->name, x->cap, sizeof(*x->name));
	}
	jp_ws(j);
	x->at[x->n] = j->p;
	x->name[x->n] = NULL;
	x->n++;
	if (jp_peek(j) != '{')
		return jp_skip(j, 2);
	j->p++;
	if (jp_peek(j) == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (jp_string(j) == -1 || jp_expect(j, ':') == -1)
			return -1;
		value = (jp_ws(j), j->p);
		if (strcmp(buf_str(&j->str), "name") == 0 &&
		    x->name[x->n - 1] == NULL)
			x->name[x->n - 1] = value;
		if (jp_skip(j, 3) == -1)
			return -1;
		if (jp_peek(j) == ',') {
			j->p++;
			continue;
		}
		return jp_expect(j, '}');
	}
}

static int
jx_hosts(struct jp *j, struct jindex *x)
{
	if (jp_peek(j) != '[') {
		err_set("%s: hosts: must be an array of host objects", j->name);
		return -1;
	}
	j->p++;
	if (jp_peek(j) == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (jx_host(j, x) == -1)
			return -1;
		if (jp_peek(j) == ',') {
			j->p++;
			continue;
		}
		return jp_expect(j, ']');
	}
}

static int
jx_root(struct jp *j, struct jindex *x)
{
	int seen_hosts = 0, c;

	if (jp_peek(j) != '{') {
		if (jp_skip(j, 0) == -1)
			return -1;
		err_set("%s: hosts: missing; an inventory is {\"defaults\": "
		    "{...}, \"hosts\": [...]}", j->name);
		return -1;
	}
	j->p++;
	for (c = jp_peek(j); c != '}'; ) {
		if (jp_string(j) == -1 || jp_expect(j, ':') == -1)
			return -1;
		if (strcmp(buf_str(&j->str), "hosts") == 0 && !seen_hosts) {
			seen_hosts = 1;
			if (jx_hosts(j, x) == -1)
				return -1;
		} else {
			if (strcmp(buf_str(&j->str), "defaults") == 0 &&
			    x->defaults == NULL)
				x->defaults = (jp_ws(j), j->p);
			if (jp_skip(j, 1) == -1)
				return -1;
		}
		if (jp_peek(j) != ',')
			break;
		j->p++;		/* a member must follow */
	}
	if (jp_expect(j, '}') == -1)
		return -1;
	if (jp_peek(j) != 0)
		return jp_syntax(j, j->p);
	if (!seen_hosts) {
		err_set("%s: hosts: missing; an inventory is {\"defaults\": "
		    "{...}, \"hosts\": [...]}", j->name);
		return -1;
	}
	return 0;
}

/* Pass 2: the fields.  The syntax is known to be right by now. */

static int
jp_int(struct jp *j, const struct ird *r, const char *field, int lo, int hi,
    int *out)
{
	double d;

	if (jp_peek(j) != '-' && !isdigit((unsigned char)jp_peek(j)))
		return inv_fail(r, field, "must be an integer %d to %d", lo, hi);
	if (jp_number(j, &d) == -1 || d != (double)(long)d || d < lo || d > hi)
		return inv_fail(r, field, "must be an integer %d to %d", lo, hi);
	*out = (int)d;
	return 0;
}

static int
jp_strings(struct jp *j, const struct ird *r, enum jfield f,
    struct plan_inv_host *h)
{
	const char *field = json_fields[f];

	if (jp_peek(j) != '[')
		return inv_fail(r, field, "must be an array of strings");
	j->p++;
	if (f == F_INSTALLED)
		h->has_installed = 1;
	if (jp_peek(j) == ']')
		return j->p++, 0;
	for (;;) {
		if (jp_peek(j) != '"')
			return inv_fail(r, field, "must be an array of strings");
		if (jp_string(j) == -1)
			return -1;
		if (f == F_INSTALLED) {
			if (inv_add_kb(r, h, buf_str(&j->str)) == -1)
				return -1;
		} else {
			h->roles = inv_agrow(r, h->roles, h->nroles,
			    sizeof(*h->roles));
			h->roles[h->nroles++] = inv_adup(r, buf_str(&j->str));
		}
		if (jp_peek(j) != ',')
			return jp_expect(j, ']');
		j->p++;
	}
}

/* An object of name: value pairs (files, registry). */
static int
jp_pairs(struct jp *j, const struct ird *r, enum jfield f,
    struct plan_inv_host *h)
{
	char key[1024];
	double d;
	int rc;

	if (jp_peek(j) != '{')
		return inv_fail(r, json_fields[f], f == F_FILES ? "must be an "
		    "object of file versions, e.g. {\"tcpip.sys\": "
		    "\"6.1.7600.16385\"}" : "must be an object of value paths");
	j->p++;
	*(f == F_FILES ? &h->has_files : &h->has_registry) = 1;
	if (jp_peek(j) == '}')
		return j->p++, 0;
	for (;;) {
		if (jp_string(j) == -1 || jp_expect(j, ':') == -1)
			return -1;
		snprintf(key, sizeof(key), "%s", buf_str(&j->str));
		if (jp_peek(j) == '"') {
			if (jp_string(j) == -1)
				return -1;
			rc = f == F_FILES ? inv_add_file(r, h, key, buf_str(&j->str)) :
			    inv_add_reg_text(r, h, key, buf_str(&j->str));
		} else if (f == F_REGISTRY && (jp_peek(j) == '-' ||
		    isdigit((unsigned char)jp_peek(j)))) {
			if (jp_number(j, &d) == -1)
				return -1;
			if (d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d)
				return inv_fail(r, "registry", "%s: must be a "
				    "32-bit unsigned integer or a string", key);
			rc = inv_add_reg(r, h, key, 1, (uint32_t)d, NULL);
		} else
			return inv_fail(r, json_fields[f], f == F_FILES ?
			    "%s: must be a version string" :
			    "%s: must be a number or a string", key);
		if (rc == -1)
			return -1;
		if (jp_peek(j) != ',')
			return jp_expect(j, '}');
		j->p++;
	}
}

static int
jp_field(struct jp *j, const struct ird *r, enum jfield f,
    struct plan_inv_host *h)
{
	const char *name = json_fields[f];
	int c;

	switch (f) {
	case F_PORT:
		return jp_int(j, r, name, 1, 65535, &h->port);
	case F_WAVE:
		return jp_int(j, r, name, 1, 1000000, &h->wave);
	case F_WFP:
		return jp_int(j, r, name, 0, 1000, &h->wfp_drivers);
	case F_MULTICAST:
	case F_PENDING:
		c = jp_peek(j);
		if (c != 't' && c != 'f')
			return inv_fail(r, name, "must be true or false");
		*(f == F_MULTICAST ? &h->multicast : &h->pending_reboot) =
		    c == 't';
		return jp_literal(j, c == 't' ? "true" : "false");
	case F_INSTALLED:
	case F_ROLES:
		return jp_strings(j, r, f, h);
	case F_FILES:
	case F_REGISTRY:
		return jp_pairs(j, r, f, h);
	default:
		break;
	}
	if (jp_peek(j) != '"')
		return inv_fail(r, name, "must be a string");
	if (jp_string(j) == -1)
		return -1;
	return inv_set_str(r, h, name, buf_str(&j->str));
}

/* The members of the object at j->p that *seen does not have yet. */
static int
jp_fields(struct jp *j, const struct ird *r, struct plan_inv_host *h,
    uint32_t *seen)
{
	int f;

	if (jp_expect(j, '{') == -1)
		return -1;
	if (jp_peek(j) == '}')
		return j->p++, 0;
	for (;;) {
		if (jp_string(j) == -1 || jp_expect(j, ':') == -1)
			return -1;
		f = json_field_index(buf_str(&j->str));
		if (f < 0 || (*seen & (1u << f)) || jp_peek(j) == 'n') {
			if (jp_skip(j, 3) == -1)
				return -1;
		} else {
			*seen |= 1u << f;
			if (jp_field(j, r, (enum jfield)f, h) == -1)
				return -1;
		}
		if (jp_peek(j) != ',')
			return jp_expect(j, '}');
		j->p++;
	}
}

/* The defaults fill what the host did not set (shared, read-only). */
static void
apply_defaults(struct plan_inv_host *h, const struct plan_inv_host *d,
    uint32_t seen, uint32_t dseen)
{
	uint32_t m = dseen & ~seen;

#define TAKE(bit, field)	if (m & (1u << (bit))) h->field = d->field
	TAKE(F_ADDRESS, address);
	TAKE(F_PORT, port);
	TAKE(F_USER, user);
	TAKE(F_OS, os_raw);
	TAKE(F_VERSION, version);
	TAKE(F_ARCH, arch);
	TAKE(F_CHANNEL, channel);
	TAKE(F_MULTICAST, multicast);
	TAKE(F_WFP, wfp_drivers);
	TAKE(F_GROUP, group);
	TAKE(F_WAVE, wave);
	TAKE(F_TRANSPORT, transport);
	TAKE(F_PENDING, pending_reboot);
#undef TAKE
	if (m & (1u << F_INSTALLED)) {
		h->installed = d->installed;
		h->ninstalled = d->ninstalled;
		h->has_installed = d->has_installed;
	}
	if (m & (1u << F_FILES)) {
		h->files = d->files;
		h->nfiles = d->nfiles;
		h->has_files = d->has_files;
	}
	if (m & (1u << F_REGISTRY)) {
		h->registry = d->registry;
		h->nregistry = d->nregistry;
		h->has_registry = d->has_registry;
	}
	if (m & (1u << F_ROLES)) {
		h->roles = d->roles;
		h->nroles = d->nroles;
	}
}

struct j_range {
	struct plan_inventory	*inv;
	const struct jindex	*x;
	const struct plan_inv_host *dflt;
	uint32_t		 dseen;
	const char		*buf, *end;
	size_t			 from, to;
	struct plan_arena	*arena;
	char			*error;		/* first error of the range */
};

static int
jp_host(struct jp *j, struct ird *r, const struct j_range *jr, size_t i)
{
	struct plan_inv_host *h = &jr->inv->hosts[i];
	uint32_t seen = 0;

	snprintf(r->where, sizeof(r->where), "hosts[%zu].", i);
	j->p = jr->x->at[i];
	if (jp_peek(j) != '{')
		return inv_fail(r, "name", "a host must be an object");
	if ((j->p = jr->x->name[i]) == NULL)
		return inv_fail(r, "name", "missing");
	if (jp_peek(j) != '"' || jp_string(j) == -1 ||
	    !plan_valid_hostname(buf_str(&j->str)))
		return inv_fail(r, "name", "must be a string of 1-63 "
		    "[A-Za-z0-9._-]");
	h->name = inv_adup(r, buf_str(&j->str));
	snprintf(r->where, sizeof(r->where), "hosts[%zu] (%s).", i, h->name);
	j->p = jr->x->at[i];
	if (jp_fields(j, r, h, &seen) == -1)
		return -1;
	apply_defaults(h, jr->dflt, seen, jr->dseen);
	return inv_host_finish(r, h);
}

static void *
j_range(void *arg)
{
	struct j_range *jr = arg;
	struct ird r = { .name = jr->inv->name, .arena = jr->arena };
	struct jp j = { .buf = jr->buf, .end = jr->end, .name = jr->inv->name };
	size_t i;

	buf_init(&j.str, 1 << 20);
	for (i = jr->from; i < jr->to; i++)
		if (jp_host(&j, &r, jr, i) == -1) {
			jr->error = xstrdup(err_msg());
			break;
		}
	buf_release(&j.str);
	return NULL;
}

/* Hosts are independent: a large inventory is read on two threads. */
static int
read_hosts(struct plan_inventory *inv, struct j_range *r1)
{
	struct j_range r2;
	pthread_t t;
	size_t i, n = r1->x->n;
	int threaded, rc = 0;

	inv->hosts = xcalloc(n + 1, sizeof(*inv->hosts));
	for (i = 0; i < n; i++)
		inv_host_init(&inv->hosts[i]);
	inv->nhosts = n;
	r1->to = n;
	r2 = *r1;
	threaded = n >= PLAN_THREAD_MIN;
	if (threaded) {
		r1->to = r2.from = n / 2;
		r2.arena = plan_arena_new();
		if (pthread_create(&t, NULL, j_range, &r2) != 0) {
			plan_arena_free(r2.arena);
			r1->to = n;
			threaded = 0;
		}
	}
	j_range(r1);
	if (threaded) {
		pthread_join(t, NULL);
		plan_arena_adopt(inv->arena, r2.arena);
	}
	if (r1->error || (threaded && r2.error)) {
		err_set("%s", r1->error ? r1->error : r2.error);
		rc = -1;
	}
	free(r1->error);
	if (threaded)
		free(r2.error);
	return rc;
}

int
inv_parse_json(struct plan_inventory *inv, const char *buf, size_t len)
{
	struct jp j = { .buf = buf, .p = buf, .end = buf + len,
	    .name = inv->name };
	struct jindex x = { 0 };
	struct ird r = { .name = inv->name, .arena = inv->arena };
	struct plan_inv_host dflt;
	struct j_range jr = { .inv = inv, .x = &x, .dflt = &dflt, .buf = buf,
	    .end = buf + len, .arena = inv->arena };
	int rc = -1;

	inv_host_init(&dflt);
	buf_init(&j.str, 1 << 20);
	if (jx_root(&j, &x) == -1)
		goto out;
	if (x.defaults) {
		snprintf(r.where, sizeof(r.where), "defaults.");
		j.p = x.defaults;
		if (jp_peek(&j) != '{') {
			err_set("%s: defaults: must be an object", inv->name);
			goto out;
		}
		if (jp_fields(&j, &r, &dflt, &jr.dseen) == -1)
			goto out;
	}
	if (read_hosts(inv, &jr) == 0)
		rc = inv_check_duplicates(inv, 0);
out:
	buf_release(&j.str);
	free(x.at);
	free(x.name);
	return rc;
}

/*
 * Inventory readers: JSON, CSV with the same field names (lists separated
 * by ';'), and the Active Directory export CSV (DESIGN.md "Inventory").
 * Both formats go through set_field(), so a field means the same in each.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan.h"
#include "engine.h"

#define CSV_MAX_FIELDS	64

struct ird {
	const char	*name;		/* file name */
	struct plan_arena *arena;	/* where the hosts' strings go */
	char		 where[128];	/* "hosts[2] (web01)." or "line 4 (web01): " */
};

static int
ifail(const struct ird *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ifail(const struct ird *r, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set("%s: %s%s: %s", r->name, r->where, field, msg);
	return -1;
}

/* Fields: strings and arrays live in the inventory's arena (one per thread). */

static char *
adup(const struct ird *r, const char *s)
{
	return plan_arena_strdup(r->arena, s);
}

/*
 * Room for one more element in an array of n: capacities are 4, 8, 16...
 * (implied by n), older copies stay in the arena until it is freed.
 */
static void *
agrow(const struct ird *r, void *v, size_t n, size_t size)
{
	void *nv;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return v;
	nv = plan_arena_alloc(r->arena, (n < 4 ? 4 : 2 * n) * size);
	if (n)
		memcpy(nv, v, n * size);
	return nv;
}

static char **
split_list(const char *s, size_t *n)
{
	char **v = NULL, *copy = xstrdup(s), *p = copy, *e, *t;

	*n = 0;
	for (;;) {
		e = strchr(p, ';');
		if (e)
			*e = '\0';
		t = str_trim(p);
		if (*t) {
			v = xreallocarray(v, *n + 2, sizeof(*v));
			v[(*n)++] = xstrdup(t);
			v[*n] = NULL;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	free(copy);
	return v;
}

static int
add_kb(const struct ird *r, struct plan_inv_host *h, const char *kb)
{
	char *up = adup(r, kb), *p;

	for (p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!plan_valid_kb(up))
		return ifail(r, "installed", "'%s' is not a KB id like "
		    "KB4338823", kb);
	h->installed = agrow(r, h->installed, h->ninstalled,
	    sizeof(*h->installed));
	h->installed[h->ninstalled++] = up;
	return 0;
}

static int
add_file(const struct ird *r, struct plan_inv_host *h, const char *name,
    const char *version)
{
	struct plan_inv_file *f;
	char *p;

	if (*name == '\0' || strlen(name) > 255 || strchr(name, '\\'))
		return ifail(r, "files", "'%s' is not a file name", name);
	if (!plan_valid_fileversion(version))
		return ifail(r, "files", "%s: '%s' is not a file version like "
		    "6.1.7600.16385", name, version);
	h->files = agrow(r, h->files, h->nfiles, sizeof(*h->files));
	f = &h->files[h->nfiles++];
	f->name = adup(r, name);
	for (p = f->name; *p; p++)	/* Windows file names: any case */
		*p = (char)tolower((unsigned char)*p);
	f->version = adup(r, version);
	return 0;
}

static int
add_reg(const struct ird *r, struct plan_inv_host *h, const char *path,
    int is_num, uint32_t num, const char *str)
{
	struct plan_inv_reg *g;
	char *norm = plan_norm_regpath(path);

	if (norm == NULL)
		return ifail(r, "registry", "'%s' is not a plain HKLM\\... "
		    "value path", path);
	h->registry = agrow(r, h->registry, h->nregistry, sizeof(*h->registry));
	g = &h->registry[h->nregistry++];
	g->path = adup(r, norm);
	free(norm);
	g->is_num = is_num;
	g->num = num;
	g->str = str ? adup(r, str) : NULL;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "1", "enabled", "on" };
	static const char *const no[] = { "false", "no", "0", "disabled", "off" };
	size_t i;

	for (i = 0; i < 5; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
parse_hex32(const char *s, uint64_t *out)
{
	char *end;

	if (!isxdigit((unsigned char)*s) || strlen(s) > 8)
		return -1;
	*out = strtoull(s, &end, 16);
	return *end == '\0' ? 0 : -1;
}

/* A value written as text: "1" and "0x10" are REG_DWORDs (reg query prints them so). */
static int
add_reg_text(const struct ird *r, struct plan_inv_host *h, const char *path,
    const char *val)
{
	uint64_t num = 0;
	int isnum = strncasecmp(val, "0x", 2) == 0 ?
	    parse_hex32(val + 2, &num) == 0 :
	    parse_u64(val, 0xffffffffu, &num) == 0;

	return add_reg(r, h, path, isnum, (uint32_t)num, isnum ? NULL : val);
}

/* A string field of a host; CSV passes every field through here. */
static int
set_str(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	char **slot = NULL;

	if (strcmp(field, "arch") == 0) {
		if ((h->arch = plan_norm_arch(v)) == NULL)
			return ifail(r, field, "'%s' is not x86, x64 or ia64", v);
		return 0;
	}
	if (strcmp(field, "address") == 0)
		slot = &h->address;
	else if (strcmp(field, "user") == 0)
		slot = &h->user;
	else if (strcmp(field, "group") == 0)
		slot = &h->group;
	else if (strcmp(field, "os") == 0)
		slot = &h->os_raw;
	else if (strcmp(field, "channel") == 0)
		slot = &h->channel;
	else if (strcmp(field, "transport") == 0)
		slot = &h->transport;
	else if (strcmp(field, "version") == 0)
		slot = &h->version;
	if (slot == NULL)
		return 1;
	if (strlen(v) > 1024)
		return ifail(r, field, "longer than 1024 bytes");
	*slot = adup(r, v);
	return 0;
}

static int
set_csv_list(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	char **items, *eq;
	size_t n, i;
	int rc = 0;

	items = split_list(v, &n);
	if (strcmp(field, "installed") == 0)
		h->has_installed = 1;
	else if (strcmp(field, "files") == 0)
		h->has_files = 1;
	else if (strcmp(field, "registry") == 0)
		h->has_registry = 1;
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(field, "installed") == 0) {
			rc = add_kb(r, h, items[i]);
			continue;
		}
		if (strcmp(field, "roles") == 0) {
			h->roles = agrow(r, h->roles, h->nroles,
			    sizeof(*h->roles));
			h->roles[h->nroles++] = adup(r, items[i]);
			continue;
		}
		if ((eq = strrchr(items[i], '=')) == NULL) {
			rc = ifail(r, field, "'%s' is not NAME=VALUE", items[i]);
			continue;
		}
		*eq++ = '\0';
		if (strcmp(field, "files") == 0)
			rc = add_file(r, h, str_trim(items[i]), str_trim(eq));
		else
			rc = add_reg_text(r, h, str_trim(items[i]), str_trim(eq));
	}
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return rc;
}

/* A CSV cell: every field as text. */
static int
set_csv_field(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	int rc;

	if (*v == '\0')
		return 0;		/* an empty cell: the fact is absent */
	if ((rc = set_str(r, h, field, v)) != 1)
		return rc;
	if (strcmp(field, "port") == 0)
		return parse_int(v, 1, 65535, &h->port) == -1 ?
		    ifail(r, field, "'%s' is not a port 1-65535", v) : 0;
	if (strcmp(field, "wave") == 0)
		return parse_int(v, 1, 1000000, &h->wave) == -1 ?
		    ifail(r, field, "'%s' is not a wave number 1-1000000", v) : 0;
	if (strcmp(field, "wfp_callout_drivers") == 0)
		return parse_int(v, 0, 1000, &h->wfp_drivers) == -1 ?
		    ifail(r, field, "'%s' is not a count 0-1000", v) : 0;
	if (strcmp(field, "multicast_forwarding") == 0)
		return parse_bool(v, &h->multicast) == -1 ?
		    ifail(r, field, "'%s' is not true or false", v) : 0;
	if (strcmp(field, "pending_reboot") == 0)
		return parse_bool(v, &h->pending_reboot) == -1 ?
		    ifail(r, field, "'%s' is not true or false", v) : 0;
	if (strcmp(field, "installed") == 0 || strcmp(field, "files") == 0 ||
	    strcmp(field, "registry") == 0 || strcmp(field, "roles") == 0)
		return set_csv_list(r, h, field, v);
	return 0;			/* unknown fields are ignored */
}

/* Checks and normalisation common to every format. */

static int
norm_channel(const struct ird *r, struct plan_inv_host *h)
{
	char c[32];
	size_t i;

	/* a copy: the string may be the defaults', shared by every host */
	for (i = 0; h->channel[i] && i + 1 < sizeof(c); i++)
		c[i] = h->channel[i] == ' ' || h->channel[i] == '_' ? '-' :
		    (char)tolower((unsigned char)h->channel[i]);
	c[i] = '\0';
	if (strcmp(c, "security-only") == 0 || strcmp(c, "security") == 0) {
		h->channel = adup(r, "security-only");
	} else if (strcmp(c, "monthly-rollup") == 0 ||
	    strcmp(c, "rollup") == 0) {
		h->channel = adup(r, "monthly-rollup");
	} else if (strcmp(c, "cumulative") == 0)
		h->channel = adup(r, "cumulative");
	else
		return ifail(r, "channel", "'%s' is not security-only, "
		    "monthly-rollup or cumulative", h->channel);
	return 0;
}

static int
host_finish(const struct ird *r, struct plan_inv_host *h)
{
	char v[24];

	if (h->os_raw && (h->product = plan_norm_os(h->os_raw)) == NULL)
		return ifail(r, "os", "'%s' is not a known Windows product "
		    "(Windows Vista, 7, 8, 8.1, 10, Server 2008, 2008 R2, "
		    "2012, 2012 R2, 2016, 2019)", h->os_raw);
	if (h->version) {
		if (plan_norm_version(h->version, v, sizeof(v)) == -1 ||
		    (h->product && plan_os_version_check(h->product, v) == -1)) {
			err_prefix("%s: %sversion: ", r->name, r->where);
			return -1;
		}
		h->version = adup(r, v);
	}
	if (h->channel && norm_channel(r, h) == -1)
		return -1;
	if (h->transport) {
		if (strcasecmp(h->transport, "ssh") != 0 &&
		    strcasecmp(h->transport, "manual") != 0)
			return ifail(r, "transport", "'%s' is not ssh or manual",
			    h->transport);
		h->transport = adup(r, strcasecmp(h->transport, "ssh") == 0 ?
		    "ssh" : "manual");
	}
	if (h->user && !plan_valid_user(h->user))
		return ifail(r, "user", "'%s' is not a user name (1-104 "
		    "printable characters, none of \"&|<>^%%)", h->user);
	if (h->address && !plan_valid_address(h->address))
		return ifail(r, "address", "'%s' is not a host name or IP "
		    "address (1-253 of [A-Za-z0-9._:-])", h->address);
	return 0;
}

static void
host_init(struct plan_inv_host *h)
{
	memset(h, 0, sizeof(*h));
	h->multicast = -1;
	h->wfp_drivers = -1;
	h->pending_reboot = -1;
}

void
plan_inventory_free(struct plan_inventory *inv)
{
	if (inv == NULL)
		return;
	plan_arena_free(inv->arena);
	free(inv->hosts);
	free(inv->name);
	free(inv);
}

const struct plan_inv_host *
plan_inventory_find(const struct plan_inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->nhosts; i++)
		if (strcasecmp(inv->hosts[i].name, name) == 0)
			return &inv->hosts[i];
	return NULL;
}

/* Duplicate names (case-insensitive, as DNS) in O(n): a hash set. */

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint64_t)tolower((unsigned char)*s)) * 1099511628211ULL;
	return h;
}

static int
check_duplicates(const struct plan_inventory *inv, int csv)
{
	size_t cap = 16, i, j;
	size_t *slots;
	int rc = 0;

	while (cap < inv->nhosts * 2)
		cap <<= 1;
	slots = xcalloc(cap, sizeof(*slots));	/* index + 1, 0: empty */
	for (i = 0; i < inv->nhosts && rc == 0; i++) {
		const char *n = inv->hosts[i].name;

		for (j = hash_name(n) & (cap - 1); slots[j];
		    j = (j + 1) & (cap - 1)) {
			if (strcasecmp(inv->hosts[slots[j] - 1].name, n) != 0)
				continue;
			if (csv)
				err_set("%s: record %zu: name: duplicate host "
				    "name '%s' (also record %zu)", inv->name,
				    i + 1, n, slots[j]);
			else
				err_set("%s: hosts[%zu] (%s).name: duplicate "
				    "host name (also hosts[%zu])", inv->name,
				    i, n, slots[j] - 1);
			rc = -1;
			break;
		}
		slots[j] = i + 1;
	}
	free(slots);
	return rc;
}

/* JSON. */

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
		return ifail(r, field, "must be an integer %d to %d", lo, hi);
	if (jp_number(j, &d) == -1 || d != (double)(long)d || d < lo || d > hi)
		return ifail(r, field, "must be an integer %d to %d", lo, hi);
	*out = (int)d;
	return 0;
}

static int
jp_strings(struct jp *j, const struct ird *r, enum jfield f,
    struct plan_inv_host *h)
{
	const char *field = json_fields[f];

	if (jp_peek(j) != '[')
		return ifail(r, field, "must be an array of strings");
	j->p++;
	if (f == F_INSTALLED)
		h->has_installed = 1;
	if (jp_peek(j) == ']')
		return j->p++, 0;
	for (;;) {
		if (jp_peek(j) != '"')
			return ifail(r, field, "must be an array of strings");
		if (jp_string(j) == -1)
			return -1;
		if (f == F_INSTALLED) {
			if (add_kb(r, h, buf_str(&j->str)) == -1)
				return -1;
		} else {
			h->roles = agrow(r, h->roles, h->nroles,
			    sizeof(*h->roles));
			h->roles[h->nroles++] = adup(r, buf_str(&j->str));
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
		return ifail(r, json_fields[f], f == F_FILES ? "must be an "
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
			rc = f == F_FILES ? add_file(r, h, key, buf_str(&j->str)) :
			    add_reg_text(r, h, key, buf_str(&j->str));
		} else if (f == F_REGISTRY && (jp_peek(j) == '-' ||
		    isdigit((unsigned char)jp_peek(j)))) {
			if (jp_number(j, &d) == -1)
				return -1;
			if (d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d)
				return ifail(r, "registry", "%s: must be a "
				    "32-bit unsigned integer or a string", key);
			rc = add_reg(r, h, key, 1, (uint32_t)d, NULL);
		} else
			return ifail(r, json_fields[f], f == F_FILES ?
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
			return ifail(r, name, "must be true or false");
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
		return ifail(r, name, "must be a string");
	if (jp_string(j) == -1)
		return -1;
	return set_str(r, h, name, buf_str(&j->str));
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
		return ifail(r, "name", "a host must be an object");
	if ((j->p = jr->x->name[i]) == NULL)
		return ifail(r, "name", "missing");
	if (jp_peek(j) != '"' || jp_string(j) == -1 ||
	    !plan_valid_hostname(buf_str(&j->str)))
		return ifail(r, "name", "must be a string of 1-63 "
		    "[A-Za-z0-9._-]");
	h->name = adup(r, buf_str(&j->str));
	snprintf(r->where, sizeof(r->where), "hosts[%zu] (%s).", i, h->name);
	j->p = jr->x->at[i];
	if (jp_fields(j, r, h, &seen) == -1)
		return -1;
	apply_defaults(h, jr->dflt, seen, jr->dseen);
	return host_finish(r, h);
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
		host_init(&inv->hosts[i]);
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

static int
parse_json(struct plan_inventory *inv, const char *buf, size_t len)
{
	struct jp j = { .buf = buf, .p = buf, .end = buf + len,
	    .name = inv->name };
	struct jindex x = { 0 };
	struct ird r = { .name = inv->name, .arena = inv->arena };
	struct plan_inv_host dflt;
	struct j_range jr = { .inv = inv, .x = &x, .dflt = &dflt, .buf = buf,
	    .end = buf + len, .arena = inv->arena };
	int rc = -1;

	host_init(&dflt);
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
		rc = check_duplicates(inv, 0);
out:
	buf_release(&j.str);
	free(x.at);
	free(x.name);
	return rc;
}

/* CSV (RFC 4180: quotes, "" escapes, CRLF or LF, newlines in quotes). */

struct csv {
	const char	*p, *end;
	int		 line;		/* line of the next byte */
	int		 rec_line;	/* first line of the last record */
	char		*f[CSV_MAX_FIELDS];
	int		 nf;
	struct buf	 cell;
};

static void
csv_clear(struct csv *c)
{
	while (c->nf > 0)
		free(c->f[--c->nf]);
}

static int
csv_quoted(struct csv *c, const char *name)
{
	for (c->p++;; c->p++) {
		if (c->p >= c->end) {
			err_set("%s: line %d: unterminated quoted field",
			    name, c->rec_line);
			return -1;
		}
		if (*c->p == '"') {
			if (c->p + 1 < c->end && c->p[1] == '"') {
				buf_addc(&c->cell, '"');
				c->p++;
				continue;
			}
			c->p++;
			break;
		}
		if (*c->p == '\n')
			c->line++;
		buf_addc(&c->cell, *c->p);
	}
	if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
		err_set("%s: line %d: text after a closing quote", name, c->line);
		return -1;
	}
	return 0;
}

/* The next record into c->f; 1 at the end of the input. */
static int
csv_record(struct csv *c, const char *name)
{
	csv_clear(c);
	if (c->p >= c->end)
		return 1;
	c->rec_line = c->line;
	for (;;) {
		buf_reset(&c->cell);
		buf_add(&c->cell, "", 0);
		if (c->p < c->end && *c->p == '"') {
			if (csv_quoted(c, name) == -1)
				return -1;
		} else {
			const char *s = c->p;

			while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
			    *c->p != '\r' && *c->p != '"')
				c->p++;
			if (c->p < c->end && *c->p == '"') {
				err_set("%s: line %d: a quote inside an "
				    "unquoted field", name, c->line);
				return -1;
			}
			buf_add(&c->cell, s, (size_t)(c->p - s));
		}
		if (c->nf == CSV_MAX_FIELDS || c->cell.failed) {
			err_set("%s: line %d: more than %d fields or a field "
			    "too long", name, c->rec_line, CSV_MAX_FIELDS);
			return -1;
		}
		c->f[c->nf++] = xstrdup(buf_str(&c->cell));
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->line++;
		return 0;
	}
}

static int
csv_blank(const struct csv *c)
{
	return c->nf == 1 && c->f[0][0] == '\0';
}

/* Active Directory export columns and the inventory fields they fill. */
static const char *
ad_field(const char *col)
{
	static const char *const map[][2] = {
		{ "name", "name" }, { "dnshostname", "address" },
		{ "operatingsystem", "os" },
		{ "operatingsystemversion", "version" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(col, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static int
csv_header(struct csv *c, const char *name, char **cols, int *ad)
{
	int i, has_name = 0;

	*ad = 0;
	for (i = 0; i < c->nf; i++)
		if (strcasecmp(str_trim(c->f[i]), "operatingsystem") == 0)
			*ad = 1;
	for (i = 0; i < c->nf; i++) {
		const char *f = *ad ? ad_field(str_trim(c->f[i])) :
		    str_trim(c->f[i]);

		cols[i] = f ? xstrdup(f) : NULL;
		if (f && strcmp(f, "name") == 0)
			has_name = 1;
	}
	if (!has_name) {
		err_set("%s: line %d: the header has no 'name' column", name,
		    c->rec_line);
		return -1;
	}
	return 0;
}

static int
csv_host(struct csv *c, struct ird *r, char **cols, int ncols,
    struct plan_inv_host *h)
{
	int i;

	if (c->nf != ncols) {
		err_set("%s: line %d: %d fields, the header has %d", r->name,
		    c->rec_line, c->nf, ncols);
		return -1;
	}
	for (i = 0; i < ncols; i++)
		if (cols[i] && strcmp(cols[i], "name") == 0 && h->name == NULL)
			h->name = adup(r, str_trim(c->f[i]));
	h->line = c->rec_line;
	snprintf(r->where, sizeof(r->where), "line %d: ", c->rec_line);
	if (!plan_valid_hostname(h->name))
		return ifail(r, "name", "'%s' is not 1-63 of [A-Za-z0-9._-]",
		    h->name);
	snprintf(r->where, sizeof(r->where), "line %d (%s): ", c->rec_line,
	    h->name);
	for (i = 0; i < ncols; i++)
		if (cols[i] && strcmp(cols[i], "name") != 0 &&
		    set_csv_field(r, h, cols[i], str_trim(c->f[i])) == -1)
			return -1;
	return host_finish(r, h);
}

static int
parse_csv(struct plan_inventory *inv, const char *buf, size_t len)
{
	struct csv c = { .p = buf, .end = buf + len, .line = 1 };
	struct ird r = { .name = inv->name, .arena = inv->arena };
	char *cols[CSV_MAX_FIELDS] = { 0 };
	size_t cap = 0;
	int i, ncols = 0, ad, rc = -1, st;

	buf_init(&c.cell, 65536);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		c.p += 3;
	/* PowerShell's Export-Csv writes "#TYPE ..." first */
	while ((st = csv_record(&c, inv->name)) == 0 &&
	    (csv_blank(&c) || (c.f[0][0] == '#' && c.rec_line == 1)))
		;
	if (st != 0) {
		if (st == 1)
			err_set("%s: empty inventory (no header line)", inv->name);
		goto out;
	}
	ncols = c.nf;
	if (csv_header(&c, inv->name, cols, &ad) == -1)
		goto out;
	while ((st = csv_record(&c, inv->name)) == 0) {
		if (csv_blank(&c))
			continue;
		if (inv->nhosts == cap) {
			cap = cap ? cap * 2 : 64;
			inv->hosts = xreallocarray(inv->hosts, cap,
			    sizeof(*inv->hosts));
		}
		host_init(&inv->hosts[inv->nhosts]);
		inv->nhosts++;
		if (csv_host(&c, &r, cols, ncols,
		    &inv->hosts[inv->nhosts - 1]) == -1)
			goto out;
	}
	if (st == -1)
		goto out;
	rc = check_duplicates(inv, 1);
out:
	csv_clear(&c);
	buf_release(&c.cell);
	for (i = 0; i < ncols; i++)
		free(cols[i]);
	return rc;
}

struct plan_inventory *
plan_inventory_parse(const char *name, const char *buf, size_t len)
{
	struct plan_inventory *inv = xcalloc(1, sizeof(*inv));
	const char *nul, *p = buf;
	int rc;

	inv->name = xstrdup(name);
	inv->arena = plan_arena_new();
	if (len > PLAN_INVENTORY_MAX) {
		err_set("%s: larger than %zu bytes", name, PLAN_INVENTORY_MAX);
		goto fail;
	}
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		/* PowerShell's Out-File writes UTF-16 unless told otherwise */
		err_set("%s: binary data (a NUL byte at offset %zu), not a "
		    "JSON or CSV inventory%s", name, (size_t)(nul - buf),
		    len >= 2 && (unsigned char)buf[0] == 0xff &&
		    (unsigned char)buf[1] == 0xfe ? "; it looks like UTF-16: "
		    "save it as UTF-8" : "");
		goto fail;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;			/* a UTF-8 byte order mark */
	while (p < buf + len && isspace((unsigned char)*p))
		p++;
	if (p < buf + len && (*p == '{' || *p == '['))
		rc = parse_json(inv, p, len - (size_t)(p - buf));
	else
		rc = parse_csv(inv, buf, len);
	if (rc == 0)
		return inv;
fail:
	plan_inventory_free(inv);
	return NULL;
}

struct plan_inventory *
plan_inventory_read(const char *path)
{
	struct plan_inventory *inv;
	struct buf b;

	if (file_read(path, PLAN_INVENTORY_MAX, &b) == -1)
		return NULL;
	inv = plan_inventory_parse(path, b.data, b.len);
	buf_release(&b);
	return inv;
}

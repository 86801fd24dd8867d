/*
 * What every inventory format shares (DESIGN.md "Inventory"): the reader's
 * position for messages, adding KB ids, files and registry values, string
 * fields, the checks that finish a host, duplicate names, and the entry
 * points that pick a reader.  Both readers (inventory_jsonread.c,
 * inventory_csv.c) go through inv_set_str(), so a field means the same in each.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"
#include "plan/engine.h"
#include "plan/inventory_int.h"

int
inv_fail(const struct ird *r, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set("%s: %s%s: %s", r->name, r->where, field, msg);
	return -1;
}

/* Fields: strings and arrays live in the inventory's arena. */

char *
inv_adup(const struct ird *r, const char *s)
{
	return plan_arena_strdup(r->arena, s);
}

/*
 * Room for one more element in an array of n: capacities are 4, 8, 16...
 * (implied by n), older copies stay in the arena until it is freed.
 */
void *
inv_agrow(const struct ird *r, void *v, size_t n, size_t size)
{
	void *nv;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return v;
	nv = plan_arena_alloc(r->arena, (n < 4 ? 4 : 2 * n) * size);
	if (n)
		memcpy(nv, v, n * size);
	return nv;
}

/* A KB id of installed or superseded, upper case. */
static int
add_kb_to(const struct ird *r, const char *field, char ***v, size_t *n,
    const char *kb)
{
	char *up = inv_adup(r, kb), *p;

	for (p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (!str_is_kb(up))
		return inv_fail(r, field, "'%s' is not a KB id like "
		    "KB4338823", kb);
	*v = inv_agrow(r, *v, *n, sizeof(**v));
	(*v)[(*n)++] = up;
	return 0;
}

/* An advisory id as advisory files write it: 1-64 of [a-z0-9-]. */
int
plan_valid_advisory_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789-") == n;
}

/* A reboot signal's name: "CBS RebootPending", "PendingFileRenameOperations". */
static int
valid_signal(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 128 && isalnum((unsigned char)*s) &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789 ._:-") == n;
}

/* The list fields: the array, its count and its has_* flag. */
static int
list_slot(struct plan_inv_host *h, const char *field, char ****v,
    size_t **n, int **has)
{
	static int roles_has;	/* roles: absent and empty are the same */

	if (strcmp(field, "installed") == 0)
		*v = &h->installed, *n = &h->ninstalled, *has = &h->has_installed;
	else if (strcmp(field, "superseded") == 0)
		*v = &h->superseded, *n = &h->nsuperseded,
		*has = &h->has_superseded;
	else if (strcmp(field, "experiencing") == 0)
		*v = &h->experiencing, *n = &h->nexperiencing,
		*has = &h->has_experiencing;
	else if (strcmp(field, "pending_reboot_reasons") == 0)
		*v = &h->pending_reboot_reasons,
		*n = &h->npending_reboot_reasons,
		*has = &h->has_pending_reboot_reasons;
	else if (strcmp(field, "roles") == 0)
		*v = &h->roles, *n = &h->nroles, *has = &roles_has;
	else
		return 0;
	return 1;
}

int
inv_is_list(const char *field)
{
	static struct plan_inv_host dummy;
	char ***v;
	size_t *n;
	int *has;

	return list_slot(&dummy, field, &v, &n, &has);
}

int
inv_list_given(struct plan_inv_host *h, const char *field)
{
	char ***v;
	size_t *n;
	int *has;

	if (!list_slot(h, field, &v, &n, &has))
		return 1;
	*has = 1;
	return 0;
}

int
inv_add_item(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *item)
{
	char ***v;
	size_t *n;
	int *has;

	if (!list_slot(h, field, &v, &n, &has))
		return 1;
	*has = 1;
	if (strcmp(field, "installed") == 0 || strcmp(field, "superseded") == 0)
		return add_kb_to(r, field, v, n, item);
	if (strcmp(field, "experiencing") == 0 && !plan_valid_advisory_id(item))
		return inv_fail(r, field, "'%s' is not an advisory id like "
		    "wfp-two-callouts (1-64 of [a-z0-9-])", item);
	if (strcmp(field, "pending_reboot_reasons") == 0 && !valid_signal(item))
		return inv_fail(r, field, "'%s' is not a reboot signal name "
		    "like \"CBS RebootPending\" (1-128 of letters, digits, "
		    "space . _ : -)", item);
	if (strlen(item) > 1024)
		return inv_fail(r, field, "an entry longer than 1024 bytes");
	*v = inv_agrow(r, *v, *n, sizeof(**v));
	(*v)[(*n)++] = inv_adup(r, item);
	return 0;
}

int
inv_add_file(const struct ird *r, struct plan_inv_host *h, const char *name,
    const char *version)
{
	struct plan_inv_file *f;
	char *p;

	if (*name == '\0' || strlen(name) > 255 || strchr(name, '\\'))
		return inv_fail(r, "files", "'%s' is not a file name", name);
	if (!plan_valid_fileversion(version))
		return inv_fail(r, "files", "%s: '%s' is not a file version like "
		    "6.1.7600.16385", name, version);
	h->files = inv_agrow(r, h->files, h->nfiles, sizeof(*h->files));
	f = &h->files[h->nfiles++];
	f->name = inv_adup(r, name);
	for (p = f->name; *p; p++)	/* Windows file names: any case */
		*p = (char)tolower((unsigned char)*p);
	f->version = inv_adup(r, version);
	return 0;
}

int
inv_add_reg(const struct ird *r, struct plan_inv_host *h, const char *path,
    int is_num, uint32_t num, const char *str)
{
	struct plan_inv_reg *g;
	char *norm = plan_norm_regpath(path);

	if (norm == NULL)
		return inv_fail(r, "registry", "'%s' is not a plain HKLM\\... "
		    "value path", path);
	h->registry = inv_agrow(r, h->registry, h->nregistry, sizeof(*h->registry));
	g = &h->registry[h->nregistry++];
	g->path = inv_adup(r, norm);
	free(norm);
	g->is_num = is_num;
	g->num = num;
	g->str = str ? inv_adup(r, str) : NULL;
	return 0;
}

static int
parse_hex32(const char *s, uint64_t *out)
{
	return isxdigit((unsigned char)*s) ? parse_hex(s, UINT32_MAX, out) : -1;
}

/* A value written as text: "1" and "0x10" are REG_DWORDs (reg query prints them so). */
int
inv_add_reg_text(const struct ird *r, struct plan_inv_host *h, const char *path,
    const char *val)
{
	uint64_t num = 0;
	int isnum = strncasecmp(val, "0x", 2) == 0 ?
	    parse_hex32(val + 2, &num) == 0 :
	    parse_u64(val, 0xffffffffu, &num) == 0;

	return inv_add_reg(r, h, path, isnum, (uint32_t)num, isnum ? NULL : val);
}

/*
 * BCP 47 shape, as Windows names UI languages: a 2-3 letter language,
 * then subtags of 1-8 letters or digits ("de-DE", "zh-Hans-CN",
 * "sr-Latn-RS", "es-419"), at most 35 characters.
 */
static int
valid_language(const char *s)
{
	size_t n, len = strlen(s);

	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (len > 35 || n < 2 || n > 3)
		return 0;
	for (s += n; *s; s += n) {
		if (*s++ != '-')
			return 0;
		n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789");
		if (n < 1 || n > 8)
			return 0;
	}
	return 1;
}

/* A string field of a host; CSV passes every field through here. */
int
inv_set_str(const struct ird *r, struct plan_inv_host *h, const char *field,
    const char *v)
{
	struct plan_version pv;
	char **slot = NULL;

	if (strcmp(field, "arch") == 0) {
		if ((h->arch = plan_norm_arch(v)) == NULL)
			return inv_fail(r, field, "'%s' is not x86, x64, ia64 or "
			    "arm64", v);
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
	else if (strcmp(field, "rollup") == 0) {
		if (plan_version_parse(v, &pv) == -1)
			return inv_fail(r, field, "'%s' is not a package version "
			    "like 7601.24168.1.5 (2 to 4 dotted numbers)", v);
		slot = &h->rollup;
	} else if (strcmp(field, "ui_language") == 0) {
		if (!valid_language(v))
			return inv_fail(r, field, "'%s' is not a language tag "
			    "like de-DE or zh-Hans-CN", v);
		slot = &h->ui_language;
	}
	if (slot == NULL)
		return 1;
	if (strlen(v) > 1024)
		return inv_fail(r, field, "longer than 1024 bytes");
	*slot = inv_adup(r, v);
	return 0;
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
		h->channel = inv_adup(r, "security-only");
	} else if (strcmp(c, "monthly-rollup") == 0 ||
	    strcmp(c, "rollup") == 0) {
		h->channel = inv_adup(r, "monthly-rollup");
	} else if (strcmp(c, "cumulative") == 0)
		h->channel = inv_adup(r, "cumulative");
	else
		return inv_fail(r, "channel", "'%s' is not security-only, "
		    "monthly-rollup or cumulative", h->channel);
	return 0;
}

int
inv_host_finish(const struct ird *r, struct plan_inv_host *h)
{
	char v[24];

	/* an os kbfix does not know is the host's unknown (the engine
	 * quotes os_raw), not the inventory's error */
	h->product = h->os_raw ? plan_norm_os(h->os_raw) : NULL;
	h->fact_error = NULL;
	if (h->version) {
		if (plan_norm_version(h->version, v, sizeof(v)) == -1) {
			err_prefix("%s: %sversion: ", r->name, r->where);
			return -1;
		}
		h->version = inv_adup(r, v);
		h->product = plan_product_for_build(h->product, v);
		if (h->product && plan_os_version_check(h->product, v) == -1)
			h->fact_error = inv_adup(r, err_msg());
	}
	if (h->fact_error == NULL && h->product &&
	    plan_arch_check(h->product, h->version, h->arch) == -1)
		h->fact_error = inv_adup(r, err_msg());
	if (h->channel && norm_channel(r, h) == -1)
		return -1;
	if (h->transport) {
		if (strcasecmp(h->transport, "ssh") != 0 &&
		    strcasecmp(h->transport, "manual") != 0)
			return inv_fail(r, "transport", "'%s' is not ssh or manual",
			    h->transport);
		h->transport = inv_adup(r, strcasecmp(h->transport, "ssh") == 0 ?
		    "ssh" : "manual");
	}
	if (h->user && !plan_valid_user(h->user))
		return inv_fail(r, "user", "'%s' is not a user name (1-104 "
		    "printable characters, none of \"&|<>^%%)", h->user);
	if (h->address && !plan_valid_address(h->address))
		return inv_fail(r, "address", "'%s' is not a host name or IP "
		    "address (1-253 of [A-Za-z0-9._:-])", h->address);
	return 0;
}

void
inv_host_init(struct plan_inv_host *h)
{
	memset(h, 0, sizeof(*h));
	h->multicast = -1;
	h->wfp_drivers = -1;
	h->pending_reboot = -1;
	h->shared_address = -1;
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

static void
add_msg(struct plan_inventory *inv, char ***v, size_t *n, const char *msg)
{
	/* capacities 4, 8, 16...: grown when n is one of them */
	if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
		char **nv = plan_arena_alloc(inv->arena,
		    (*n ? *n * 2 : 4) * sizeof(*nv));

		if (*n)
			memcpy(nv, *v, *n * sizeof(*nv));
		*v = nv;
	}
	(*v)[(*n)++] = plan_arena_strdup(inv->arena, msg);
}

void
inv_warn(struct plan_inventory *inv, const char *msg)
{
	add_msg(inv, &inv->warnings, &inv->nwarnings, msg);
}

int
inv_skip(struct plan_inventory *inv, struct plan_inv_host *h, unsigned flags)
{
	if (!(flags & PLAN_INV_SKIP_INVALID))
		return -1;
	add_msg(inv, &inv->skipped, &inv->nskipped, err_msg());
	h->name = NULL;
	return 0;
}

void
inv_drop_skipped(struct plan_inventory *inv)
{
	size_t i, n = 0;

	for (i = 0; i < inv->nhosts; i++) {
		inv->hosts[i].src = i;
		if (inv->hosts[i].name != NULL)
			inv->hosts[n++] = inv->hosts[i];
	}
	inv->nhosts = n;
}

/* Where a host is, for messages: "line 4 (web01)" or "hosts[3] (web01)". */
static void
host_where(const struct plan_inv_host *h, size_t i, int csv, char *out,
    size_t len)
{
	if (csv)
		snprintf(out, len, "line %d (%s)", h->line, h->name);
	else
		snprintf(out, len, "hosts[%zu] (%s)", i, h->name);
}

/* The SSH endpoint: address (or the name), port (22 when not given). */
static const char *
endpoint(const struct plan_inv_host *h, int *port)
{
	*port = h->port ? h->port : 22;
	return h->address ? h->address : h->name;
}

static uint64_t
hash_endpoint(const struct plan_inv_host *h)
{
	int port;
	uint64_t x = str_casehash(STR_HASH_INIT, endpoint(h, &port));

	return (x ^ (uint64_t)port) * STR_HASH_PRIME;
}

static int
same_endpoint(const struct plan_inv_host *a, const struct plan_inv_host *b)
{
	int pa, pb;
	const char *ea = endpoint(a, &pa), *eb = endpoint(b, &pb);

	return pa == pb && strcasecmp(ea, eb) == 0;
}

/*
 * Names unique regardless of case, and endpoints (address and port)
 * unless every host on one says shared_address: true; O(n), hash sets.
 * A duplicate names both hosts; with PLAN_INV_SKIP_INVALID the later one
 * is left out and the check goes on.
 */
int
inv_check_duplicates(struct plan_inventory *inv, int csv, unsigned flags)
{
	size_t cap = 16, i, j, slot, *names, *eps;
	char here[128], there[128];
	const char *ep;
	int port = 22;

	while (cap < inv->nhosts * 2)
		cap <<= 1;
	names = xcalloc(cap, sizeof(*names));	/* index + 1, 0: empty */
	eps = xcalloc(cap, sizeof(*eps));
	for (i = 0; i < inv->nhosts; i++) {
		struct plan_inv_host *h = &inv->hosts[i], *o;

		if (h->name == NULL)
			continue;
		for (j = str_casehash(STR_HASH_INIT, h->name) & (cap - 1);
		    names[j]; j = (j + 1) & (cap - 1))
			if (strcasecmp(inv->hosts[names[j] - 1].name,
			    h->name) == 0)
				break;
		if (names[j]) {
			o = &inv->hosts[names[j] - 1];
			host_where(h, i, csv, here, sizeof(here));
			host_where(o, names[j] - 1, csv, there, sizeof(there));
			err_set("%s: %s%sname: duplicate host name '%s' (also "
			    "%s: names are compared regardless of case)",
			    inv->name, here, csv ? ": " : ".", h->name, there);
			if (inv_skip(inv, h, flags) == -1)
				goto fail;
			continue;
		}
		slot = j;
		for (j = hash_endpoint(h) & (cap - 1); eps[j];
		    j = (j + 1) & (cap - 1))
			if (same_endpoint(&inv->hosts[eps[j] - 1], h))
				break;
		if (eps[j] == 0) {
			eps[j] = i + 1;
			names[slot] = i + 1;
			continue;
		}
		o = &inv->hosts[eps[j] - 1];
		host_where(h, i, csv, here, sizeof(here));
		host_where(o, eps[j] - 1, csv, there, sizeof(there));
		if (h->shared_address == 1 && o->shared_address == 1) {
			char *w;

			ep = endpoint(h, &port);
			w = xasprintf("%s: %s and %s share address %s port %d "
			    "(shared_address: true): apply runs them as "
			    "separate hosts", inv->name, here, there, ep, port);

			add_msg(inv, &inv->warnings, &inv->nwarnings, w);
			free(w);
			names[slot] = i + 1;
			continue;
		}
		ep = endpoint(h, &port);
		err_set("%s: %s%saddress: '%s' port %d is also %s's: two "
		    "hosts on one machine would be installed and restarted "
		    "twice (set shared_address: true on both if that is "
		    "meant)", inv->name, here, csv ? ": " : ".", ep, port,
		    there);
		if (inv_skip(inv, h, flags) == -1)
			goto fail;
	}
	free(names);
	free(eps);
	inv_drop_skipped(inv);
	return 0;
fail:
	free(names);
	free(eps);
	return -1;
}


struct plan_inventory *
plan_inventory_parse_flags(const char *name, const char *buf, size_t len,
    unsigned flags)
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
		rc = inv_parse_json(inv, p, len - (size_t)(p - buf), flags);
	else
		rc = inv_parse_csv(inv, buf, len, flags);
	if (rc == 0) {
		inv_groups_check(inv);	/* explicit waves over a budget */
		return inv;
	}
fail:
	plan_inventory_free(inv);
	return NULL;
}

struct plan_inventory *
plan_inventory_parse(const char *name, const char *buf, size_t len)
{
	return plan_inventory_parse_flags(name, buf, len, 0);
}

struct plan_inventory *
plan_inventory_read_flags(const char *path, unsigned flags)
{
	struct plan_inventory *inv;
	struct buf b;

	if (file_read(path, PLAN_INVENTORY_MAX, &b) == -1)
		return NULL;
	inv = plan_inventory_parse_flags(path, b.data, b.len, flags);
	buf_release(&b);
	return inv;
}

struct plan_inventory *
plan_inventory_read(const char *path)
{
	return plan_inventory_read_flags(path, 0);
}

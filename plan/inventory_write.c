/*
 * The write side of an inventory: editing parsed hosts with the readers'
 * checks (discover fills them from live hosts) and the one writer, which
 * edits the operator's own JSON document member by member (or writes the
 * records when the input was CSV).  cJSON stays in this file: the
 * readers are inventory_jsonread.c and inventory_csv.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "plan/plan.h"
#include "plan/engine.h"
#include "plan/inventory_int.h"

/* Editing. */

/*
 * The fields a record owns, in the order a new host gets them (name comes
 * first, always); a field's bit in plan_inv_host.edited is 1 << its index.
 */
enum wfield {
	W_ADDRESS, W_PORT, W_USER, W_TRANSPORT, W_GROUP, W_WAVE, W_OS,
	W_VERSION, W_ARCH, W_CHANNEL, W_INSTALLED, W_FILES, W_REGISTRY,
	W_MULTICAST, W_WFP, W_ROLES, W_PENDING_REBOOT, W_REGISTRY_ABSENT,
	W_PENDING_UPDATES, W_LAST_BOOT, W_DISCOVERED, W_ROLLUP, W_SUPERSEDED,
	W_UI_LANGUAGE, W_EXPERIENCING, W_PENDING_REASONS, W_SHARED_ADDRESS,
	W_EVIDENCE, W_NFIELDS
};

static const char *const wnames[W_NFIELDS] = {
	"address", "port", "user", "transport", "group", "wave", "os",
	"version", "arch", "channel", "installed", "files", "registry",
	"multicast_forwarding", "wfp_callout_drivers", "roles",
	"pending_reboot", "registry_absent", "pending_updates", "last_boot",
	"discovered", "rollup", "superseded", "ui_language", "experiencing",
	"pending_reboot_reasons", "shared_address", "evidence"
};

static void
mark(struct plan_inv_host *h, const char *field)
{
	int f;

	for (f = 0; f < W_NFIELDS; f++)
		if (strcmp(wnames[f], field) == 0)
			h->edited |= 1u << f;
}

static void
edit_ird(struct ird *r, struct plan_inventory *inv,
    const struct plan_inv_host *h)
{
	memset(r, 0, sizeof(*r));
	r->name = h->name;
	r->arena = inv->arena;
}

int
plan_inv_host_set(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *field, const char *value)
{
	struct ird r;
	char **slot = NULL;
	int rc;

	edit_ird(&r, inv, h);
	if (strcmp(field, "last_boot") == 0)
		slot = &h->last_boot;
	else if (strcmp(field, "discovered") == 0)
		slot = &h->discovered;
	if (slot != NULL) {
		if (strlen(value) > 64)
			return inv_fail(&r, field, "longer than 64 bytes");
		*slot = inv_adup(&r, value);
		mark(h, field);
		return 0;
	}
	if ((rc = inv_set_str(&r, h, field, value)) == 1)
		return inv_fail(&r, field, "not a string field of a host");
	if (rc == 0)
		mark(h, field);
	return rc;
}

int
plan_inv_host_check(struct plan_inventory *inv, struct plan_inv_host *h)
{
	struct ird r;

	edit_ird(&r, inv, h);
	return inv_host_finish(&r, h);
}

/* A fresh array in the arena holding n strings of v, each through fn. */
static char **
edit_strv(struct ird *r, char *const *v, size_t n, char *(*fn)(const char *))
{
	char **out = plan_arena_alloc(r->arena, (n + 1) * sizeof(*out));
	char *s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fn == NULL) {
			out[i] = inv_adup(r, v[i]);
			continue;
		}
		if ((s = fn(v[i])) == NULL) {
			inv_fail(r, "registry_absent", "'%s' is not a plain "
			    "HKLM\\... value path", v[i]);
			return NULL;
		}
		out[i] = inv_adup(r, s);
		free(s);
	}
	return out;
}

int
plan_inv_host_set_list(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *field, char *const *v, size_t n)
{
	struct plan_inv_host tmp;
	struct ird r;
	char **a;
	size_t i;

	edit_ird(&r, inv, h);
	if (inv_is_list(field) && strcmp(field, "roles") != 0) {
		/* checked into a blank host, then moved over */
		inv_host_init(&tmp);
		inv_list_given(&tmp, field);
		for (i = 0; i < n; i++)
			if (inv_add_item(&r, &tmp, field, v[i]) == -1)
				return -1;
		if (strcmp(field, "installed") == 0) {
			h->installed = tmp.installed;
			h->ninstalled = n;
			h->has_installed = 1;
		} else if (strcmp(field, "superseded") == 0) {
			h->superseded = tmp.superseded;
			h->nsuperseded = n;
			h->has_superseded = 1;
		} else if (strcmp(field, "experiencing") == 0) {
			h->experiencing = tmp.experiencing;
			h->nexperiencing = n;
			h->has_experiencing = 1;
		} else {
			h->pending_reboot_reasons = tmp.pending_reboot_reasons;
			h->npending_reboot_reasons = n;
			h->has_pending_reboot_reasons = 1;
		}
		mark(h, field);
		return 0;
	}
	if (strcmp(field, "roles") != 0 &&
	    strcmp(field, "pending_updates") != 0 &&
	    strcmp(field, "registry_absent") != 0)
		return inv_fail(&r, field, "not a list field of a host");
	a = edit_strv(&r, v, n, strcmp(field, "registry_absent") == 0 ?
	    plan_norm_regpath : NULL);
	if (a == NULL)
		return -1;
	if (strcmp(field, "roles") == 0) {
		h->roles = a;
		h->nroles = n;
	} else if (strcmp(field, "pending_updates") == 0) {
		h->pending_updates = a;
		h->npending_updates = n;
		h->has_pending_updates = 1;
	} else {
		h->registry_absent = a;
		h->nregistry_absent = n;
		h->has_registry_absent = 1;
	}
	mark(h, field);
	return 0;
}

int
plan_inv_host_set_file(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *name, const char *version)
{
	struct plan_inv_host tmp;
	struct plan_inv_file *f;
	struct ird r;
	size_t i, n = 0;

	edit_ird(&r, inv, h);
	inv_host_init(&tmp);
	if (inv_add_file(&r, &tmp, name, version) == -1)
		return -1;
	f = plan_arena_alloc(inv->arena, (h->nfiles + 1) * sizeof(*f));
	for (i = 0; i < h->nfiles; i++)
		if (strcmp(h->files[i].name, tmp.files[0].name) != 0)
			f[n++] = h->files[i];
	f[n++] = tmp.files[0];
	h->files = f;
	h->nfiles = n;
	h->has_files = 1;
	mark(h, "files");
	return 0;
}

/* h's registry without path (any spelling) and room for one more. */
static int
reg_without(struct ird *r, struct plan_inv_host *h, const char *path)
{
	struct plan_inv_reg *g;
	char *norm;
	size_t i, n = 0;

	if ((norm = plan_norm_regpath(path)) == NULL)
		return inv_fail(r, "registry", "'%s' is not a plain HKLM\\... "
		    "value path", path);
	g = plan_arena_alloc(r->arena, (h->nregistry + 1) * sizeof(*g));
	for (i = 0; i < h->nregistry; i++)
		if (!plan_regpath_eq(h->registry[i].path, norm))
			g[n++] = h->registry[i];
	free(norm);
	h->registry = g;
	h->nregistry = n;
	h->has_registry = 1;	/* collected: an absent value is a fact too */
	mark(h, "registry");
	return 0;
}

int
plan_inv_host_set_reg(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *path, uint32_t num, const char *str)
{
	struct plan_inv_host tmp;
	struct ird r;

	edit_ird(&r, inv, h);
	inv_host_init(&tmp);
	if (inv_add_reg(&r, &tmp, path, str == NULL, num, str) == -1 ||
	    reg_without(&r, h, path) == -1)
		return -1;
	h->registry[h->nregistry++] = tmp.registry[0];
	h->has_registry = 1;
	return 0;
}

int
plan_inv_host_del_reg(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *path)
{
	struct ird r;

	edit_ird(&r, inv, h);
	return reg_without(&r, h, path);
}

static const char *
wstr(const struct plan_inv_host *h, enum wfield f)
{
	switch (f) {
	case W_ADDRESS:		return h->address;
	case W_USER:		return h->user;
	case W_TRANSPORT:	return h->transport;
	case W_GROUP:		return h->group;
	case W_OS:		return h->os_raw;
	case W_VERSION:		return h->version;
	case W_ARCH:		return h->arch;
	case W_CHANNEL:		return h->channel;
	case W_LAST_BOOT:	return h->last_boot;
	case W_DISCOVERED:	return h->discovered;
	case W_ROLLUP:		return h->rollup;
	case W_UI_LANGUAGE:	return h->ui_language;
	default:		return NULL;
	}
}

/* An int field and the value that means absent; 0 for non-int fields. */
static const int *
wint(const struct plan_inv_host *h, enum wfield f, int *absent)
{
	*absent = -1;
	switch (f) {
	case W_PORT:		*absent = 0; return &h->port;
	case W_WAVE:		*absent = 0; return &h->wave;
	case W_MULTICAST:	return &h->multicast;
	case W_WFP:		return &h->wfp_drivers;
	case W_PENDING_REBOOT:	return &h->pending_reboot;
	case W_SHARED_ADDRESS:	return &h->shared_address;
	default:		return NULL;
	}
}

/* A list field: its strings, count, and whether it is there at all. */
static char **
wlist(const struct plan_inv_host *h, enum wfield f, size_t *n, int *has)
{
	switch (f) {
	case W_INSTALLED:
		*n = h->ninstalled, *has = h->has_installed;
		return h->installed;
	case W_ROLES:
		*n = h->nroles, *has = h->nroles > 0;
		return h->roles;
	case W_REGISTRY_ABSENT:
		*n = h->nregistry_absent, *has = h->has_registry_absent;
		return h->registry_absent;
	case W_SUPERSEDED:
		*n = h->nsuperseded, *has = h->has_superseded;
		return h->superseded;
	case W_EXPERIENCING:
		*n = h->nexperiencing, *has = h->has_experiencing;
		return h->experiencing;
	case W_PENDING_REASONS:
		*n = h->npending_reboot_reasons,
		*has = h->has_pending_reboot_reasons;
		return h->pending_reboot_reasons;
	default:
		*n = h->npending_updates, *has = h->has_pending_updates;
		return h->pending_updates;
	}
}

static int
is_list(enum wfield f)
{
	return f == W_INSTALLED || f == W_ROLES || f == W_REGISTRY_ABSENT ||
	    f == W_PENDING_UPDATES || f == W_SUPERSEDED ||
	    f == W_EXPERIENCING || f == W_PENDING_REASONS;
}

static int
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int
reg_eq(const struct plan_inv_reg *a, const struct plan_inv_reg *b)
{
	return a->is_num == b->is_num && (a->is_num ? a->num == b->num :
	    strcmp(a->str, b->str) == 0) && plan_regpath_eq(a->path, b->path);
}

static const struct plan_inv_file *
find_file(const struct plan_inv_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nfiles; i++)
		if (strcasecmp(h->files[i].name, name) == 0)
			return &h->files[i];
	return NULL;
}

/* path: as written in a document (any spelling); NULL when not there. */
static const struct plan_inv_reg *
find_reg(const struct plan_inv_host *h, const char *path)
{
	const struct plan_inv_reg *g = NULL;
	char *norm = plan_norm_regpath(path);
	size_t i;

	for (i = 0; norm != NULL && i < h->nregistry && g == NULL; i++)
		if (plan_regpath_eq(h->registry[i].path, norm))
			g = &h->registry[i];
	free(norm);
	return g;
}

static int
pairs_eq(const struct plan_inv_host *a, const struct plan_inv_host *b,
    enum wfield f)
{
	const struct plan_inv_file *x;
	const struct plan_inv_reg *g;
	size_t i;

	if (f == W_FILES) {
		if (a->has_files != b->has_files || a->nfiles != b->nfiles)
			return 0;
		for (i = 0; i < a->nfiles; i++)
			if ((x = find_file(b, a->files[i].name)) == NULL ||
			    strcmp(x->version, a->files[i].version) != 0)
				return 0;
		return 1;
	}
	if (a->has_registry != b->has_registry || a->nregistry != b->nregistry)
		return 0;
	for (i = 0; i < a->nregistry; i++)
		if ((g = find_reg(b, a->registry[i].path)) == NULL ||
		    !reg_eq(g, &a->registry[i]))
			return 0;
	return 1;
}

/* evidence: as plan_evidence_write() writes it (the one writer). */
static char *
evidence_text(const struct plan_evidence *ev)
{
	struct buf b;

	if (!ev->present)
		return NULL;
	buf_init(&b, 0);
	plan_evidence_write(ev, &b);
	return buf_detach(&b, NULL);
}

static int
evidence_eq(const struct plan_evidence *a, const struct plan_evidence *b)
{
	char *x = evidence_text(a), *y = evidence_text(b);
	int eq = str_eq(x, y);

	free(x);
	free(y);
	return eq;
}

static cJSON *
evidence_json(const struct plan_evidence *ev)
{
	char *s = evidence_text(ev);
	cJSON *v = s ? cJSON_Parse(s) : NULL;

	free(s);
	return v;
}

int
plan_inv_host_set_evidence(struct plan_inventory *inv, struct plan_inv_host *h,
    const struct plan_evidence *ev)
{
	struct plan_evidence tmp;
	struct ird r;
	char msg[256], *s = evidence_text(ev);
	cJSON *v = s ? cJSON_Parse(s) : NULL;
	int rc;

	edit_ird(&r, inv, h);
	if (v == NULL) {
		free(s);
		return inv_fail(&r, "evidence", "cannot be written");
	}
	rc = plan_evidence_read(v, inv->arena, &tmp, msg, sizeof(msg));
	cJSON_Delete(v);
	free(s);
	if (rc == -1)
		return inv_fail(&r, "evidence", "%s", msg);
	h->evidence = tmp;
	mark(h, "evidence");
	return 0;
}

static int
field_eq(const struct plan_inv_host *a, const struct plan_inv_host *b,
    enum wfield f)
{
	const int *ia, *ib;
	char **la, **lb;
	size_t na, nb, i;
	int absent, hasa, hasb;

	if (f == W_FILES || f == W_REGISTRY)
		return pairs_eq(a, b, f);
	if (f == W_EVIDENCE)
		return evidence_eq(&a->evidence, &b->evidence);
	if ((ia = wint(a, f, &absent)) != NULL) {
		ib = wint(b, f, &absent);
		return *ia == *ib;
	}
	if (!is_list(f))
		return str_eq(wstr(a, f), wstr(b, f));
	la = wlist(a, f, &na, &hasa);
	lb = wlist(b, f, &nb, &hasb);
	if (hasa != hasb || na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(la[i], lb[i]) != 0)
			return 0;
	return 1;
}

static cJSON *
reg_json(const struct plan_inv_reg *g)
{
	return g->is_num ? cJSON_CreateNumber((double)g->num) :
	    cJSON_CreateString(g->str);
}

static cJSON *
pairs_json(const struct plan_inv_host *h, enum wfield f)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	if (f == W_FILES)
		for (i = 0; i < h->nfiles; i++)
			cJSON_AddItemToObject(o, h->files[i].name,
			    cJSON_CreateString(h->files[i].version));
	else
		for (i = 0; i < h->nregistry; i++)
			cJSON_AddItemToObject(o, h->registry[i].path,
			    reg_json(&h->registry[i]));
	return o;
}

/* The record's value of f as JSON, or NULL when it is absent. */
static cJSON *
field_json(const struct plan_inv_host *h, enum wfield f)
{
	const int *iv;
	const char *s;
	char **l;
	size_t n, i;
	int absent, has;
	cJSON *a;

	if (f == W_FILES || f == W_REGISTRY)
		return (f == W_FILES ? h->has_files : h->has_registry) ?
		    pairs_json(h, f) : NULL;
	if (f == W_EVIDENCE)
		return evidence_json(&h->evidence);
	if ((iv = wint(h, f, &absent)) != NULL) {
		if (*iv == absent)
			return NULL;
		if (f == W_MULTICAST || f == W_PENDING_REBOOT ||
		    f == W_SHARED_ADDRESS)
			return cJSON_CreateBool(*iv);
		return cJSON_CreateNumber(*iv);
	}
	if (!is_list(f))
		return (s = wstr(h, f)) != NULL ? cJSON_CreateString(s) : NULL;
	if ((l = wlist(h, f, &n, &has)) == NULL && !has)
		return NULL;
	a = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l[i]));
	return a;
}

/* Replace in place (the document keeps its order), or append. */
static void
set_member(cJSON *obj, const char *key, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key) == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v))
		cJSON_AddItemToObject(obj, key, v);
}

/* Whether the member m of files or registry still says what the record does. */
static int
member_same(const cJSON *m, const struct plan_inv_host *h,
    const struct plan_inv_host *was, enum wfield f)
{
	const struct plan_inv_file *x, *wx;
	const struct plan_inv_reg *g, *wg;

	if (f == W_FILES) {
		x = find_file(h, m->string);
		wx = find_file(was, m->string);
		return x && wx && strcmp(x->version, wx->version) == 0;
	}
	g = find_reg(h, m->string);
	wg = find_reg(was, m->string);
	return g && wg && reg_eq(g, wg);
}

/* The record's value for member key (any spelling), and its own key. */
static cJSON *
pair_json(const struct plan_inv_host *h, const char *key, enum wfield f,
    const char **own)
{
	const struct plan_inv_file *x;
	const struct plan_inv_reg *g;

	if (f == W_FILES) {
		if ((x = find_file(h, key)) == NULL)
			return NULL;
		*own = x->name;
		return cJSON_CreateString(x->version);
	}
	if ((g = find_reg(h, key)) == NULL)
		return NULL;
	*own = g->path;
	return reg_json(g);
}

/* v under key, for cJSON_ReplaceItemViaPointer(), which keeps v's key. */
static cJSON *
keyed(const char *key, cJSON *v)
{
	cJSON *tmp = cJSON_CreateObject();

	cJSON_AddItemToObject(tmp, key, v);
	cJSON_DetachItemViaPointer(tmp, v);
	cJSON_Delete(tmp);
	return v;
}

/*
 * files or registry, member by member: unchanged members stay as written,
 * changed ones get the record's value and spelling in place, members
 * the record lost go, and the record's new entries are appended.
 */
static void
merge_pairs(cJSON *o, const struct plan_inv_host *h,
    const struct plan_inv_host *was, enum wfield f)
{
	cJSON *m, *next, *v;
	size_t i, n = f == W_FILES ? h->nfiles : h->nregistry;
	const char *key;
	int found;

	for (m = o->child; m != NULL; m = next) {
		next = m->next;
		if (member_same(m, h, was, f))
			continue;
		if ((v = pair_json(h, m->string, f, &key)) != NULL)
			cJSON_ReplaceItemViaPointer(o, m, keyed(key, v));
		else
			cJSON_Delete(cJSON_DetachItemViaPointer(o, m));
	}
	for (i = 0; i < n; i++) {
		key = f == W_FILES ? h->files[i].name : h->registry[i].path;
		found = 0;
		cJSON_ArrayForEach(m, o)
			if (f == W_FILES ? strcasecmp(m->string, key) == 0 :
			    find_reg(h, m->string) == &h->registry[i])
				found = 1;
		if (!found)
			cJSON_AddItemToObject(o, key, f == W_FILES ?
			    cJSON_CreateString(h->files[i].version) :
			    reg_json(&h->registry[i]));
	}
}

/* The fields of host object o that h changed since was (what orig says). */
static void
merge_host(cJSON *o, const struct plan_inv_host *h,
    const struct plan_inv_host *was)
{
	cJSON *cur, *v;
	int f;

	for (f = 0; f < W_NFIELDS; f++) {
		if (!(h->edited & (1u << f)) && field_eq(h, was, (enum wfield)f))
			continue;
		cur = cJSON_GetObjectItemCaseSensitive(o, wnames[f]);
		if ((f == W_FILES || f == W_REGISTRY) && cJSON_IsObject(cur) &&
		    (f == W_FILES ? h->has_files : h->has_registry)) {
			merge_pairs(cur, h, was, (enum wfield)f);
			continue;
		}
		if ((v = field_json(h, (enum wfield)f)) != NULL)
			set_member(o, wnames[f], v);
		else if (cur != NULL && !field_eq(h, was, (enum wfield)f))
			cJSON_DeleteItemFromObjectCaseSensitive(o, wnames[f]);
	}
}

/*
 * The document as text: a member of the top level or a host a line, each
 * value on one line with ", " and ": " (diffs of an inventory stay one
 * line per host).  Numbers as cJSON prints them: integers plain, others
 * with the fewest digits that read back the same.
 */
static void
print_number(struct buf *b, double d)
{
	char s[32];

	if (d != d || d > 1e308 || d < -1e308) {
		buf_adds(b, "null");	/* as cJSON: JSON has no NaN */
		return;
	}
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		buf_addf(b, "%lld", (long long)d);
		return;
	}
	snprintf(s, sizeof(s), "%.15g", d);
	if (strtod(s, NULL) != d)
		snprintf(s, sizeof(s), "%.17g", d);
	buf_adds(b, s);
}

static void
print_value(struct buf *b, const cJSON *v)
{
	const cJSON *m;
	int obj = cJSON_IsObject(v);

	if (cJSON_IsString(v))
		buf_add_json_str(b, v->valuestring);
	else if (cJSON_IsNumber(v))
		print_number(b, v->valuedouble);
	else if (cJSON_IsBool(v))
		buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
	else if (!obj && !cJSON_IsArray(v))
		buf_adds(b, "null");
	else {
		buf_addc(b, obj ? '{' : '[');
		for (m = v->child; m != NULL; m = m->next) {
			if (m != v->child)
				buf_adds(b, ", ");
			if (obj) {
				buf_add_json_str(b, m->string);
				buf_adds(b, ": ");
			}
			print_value(b, m);
		}
		buf_addc(b, obj ? '}' : ']');
	}
}

static void
print_doc(struct buf *b, const cJSON *root)
{
	const cJSON *m, *h;

	buf_adds(b, "{\n");
	for (m = root->child; m != NULL; m = m->next) {
		buf_adds(b, "  ");
		buf_add_json_str(b, m->string);
		buf_adds(b, ": ");
		if (strcmp(m->string, "hosts") == 0 && cJSON_IsArray(m)) {
			buf_adds(b, "[\n");
			for (h = m->child; h != NULL; h = h->next) {
				buf_adds(b, "    ");
				print_value(b, h);
				buf_adds(b, h->next ? ",\n" : "\n");
			}
			buf_adds(b, "  ]");
		} else
			print_value(b, m);
		buf_adds(b, m->next ? ",\n" : "\n");
	}
	buf_adds(b, "}\n");
}

/* Where JSON starts, as plan_inventory_parse() decides; NULL: not JSON. */
static const char *
json_start(const char *p, size_t len)
{
	const char *end = p + len;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r' || *p == '\v' || *p == '\f'))
		p++;
	return p < end && (*p == '{' || *p == '[') ? p : NULL;
}

/* CSV, AD export or no document: {"hosts": [{"name": ...}, ...]}. */
static cJSON *
tree_from_records(const struct plan_inventory *inv)
{
	struct plan_inv_host blank;
	cJSON *root = cJSON_CreateObject(), *hosts = cJSON_CreateArray(), *o;
	size_t i;

	cJSON_AddItemToObject(root, "hosts", hosts);
	for (i = 0; i < inv->nhosts; i++) {
		inv_host_init(&blank);
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "name",
		    cJSON_CreateString(inv->hosts[i].name));
		merge_host(o, &inv->hosts[i], &blank);
		cJSON_AddItemToArray(hosts, o);
	}
	return root;
}

/* orig's own tree with each host edited; was is orig read again. */
static cJSON *
tree_from_json(const struct plan_inventory *inv, const char *p, size_t len,
    const struct plan_inventory *was)
{
	cJSON *root, *hosts, *o;
	size_t i = 0, at = 0;

	root = cJSON_ParseWithLength(p, len);
	hosts = cJSON_GetObjectItemCaseSensitive(root, "hosts");
	if (!cJSON_IsArray(hosts) ||
	    (size_t)cJSON_GetArraySize(hosts) < inv->nhosts ||
	    was->nhosts != inv->nhosts) {
		err_set("%s: the document does not hold the inventory's %zu "
		    "hosts", inv->name, inv->nhosts);
		cJSON_Delete(root);
		return NULL;
	}
	/* hosts --skip-invalid left out stay as the document has them */
	cJSON_ArrayForEach(o, hosts) {
		if (i == inv->nhosts || inv->hosts[i].src != at++)
			continue;
		if (strcmp(inv->hosts[i].name, was->hosts[i].name) != 0) {
			err_set("%s: hosts[%zu]: the document names '%s', the "
			    "inventory '%s'", inv->name, i, was->hosts[i].name,
			    inv->hosts[i].name);
			cJSON_Delete(root);
			return NULL;
		}
		merge_host(o, &inv->hosts[i], &was->hosts[i]);
		i++;
	}
	if (i != inv->nhosts) {
		err_set("%s: the document does not hold the inventory's %zu "
		    "hosts", inv->name, inv->nhosts);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

int
plan_inventory_write(const struct plan_inventory *inv, const char *orig,
    size_t len, struct buf *out)
{
	struct plan_inventory *was = NULL;
	const char *p = orig ? json_start(orig, len) : NULL;
	cJSON *root = NULL;
	int rc = -1;

	if (p == NULL)
		root = tree_from_records(inv);
	else if ((was = plan_inventory_parse_flags(inv->name, orig, len,
	    inv->nskipped ? PLAN_INV_SKIP_INVALID : 0)) == NULL ||
	    (root = tree_from_json(inv, p, len - (size_t)(p - orig), was)) ==
	    NULL)
		goto out;
	print_doc(out, root);
	if (out->failed) {
		err_set("%s: the inventory as JSON is larger than %zu bytes",
		    inv->name, out->max);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	plan_inventory_free(was);
	return rc;
}

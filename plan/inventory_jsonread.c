/*
 * The JSON inventory reader: inv_json_scan() checks the document and finds
 * the defaults and the hosts; each of them is then parsed with cJSON on its
 * own (one host's tree at a time, whatever the size of the fleet) and read
 * into struct plan_inv_host through the checks inventory.c shares with the
 * CSV reader.  A null field is not given; a key given twice in one
 * object is refused.  Reading only: inventory_write.c is the writer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plan/plan.h"
#include "plan/engine.h"
#include "plan/inventory_int.h"

/* In the order of json_fields[]. */
enum jfield {
	F_ADDRESS, F_PORT, F_USER, F_OS, F_VERSION, F_ARCH, F_CHANNEL,
	F_INSTALLED, F_FILES, F_MULTICAST, F_WFP, F_REGISTRY, F_ROLES,
	F_GROUP, F_WAVE, F_TRANSPORT, F_PENDING, F_ROLLUP, F_SUPERSEDED,
	F_UI_LANGUAGE, F_EXPERIENCING, F_PENDING_REASONS, F_SHARED_ADDRESS,
	F_EVIDENCE
};

static const char *const json_fields[] = {
	"address", "port", "user", "os", "version", "arch", "channel",
	"installed", "files", "multicast_forwarding", "wfp_callout_drivers",
	"registry", "roles", "group", "wave", "transport", "pending_reboot",
	"rollup", "superseded", "ui_language", "experiencing",
	"pending_reboot_reasons", "shared_address", "evidence"
};

#define NJSON_FIELDS (sizeof(json_fields) / sizeof(json_fields[0]))

static int
json_field_index(const char *k)
{
	size_t i;

	for (i = 0; i < NJSON_FIELDS; i++)
		if (strcmp(k, json_fields[i]) == 0)
			return (int)i;
	return -1;
}

static int
read_int(const struct ird *r, const cJSON *v, const char *field, int lo,
    int hi, int *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return inv_fail(r, field, "must be an integer %d to %d", lo, hi);
	d = v->valuedouble;
	if (d < lo || d > hi || d != (double)(int)d)
		return inv_fail(r, field, "must be an integer %d to %d", lo, hi);
	*out = (int)d;
	return 0;
}

static int
read_strings(const struct ird *r, const cJSON *v, enum jfield f,
    struct plan_inv_host *h)
{
	const char *field = json_fields[f];
	const cJSON *e;

	if (!cJSON_IsArray(v))
		return inv_fail(r, field, "must be an array of strings");
	inv_list_given(h, field);
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e))
			return inv_fail(r, field, "must be an array of strings");
		if (inv_add_item(r, h, field, e->valuestring) == -1)
			return -1;
	}
	return 0;
}

/* One member of files or registry. */
static int
read_pair(const struct ird *r, const cJSON *e, enum jfield f,
    struct plan_inv_host *h)
{
	char key[1024];
	double d;

	snprintf(key, sizeof(key), "%s", e->string);
	if (cJSON_IsString(e))
		return f == F_FILES ? inv_add_file(r, h, key, e->valuestring) :
		    inv_add_reg_text(r, h, key, e->valuestring);
	if (f == F_FILES)
		return inv_fail(r, "files", "%s: must be a version string", key);
	if (!cJSON_IsNumber(e))
		return inv_fail(r, "registry", "%s: must be a number or a "
		    "string", key);
	d = e->valuedouble;
	if (d < 0 || d > 4294967295.0 || d != (double)(uint32_t)d)
		return inv_fail(r, "registry", "%s: must be a 32-bit unsigned "
		    "integer or a string", key);
	return inv_add_reg(r, h, key, 1, (uint32_t)d, NULL);
}

/* An object of name: value pairs (files, registry). */
static int
read_pairs(const struct ird *r, const cJSON *v, enum jfield f,
    struct plan_inv_host *h)
{
	const cJSON *e;

	if (!cJSON_IsObject(v))
		return inv_fail(r, json_fields[f], f == F_FILES ? "must be an "
		    "object of file versions, e.g. {\"tcpip.sys\": "
		    "\"6.1.7600.16385\"}" : "must be an object of value paths");
	*(f == F_FILES ? &h->has_files : &h->has_registry) = 1;
	cJSON_ArrayForEach(e, v)
		if (read_pair(r, e, f, h) == -1)
			return -1;
	return 0;
}

/* discover's evidence (plan/inventory_evidence.c reads it). */
static int
read_evidence(const struct ird *r, const cJSON *v, struct plan_inv_host *h)
{
	char msg[256];

	if (strcmp(r->where, "defaults.") == 0)
		return inv_fail(r, "evidence", "a host's own, not a default");
	if (plan_evidence_read(v, r->arena, &h->evidence, msg,
	    sizeof(msg)) == -1)
		return inv_fail(r, "evidence", "%s", msg);
	return 0;
}

static int
read_field(const struct ird *r, const cJSON *v, enum jfield f,
    struct plan_inv_host *h)
{
	const char *name = json_fields[f];

	switch (f) {
	case F_PORT:
		return read_int(r, v, name, 1, 65535, &h->port);
	case F_WAVE:
		return read_int(r, v, name, 1, 1000000, &h->wave);
	case F_WFP:
		return read_int(r, v, name, 0, 1000, &h->wfp_drivers);
	case F_MULTICAST:
	case F_PENDING:
	case F_SHARED_ADDRESS:
		if (!cJSON_IsBool(v))
			return inv_fail(r, name, "must be true or false");
		*(f == F_MULTICAST ? &h->multicast : f == F_PENDING ?
		    &h->pending_reboot : &h->shared_address) = cJSON_IsTrue(v);
		return 0;
	case F_INSTALLED:
	case F_ROLES:
	case F_SUPERSEDED:
	case F_EXPERIENCING:
	case F_PENDING_REASONS:
		return read_strings(r, v, f, h);
	case F_FILES:
	case F_REGISTRY:
		return read_pairs(r, v, f, h);
	case F_EVIDENCE:
		return read_evidence(r, v, h);
	default:
		break;
	}
	if (!cJSON_IsString(v))
		return inv_fail(r, name, "must be a string");
	return inv_set_str(r, h, name, v->valuestring);
}

/* The members of o that *seen does not have yet; a bit per enum jfield. */
static int
read_fields(const struct ird *r, const cJSON *o, struct plan_inv_host *h,
    uint32_t *seen)
{
	const cJSON *v;
	int f;

	cJSON_ArrayForEach(v, o) {
		f = json_field_index(v->string);
		if (f < 0 || (*seen & (1u << f)) || cJSON_IsNull(v))
			continue;
		*seen |= 1u << f;
		if (read_field(r, v, (enum jfield)f, h) == -1)
			return -1;
	}
	return 0;
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
	TAKE(F_ROLLUP, rollup);
	TAKE(F_UI_LANGUAGE, ui_language);
	TAKE(F_SHARED_ADDRESS, shared_address);
#undef TAKE
#define TAKE_LIST(bit, field)	if (m & (1u << (bit))) { \
		h->field = d->field; \
		h->n##field = d->n##field; \
		h->has_##field = d->has_##field; \
	}
	TAKE_LIST(F_SUPERSEDED, superseded);
	TAKE_LIST(F_EXPERIENCING, experiencing);
	TAKE_LIST(F_PENDING_REASONS, pending_reboot_reasons);
#undef TAKE_LIST
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

/* What the reader keeps while it goes through the hosts. */
struct jread {
	struct plan_inventory	*inv;
	struct ird		 r;
	const char		*doc;	/* the scanned document */
	struct plan_inv_host	 dflt;
	uint32_t		 dseen;
	unsigned		 flags;	/* PLAN_INV_SKIP_INVALID */
};

/* A value the scan found; only out of memory can make cJSON refuse it. */
static cJSON *
parse_span(const struct jread *j, const struct inv_jspan *s, const char *what)
{
	cJSON *v = cJSON_ParseWithLength(j->doc + s->off, s->len);

	if (v == NULL)
		err_set("%s: %s: cannot be parsed", j->inv->name, what);
	return v;
}

static int
read_host(struct jread *j, const cJSON *o, size_t i)
{
	struct ird *r = &j->r;
	struct plan_inv_host *h = &j->inv->hosts[i];
	const cJSON *name;
	const char *dup;
	uint32_t seen = 0;

	snprintf(r->where, sizeof(r->where), "hosts[%zu].", i);
	if (!cJSON_IsObject(o))
		return inv_fail(r, "name", "a host must be an object");
	if ((name = cJSON_GetObjectItemCaseSensitive(o, "name")) == NULL)
		return inv_fail(r, "name", "missing");
	if (!cJSON_IsString(name) || !plan_valid_hostname(name->valuestring))
		return inv_fail(r, "name", "must be a string of 1-63 "
		    "[A-Za-z0-9._-]");
	h->name = inv_adup(r, name->valuestring);
	snprintf(r->where, sizeof(r->where), "hosts[%zu] (%s).", i, h->name);
	if ((dup = plan_json_dup_key(o)) != NULL)
		return inv_fail(r, dup, "given twice (JSON readers disagree on "
		    "which counts)");
	if (read_fields(r, o, h, &seen) == -1)
		return -1;
	apply_defaults(h, &j->dflt, seen, j->dseen);
	return inv_host_finish(r, h);
}

static int
read_defaults(struct jread *j, const struct inv_jindex *x)
{
	const char *dup;
	cJSON *o;
	int rc = -1;

	if (!x->has_defaults)
		return 0;
	if ((o = parse_span(j, &x->defaults, "defaults")) == NULL)
		return -1;
	if (!cJSON_IsObject(o)) {
		err_set("%s: defaults: must be an object", j->inv->name);
		goto out;
	}
	snprintf(j->r.where, sizeof(j->r.where), "defaults.");
	if ((dup = plan_json_dup_key(o)) != NULL) {
		inv_fail(&j->r, dup, "given twice (JSON readers disagree on "
		    "which counts)");
		goto out;
	}
	rc = read_fields(&j->r, o, &j->dflt, &j->dseen);
out:
	cJSON_Delete(o);
	return rc;
}

/* The top-level "groups" object (groups.c reads it). */
static int
read_groups(struct jread *j, const struct inv_jindex *x)
{
	const char *dup;
	cJSON *o;
	int rc = -1;

	if (!x->has_groups)
		return 0;
	if ((o = parse_span(j, &x->groups, "groups")) == NULL)
		return -1;
	if ((dup = plan_json_dup_key(o)) != NULL)
		err_set("%s: groups: \"%s\" given twice (JSON readers "
		    "disagree on which counts)", j->inv->name, dup);
	else			/* null: not given, as a host field */
		rc = cJSON_IsNull(o) ? 0 : inv_groups_read(j->inv, o);
	cJSON_Delete(o);
	return rc;
}

static int
read_hosts(struct jread *j, const struct inv_jindex *x)
{
	struct plan_inventory *inv = j->inv;
	cJSON *o;
	size_t i;
	int rc;

	inv->hosts = xcalloc(x->nhosts + 1, sizeof(*inv->hosts));
	for (i = 0; i < x->nhosts; i++)
		inv_host_init(&inv->hosts[i]);
	inv->nhosts = x->nhosts;
	for (i = 0; i < x->nhosts; i++) {
		if ((o = parse_span(j, &x->hosts[i], "hosts")) == NULL)
			return -1;
		rc = read_host(j, o, i);
		cJSON_Delete(o);
		if (rc == -1 && inv_skip(inv, &inv->hosts[i], j->flags) == -1)
			return -1;
	}
	return 0;
}

int
inv_parse_json(struct plan_inventory *inv, const char *buf, size_t len,
    unsigned flags)
{
	struct inv_jindex x;
	struct jread j = { .inv = inv, .r = { .name = inv->name,
	    .arena = inv->arena }, .flags = flags };
	int rc = -1;

	inv_host_init(&j.dflt);
	if (inv_json_scan(inv->name, buf, len, &x) == -1)
		goto out;
	j.doc = x.patch ? x.patch : buf;
	if (read_defaults(&j, &x) == -1 || read_groups(&j, &x) == -1 ||
	    read_hosts(&j, &x) == -1)
		goto out;
	rc = inv_check_duplicates(inv, 0, flags);
out:
	inv_jindex_release(&x);
	return rc;
}

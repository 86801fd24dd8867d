/*
 * The plan document, "kbfix-plan/1": names of enums, the strict reader
 * (plan_parse) and the writer (plan_write_json).
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "plan/plan.h"
#include "plan/engine.h"

#define PLAN_MAX	((size_t)1 << 30)

static const char *const status_names[] = {
	"needs-action", "blocked", "unknown", "exposed", "compliant",
	"not-applicable"
};
static const char *const state_names[] = {
	"affected", "fixed", "not-affected", "unknown", "blocked", "exposed"
};
static const char *const action_names[] = {
	"registry", "multicast-forwarding", "install", "reboot", "verify"
};

const char *
plan_status_name(enum plan_status s)
{
	return s < PLAN_NSTATUS ? status_names[s] : "?";
}

const char *
plan_state_name(enum plan_state s)
{
	return s < FINDING_NSTATE ? state_names[s] : "?";
}

const char *
plan_action_name(enum plan_action_kind k)
{
	return k <= ACTION_VERIFY ? action_names[k] : "?";
}

static int
name_index(const char *s, const char *const names[], int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
plan_status_parse(const char *s, enum plan_status *out)
{
	int i = name_index(s, status_names, PLAN_NSTATUS);

	if (i < 0) {
		err_set("'%s' is not a host status (needs-action, blocked, "
		    "unknown, compliant, not-applicable)", s);
		return -1;
	}
	*out = (enum plan_status)i;
	return 0;
}

int
plan_valid_hostname(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("._-", s[n]))
			return 0;
	/* a leading '-' would reach ssh (and Ansible's) as an option */
	return n >= 1 && n <= 63 && isalnum((unsigned char)s[0]);
}

int
plan_valid_user(const char *s)
{
	size_t n;

	const char *at = strchr(s, '@'), *bs = strchr(s, '\\');

	/* one "DOMAIN\" before the name or one "@domain" after it */
	if ((at && bs) || (at && strchr(at + 1, '@')) ||
	    (bs && strchr(bs + 1, '\\')))
		return 0;
	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("._-@\\", s[n]))
			return 0;
	return n >= 1 && n <= 104 && isalnum((unsigned char)s[0]) &&
	    s[n - 1] != '@' && s[n - 1] != '\\';
}

int
plan_valid_address(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("._:-", s[n]))
			return 0;
	return n >= 1 && n <= 253 && s[0] != '-';
}

/* Reader. */

const char *
plan_json_dup_key(const cJSON *v)
{
	const cJSON *a, *b;
	const char *k;

	size_t n = 0;

	for (a = v ? v->child : NULL; a != NULL; a = a->next) {
		/* pairwise: no object of ours has more than a few dozen keys */
		if (cJSON_IsObject(v) && ++n > PLAN_JSON_KEYS_MAX)
			return "(more than " PLAN_JSON_KEYS_MAX_S " keys)";
		if (cJSON_IsObject(v))
			for (b = a->next; b != NULL; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return a->string;
		if ((k = plan_json_dup_key(a)) != NULL)
			return k;
	}
	return NULL;
}

struct rd {
	struct jpath	 jp;		/* file name and JSON path, for messages */
};

static int
rd_fail(struct rd *rd, const char *field, const char *what)
{
	return jpath_fail(&rd->jp, field, "%s", what);
}

static int
get_str(struct rd *rd, const cJSON *o, const char *field, int required,
    char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return required ? rd_fail(rd, field, "missing") : 0;
	if (!cJSON_IsString(v))
		return rd_fail(rd, field, "must be a string");
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
get_int(struct rd *rd, const cJSON *o, const char *field, int min, int max,
    int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
		return rd_fail(rd, field, "must be an integer");
	if (v->valuedouble < min || v->valuedouble > max) {
		char msg[64];

		snprintf(msg, sizeof(msg), "must be %d to %d", min, max);
		return rd_fail(rd, field, msg);
	}
	*out = (int)v->valuedouble;
	return 0;
}

static const cJSON *
get_array(struct rd *rd, const cJSON *o, const char *field, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	if (v == NULL && !required)
		return NULL;
	if (!cJSON_IsArray(v)) {
		rd_fail(rd, field, v ? "must be an array" : "missing");
		return NULL;
	}
	return v;
}

static void
rd_enter(struct rd *rd, size_t *mark, const char *field, int index)
{
	*mark = jpath_key(&rd->jp, field);
	jpath_index(&rd->jp, (size_t)index, NULL);
}

static void
rd_leave(struct rd *rd, size_t mark)
{
	jpath_back(&rd->jp, mark);
}

static int
read_registry(struct rd *rd, const cJSON *o, struct plan_action *a)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "data");

	if (get_str(rd, o, "key", 1, &a->key) == -1 ||
	    get_str(rd, o, "value", 1, &a->value) == -1 ||
	    get_str(rd, o, "type", 1, &a->type) == -1)
		return -1;
	if (!plan_valid_regkey(a->key))
		return rd_fail(rd, "key", "not a plain HKLM registry key");
	if (!plan_valid_regvalue(a->value))
		return rd_fail(rd, "value", "not a plain registry value name");
	if (strcmp(a->type, "REG_DWORD") == 0) {
		if (!cJSON_IsNumber(d) || d->valuedouble < 0 ||
		    d->valuedouble > 4294967295.0 ||
		    d->valuedouble != (double)(uint32_t)d->valuedouble)
			return rd_fail(rd, "data", "must be a 32-bit unsigned integer");
		a->data_num = (uint32_t)d->valuedouble;
	} else if (strcmp(a->type, "REG_SZ") == 0) {
		if (!cJSON_IsString(d) || !plan_valid_regdata(d->valuestring))
			return rd_fail(rd, "data", "must be a plain string");
		a->data_str = xstrdup(d->valuestring);
	} else
		return rd_fail(rd, "type", "must be REG_DWORD or REG_SZ");
	return 0;
}

static int
read_multicast(struct rd *rd, const cJSON *o, struct plan_action *a)
{
	char *state = NULL;
	int rc = -1;

	if (get_str(rd, o, "family", 1, &a->family) == -1 ||
	    get_str(rd, o, "state", 1, &state) == -1)
		goto out;
	if (strcmp(a->family, "ipv4") != 0 && strcmp(a->family, "ipv6") != 0) {
		rd_fail(rd, "family", "must be ipv4 or ipv6");
		goto out;
	}
	if (strcmp(state, "enabled") != 0 && strcmp(state, "disabled") != 0) {
		rd_fail(rd, "state", "must be enabled or disabled");
		goto out;
	}
	a->enabled = strcmp(state, "enabled") == 0;
	rc = 0;
out:
	free(state);
	return rc;
}

static int
read_action(struct rd *rd, const cJSON *o, struct plan_action *a)
{
	char *kind = NULL;
	int i, rc = -1;

	if (!cJSON_IsObject(o)) {
		rd_fail(rd, "kind", "action must be an object");
		return -1;
	}
	if (get_str(rd, o, "kind", 1, &kind) == -1)
		return -1;
	if ((i = name_index(kind, action_names, ACTION_VERIFY + 1)) < 0) {
		rd_fail(rd, "kind", "must be registry, multicast-forwarding, "
		    "install, reboot or verify");
		goto out;
	}
	a->kind = (enum plan_action_kind)i;
	switch (a->kind) {
	case ACTION_INSTALL:
		if (get_str(rd, o, "kb", 1, &a->kb) == -1 ||
		    get_str(rd, o, "advisory", 0, &a->advisory) == -1 ||
		    get_str(rd, o, "tcpip_min", 0, &a->tcpip_min) == -1)
			goto out;
		if (!str_is_kb(a->kb)) {
			rd_fail(rd, "kb", "must look like KB4345459");
			goto out;
		}
		break;
	case ACTION_REGISTRY:
		if (read_registry(rd, o, a) == -1 ||
		    get_str(rd, o, "advisory", 0, &a->advisory) == -1 ||
		    get_str(rd, o, "group_policy", 0, &a->group_policy) == -1)
			goto out;
		if (a->group_policy != NULL &&
		    !plan_valid_regdata(a->group_policy)) {
			rd_fail(rd, "group_policy", "must be one line of "
			    "printable ASCII, none of & | < > ^ % \"");
			goto out;
		}
		break;
	case ACTION_MULTICAST:
		if (read_multicast(rd, o, a) == -1 ||
		    get_str(rd, o, "advisory", 0, &a->advisory) == -1)
			goto out;
		break;
	case ACTION_REBOOT:
	case ACTION_VERIFY:
		break;
	}
	rc = 0;
out:
	free(kind);
	return rc;
}

static int
read_findings(struct rd *rd, const cJSON *o, struct plan_host *h)
{
	const cJSON *arr = get_array(rd, o, "findings", 0), *f;
	size_t mark;
	int i = 0, rc = 0;

	if (arr == NULL)
		return cJSON_GetObjectItemCaseSensitive(o, "findings") ? -1 : 0;
	h->findings = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof(*h->findings));
	cJSON_ArrayForEach(f, arr) {
		struct plan_finding *pf = &h->findings[h->nfindings++];
		char *state = NULL;
		int st = -1;

		rd_enter(rd, &mark, "findings", i++);
		if (get_str(rd, f, "advisory", 1, &pf->advisory) == -1 ||
		    get_str(rd, f, "reason", 1, &pf->reason) == -1 ||
		    get_str(rd, f, "state", 1, &state) == -1)
			rc = -1;
		else if ((st = name_index(state, state_names,
		    FINDING_NSTATE)) < 0)
			rc = rd_fail(rd, "state", "not a finding state");
		else
			pf->state = (enum plan_state)st;
		free(state);
		rd_leave(rd, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
read_actions(struct rd *rd, const cJSON *o, struct plan_host *h)
{
	const cJSON *arr = get_array(rd, o, "actions", 0), *a;
	size_t mark;
	int i = 0, rc;

	if (arr == NULL)
		return cJSON_GetObjectItemCaseSensitive(o, "actions") ? -1 : 0;
	h->actions = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof(*h->actions));
	cJSON_ArrayForEach(a, arr) {
		rd_enter(rd, &mark, "actions", i++);
		rc = read_action(rd, a, &h->actions[h->nactions++]);
		rd_leave(rd, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
read_strings(struct rd *rd, const cJSON *o, const char *field,
    char ***out, size_t *n)
{
	const cJSON *arr = get_array(rd, o, field, 1), *s;

	if (arr == NULL)
		return -1;
	*out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out));
	cJSON_ArrayForEach(s, arr) {
		if (!cJSON_IsString(s))
			return rd_fail(rd, field, "must hold strings");
		(*out)[(*n)++] = xstrdup(s->valuestring);
	}
	return 0;
}

/* discover's evidence, as the inventory carries it. */
static int
read_evidence(struct rd *rd, const cJSON *o, struct plan_host *h)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "evidence");
	char msg[256];

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (plan_evidence_read(v, NULL, &h->evidence, msg, sizeof(msg)) == -1)
		return rd_fail(rd, "evidence", msg);
	return 0;
}

static int
read_host(struct rd *rd, const cJSON *o, struct plan_host *h)
{
	char *status = NULL;
	int rc = -1;

	if (!cJSON_IsObject(o))
		return rd_fail(rd, "name", "host must be an object");
	if (get_str(rd, o, "name", 1, &h->name) == -1 ||
	    get_str(rd, o, "status", 1, &status) == -1 ||
	    get_str(rd, o, "address", 0, &h->address) == -1 ||
	    get_str(rd, o, "user", 0, &h->user) == -1 ||
	    get_str(rd, o, "transport", 0, &h->transport) == -1 ||
	    get_str(rd, o, "os", 0, &h->os) == -1 ||
	    get_str(rd, o, "version", 0, &h->version) == -1 ||
	    get_str(rd, o, "arch", 0, &h->arch) == -1 ||
	    get_str(rd, o, "group", 0, &h->group) == -1 ||
	    get_int(rd, o, "port", 0, 65535, &h->port) == -1 ||
	    get_int(rd, o, "wave", 0, 1000000, &h->wave) == -1 ||
	    get_int(rd, o, "estimate_s", 0, 100000000, &h->estimate_s) == -1)
		goto out;
	if (!plan_valid_hostname(h->name)) {
		rd_fail(rd, "name", "must be 1-63 of [A-Za-z0-9._-]");
		goto out;
	}
	if (h->address && !plan_valid_address(h->address)) {
		rd_fail(rd, "address", "not a host name or IP address");
		goto out;
	}
	if (h->user && !plan_valid_user(h->user)) {
		rd_fail(rd, "user", "not a plain user name (ops, CORP\\ops or "
		    "ops@corp.example.com)");
		goto out;
	}
	if (plan_status_parse(status, &h->status) == -1) {
		rd_fail(rd, "status", err_msg());
		goto out;
	}
	/* a build with or without its revision (10.0.17134.165) */
	if (h->version && !plan_valid_version(h->version, 3) &&
	    !plan_valid_version(h->version, 4)) {
		rd_fail(rd, "version", "must be a Windows build like 6.1.7601 "
		    "or 10.0.17134.165");
		goto out;
	}
	if (h->arch && (plan_norm_arch(h->arch) == NULL ||
	    strcmp(plan_norm_arch(h->arch), h->arch) != 0)) {
		rd_fail(rd, "arch", "must be x86, x64, ia64 or arm64");
		goto out;
	}
	if (h->transport && strcmp(h->transport, "ssh") != 0 &&
	    strcmp(h->transport, "manual") != 0) {
		rd_fail(rd, "transport", "must be ssh or manual");
		goto out;
	}
	if (read_findings(rd, o, h) == -1 || read_actions(rd, o, h) == -1)
		goto out;
	if (cJSON_GetObjectItemCaseSensitive(o, "roles") &&
	    read_strings(rd, o, "roles", &h->roles, &h->nroles) == -1)
		goto out;
	if (read_evidence(rd, o, h) == -1)
		goto out;
	rc = 0;
out:
	free(status);
	return rc;
}

/* Duplicate names in O(1) per host: an open-addressing set of indexes. */
static int
seen_name(const struct plan *p, size_t *slots, size_t cap, size_t idx)
{
	const char *name = p->hosts[idx].name;
	size_t j;

	for (j = str_hash(STR_HASH_INIT, name) & (cap - 1); slots[j];
	    j = (j + 1) & (cap - 1))
		if (strcmp(p->hosts[slots[j] - 1].name, name) == 0)
			return 1;
	slots[j] = idx + 1;
	return 0;
}

static int
read_hosts(struct rd *rd, const cJSON *root, struct plan *p)
{
	const cJSON *arr = get_array(rd, root, "hosts", 1), *h;
	size_t mark, cap = 16, *slots, total;
	int n = 0, rc = 0;

	if (arr == NULL)
		return -1;
	total = (size_t)cJSON_GetArraySize(arr);
	while (cap < 2 * total)
		cap <<= 1;
	slots = xcalloc(cap, sizeof(*slots));
	p->hosts = xcalloc(total + 1, sizeof(*p->hosts));
	cJSON_ArrayForEach(h, arr) {
		rd_enter(rd, &mark, "hosts", n++);
		rc = read_host(rd, h, &p->hosts[p->nhosts++]);
		if (rc == 0 && seen_name(p, slots, cap, p->nhosts - 1))
			rc = rd_fail(rd, "name", "duplicate host name");
		rd_leave(rd, mark);
		if (rc == -1)
			break;
	}
	free(slots);
	return rc;
}

static int
read_packages(struct rd *rd, const cJSON *root, struct plan *p)
{
	const cJSON *arr = get_array(rd, root, "packages", 0), *o;
	size_t mark;
	int n = 0, rc;

	if (arr == NULL)
		return cJSON_GetObjectItemCaseSensitive(root, "packages") ? -1 : 0;
	p->packages = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof(*p->packages));
	cJSON_ArrayForEach(o, arr) {
		struct plan_package *pk = &p->packages[p->npackages++];

		rd_enter(rd, &mark, "packages", n++);
		rc = get_str(rd, o, "kb", 1, &pk->kb);
		if (rc == 0 && !str_is_kb(pk->kb))
			rc = rd_fail(rd, "kb", "must look like KB4345459");
		if (rc == 0)
			rc = get_str(rd, o, "product", 1, &pk->product);
		if (rc == 0)
			rc = get_str(rd, o, "arch", 1, &pk->arch);
		if (rc == 0)
			rc = get_str(rd, o, "classification", 0,
			    &pk->classification);
		if (rc == 0 && pk->classification &&
		    strcmp(pk->classification, "Updates") != 0 &&
		    strcmp(pk->classification, "Security Updates") != 0 &&
		    strcmp(pk->classification, "Critical Updates") != 0 &&
		    strcmp(pk->classification, "Hotfix") != 0)
			rc = rd_fail(rd, "classification", "must be Updates, "
			    "Security Updates, Critical Updates or Hotfix");
		if (rc == 0)
			rc = read_strings(rd, o, "hosts", &pk->hosts, &pk->nhosts);
		rd_leave(rd, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
read_advisories(struct rd *rd, const cJSON *root, struct plan *p)
{
	const cJSON *arr = get_array(rd, root, "advisories", 0), *o;
	size_t mark;
	int n = 0, rc;

	if (arr == NULL)
		return cJSON_GetObjectItemCaseSensitive(root, "advisories") ? -1 : 0;
	p->advisories = xcalloc((size_t)cJSON_GetArraySize(arr) + 1,
	    sizeof(*p->advisories));
	cJSON_ArrayForEach(o, arr) {
		struct plan_advisory *a = &p->advisories[p->nadvisories++];

		rd_enter(rd, &mark, "advisories", n++);
		rc = get_str(rd, o, "id", 1, &a->id);
		if (rc == 0)
			rc = get_str(rd, o, "title", 0, &a->title);
		if (rc == 0)
			rc = get_str(rd, o, "kb", 0, &a->kb);
		rd_leave(rd, mark);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static void
json_error_position(const char *buf, const char *at, int *line, int *col)
{
	const char *p;

	*line = 1;
	*col = 1;
	for (p = buf; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static int
read_window(struct rd *rd, const cJSON *root, struct plan *p)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "window");
	int64_t start;
	size_t mark;
	int dur;

	if (w == NULL || cJSON_IsNull(w))
		return 0;
	mark = jpath_key(&rd->jp, "window");
	/* a window that does not parse must stop apply, not turn it off */
	if (get_str(rd, w, "start", 1, &p->window_start) == -1 ||
	    get_int(rd, w, "duration_s", 1, PLAN_DURATION_MAX, &dur) == -1)
		return -1;
	if (time_parse_iso8601(p->window_start, &start) == -1)
		return rd_fail(rd, "start", "not an ISO 8601 UTC time like "
		    "2026-11-21T22:00:00Z");
	if (dur == 0)
		return rd_fail(rd, "duration_s", "missing");
	if (get_int(rd, w, "offset_s", -14 * 3600, 14 * 3600,
	    &p->window_offset_s) == -1)
		return -1;
	p->window_duration_s = dur;
	jpath_back(&rd->jp, mark);
	return 0;
}

static int
group_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_group *)a)->name,
	    ((const struct plan_group *)b)->name);
}

/* "groups": {"web": {"max_unavailable": 10, "members": 40, "percent": 25}} */
static int
read_groups(struct rd *rd, const cJSON *root, struct plan *p)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "groups"), *e;
	size_t mark, m2;

	if (o == NULL || cJSON_IsNull(o))
		return 0;
	mark = jpath_key(&rd->jp, "groups");
	if (!cJSON_IsObject(o)) {
		jpath_back(&rd->jp, mark);
		return rd_fail(rd, "groups", "must be an object");
	}
	p->groups = xcalloc((size_t)cJSON_GetArraySize(o) + 1,
	    sizeof(*p->groups));
	cJSON_ArrayForEach(e, o) {
		struct plan_group *g = &p->groups[p->ngroups];

		m2 = jpath_key(&rd->jp, e->string);
		if (!cJSON_IsObject(e))
			return rd_fail(rd, "max_unavailable", "missing");
		if (get_int(rd, e, "max_unavailable", 1, 1000000,
		    &g->max_unavailable) == -1 ||
		    get_int(rd, e, "members", 0, INT_MAX, &g->members) == -1 ||
		    get_int(rd, e, "percent", 0, 100, &g->percent) == -1)
			return -1;
		if (g->max_unavailable == 0)
			return rd_fail(rd, "max_unavailable", "missing");
		g->name = xstrdup(e->string);
		p->ngroups++;
		jpath_back(&rd->jp, m2);
	}
	qsort(p->groups, p->ngroups, sizeof(*p->groups), group_name_cmp);
	jpath_back(&rd->jp, mark);
	return 0;
}

struct plan *
plan_parse(const char *name, const char *buf, size_t len)
{
	struct rd rd;
	struct plan *p = xcalloc(1, sizeof(*p));
	const char *end = NULL;
	cJSON *root;
	const char *dup;
	char *format = NULL;
	int line, col, rc = -1;

	jpath_init(&rd.jp, name);
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL) {
		json_error_position(buf, end ? end : buf + len, &line, &col);
		err_set("%s: line %d, column %d: invalid JSON", name, line, col);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		err_set("%s: a plan is a JSON object", name);
		goto out;
	}
	if ((dup = plan_json_dup_key(root)) != NULL) {
		err_set("%s: key \"%s\" given twice in one object (readers "
		    "disagree on which counts)", name, dup);
		goto out;
	}
	if (get_str(&rd, root, "format", 1, &format) == -1)
		goto out;
	if (strcmp(format, PLAN_FORMAT) != 0) {
		rd_fail(&rd, "format", "must be \"" PLAN_FORMAT "\"");
		goto out;
	}
	if (get_str(&rd, root, "created", 0, &p->created) == -1 ||
	    read_window(&rd, root, p) == -1 ||
	    read_groups(&rd, root, p) == -1 ||
	    read_advisories(&rd, root, p) == -1 ||
	    read_packages(&rd, root, p) == -1 ||
	    read_hosts(&rd, root, p) == -1)
		goto out;
	rc = 0;
out:
	free(format);
	cJSON_Delete(root);
	if (rc == -1) {
		plan_free(p);
		return NULL;
	}
	return p;
}

struct plan *
plan_read(const char *path)
{
	struct plan *p;
	struct buf b;

	if (file_read(path, PLAN_MAX, &b) == -1)
		return NULL;
	p = plan_parse(path, b.data, b.len);
	buf_release(&b);
	return p;
}

static void
host_release(struct plan_host *h)
{
	size_t i;

	for (i = 0; i < h->nfindings; i++) {
		free(h->findings[i].advisory);
		free(h->findings[i].reason);
	}
	for (i = 0; i < h->nactions; i++) {
		struct plan_action *a = &h->actions[i];

		free(a->kb);
		free(a->advisory);
		free(a->tcpip_min);
		free(a->key);
		free(a->value);
		free(a->type);
		free(a->data_str);
		free(a->group_policy);
		free(a->family);
	}
	free(h->findings);
	free(h->actions);
	free(h->name);
	free(h->address);
	free(h->user);
	free(h->transport);
	free(h->os);
	free(h->version);
	free(h->arch);
	free(h->group);
	for (i = 0; i < h->nroles; i++)
		free(h->roles[i]);
	free(h->roles);
	plan_evidence_release(&h->evidence);
}

void
plan_free(struct plan *p)
{
	size_t i, j;

	if (p == NULL)
		return;
	if (p->arena) {
		for (i = 0; i < p->npackages; i++)
			free(p->packages[i].hosts);
		free(p->packages);
		plan_arena_free(p->arena);
		free(p);
		return;
	}
	for (i = 0; i < p->nhosts; i++)
		host_release(&p->hosts[i]);
	for (i = 0; i < p->npackages; i++) {
		for (j = 0; j < p->packages[i].nhosts; j++)
			free(p->packages[i].hosts[j]);
		free(p->packages[i].hosts);
		free(p->packages[i].kb);
		free(p->packages[i].product);
		free(p->packages[i].arch);
		free(p->packages[i].classification);
	}
	for (i = 0; i < p->nadvisories; i++) {
		free(p->advisories[i].id);
		free(p->advisories[i].title);
		free(p->advisories[i].kb);
	}
	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i].name);
	free(p->groups);
	free(p->hosts);
	free(p->packages);
	free(p->advisories);
	free(p->created);
	free(p->window_start);
	free(p);
}

const struct plan_host *
plan_host_find(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].name, name) == 0)
			return &p->hosts[i];
	return NULL;
}

int
plan_host_has(const struct plan_host *ph, enum plan_action_kind kind)
{
	size_t i;

	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind == kind)
			return 1;
	return 0;
}

/* Writer: JSON straight into a buffer, one key a line, stable key order. */
/* A string literal, without strlen (the writer runs once per host). */
#define ADD_LIT(b, lit)	buf_add((b), (lit), sizeof(lit) - 1)


/*
 * A JSON string: strings without a quote, a backslash or a control byte
 * (nearly all of a plan) are checked 8 bytes at a time and copied at once;
 * the others go through buf_add_json_str().
 */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
#define HASZERO(v)	(((v) - ONES) & ~(v) & HIGHS)

static int
plain_json(const char *s, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		/* a byte < 0x20, or equal to '"' or '\\' */
		if (((w - ONES * 0x20) & ~w & HIGHS) ||
		    HASZERO(w ^ (ONES * '"')) || HASZERO(w ^ (ONES * '\\')))
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

static void
w_jstr(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!plain_json(s, n)) {
		buf_add_json_str(b, s);
		return;
	}
	buf_addc(b, '"');
	buf_add(b, s, n);
	buf_addc(b, '"');
}


/* An integer between two strings, without printf (hot: once per host). */
static void
w_int(struct buf *b, const char *before, int v, const char *after)
{
	char num[16], *p = num + sizeof(num);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	buf_adds(b, before);
	buf_add(b, p, (size_t)(num + sizeof(num) - p));
	buf_adds(b, after);
}

static void
w_str(struct buf *b, const char *indent, const char *key, const char *val,
    int comma)
{
	buf_adds(b, indent);
	buf_addc(b, '"');
	buf_adds(b, key);
	ADD_LIT(b, "\": ");
	w_jstr(b, val);
	buf_adds(b, comma ? ",\n" : "\n");
}

static void
w_action(struct buf *b, const struct plan_action *a)
{
	ADD_LIT(b, "        {\"kind\": ");
	w_jstr(b, plan_action_name(a->kind));
	switch (a->kind) {
	case ACTION_INSTALL:
		ADD_LIT(b, ", \"kb\": ");
		w_jstr(b, a->kb);
		if (a->advisory) {
			ADD_LIT(b, ", \"advisory\": ");
			w_jstr(b, a->advisory);
		}
		if (a->tcpip_min) {
			ADD_LIT(b, ", \"tcpip_min\": ");
			w_jstr(b, a->tcpip_min);
		}
		break;
	case ACTION_REGISTRY:
		ADD_LIT(b, ", \"key\": ");
		w_jstr(b, a->key);
		ADD_LIT(b, ", \"value\": ");
		w_jstr(b, a->value);
		ADD_LIT(b, ", \"type\": ");
		w_jstr(b, a->type);
		ADD_LIT(b, ", \"data\": ");
		if (a->data_str)
			w_jstr(b, a->data_str);
		else
			buf_addf(b, "%u", a->data_num);
		if (a->advisory) {
			ADD_LIT(b, ", \"advisory\": ");
			w_jstr(b, a->advisory);
		}
		if (a->group_policy) {
			ADD_LIT(b, ", \"group_policy\": ");
			w_jstr(b, a->group_policy);
		}
		break;
	case ACTION_MULTICAST:
		ADD_LIT(b, ", \"family\": ");
		w_jstr(b, a->family);
		buf_addf(b, ", \"state\": \"%s\"",
		    a->enabled ? "enabled" : "disabled");
		if (a->advisory) {
			ADD_LIT(b, ", \"advisory\": ");
			w_jstr(b, a->advisory);
		}
		break;
	case ACTION_REBOOT:
	case ACTION_VERIFY:
		break;
	}
	ADD_LIT(b, "}");
}

static void
w_opt_str(struct buf *b, const char *key, const char *val)
{
	if (val)
		w_str(b, "      ", key, val, 1);
}

static void
w_finding(struct buf *b, const struct plan_finding *f)
{
	ADD_LIT(b, "{\"advisory\": ");
	w_jstr(b, f->advisory);
	ADD_LIT(b, ", \"state\": \"");
	buf_adds(b, plan_state_name(f->state));
	ADD_LIT(b, "\", \"reason\": ");
	w_jstr(b, f->reason);
	ADD_LIT(b, "}");
}

static void
w_host(struct buf *b, const struct plan_host *h)
{
	size_t i;

	ADD_LIT(b, "    {\n");
	w_str(b, "      ", "name", h->name, 1);
	w_opt_str(b, "address", h->address);
	if (h->port)
		w_int(b, "      \"port\": ", h->port, ",\n");
	w_opt_str(b, "user", h->user);
	w_opt_str(b, "transport", h->transport);
	w_opt_str(b, "os", h->os);
	w_opt_str(b, "version", h->version);
	w_opt_str(b, "arch", h->arch);
	w_opt_str(b, "group", h->group);
	if (h->nroles) {
		ADD_LIT(b, "      \"roles\": [");
		for (i = 0; i < h->nroles; i++) {
			if (i)
				ADD_LIT(b, ", ");
			w_jstr(b, h->roles[i]);
		}
		ADD_LIT(b, "],\n");
	}
	w_str(b, "      ", "status", plan_status_name(h->status), 1);
	ADD_LIT(b, "      \"findings\": [");
	for (i = 0; i < h->nfindings; i++) {
		if (i)
			ADD_LIT(b, ",\n        ");
		else
			ADD_LIT(b, "\n        ");
		w_finding(b, &h->findings[i]);
	}
	buf_adds(b, h->nfindings ? "\n      ],\n" : "],\n");
	ADD_LIT(b, "      \"actions\": [");
	for (i = 0; i < h->nactions; i++) {
		buf_adds(b, i ? ",\n" : "\n");
		w_action(b, &h->actions[i]);
	}
	buf_adds(b, h->nactions ? "\n      ],\n" : "],\n");
	if (h->estimate_s)
		w_int(b, "      \"estimate_s\": ", h->estimate_s, ",\n");
	if (h->evidence.present) {
		ADD_LIT(b, "      \"evidence\": ");
		plan_evidence_write(&h->evidence, b);
		ADD_LIT(b, ",\n");
	}
	w_int(b, "      \"wave\": ", h->wave, "\n    }");
}

/* Per advisory, when some host has evidence: "evidence_counts". */
static void
w_evidence_counts(struct buf *b, const struct plan *p)
{
	struct plan_evidence_counts c;
	size_t i;

	if (!plan_evidence_known(p))
		return;
	ADD_LIT(b, "  \"evidence_counts\": {");
	for (i = 0; i < p->nadvisories; i++) {
		plan_evidence_counts(p, p->advisories[i].id, &c);
		buf_adds(b, i ? ", " : "");
		w_jstr(b, p->advisories[i].id);
		buf_addf(b, ": {\"experiencing\": %zu, \"exposed\": %zu, "
		    "\"unknown\": %zu}", c.experiencing, c.exposed, c.unknown);
	}
	ADD_LIT(b, "},\n");
}

static void
w_summary(struct buf *b, const struct plan *p)
{
	size_t count[PLAN_NSTATUS] = { 0 }, i;
	static const enum plan_status order[] = {
		PLAN_NEEDS_ACTION, PLAN_COMPLIANT, PLAN_NOT_APPLICABLE,
		PLAN_BLOCKED, PLAN_UNKNOWN, PLAN_EXPOSED
	};

	for (i = 0; i < p->nhosts; i++)
		count[p->hosts[i].status]++;
	buf_addf(b, "  \"summary\": {\"hosts\": %zu", p->nhosts);
	for (i = 0; i < PLAN_NSTATUS; i++)
		buf_addf(b, ", \"%s\": %zu", plan_status_name(order[i]),
		    count[order[i]]);
	ADD_LIT(b, "},\n");
	w_evidence_counts(b, p);
}

int
plan_classification_note(const struct plan *p, struct buf *b)
{
	size_t i, j, n = 0;

	for (i = 0; i < p->npackages; i++) {
		const struct plan_package *pk = &p->packages[i];

		if (pk->classification == NULL ||
		    strcmp(pk->classification, "Updates") != 0)
			continue;
		for (j = 0; j < i; j++)		/* each KB once */
			if (p->packages[j].classification &&
			    strcmp(p->packages[j].classification, "Updates") ==
			    0 && strcmp(p->packages[j].kb, pk->kb) == 0)
				break;
		if (j < i)
			continue;
		buf_addf(b, "%s%s", n++ ? ", " : "", pk->kb);
	}
	if (n == 0)
		return 0;
	buf_addf(b, " %s classified \"Updates\" in the Microsoft Update "
	    "Catalog and WSUS, not \"Security Updates\" (seed 001): a WSUS "
	    "that does not synchronise the \"Updates\" classification never "
	    "offers %s; import %s by hand (kbfix fetch writes "
	    "Import-ToWsus.ps1).", n == 1 ? "is" : "are", n == 1 ? "it" :
	    "them", n == 1 ? "it" : "them");
	return 1;
}

static void
w_packages(struct buf *b, const struct plan *p)
{
	size_t i, j;

	ADD_LIT(b, "  \"packages\": [");
	for (i = 0; i < p->npackages; i++) {
		const struct plan_package *pk = &p->packages[i];

		buf_adds(b, i ? ",\n    {\"kb\": " : "\n    {\"kb\": ");
		w_jstr(b, pk->kb);
		ADD_LIT(b, ", \"product\": ");
		w_jstr(b, pk->product);
		ADD_LIT(b, ", \"arch\": ");
		w_jstr(b, pk->arch);
		if (pk->classification) {
			ADD_LIT(b, ", \"classification\": ");
			w_jstr(b, pk->classification);
		}
		ADD_LIT(b, ", \"hosts\": [");
		for (j = 0; j < pk->nhosts; j++) {
			if (j)
				ADD_LIT(b, ", ");
			w_jstr(b, pk->hosts[j]);
		}
		ADD_LIT(b, "]}");
	}
	buf_adds(b, p->npackages ? "\n  ],\n" : "],\n");
}

/* Hands what b holds to the sink and empties it. */
static int
w_flush(struct buf *b, plan_sink_fn sink, void *arg)
{
	int rc = 0;

	if (b->failed) {
		err_set("plan is larger than %zu bytes", b->max);
		rc = -1;
	} else if (b->len && sink(arg, b->data, b->len) == -1)
		rc = -1;
	buf_reset(b);
	return rc;
}

/* Hosts go out in batches: the output never has to fit in memory at once. */
#define W_BATCH	2048

static int
w_hosts(const struct plan *p, struct buf *b, plan_sink_fn sink, void *arg)
{
	size_t i;

	for (i = 0; i < p->nhosts; i++) {
		if (i)
			ADD_LIT(b, ",\n");
		else
			ADD_LIT(b, "\n");
		w_host(b, &p->hosts[i]);
		if ((i + 1) % W_BATCH == 0 && w_flush(b, sink, arg) == -1)
			return -1;
	}
	return 0;
}

static int
w_head(const struct plan *p, struct buf *b)
{
	size_t i;

	buf_adds(b, "{\n  \"format\": \"" PLAN_FORMAT "\",\n");
	if (p->created)
		w_str(b, "  ", "created", p->created, 1);
	if (p->window_start) {
		ADD_LIT(b, "  \"window\": {\"start\": ");
		w_jstr(b, p->window_start);
		buf_addf(b, ", \"duration_s\": %lld", (long long)p->window_duration_s);
		if (p->window_offset_s)
			buf_addf(b, ", \"offset_s\": %d", p->window_offset_s);
		ADD_LIT(b, "},\n");
	}
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group *g = &p->groups[i];

		buf_adds(b, i ? ",\n    " : "  \"groups\": {\n    ");
		w_jstr(b, g->name);
		buf_addf(b, ": {\"max_unavailable\": %d, \"members\": %d",
		    g->max_unavailable, g->members);
		if (g->percent)
			buf_addf(b, ", \"percent\": %d", g->percent);
		ADD_LIT(b, "}");
	}
	if (p->ngroups)
		ADD_LIT(b, "\n  },\n");
	ADD_LIT(b, "  \"advisories\": [");
	for (i = 0; i < p->nadvisories; i++) {
		buf_adds(b, i ? ",\n    {\"id\": " : "\n    {\"id\": ");
		w_jstr(b, p->advisories[i].id);
		ADD_LIT(b, ", \"title\": ");
		w_jstr(b, p->advisories[i].title ?
		    p->advisories[i].title : "");
		if (p->advisories[i].kb) {
			ADD_LIT(b, ", \"kb\": ");
			w_jstr(b, p->advisories[i].kb);
		}
		ADD_LIT(b, "}");
	}
	buf_adds(b, p->nadvisories ? "\n  ],\n" : "],\n");
	w_summary(b, p);
	w_packages(b, p);
	ADD_LIT(b, "  \"hosts\": [");
	return 0;
}

int
plan_write_json_stream(const struct plan *p, plan_sink_fn sink, void *arg)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, BUF_MAX_DEFAULT);
	w_head(p, &b);
	if (p->nhosts == 0)
		ADD_LIT(&b, "]\n}\n");
	else if (w_hosts(p, &b, sink, arg) == -1)
		goto out;
	else
		ADD_LIT(&b, "\n  ]\n}\n");
	rc = w_flush(&b, sink, arg);
out:
	buf_release(&b);
	return rc;
}

static int
sink_buf(void *arg, const char *data, size_t len)
{
	return buf_add(arg, data, len);
}

int
plan_write_json(const struct plan *p, struct buf *b)
{
	if (plan_write_json_stream(p, sink_buf, b) == -1 || b->failed) {
		if (b->failed)
			err_set("plan is larger than %zu bytes", b->max);
		return -1;
	}
	return 0;
}

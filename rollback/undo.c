/*
 * Undo: the prior state a run records and the steps that put a host back
 * (rollback.h).  Pure: command lines and judgements of answers; deploy's
 * host machine sends the commands.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"
#include "rollback/rollback.h"
#include "transport/transport.h"
#include "util/util.h"

static char *
dupn(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
rollback_priors_add(struct rollback_priors *l, struct rollback_prior *p)
{
	l->p = xreallocarray(l->p, l->n + 1, sizeof(*p));
	l->p[l->n++] = *p;
	memset(p, 0, sizeof(*p));
}

void
rollback_prior_release(struct rollback_prior *p)
{
	free(p->key); free(p->value); free(p->type); free(p->data);
	free(p->family); free(p->kb); free(p->identity);
	memset(p, 0, sizeof(*p));
}

void
rollback_priors_release(struct rollback_priors *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		rollback_prior_release(&l->p[i]);
	free(l->p);
	memset(l, 0, sizeof(*l));
}

static int
streq_null(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static int
priors_have(const struct rollback_priors *l, const struct rollback_rec *r)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		if (l->p[k].kind == r->kind && streq_null(l->p[k].key, r->key) &&
		    streq_null(l->p[k].value, r->value) &&
		    streq_null(l->p[k].family, r->family) &&
		    streq_null(l->p[k].kb, r->kb))
			return 1;
	return 0;
}

/* A resumed run may capture again: the first record is the state before
 * kbfix touched the host. */
void
rollback_priors_load(struct rollback_priors *l, const struct rollback_host *jh)
{
	const struct rollback_rec *r;
	struct rollback_prior p;
	size_t i;

	for (i = 0; jh != NULL && i < jh->npriors; i++) {
		r = jh->priors[i];
		if (priors_have(l, r))
			continue;
		memset(&p, 0, sizeof(p));
		p.kind = r->kind;
		p.key = dupn(r->key);
		p.value = dupn(r->value);
		p.type = dupn(r->type);
		p.data = dupn(r->data);
		p.existed = r->existed == 1;
		p.family = dupn(r->family);
		p.enabled = r->enabled == 1;
		p.kb = dupn(r->kb);
		p.identity = dupn(r->identity);
		p.installed = r->installed == 1;
		rollback_priors_add(l, &p);
	}
}

void
rollback_prior_rec(const struct rollback_prior *p, struct rollback_rec *r)
{
	rollback_rec_init(r);
	r->ev = RB_EV_PRIOR;
	r->kind = p->kind;
	r->key = p->key;
	r->value = p->value;
	r->type = p->type;
	r->data = p->data;
	r->existed = p->kind == RB_KIND_REGISTRY ? p->existed : -1;
	r->family = p->family;
	r->enabled = p->kind == RB_KIND_MULTICAST ? p->enabled : -1;
	r->kb = p->kb;
	r->identity = p->identity;
	r->installed = p->kind == RB_KIND_PACKAGE ? p->installed : -1;
}

/* The command that reads p's thing (argv: 8 slots). */
static void
query_argv(const struct rollback_prior *p, const char *argv[8])
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", "/English", NULL };
	size_t i;

	if (p->kind == RB_KIND_REGISTRY) {
		argv[0] = "reg"; argv[1] = "query"; argv[2] = p->key;
		argv[3] = "/v"; argv[4] = p->value; argv[5] = NULL;
	} else if (p->kind == RB_KIND_MULTICAST) {
		argv[0] = "netsh"; argv[1] = "interface"; argv[2] = p->family;
		argv[3] = "show"; argv[4] = "global"; argv[5] = NULL;
	} else {
		for (i = 0; i < 5; i++)
			argv[i] = pkgs[i];
	}
}

int
rollback_prior_query(const struct rollback_prior *p, struct buf *line)
{
	const char *argv[8];

	query_argv(p, argv);
	return transport_cmdline(line, argv);
}

/* reg query KEY /v NAME output (after "reg add ... & reg query" too). */
static int
reg_read(const char *text, const char *name, char **type, char **data)
{
	struct winreg_list l;
	const struct winreg_value *v;
	const char *p;
	int rc = -1;

	/* skip reg add's "The operation completed successfully." */
	if (strncmp(text, "HKEY_", 5) != 0 && (p = strstr(text, "\nHKEY_")))
		text = p;
	memset(&l, 0, sizeof(l));
	if (transport_win_reg_query(text, strlen(text), &l) == -1)
		return -1;
	if ((v = transport_winreg_find(&l, name)) != NULL) {
		*type = xstrdup(transport_winreg_type_name(v->type));
		*data = xstrdup(v->data ? v->data : "");
		rc = 0;
	}
	transport_winreg_list_release(&l);
	return rc;
}

/*
 * Installed or Install Pending.  The package is found by its exact
 * identity when known (the package's update.mum, recorded at fetch: a
 * cumulative update is Package_for_RollupFix, no KB in its name), else as
 * the top-level Package_for_<KB>; a hotfix's sub-packages
 * (Package_3_for_KB..., ..._SP1) never stand in for it (issue 10).
 */
static int
package_is(const struct rollback_prior *p, const struct dism_package *d)
{
	if (p->identity != NULL)
		return strcasecmp(d->identity, p->identity) == 0;
	return !d->sub && strncasecmp(d->name, "Package_for_", 12) == 0 &&
	    strcasecmp(d->name + 12, p->kb) == 0;
}

static void
package_read(struct rollback_prior *p, const char *text, char **state)
{
	struct dism_list l;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (transport_win_dism_packages(text, strlen(text), &l) == 0)
		for (i = 0; i < l.n; i++) {
			if (!package_is(p, &l.p[i]))
				continue;
			free(p->identity);
			p->identity = xstrdup(l.p[i].identity);
			p->installed = strcasecmp(l.p[i].state_text,
			    "Installed") == 0 || strcasecmp(l.p[i].state_text,
			    "Install Pending") == 0;
			if (state != NULL)
				*state = xstrdup(l.p[i].state_text);
			break;
		}
	transport_dism_list_release(&l);
}

int
rollback_prior_read(struct rollback_prior *p,
    const struct transport_result *res)
{
	char *t = transport_win_text(res->out, res->out_len, NULL);
	int rc = 0;

	switch (p->kind) {
	case RB_KIND_REGISTRY:
		free(p->type); free(p->data);
		p->type = p->data = NULL;
		/* reg query: exit 1 when the key or value does not exist */
		p->existed = res->exit_status == 0 &&
		    reg_read(t, p->value, &p->type, &p->data) == 0;
		break;
	case RB_KIND_MULTICAST:
		p->enabled = transport_win_netsh_multicast(t, strlen(t));
		if (p->enabled == -1) {
			err_set("no 'Multicast Forwarding' line in netsh show "
			    "global");
			rc = -1;
		}
		break;
	default:
		p->installed = 0;
		package_read(p, t, NULL);
	}
	free(t);
	return rc;
}

int
rollback_prior_undoable(const struct rollback_prior *p)
{
	/* only what kbfix installed: not what was there before */
	return p->kind != RB_KIND_PACKAGE || !p->installed;
}

int
rollback_prior_holds(const struct rollback_prior *p,
    const struct transport_result *res)
{
	struct rollback_prior now;
	int ok;

	memset(&now, 0, sizeof(now));
	now.kind = p->kind;
	now.value = p->value;
	now.kb = p->kb;
	now.identity = p->identity ? xstrdup(p->identity) : NULL;
	if (rollback_prior_read(&now, res) == -1)
		ok = 0;
	else if (p->kind == RB_KIND_REGISTRY && !p->existed)
		ok = !now.existed;
	else if (p->kind == RB_KIND_REGISTRY)
		ok = now.existed && strcmp(now.type, p->type) == 0 &&
		    rollback_reg_equal(now.type, now.data, p->data);
	else if (p->kind == RB_KIND_MULTICAST)
		ok = now.enabled == p->enabled;
	else
		ok = now.installed == p->installed;
	free(now.type); free(now.data); free(now.identity);
	return ok;
}

void
rollback_prior_describe(const struct rollback_prior *p, struct buf *b)
{
	if (p->kind == RB_KIND_REGISTRY && p->existed)
		buf_addf(b, "%s %s", p->type, p->data);
	else if (p->kind == RB_KIND_REGISTRY)
		buf_adds(b, "absent");
	else if (p->kind == RB_KIND_MULTICAST)
		buf_adds(b, p->enabled ? "enabled" : "disabled");
	else
		buf_adds(b, p->installed ? "installed" : "not installed");
}

/* "0x1a" or "26"; strict, as reg query prints REG_DWORD and REG_QWORD. */
static int
reg_number(const char *s, uint64_t *v)
{
	if (strncasecmp(s, "0x", 2) != 0)
		return parse_u64(s, UINT64_MAX, v);
	return parse_hex(s, UINT64_MAX, v);
}

static int
bad_field(const char *name, const char *what)
{
	err_set("field '%s': %s", name, what);
	return -1;
}

/* dism identities: Package_for_KB4345459~31bf3856ad364e35~amd64~~6.1.1.1 */
int
rollback_identity_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && strchr("_~.-", s[n]) == NULL)
			return 0;
	return n >= 1 && n <= 255;
}

/* What restore_registry() can put back: REG_DWORD, REG_SZ or absent. */
static int
check_registry(const struct rollback_rec *r)
{
	uint64_t n;

	if (r->key == NULL || !plan_valid_regkey(r->key))
		return bad_field("key", "must be a plain HKLM\\... key");
	if (r->value == NULL || !plan_valid_regvalue(r->value))
		return bad_field("value", "must be a plain value name");
	if (r->existed == -1)
		return bad_field("existed", "must be true or false");
	if (!r->existed)
		return r->type || r->data ? bad_field(r->type ? "type" : "data",
		    "must be absent when the value did not exist") : 0;
	if (r->type == NULL || r->data == NULL)
		return bad_field(r->type ? "data" : "type", "missing");
	if (strcmp(r->type, "REG_DWORD") == 0)
		return reg_number(r->data, &n) == -1 || n > UINT32_MAX ?
		    bad_field("data", "must be a REG_DWORD number") : 0;
	if (strcmp(r->type, "REG_SZ") == 0)
		return r->data[0] != '\0' && !plan_valid_regdata(r->data) ?
		    bad_field("data", "must be at most 1,024 printable "
		    "characters without & | < > ^ % \"") : 0;
	return bad_field("type", "must be REG_DWORD or REG_SZ");
}

int
rollback_prior_check(const struct rollback_rec *r)
{
	switch (r->kind) {
	case RB_KIND_REGISTRY:
		return check_registry(r);
	case RB_KIND_MULTICAST:
		if (r->family == NULL || (strcmp(r->family, "ipv4") != 0 &&
		    strcmp(r->family, "ipv6") != 0))
			return bad_field("family", "must be ipv4 or ipv6");
		return r->enabled == -1 ?
		    bad_field("enabled", "must be true or false") : 0;
	case RB_KIND_PACKAGE:
		if (r->kb == NULL || !str_is_kb(r->kb))
			return bad_field("kb", "must be a KB id (KB1234567)");
		if (r->identity != NULL && !rollback_identity_valid(r->identity))
			return bad_field("identity", "must be a dism package "
			    "identity");
		return r->installed == -1 ?
		    bad_field("installed", "must be true or false") : 0;
	default:
		return bad_field("kind", "must be registry, multicast or "
		    "package");
	}
}

int
rollback_reg_equal(const char *type, const char *qdata, const char *want)
{
	uint64_t a, b;

	if (type != NULL && (strcmp(type, "REG_DWORD") == 0 ||
	    strcmp(type, "REG_QWORD") == 0))
		return reg_number(qdata, &a) == 0 &&
		    reg_number(want, &b) == 0 && a == b;
	return strcmp(qdata, want) == 0;
}

static int
restore_registry(const struct rollback_prior *p, struct buf *line)
{
	uint64_t n;
	char *data;
	int rc;

	if (!p->existed)
		return transport_cmdline(line, (const char *const[]){ "reg",
		    "delete", p->key, "/v", p->value, "/f", NULL });
	/* reg query printed a DWORD as 0x1; reg add takes decimal */
	if (strcmp(p->type, "REG_DWORD") == 0) {
		if (reg_number(p->data, &n) == -1) {
			err_set("%s: recorded data '%s' is not a number",
			    p->value, p->data);
			return -1;
		}
		data = xasprintf("%llu", (unsigned long long)n);
	} else
		data = xstrdup(p->data);
	rc = transport_cmdline(line, (const char *const[]){ "reg", "add",
	    p->key, "/v", p->value, "/t", p->type, "/d", data, "/f", NULL });
	free(data);
	return rc;
}

int
rollback_restore_cmd(const struct rollback_prior *p, struct buf *line)
{
	const char *argv[8];
	int rc;

	if (p->kind == RB_KIND_REGISTRY)
		rc = restore_registry(p, line);
	else
		rc = transport_cmdline(line, (const char *const[]){ "netsh",
		    "interface", p->family, "set", "global", p->enabled ?
		    "multicastforwarding=enabled" :
		    "multicastforwarding=disabled", NULL });
	if (rc == -1)
		return -1;
	query_argv(p, argv);
	return transport_cmdline_join(line, argv);
}

int
rollback_remove_cmd(const char *identity, struct buf *line)
{
	char *pp = xasprintf("/packagename:%s", identity);
	int rc;

	rc = transport_cmdline(line, (const char *const[]){ "dism", "/online",
	    "/remove-package", pp, "/quiet", "/norestart", "/English", NULL });
	free(pp);
	return rc;
}

int
rollback_package_gone(const struct rollback_prior *p,
    const struct transport_result *res, int *reboot, char **state)
{
	struct rollback_prior now;
	char *t = transport_win_text(res->out, res->out_len, NULL);

	memset(&now, 0, sizeof(now));
	now.kind = RB_KIND_PACKAGE;
	now.kb = p->kb;
	now.identity = p->identity ? xstrdup(p->identity) : NULL;
	*state = NULL;
	package_read(&now, t, state);
	free(t);
	free(now.identity);
	/* still listed (Uninstall Pending): gone after a reboot */
	*reboot = *state != NULL;
	if (now.installed)
		return 0;
	free(*state);
	*state = NULL;
	return 1;
}

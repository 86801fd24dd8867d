/*
 * Preflight and capture, the steps that only read the host: preflight
 * stops a host that drifted from the plan or cannot take the update, and
 * capture journals the prior state rollback restores before any change.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

/* Priors. */

static void
prior_add(struct hostrun *h, const struct prior *p)
{
	h->priors = xreallocarray(h->priors, h->npriors + 1, sizeof(*p));
	h->priors[h->npriors++] = *p;
}

static int
journal_prior(struct hostrun *h, const struct prior *p, int action)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = action;
	r.kind = p->kind;
	r.key = p->key; r.value = p->value; r.type = p->type;
	r.data = p->data; r.existed = p->kind == RB_KIND_REGISTRY ?
	    p->existed : -1;
	r.family = p->family;
	r.enabled = p->kind == RB_KIND_MULTICAST ? p->enabled : -1;
	r.kb = p->kb; r.identity = p->identity;
	r.installed = p->kind == RB_KIND_PACKAGE ? p->installed : -1;
	return host_jwrite(h, RB_EV_PRIOR, &r);
}

/* ------------------------------------------------------------------ */
/* preflight: OS and build as planned, no foreign pending reboot, disk */

static void
pre_disk(struct hostrun *h, const struct transport_result *res)
{
	char *t = host_res_text(res), *v = NULL;
	uint64_t free_b;

	if (res->exit_status != 0 || wo_value(t, "FreeSpace", &v) == -1 ||
	    parse_u64(v, UINT64_MAX, &free_b) == -1) {
		host_fail(h, 0, "cannot read free space on C: (wmic logicaldisk "
		    "exited %u)", res->exit_status);
	} else if (free_b < FREE_DISK_MIN) {
		host_fail(h, 0, "only %llu MiB free on C:, %llu MiB needed",
		    (unsigned long long)(free_b >> 20),
		    (unsigned long long)(FREE_DISK_MIN >> 20));
	} else {
		host_jsimple(h, RB_EV_DONE, -1);
		host_step(h, STEP_CAPTURE);
	}
	free(v);
	free(t);
}

static int
drifted(struct hostrun *h, const char *caption, const char *version)
{
	const struct plan_host *ph = h->ph;

	if (ph->version != NULL && strcmp(version, ph->version) != 0) {
		free(h->error);
		h->error = xasprintf("%s: drifted: build is %s, the plan was "
		    "made for %s", ph->name, version, ph->version);
		return 1;
	}
	if (ph->os != NULL && strcasestr(caption, ph->os) == NULL) {
		free(h->error);
		h->error = xasprintf("%s: drifted: OS is '%s', the plan was "
		    "made for %s", ph->name, caption, ph->os);
		return 1;
	}
	return 0;
}

static void
pre_os(struct hostrun *h, const struct transport_result *res)
{
	static const char *const disk[] = { "wmic", "logicaldisk", "where",
	    "DeviceID='C:'", "get", "FreeSpace", "/value", NULL };
	const struct rollback_host *jh;
	char *t = host_res_text(res), *cap = NULL, *ver = NULL;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (wo_value(t, "Caption", &cap) == -1 ||
	    wo_value(t, "Version", &ver) == -1) {
		host_fail(h, 0, "wmic os: %s", err_msg());
	} else if (drifted(h, cap, ver)) {
		host_end(h, "drifted");
	} else if (res->exit_status == 0 && !(jh && jh->install_started)) {
		/* RebootPending exists and it is not ours (FACTS 4) */
		host_fail(h, 0, "a reboot is pending from before kbfix; "
		    "reboot the host, then resume");
	} else {
		host_hx(h, disk, pre_disk);
	}
	free(cap);
	free(ver);
	free(t);
}

void
host_step_preflight(struct hostrun *h)
{
	static const char *const os[] = { "wmic", "os", "get",
	    "Caption,Version", "/value", NULL };
	static const char *const pend[] = { "reg", "query",
	    REBOOT_PENDING_KEY, NULL };

	host_hx2(h, os, pend, pre_os);
}

/* ------------------------------------------------------------------ */
/* capture: the state before any change, once per host and run dir */

static void capture_next(struct hostrun *);

static void
cap_reg(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = host_act(h, h->ai);
	struct prior p;
	char *t = host_res_text(res);

	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_REGISTRY;
	p.key = xstrdup(a->key);
	p.value = xstrdup(a->value);
	/* reg query: exit 1 when the key or value does not exist */
	p.existed = res->exit_status == 0 &&
	    wo_reg_value(t, a->value, &p.type, &p.data) == 0;
	free(t);
	if (res->exit_status != 0 && res->exit_status != 1) {
		free(p.key); free(p.value);
		host_fail(h, 0, "reg query %s exited %u", a->key,
		    res->exit_status);
		return;
	}
	prior_add(h, &p);
	h->ai++;
	capture_next(h);
}

static void
cap_mc(struct hostrun *h, const struct transport_result *res)
{
	struct prior p;
	char *t = host_res_text(res);

	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_MULTICAST;
	p.family = xstrdup(host_act(h, h->ai)->family);
	if (wo_multicast(t, &p.enabled) == -1) {
		free(t);
		free(p.family);
		host_fail(h, 0, "netsh: %s", err_msg());
		return;
	}
	free(t);
	prior_add(h, &p);
	h->ai++;
	capture_next(h);
}

static void
cap_pkg(struct hostrun *h, const struct transport_result *res)
{
	struct prior p;
	char *t = host_res_text(res), *state = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_PACKAGE;
	p.kb = xstrdup(host_act(h, h->ai)->kb);
	if (res->exit_status != 0) {
		free(t); free(p.kb);
		host_fail(h, 0, "dism /get-packages exited 0x%08x",
		    res->exit_status);
		return;
	}
	if (wo_dism_package(t, p.kb, &p.identity, &state) == 0)
		p.installed = strcasecmp(state, "Installed") == 0 ||
		    strcasecmp(state, "Install Pending") == 0;
	free(state);
	free(t);
	prior_add(h, &p);
	h->ai++;
	capture_next(h);
}

static void
capture_next(struct hostrun *h)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };
	const struct plan_action *a;
	const char *argv[8];
	size_t i;

	for (; h->ai < h->ph->nactions; h->ai++) {
		a = host_act(h, h->ai);
		switch (a->kind) {
		case ACTION_REGISTRY:
			argv[0] = "reg"; argv[1] = "query"; argv[2] = a->key;
			argv[3] = "/v"; argv[4] = a->value; argv[5] = NULL;
			host_hx(h, argv, cap_reg);
			return;
		case ACTION_MULTICAST:
			argv[0] = "netsh"; argv[1] = "interface";
			argv[2] = a->family; argv[3] = "show";
			argv[4] = "global"; argv[5] = NULL;
			host_hx(h, argv, cap_mc);
			return;
		case ACTION_INSTALL:
			host_hx(h, pkgs, cap_pkg);
			return;
		default:
			break;
		}
	}
	/* Everything read: journal it before the first change. */
	for (i = 0; i < h->npriors; i++)
		if (journal_prior(h, &h->priors[i], -1) == -1)
			return;
	h->captured = 1;
	host_jsimple(h, RB_EV_DONE, -1);
	host_step(h, STEP_WORKAROUND);
}

static void
priors_free(struct hostrun *h)
{
	size_t k;

	for (k = 0; k < h->npriors; k++) {
		free(h->priors[k].key); free(h->priors[k].value);
		free(h->priors[k].type); free(h->priors[k].data);
		free(h->priors[k].family); free(h->priors[k].kb);
		free(h->priors[k].identity);
	}
	h->npriors = 0;
}

/* Priors from the journal (resume, rollback), first record of each. */
void
host_priors_load(struct hostrun *h, const struct rollback_host *jh)
{
	const struct rollback_rec *r;
	struct prior p;
	size_t i, k;
	int dup;

	for (i = 0; jh != NULL && i < jh->npriors; i++) {
		r = jh->priors[i];
		for (k = 0, dup = 0; k < h->npriors && !dup; k++)
			dup = h->priors[k].kind == r->kind &&
			    strcmp(h->priors[k].key ? h->priors[k].key : "",
			    r->key ? r->key : "") == 0 &&
			    strcmp(h->priors[k].value ? h->priors[k].value : "",
			    r->value ? r->value : "") == 0 &&
			    strcmp(h->priors[k].family ? h->priors[k].family : "",
			    r->family ? r->family : "") == 0 &&
			    strcmp(h->priors[k].kb ? h->priors[k].kb : "",
			    r->kb ? r->kb : "") == 0;
		if (dup)
			continue;
		memset(&p, 0, sizeof(p));
		p.kind = r->kind;
		p.key = r->key ? xstrdup(r->key) : NULL;
		p.value = r->value ? xstrdup(r->value) : NULL;
		p.type = r->type ? xstrdup(r->type) : NULL;
		p.data = r->data ? xstrdup(r->data) : NULL;
		p.existed = r->existed == 1;
		p.family = r->family ? xstrdup(r->family) : NULL;
		p.enabled = r->enabled == 1;
		p.kb = r->kb ? xstrdup(r->kb) : NULL;
		p.identity = r->identity ? xstrdup(r->identity) : NULL;
		p.installed = r->installed == 1;
		prior_add(h, &p);
	}
	h->captured = jh != NULL && rollback_host_done(jh, "capture");
	if (jh != NULL && jh->identity != NULL && h->identity == NULL)
		h->identity = xstrdup(jh->identity);
	h->reboot_needed = jh != NULL && jh->reboot_needed;
}

void
host_step_capture(struct hostrun *h)
{
	if (h->captured) {
		host_step(h, STEP_WORKAROUND);
		return;
	}
	priors_free(h);	/* a repeated capture starts afresh */
	h->ai = 0;
	capture_next(h);
}

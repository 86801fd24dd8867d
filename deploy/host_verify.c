/*
 * Verify and cleanup, and the rollback steps (remove, restore, verify):
 * both paths compare the host with a wanted state (the plan, or the
 * captured priors) and end in the same cleanup.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

/* ------------------------------------------------------------------ */
/* verify */

static void verify_next(struct hostrun *);

static void
ver_tcpip(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = host_act(h, h->ai);
	char *t = host_res_text(res), *v = NULL;

	if (wo_value(t, "Version", &v) == -1) {
		host_fail(h, 0, "cannot read the tcpip.sys version");
	} else if (wo_version_cmp(v, a->tcpip_min) < 0) {
		host_fail(h, 0, "verify: tcpip.sys is %s, %s needs %s", v,
		    a->kb, a->tcpip_min);
	} else {
		h->ai++;
		h->sub = 0;
		verify_next(h);
	}
	free(v);
	free(t);
}

static void
ver_pkg(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = host_act(h, h->ai);
	char *t = host_res_text(res), *id = NULL, *state = NULL;
	int ok = wo_dism_package(t, a->kb, &id, &state) == 0 &&
	    strcasecmp(state, "Installed") == 0;

	free(t);
	if (!ok) {
		host_fail(h, 0, "verify: %s is %s", a->kb,
		    state ? state : "not installed");
	} else if (a->tcpip_min != NULL) {
		host_hx(h, (const char *const[]){ "wmic", "datafile", "where",
		    "name='C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys'",
		    "get", "Version", "/value", NULL }, ver_tcpip);
	} else {
		h->ai++;
		verify_next(h);
	}
	free(id);
	free(state);
}

static void
ver_value(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = host_act(h, h->ai);
	int ok = host_value_as_planned(a, res);

	if (!ok) {
		host_fail(h, 0, "verify: %s is not as planned",
		    a->kind == ACTION_REGISTRY ? a->value :
		    "multicast forwarding");
		return;
	}
	h->ai++;
	verify_next(h);
}

static void
verify_next(struct hostrun *h)
{
	const struct plan_action *a;

	for (; h->ai < h->ph->nactions; h->ai++) {
		a = host_act(h, h->ai);
		h->sub = 0;
		if (a->kind == ACTION_INSTALL) {
			host_hx(h, (const char *const[]){ "dism", "/online",
			    "/get-packages", NULL }, ver_pkg);
			return;
		}
		if (a->kind == ACTION_REGISTRY || a->kind == ACTION_MULTICAST) {
			host_work_query(h, a, ver_value);
			return;
		}
	}
	host_jsimple(h, RB_EV_DONE, -1);
	host_step(h, STEP_CLEANUP);
}

void
host_step_verify(struct hostrun *h)
{
	h->ai = 0;
	verify_next(h);
}

/* ------------------------------------------------------------------ */
/* cleanup */

static void
clean_done(struct hostrun *h, const struct transport_result *res)
{
	(void)res;	/* 2: nothing was uploaded */
	host_jsimple(h, RB_EV_DONE, -1);
	if (h->rollback)
		host_end(h, "rolled-back");
	else
		host_end(h, "done");
}

void
host_step_cleanup(struct hostrun *h)
{
	host_hx(h, (const char *const[]){ "rmdir", "/s", "/q", REMOTE_DIR,
	    NULL }, clean_done);
}

/* ------------------------------------------------------------------ */
/* rollback: package, registry, multicast, reboot, verify */

static void rb_remove_next(struct hostrun *);

/* After /remove-package: gone or Uninstall Pending (reboot) is success. */
static void
rbr_state(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai];
	struct rollback_rec r;
	char *t = host_res_text(res), *id = NULL, *state = NULL, *why;
	int gone = wo_dism_package(t, p->kb, &id, &state) == -1 ||
	    strcasecmp(state, "Installed") != 0;

	if (state != NULL && strcasecmp(state, "Install Pending") == 0)
		gone = 0;
	free(t);
	free(id);
	if (!gone) {
		why = host_exit_text(WINEXIT_DISM, h->dism_exit);
		host_fail(h, 0, "%s is still %s: dism /remove-package exited %s",
		    p->kb, state, why);
		free(why);
		free(state);
		return;
	}
	h->removed = h->removed || state != NULL;
	free(state);
	rollback_rec_init(&r);
	r.identity = p->identity;
	if (host_jwrite(h, RB_EV_DONE, &r) == -1)
		return;
	h->ai++;
	rb_remove_next(h);
}

static void
rbr_removed(struct hostrun *h, const struct transport_result *res)
{
	h->dism_exit = host_dism_code(res);
	host_hx(h, (const char *const[]){ "dism", "/online", "/get-packages",
	    NULL }, rbr_state);
}

static void
rbr_check(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai];
	struct rollback_rec r;
	char *id = NULL, *pp;
	int pending = 0;

	if (!host_pkg_present(res, p->kb, &id, &pending)) {
		h->ai++;
		rb_remove_next(h);
		return;
	}
	free(p->identity);
	p->identity = id;
	rollback_rec_init(&r);
	r.identity = id;
	r.kb = p->kb;
	if (host_jwrite(h, RB_EV_INTENT, &r) == -1)
		return;
	pp = xasprintf("/packagename:%s", id);
	host_hx(h, (const char *const[]){ "dism", "/online", "/remove-package",
	    pp, "/quiet", "/norestart", NULL }, rbr_removed);
	free(pp);
}

static void
rb_remove_next(struct hostrun *h)
{
	for (; h->ai < h->npriors; h->ai++) {
		/* only what kbfix installed: not what was there before */
		if (h->priors[h->ai].kind != RB_KIND_PACKAGE ||
		    h->priors[h->ai].installed)
			continue;
		host_hx(h, (const char *const[]){ "dism", "/online",
		    "/get-packages", NULL }, rbr_check);
		return;
	}
	host_step(h, STEP_RB_REGISTRY);
}

void
host_step_rb_remove(struct hostrun *h)
{
	h->ai = 0;
	rb_remove_next(h);
}

/* 1: the host is as the prior says (reg query or netsh show output). */
static int
prior_holds(const struct prior *p, const struct transport_result *res)
{
	char *t = host_res_text(res), *type = NULL, *data = NULL;
	int ok, mc = -1;

	if (p->kind == RB_KIND_REGISTRY) {
		if (!p->existed)
			ok = res->exit_status == 1 ||
			    wo_reg_value(t, p->value, &type, &data) == -1;
		else
			ok = res->exit_status == 0 &&
			    wo_reg_value(t, p->value, &type, &data) == 0 &&
			    strcmp(type, p->type) == 0 &&
			    host_reg_equal(type, data, p->data);
	} else {
		ok = wo_multicast(t, &mc) == 0 && mc == p->enabled;
	}
	free(t); free(type); free(data);
	return ok;
}

static void rb_restore_next(struct hostrun *);

static void
prior_query(struct hostrun *h, const struct prior *p, kont *k)
{
	if (p->kind == RB_KIND_REGISTRY)
		host_hx(h, (const char *const[]){ "reg", "query", p->key, "/v",
		    p->value, NULL }, k);
	else
		host_hx(h, (const char *const[]){ "netsh", "interface",
		    p->family, "show", "global", NULL }, k);
}

static void
rbs_checked(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai - 1];
	char *data;

	if (prior_holds(p, res)) {
		if (h->sub == 1 && host_jsimple(h, RB_EV_DONE, -1) == -1)
			return;
		h->sub = 0;
		h->ai--;
		rb_restore_next(h);
		return;
	}
	if (h->sub == 1) {
		host_fail(h, 0, "restoring %s did not take effect",
		    p->kind == RB_KIND_REGISTRY ? p->value : "multicast");
		return;
	}
	h->sub = 1;
	if (host_jsimple(h, RB_EV_INTENT, -1) == -1)
		return;
	if (p->kind == RB_KIND_REGISTRY && p->existed) {
		/* reg query prints a DWORD as 0x1; reg add gets decimal */
		data = strcmp(p->type, "REG_DWORD") == 0 ?
		    xasprintf("%lu", strtoul(p->data, NULL, 0)) :
		    xstrdup(p->data);
		host_hx2(h, (const char *const[]){ "reg", "add", p->key, "/v",
		    p->value, "/t", p->type, "/d", data, "/f", NULL },
		    (const char *const[]){ "reg", "query", p->key, "/v",
		    p->value, NULL }, rbs_checked);
		free(data);
	}
	else if (p->kind == RB_KIND_REGISTRY)
		host_hx2(h, (const char *const[]){ "reg", "delete", p->key,
		    "/v", p->value, "/f", NULL }, (const char *const[]){ "reg",
		    "query", p->key, "/v", p->value, NULL }, rbs_checked);
	else
		host_hx2(h, (const char *const[]){ "netsh", "interface",
		    p->family, "set", "global", p->enabled ?
		    "multicastforwarding=enabled" :
		    "multicastforwarding=disabled", NULL },
		    (const char *const[]){ "netsh", "interface", p->family,
		    "show", "global", NULL }, rbs_checked);
}

/* Priors in reverse order (ai counts down, 1-based). */
static void
rb_restore_next(struct hostrun *h)
{
	struct prior *p;

	for (; h->ai > 0; h->ai--) {
		p = &h->priors[h->ai - 1];
		if (p->kind != RB_KIND_REGISTRY && p->kind != RB_KIND_MULTICAST)
			continue;
		h->step = p->kind == RB_KIND_REGISTRY ? STEP_RB_REGISTRY :
		    STEP_RB_MULTICAST;
		prior_query(h, p, rbs_checked);
		return;
	}
	host_step(h, STEP_RB_REBOOT);
}

void
host_step_rb_restore(struct hostrun *h)
{
	h->ai = h->npriors;
	h->sub = 0;
	rb_restore_next(h);
}

static void rbv_next(struct hostrun *);

static void
rbv_checked(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai];
	int pending = 0;

	if ((p->kind == RB_KIND_PACKAGE && !p->installed &&
	    host_pkg_present(res, p->kb, NULL, &pending)) ||
	    (p->kind != RB_KIND_PACKAGE && !prior_holds(p, res))) {
		host_fail(h, 0, "rollback verify: %s is not back to its prior "
		    "state", p->kind == RB_KIND_PACKAGE ? p->kb :
		    p->kind == RB_KIND_REGISTRY ? p->value : "multicast");
		return;
	}
	h->ai++;
	rbv_next(h);
}

static void
rbv_next(struct hostrun *h)
{
	struct prior *p;

	for (; h->ai < h->npriors; h->ai++) {
		p = &h->priors[h->ai];
		if (p->kind == RB_KIND_PACKAGE) {
			if (p->installed)
				continue;
			host_hx(h, (const char *const[]){ "dism", "/online",
			    "/get-packages", NULL }, rbv_checked);
		} else {
			prior_query(h, p, rbv_checked);
		}
		return;
	}
	host_jsimple(h, RB_EV_DONE, -1);
	host_step(h, STEP_CLEANUP);
}

void
host_step_rb_verify(struct hostrun *h)
{
	h->ai = 0;
	rbv_next(h);
}

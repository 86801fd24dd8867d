/*
 * The per-host state machine: one function per step, each starting with a
 * look at the host's actual state so that repeating it (resume after a
 * crash) is safe.  Every remote change is journaled before (intent) and
 * after (done or fail).  Commands are built with transport_cmdline() from
 * values plan_read() validated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

typedef void kont(struct hostrun *, const struct transport_result *);

static void step_run(struct hostrun *);
static void host_fail(struct hostrun *, int transport_err, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Journal. */

static int
jwrite(struct hostrun *h, enum rollback_ev ev, struct rollback_rec *r)
{
	r->ev = ev;
	r->host = h->ph->name;
	if (r->step == NULL && ev != RB_EV_PRIOR && ev != RB_EV_STATE)
		r->step = deploy_step_name(h->step);
	return eng_journal(h->e, r);
}

static int
jsimple(struct hostrun *h, enum rollback_ev ev, int action)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = action;
	return jwrite(h, ev, &r);
}

/* End states. */

static void
host_end(struct hostrun *h, const char *state)
{
	struct rollback_rec r;

	if (h->finished)
		return;
	h->endstate = state;
	rollback_rec_init(&r);
	r.state = state;
	r.error = h->first_error ? h->first_error : h->error;
	jwrite(h, RB_EV_STATE, &r);
	host_release(h);
	h->finished = 1;
	eng_host_finished(h);
}

void
host_release(struct hostrun *h)
{
	if (h->group_held) {
		deploy_group_release(&h->e->groups, h->ph->group, h->ph->name);
		h->group_held = 0;
		host_group_retry(h->e);
	}
	transport_close(h->conn);
	h->conn = NULL;
}

static void
set_error(struct hostrun *h, const char *fmt, va_list ap)
{
	struct buf b;

	buf_init(&b, 4096);
	buf_addf(&b, "%s: ", h->ph->name);
	buf_vaddf(&b, fmt, ap);
	free(h->error);
	h->error = buf_detach(&b, NULL);
}

static void
retry_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct hostrun *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	host_step(h, h->step);
}

static void
retry_timer(void *arg)
{
	struct hostrun *h = arg;
	const struct plan_host *ph = h->ph;

	if (h->e->fatal || h->finished)
		return;
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    retry_connected, h);
	if (h->conn == NULL)
		host_fail(h, 1, "%s", err_msg());
}

/*
 * A connection lost in the middle of a step: reconnect and run the step
 * again, which starts by looking at the host's actual state.  A lost
 * connection right after shutdown /r is the reboot itself.
 */
static int
host_retry(struct hostrun *h)
{
	enum deploy_step s = h->step;

	if (h->e->stopping || s == STEP_CONNECT || s == STEP_RB_CONNECT ||
	    s == STEP_WAIT || s == STEP_RB_WAIT)
		return 0;
	transport_close(h->conn);
	h->conn = NULL;
	if ((s == STEP_REBOOT || s == STEP_RB_REBOOT) && h->reboot_issued) {
		host_step(h, s == STEP_REBOOT ? STEP_WAIT : STEP_RB_WAIT);
		return 1;
	}
	if (h->retries >= 2)
		return 0;
	h->retries++;
	transport_timer(h->e->tp, 500, retry_timer, h);
	return 1;
}

static void
host_fail(struct hostrun *h, int transport_err, const char *fmt, ...)
{
	struct rollback_rec r;
	va_list ap;

	va_start(ap, fmt);
	set_error(h, fmt, ap);
	va_end(ap);
	if (transport_err && h->conn != NULL && host_retry(h))
		return;
	rollback_rec_init(&r);
	r.error = h->error;
	jwrite(h, RB_EV_FAIL, &r);
	if (h->rollback) {
		host_end(h, "rollback-failed");
		return;
	}
	/*
	 * A command said no (install, verify): undo what was changed while
	 * the host answers.  A host that stopped answering is left failed
	 * for `kbfix rollback` once it is back.
	 */
	if (!transport_err && h->step >= STEP_WORKAROUND && h->captured &&
	    !h->e->o.no_auto_rollback && !h->e->stopping) {
		h->first_error = xstrdup(h->error);
		h->auto_rb = 1;
		h->rollback = 1;
		host_step(h, STEP_RB_REMOVE);
		return;
	}
	host_end(h, "failed");
}

/* Commands. */

static void
exec_cb(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct hostrun *h = arg;
	kont *k = h->k;

	(void)c;
	if (h->e->fatal)
		return;
	if (res->failed) {
		host_fail(h, 1, "%s", res->error);
		return;
	}
	h->k = NULL;
	k(h, res);
}

static void
hx_line(struct hostrun *h, struct buf *line, kont *k)
{
	h->k = k;
	if (line->failed || transport_exec(h->conn, buf_str(line), exec_cb,
	    h) == -1)
		host_fail(h, 1, "%s", err_msg());
	buf_release(line);
}

static void
hx(struct hostrun *h, const char *const argv[], kont *k)
{
	struct buf line;

	buf_init(&line, 8192);
	if (transport_cmdline(&line, argv) == -1) {
		buf_release(&line);
		host_fail(h, 0, "%s", err_msg());
		return;
	}
	hx_line(h, &line, k);
}

static void
hx2(struct hostrun *h, const char *const a[], const char *const b[], kont *k)
{
	struct buf line;

	buf_init(&line, 8192);
	if (transport_cmdline(&line, a) == -1 ||
	    transport_cmdline_join(&line, b) == -1) {
		buf_release(&line);
		host_fail(h, 0, "%s", err_msg());
		return;
	}
	hx_line(h, &line, k);
}

static char *
res_text(const struct transport_result *res)
{
	return wo_text(res->out, res->out_len);
}

/* Actions and priors. */

static const struct plan_action *
act(struct hostrun *h, size_t i)
{
	return &h->ph->actions[i];
}

static int
plan_has(const struct plan_host *ph, enum plan_action_kind kind)
{
	size_t i;

	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind == kind)
			return 1;
	return 0;
}

static char *
reg_target_data(const struct plan_action *a)
{
	if (a->data_str != NULL)
		return xstrdup(a->data_str);
	return xasprintf("%u", a->data_num);
}

/* reg query prints REG_DWORD as 0x1: compare numerically. */
static int
reg_equal(const char *type, const char *qdata, const char *want)
{
	unsigned long a, b;
	char *e1, *e2;

	if (type != NULL && (strcmp(type, "REG_DWORD") == 0 ||
	    strcmp(type, "REG_QWORD") == 0)) {
		a = strtoul(qdata, &e1, 0);
		b = strtoul(want, &e2, 0);
		return *e1 == '\0' && *e2 == '\0' && a == b;
	}
	return strcmp(qdata, want) == 0;
}

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
	return jwrite(h, RB_EV_PRIOR, &r);
}

/* ------------------------------------------------------------------ */
/* connect */

/*
 * The journal of an interrupted run holds a reboot intent without its
 * outcome: the host may be down for it.  Take its boot time from then.
 */
static int
reboot_in_flight(struct hostrun *h)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (jh == NULL || jh->reboot_boot == NULL || h->boot_before != NULL)
		return 0;
	h->boot_before = xstrdup(jh->reboot_boot);
	/* rollback after an apply cut short in its reboot: undo after it */
	if (h->rollback && strcmp(jh->reboot_step, "reboot") == 0)
		h->wait_next = STEP_RB_REMOVE;
	return 1;
}

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct hostrun *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok && reboot_in_flight(h)) {
		/* an interrupted run had started a reboot: wait for it */
		host_step(h, h->rollback ? STEP_RB_WAIT : STEP_WAIT);
		return;
	}
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	jsimple(h, RB_EV_DONE, -1);
	host_step(h, h->rollback ? STEP_RB_REMOVE : STEP_PREFLIGHT);
}

static void
step_connect(struct hostrun *h)
{
	const struct plan_host *ph = h->ph;

	/* not a change: marks when the host started (status, durations) */
	if (jsimple(h, RB_EV_INTENT, -1) == -1)
		return;
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    on_connect, h);
	if (h->conn == NULL)
		host_fail(h, 1, "%s", err_msg());
}

/* ------------------------------------------------------------------ */
/* preflight: OS and build as planned, no foreign pending reboot, disk */

static void
pre_disk(struct hostrun *h, const struct transport_result *res)
{
	char *t = res_text(res), *v = NULL;
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
		jsimple(h, RB_EV_DONE, -1);
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
	char *t = res_text(res), *cap = NULL, *ver = NULL;

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
		hx(h, disk, pre_disk);
	}
	free(cap);
	free(ver);
	free(t);
}

static void
step_preflight(struct hostrun *h)
{
	static const char *const os[] = { "wmic", "os", "get",
	    "Caption,Version", "/value", NULL };
	static const char *const pend[] = { "reg", "query",
	    REBOOT_PENDING_KEY, NULL };

	hx2(h, os, pend, pre_os);
}

/* ------------------------------------------------------------------ */
/* capture: the state before any change, once per host and run dir */

static void capture_next(struct hostrun *);

static void
cap_reg(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = act(h, h->ai);
	struct prior p;
	char *t = res_text(res);

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
	char *t = res_text(res);

	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_MULTICAST;
	p.family = xstrdup(act(h, h->ai)->family);
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
	char *t = res_text(res), *state = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = RB_KIND_PACKAGE;
	p.kb = xstrdup(act(h, h->ai)->kb);
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
		a = act(h, h->ai);
		switch (a->kind) {
		case ACTION_REGISTRY:
			argv[0] = "reg"; argv[1] = "query"; argv[2] = a->key;
			argv[3] = "/v"; argv[4] = a->value; argv[5] = NULL;
			hx(h, argv, cap_reg);
			return;
		case ACTION_MULTICAST:
			argv[0] = "netsh"; argv[1] = "interface";
			argv[2] = a->family; argv[3] = "show";
			argv[4] = "global"; argv[5] = NULL;
			hx(h, argv, cap_mc);
			return;
		case ACTION_INSTALL:
			hx(h, pkgs, cap_pkg);
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
	jsimple(h, RB_EV_DONE, -1);
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
static void
priors_load(struct hostrun *h, const struct rollback_host *jh)
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

static void
step_capture(struct hostrun *h)
{
	if (h->captured) {
		host_step(h, STEP_WORKAROUND);
		return;
	}
	priors_free(h);	/* a repeated capture starts afresh */
	h->ai = 0;
	capture_next(h);
}

/* ------------------------------------------------------------------ */
/* workarounds: registry values and multicast forwarding */

static void work_next(struct hostrun *);

static void
work_verified(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = act(h, h->ai);
	char *t = res_text(res), *type = NULL, *data = NULL, *want;
	int ok, mc = -1;

	if (a->kind == ACTION_REGISTRY) {
		want = reg_target_data(a);
		ok = res->exit_status == 0 &&
		    wo_reg_value(t, a->value, &type, &data) == 0 &&
		    strcmp(type, a->type) == 0 && reg_equal(type, data, want);
		free(want);
	} else {
		/* netsh exit codes are unreliable: a second show decides */
		ok = wo_multicast(t, &mc) == 0 && mc == a->enabled;
	}
	free(t); free(type); free(data);
	if (h->sub == 0) {
		/* first look: already as wanted, nothing to change */
		if (ok) {
			h->ai++;
			work_next(h);
			return;
		}
		h->sub = 1;
		if (jsimple(h, RB_EV_INTENT, (int)h->ai) == -1)
			return;
		work_next(h);
		return;
	}
	if (!ok) {
		host_fail(h, 0, "%s did not take effect",
		    a->kind == ACTION_REGISTRY ? a->value :
		    "multicastforwarding");
		return;
	}
	jsimple(h, RB_EV_DONE, (int)h->ai);
	h->ai++;
	h->sub = 0;
	work_next(h);
}

static void
work_query(struct hostrun *h, const struct plan_action *a, kont *k)
{
	const char *argv[8];

	if (a->kind == ACTION_REGISTRY) {
		argv[0] = "reg"; argv[1] = "query"; argv[2] = a->key;
		argv[3] = "/v"; argv[4] = a->value; argv[5] = NULL;
	} else {
		argv[0] = "netsh"; argv[1] = "interface"; argv[2] = a->family;
		argv[3] = "show"; argv[4] = "global"; argv[5] = NULL;
	}
	hx(h, argv, k);
}

static void
work_set(struct hostrun *h, const struct plan_action *a)
{
	const char *argv[12];
	char *data = reg_target_data(a);
	char *mc = xasprintf("multicastforwarding=%s",
	    a->enabled ? "enabled" : "disabled");

	if (a->kind == ACTION_REGISTRY) {
		argv[0] = "reg"; argv[1] = "add"; argv[2] = a->key;
		argv[3] = "/v"; argv[4] = a->value; argv[5] = "/t";
		argv[6] = a->type; argv[7] = "/d"; argv[8] = data;
		argv[9] = "/f"; argv[10] = NULL;	/* /f: else reg prompts */
		hx2(h, argv, (const char *const[]){ "reg", "query", a->key,
		    "/v", a->value, NULL }, work_verified);
	} else {
		argv[0] = "netsh"; argv[1] = "interface"; argv[2] = a->family;
		argv[3] = "set"; argv[4] = "global"; argv[5] = mc;
		argv[6] = NULL;
		hx2(h, argv, (const char *const[]){ "netsh", "interface",
		    a->family, "show", "global", NULL }, work_verified);
	}
	free(data);
	free(mc);
}

static void
work_next(struct hostrun *h)
{
	const struct plan_action *a;

	for (; h->ai < h->ph->nactions; h->ai++) {
		a = act(h, h->ai);
		if (a->kind != ACTION_REGISTRY && a->kind != ACTION_MULTICAST)
			continue;
		if (h->sub == 0)
			work_query(h, a, work_verified);
		else
			work_set(h, a);
		return;
	}
	host_step(h, STEP_UPLOAD);
}

static void
step_workaround(struct hostrun *h)
{
	h->ai = 0;
	h->sub = 0;
	work_next(h);
}

/* ------------------------------------------------------------------ */
/* upload and install */

static const struct bundle_file *
file_of(struct hostrun *h, size_t ai)
{
	return bundle_find(&h->e->bundle, act(h, ai)->kb, h->ph->name,
	    h->ph->arch);
}

static int
next_install(struct hostrun *h)
{
	for (; h->ai < h->ph->nactions; h->ai++)
		if (act(h, h->ai)->kind == ACTION_INSTALL)
			return 1;
	return 0;
}

static int
pkg_present(const struct transport_result *res, const char *kb,
    char **identity, int *pending)
{
	char *t = res_text(res), *state = NULL, *id = NULL;
	int present = 0;

	if (wo_dism_package(t, kb, &id, &state) == 0) {
		present = strcasecmp(state, "Installed") == 0 ||
		    strcasecmp(state, "Install Pending") == 0;
		*pending = strcasecmp(state, "Install Pending") == 0;
	}
	if (present && identity != NULL)
		*identity = id;
	else
		free(id);
	free(state);
	free(t);
	return present;
}

static void upload_next(struct hostrun *);

static void
on_upload(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct hostrun *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	jsimple(h, RB_EV_DONE, (int)h->ai);
	h->uploaded = 1;
	h->ai++;
	upload_next(h);
}

static void
up_mkdir(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *remote;

	(void)res;	/* mkdir exits 1 when the folder exists */
	remote = xasprintf("%s/%s", REMOTE_SFTP_DIR, f->name);
	if (jsimple(h, RB_EV_INTENT, (int)h->ai) == 0 &&
	    transport_upload(h->conn, f->path, remote, on_upload, h) == -1)
		host_fail(h, 1, "%s", err_msg());
	free(remote);
}

static void
up_check(struct hostrun *h, const struct transport_result *res)
{
	static const char *const mk[] = { "mkdir", REMOTE_DIR, NULL };
	int pending = 0;

	if (res->exit_status == 0 && pkg_present(res, act(h, h->ai)->kb,
	    NULL, &pending)) {
		h->ai++;
		upload_next(h);
		return;
	}
	hx(h, mk, up_mkdir);
}

static void
upload_next(struct hostrun *h)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	if (!next_install(h)) {
		host_step(h, STEP_INSTALL);
		return;
	}
	hx(h, pkgs, up_check);
}

static void
step_upload(struct hostrun *h)
{
	h->ai = 0;
	upload_next(h);
}

static void install_next(struct hostrun *);

/* The capture said the package was absent: this run installed it. */
static int
installed_by_us(struct hostrun *h, const char *kb)
{
	const struct rollback_host *jh;
	size_t i;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (h->install_recorded || rollback_host_done(jh, "install"))
		return 0;
	for (i = 0; i < h->npriors; i++)
		if (h->priors[i].kind == RB_KIND_PACKAGE &&
		    strcasecmp(h->priors[i].kb, kb) == 0)
			return !h->priors[i].installed;
	return 0;
}

/* install done, with the identity rollback removes (after a lost
 * connection or a crash between dism and its record too) */
static int
inst_record(struct hostrun *h)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = (int)h->ai;
	r.kb = act(h, h->ai)->kb;
	r.identity = h->identity;
	r.state = h->reboot_needed ? "reboot-required" : "installed";
	h->install_recorded = 1;
	return jwrite(h, RB_EV_DONE, &r);
}

static char *
exit_text(enum winexit_tool tool, uint32_t code)
{
	struct buf b;

	buf_init(&b, 256);
	winexit_describe(&b, tool, code);
	return buf_detach(&b, NULL);
}

/*
 * After dism /add-package the package state decides, not the exit code
 * alone: present (Installed, or Install Pending: reboot) is success,
 * absent is a failure explained by the code (FACTS.md section 4: 3010 and
 * 0x00240005 reboot, 0x00240006 already installed, 0x800F081E not
 * applicable, 0x80240016 / 1618 busy).
 */
static void
inst_identity(struct hostrun *h, const struct transport_result *res)
{
	enum winexit_class cls = winexit_classify(WINEXIT_DISM, h->dism_exit);
	char *id = NULL, *why;
	int pending = 0;

	if (!pkg_present(res, act(h, h->ai)->kb, &id, &pending)) {
		why = exit_text(WINEXIT_DISM, h->dism_exit);
		if (cls == WINEXIT_NOT_APPLICABLE)
			host_fail(h, 0, "%s is not applicable to this host: dism "
			    "exited %s", act(h, h->ai)->kb, why);
		else
			host_fail(h, 0, "%s was not installed: dism /add-package "
			    "exited %s", act(h, h->ai)->kb, why);
		free(why);
		return;
	}
	if (pending || cls == WINEXIT_OK_REBOOT || cls == WINEXIT_REBOOTING)
		h->reboot_needed = 1;
	free(h->identity);
	h->identity = id;
	if (inst_record(h) == -1)
		return;
	h->ai++;
	install_next(h);
}

/*
 * dism prints its result as "Error: 0x800f081e" too; where the exit status
 * reached us cut to 8 bits (an sshd on a POSIX host), the printed code is
 * the full one.
 */
static uint32_t
dism_code(const struct transport_result *res)
{
	char *t = res_text(res), *p, *end;
	unsigned long v;
	uint32_t code = res->exit_status;

	p = code != 0 ? strstr(t, "Error: ") : NULL;
	if (p != NULL) {
		v = strtoul(p + 7, &end, 0);
		if (end != p + 7 && v <= UINT32_MAX &&
		    (v & 0xff) == (code & 0xff))
			code = (uint32_t)v;
	}
	free(t);
	return code;
}

static void
inst_dism(struct hostrun *h, const struct transport_result *res)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	h->dism_exit = dism_code(res);
	hx(h, pkgs, inst_identity);
}

static char *
cab_name(const struct bundle_file *f)
{
	const char *us;

	if (f->package_cab != NULL)
		return xstrdup(f->package_cab);
	/* windows6.1-kb4345459-x64_<sha1>.msu holds Windows6.1-KB...cab */
	us = strrchr(f->name, '_');
	if (us == NULL)
		us = strrchr(f->name, '.');
	return xasprintf("%.*s.cab", (int)(us - f->name), f->name);
}

static void
inst_expanded(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *cab, *pp;

	if (res->exit_status != 0) {
		host_fail(h, 0, "expand %s exited %u", f->name,
		    res->exit_status);
		return;
	}
	cab = cab_name(f);
	pp = xasprintf("/packagepath:%s\\%s\\%s", REMOTE_DIR,
	    act(h, h->ai)->kb, cab);
	hx(h, (const char *const[]){ "dism", "/online", "/add-package", pp,
	    "/quiet", "/norestart", NULL }, inst_dism);
	free(pp);
	free(cab);
}

static void
inst_check(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *id = NULL, *msu, *dir;
	int pending = 0;

	if (res->exit_status == 0 && pkg_present(res, act(h, h->ai)->kb,
	    &id, &pending)) {
		/* installed already (by us before a crash, or before) */
		if (pending)
			h->reboot_needed = 1;
		free(h->identity);
		h->identity = id;
		if (installed_by_us(h, act(h, h->ai)->kb) &&
		    inst_record(h) == -1)
			return;
		h->ai++;
		install_next(h);
		return;
	}
	if (jsimple(h, RB_EV_INTENT, (int)h->ai) == -1)
		return;
	msu = xasprintf("%s\\%s", REMOTE_DIR, f->name);
	dir = xasprintf("%s\\%s", REMOTE_DIR, act(h, h->ai)->kb);
	hx2(h, (const char *const[]){ "mkdir", dir, NULL },
	    (const char *const[]){ "expand", "-F:*", msu, dir, NULL },
	    inst_expanded);
	free(msu);
	free(dir);
}

static void
install_next(struct hostrun *h)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	if (!next_install(h)) {
		host_step(h, STEP_REBOOT);
		return;
	}
	hx(h, pkgs, inst_check);
}

static void
step_install(struct hostrun *h)
{
	h->ai = 0;
	install_next(h);
}

/* ------------------------------------------------------------------ */
/* reboot and wait for the new boot time (as Ansible's win_reboot) */

static const char *const boot_q[] = { "wmic", "os", "get", "lastbootuptime",
    "/value", NULL };

static enum deploy_step
after_wait(struct hostrun *h)
{
	if (h->wait_next != 0)
		return h->wait_next;
	return h->rollback ? STEP_RB_VERIFY : STEP_VERIFY;
}

static void
reb_done(struct hostrun *h, const char *boot_after)
{
	struct rollback_rec r;
	enum deploy_step next;

	rollback_rec_init(&r);
	r.step = h->rollback && h->wait_next == 0 ? "rb-reboot" : "reboot";
	r.boot = h->boot_before;
	r.boot_after = boot_after;
	if (jwrite(h, RB_EV_DONE, &r) == -1)
		return;
	h->reboot_needed = 0;
	h->reboot_issued = 0;
	h->removed = 0;
	if (h->group_held) {
		deploy_group_release(&h->e->groups, h->ph->group, h->ph->name);
		h->group_held = 0;
		host_group_retry(h->e);
	}
	next = after_wait(h);
	h->wait_next = 0;
	host_step(h, next);
}

/*
 * 0: the reboot is on its way.  Anything else: abort a scheduled one and
 * retry once (1190, FACTS.md section 4), then give up.  1115 (a shutdown
 * in progress) also ends in the wait, through the retry's refusal being
 * followed by the host going down.
 */
static void
reb_shutdown(struct hostrun *h, const struct transport_result *res)
{
	char t[16], *why;

	if (res->exit_status == 0 || res->exit_status == 1115) {
		host_step(h, h->rollback ? STEP_RB_WAIT : STEP_WAIT);
		return;
	}
	if (h->sub++ < 1) {
		snprintf(t, sizeof(t), "%d", h->e->o.reboot_delay_s);
		hx2(h, (const char *const[]){ "shutdown", "/a", NULL },
		    (const char *const[]){ "shutdown", "/r", "/t", t, "/d",
		    "p:2:17", "/c", h->rollback ? "kbfix: rollback reboot" :
		    "kbfix: hotfix reboot", NULL }, reb_shutdown);
		return;
	}
	why = exit_text(WINEXIT_SHUTDOWN, res->exit_status);
	host_fail(h, 0, "shutdown /r exited %s", why);
	free(why);
}

static void
reb_issue(struct hostrun *h)
{
	struct rollback_rec r;
	char t[16];

	snprintf(t, sizeof(t), "%d", h->e->o.reboot_delay_s);
	rollback_rec_init(&r);
	r.boot = h->boot_before;
	if (jwrite(h, RB_EV_INTENT, &r) == -1)
		return;
	h->reboot_issued = 1;
	h->sub = 0;
	hx(h, (const char *const[]){ "shutdown", "/r", "/t", t, "/d",
	    "p:2:17", "/c", h->rollback ? "kbfix: rollback reboot" :
	    "kbfix: hotfix reboot", NULL }, reb_shutdown);
}

static void
reb_state(struct hostrun *h, const struct transport_result *res)
{
	const struct rollback_host *jh;
	char *t = res_text(res), *boot = NULL;
	int pending = res->exit_status == 0;	/* RebootPending exists */
	int64_t end = h->e->win_start + h->e->win_dur;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (wo_value(t, "LastBootUpTime", &boot) == -1) {
		free(t);
		host_fail(h, 0, "wmic os: %s", err_msg());
		return;
	}
	free(t);
	if (jh != NULL && jh->reboot_boot != NULL && !h->boot_before &&
	    strcmp(jh->reboot_step, h->rollback ? "rb-reboot" : "reboot") == 0 &&
	    strcmp(jh->reboot_boot, boot) != 0) {
		/* the reboot of an interrupted run happened meanwhile */
		h->boot_before = xstrdup(jh->reboot_boot);
		reb_done(h, boot);
		free(boot);
		return;
	}
	free(h->boot_before);
	h->boot_before = boot;
	if (!pending && !h->reboot_needed && !h->removed) {
		host_step(h, after_wait(h));
		return;
	}
	if (h->e->win_dur > 0 && eng_now() >= end) {
		free(h->error);
		h->error = xasprintf("%s: the window closed before the reboot; "
		    "resume in the next window", h->ph->name);
		host_end(h, "deferred");
		return;
	}
	if (!deploy_group_acquire(&h->e->groups, h->ph->group, h->ph->name)) {
		h->parked = 1;	/* host_group_retry() resumes it */
		return;
	}
	h->group_held = h->ph->group != NULL;
	reb_issue(h);
}

static void
step_reboot(struct hostrun *h)
{
	if (!h->rollback && !plan_has(h->ph, ACTION_REBOOT)) {
		host_step(h, STEP_VERIFY);
		return;
	}
	hx2(h, boot_q, (const char *const[]){ "reg", "query",
	    REBOOT_PENDING_KEY, NULL }, reb_state);
}

void
host_group_retry(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nh; i++) {
		if (!e->h[i].parked || e->h[i].finished)
			continue;
		if (!deploy_group_acquire(&e->groups, e->h[i].ph->group,
		    e->h[i].ph->name))
			continue;
		e->h[i].parked = 0;
		e->h[i].group_held = 1;
		reb_issue(&e->h[i]);
	}
}

static void wait_try(void *);

static void
wait_again(struct hostrun *h)
{
	transport_close(h->conn);
	h->conn = NULL;
	h->backoff_ms = h->backoff_ms < 100 ? 100 : h->backoff_ms * 3 / 2;
	if (h->backoff_ms > 2000)
		h->backoff_ms = 2000;	/* Ansible caps near 12 s; tests
					   reboot in well under that */
	transport_timer(h->e->tp, h->backoff_ms, wait_try, h);
}

static void
wait_boot(struct hostrun *h, const struct transport_result *res)
{
	char *t = res_text(res), *boot = NULL;

	if (wo_value(t, "LastBootUpTime", &boot) == 0 &&
	    strcmp(boot, h->boot_before) != 0) {
		free(t);
		reb_done(h, boot);
		free(boot);
		return;
	}
	free(t);
	free(boot);
	wait_again(h);
}

/* While waiting, a dropped connection means "not back yet". */
static void
wait_exec_cb(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct hostrun *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (res->failed)
		wait_again(h);
	else
		wait_boot(h, res);
}

static void
wait_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct hostrun *h = arg;
	struct buf line;

	(void)c;
	(void)error;
	if (h->e->fatal)
		return;
	if (!ok) {
		wait_again(h);
		return;
	}
	buf_init(&line, 256);
	if (transport_cmdline(&line, boot_q) == -1 ||
	    transport_exec(h->conn, buf_str(&line), wait_exec_cb, h) == -1)
		wait_again(h);
	buf_release(&line);
}

static void
wait_try(void *arg)
{
	struct hostrun *h = arg;
	const struct plan_host *ph = h->ph;

	if (h->e->fatal || h->finished)
		return;
	if (h->e->stopping) {
		host_end(h, "interrupted");
		return;
	}
	if (time_now_ms() > h->deadline_ms) {
		host_release(h);
		host_fail(h, 1, "did not come back within %d s after the reboot",
		    h->e->o.reboot_timeout_s);
		return;
	}
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    wait_connected, h);
	if (h->conn == NULL)
		wait_again(h);
}

static void
step_wait(struct hostrun *h)
{
	transport_close(h->conn);
	h->conn = NULL;
	h->deadline_ms = time_now_ms() + (int64_t)h->e->o.reboot_timeout_s *
	    1000;
	h->backoff_ms = 0;
	transport_timer(h->e->tp, (int64_t)h->e->o.reboot_delay_s * 1000 + 100,
	    wait_try, h);
}

/* ------------------------------------------------------------------ */
/* verify */

static void verify_next(struct hostrun *);

static void
ver_tcpip(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = act(h, h->ai);
	char *t = res_text(res), *v = NULL;

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
	const struct plan_action *a = act(h, h->ai);
	char *t = res_text(res), *id = NULL, *state = NULL;
	int ok = wo_dism_package(t, a->kb, &id, &state) == 0 &&
	    strcasecmp(state, "Installed") == 0;

	free(t);
	if (!ok) {
		host_fail(h, 0, "verify: %s is %s", a->kb,
		    state ? state : "not installed");
	} else if (a->tcpip_min != NULL) {
		hx(h, (const char *const[]){ "wmic", "datafile", "where",
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
	const struct plan_action *a = act(h, h->ai);
	char *t = res_text(res), *type = NULL, *data = NULL, *want;
	int ok, mc = -1;

	if (a->kind == ACTION_REGISTRY) {
		want = reg_target_data(a);
		ok = res->exit_status == 0 &&
		    wo_reg_value(t, a->value, &type, &data) == 0 &&
		    reg_equal(type, data, want);
		free(want);
	} else {
		ok = wo_multicast(t, &mc) == 0 && mc == a->enabled;
	}
	free(t); free(type); free(data);
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
		a = act(h, h->ai);
		h->sub = 0;
		if (a->kind == ACTION_INSTALL) {
			hx(h, (const char *const[]){ "dism", "/online",
			    "/get-packages", NULL }, ver_pkg);
			return;
		}
		if (a->kind == ACTION_REGISTRY || a->kind == ACTION_MULTICAST) {
			work_query(h, a, ver_value);
			return;
		}
	}
	jsimple(h, RB_EV_DONE, -1);
	host_step(h, STEP_CLEANUP);
}

static void
step_verify(struct hostrun *h)
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
	jsimple(h, RB_EV_DONE, -1);
	if (h->rollback)
		host_end(h, "rolled-back");
	else
		host_end(h, "done");
}

static void
step_cleanup(struct hostrun *h)
{
	hx(h, (const char *const[]){ "rmdir", "/s", "/q", REMOTE_DIR, NULL },
	    clean_done);
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
	char *t = res_text(res), *id = NULL, *state = NULL, *why;
	int gone = wo_dism_package(t, p->kb, &id, &state) == -1 ||
	    strcasecmp(state, "Installed") != 0;

	if (state != NULL && strcasecmp(state, "Install Pending") == 0)
		gone = 0;
	free(t);
	free(id);
	if (!gone) {
		why = exit_text(WINEXIT_DISM, h->dism_exit);
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
	if (jwrite(h, RB_EV_DONE, &r) == -1)
		return;
	h->ai++;
	rb_remove_next(h);
}

static void
rbr_removed(struct hostrun *h, const struct transport_result *res)
{
	h->dism_exit = dism_code(res);
	hx(h, (const char *const[]){ "dism", "/online", "/get-packages",
	    NULL }, rbr_state);
}

static void
rbr_check(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai];
	struct rollback_rec r;
	char *id = NULL, *pp;
	int pending = 0;

	if (!pkg_present(res, p->kb, &id, &pending)) {
		h->ai++;
		rb_remove_next(h);
		return;
	}
	free(p->identity);
	p->identity = id;
	rollback_rec_init(&r);
	r.identity = id;
	r.kb = p->kb;
	if (jwrite(h, RB_EV_INTENT, &r) == -1)
		return;
	pp = xasprintf("/packagename:%s", id);
	hx(h, (const char *const[]){ "dism", "/online", "/remove-package", pp,
	    "/quiet", "/norestart", NULL }, rbr_removed);
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
		hx(h, (const char *const[]){ "dism", "/online",
		    "/get-packages", NULL }, rbr_check);
		return;
	}
	host_step(h, STEP_RB_REGISTRY);
}

static void
step_rb_remove(struct hostrun *h)
{
	h->ai = 0;
	rb_remove_next(h);
}

/* 1: the host is as the prior says (reg query or netsh show output). */
static int
prior_holds(const struct prior *p, const struct transport_result *res)
{
	char *t = res_text(res), *type = NULL, *data = NULL;
	int ok, mc = -1;

	if (p->kind == RB_KIND_REGISTRY) {
		if (!p->existed)
			ok = res->exit_status == 1 ||
			    wo_reg_value(t, p->value, &type, &data) == -1;
		else
			ok = res->exit_status == 0 &&
			    wo_reg_value(t, p->value, &type, &data) == 0 &&
			    strcmp(type, p->type) == 0 &&
			    reg_equal(type, data, p->data);
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
		hx(h, (const char *const[]){ "reg", "query", p->key, "/v",
		    p->value, NULL }, k);
	else
		hx(h, (const char *const[]){ "netsh", "interface", p->family,
		    "show", "global", NULL }, k);
}

static void
rbs_checked(struct hostrun *h, const struct transport_result *res)
{
	struct prior *p = &h->priors[h->ai - 1];
	char *data;

	if (prior_holds(p, res)) {
		if (h->sub == 1 && jsimple(h, RB_EV_DONE, -1) == -1)
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
	if (jsimple(h, RB_EV_INTENT, -1) == -1)
		return;
	if (p->kind == RB_KIND_REGISTRY && p->existed) {
		/* reg query prints a DWORD as 0x1; reg add gets decimal */
		data = strcmp(p->type, "REG_DWORD") == 0 ?
		    xasprintf("%lu", strtoul(p->data, NULL, 0)) :
		    xstrdup(p->data);
		hx2(h, (const char *const[]){ "reg", "add", p->key, "/v",
		    p->value, "/t", p->type, "/d", data, "/f", NULL },
		    (const char *const[]){ "reg", "query", p->key, "/v",
		    p->value, NULL }, rbs_checked);
		free(data);
	}
	else if (p->kind == RB_KIND_REGISTRY)
		hx2(h, (const char *const[]){ "reg", "delete", p->key, "/v",
		    p->value, "/f", NULL }, (const char *const[]){ "reg",
		    "query", p->key, "/v", p->value, NULL }, rbs_checked);
	else
		hx2(h, (const char *const[]){ "netsh", "interface", p->family,
		    "set", "global", p->enabled ?
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

static void
step_rb_restore(struct hostrun *h)
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
	    pkg_present(res, p->kb, NULL, &pending)) ||
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
			hx(h, (const char *const[]){ "dism", "/online",
			    "/get-packages", NULL }, rbv_checked);
		} else {
			prior_query(h, p, rbv_checked);
		}
		return;
	}
	jsimple(h, RB_EV_DONE, -1);
	host_step(h, STEP_CLEANUP);
}

static void
step_rb_verify(struct hostrun *h)
{
	h->ai = 0;
	rbv_next(h);
}

/* ------------------------------------------------------------------ */

static void
step_run(struct hostrun *h)
{
	switch (h->step) {
	case STEP_CONNECT:
	case STEP_RB_CONNECT:	step_connect(h); break;
	case STEP_PREFLIGHT:	step_preflight(h); break;
	case STEP_CAPTURE:	step_capture(h); break;
	case STEP_WORKAROUND:	step_workaround(h); break;
	case STEP_UPLOAD:	step_upload(h); break;
	case STEP_INSTALL:	step_install(h); break;
	case STEP_REBOOT:
	case STEP_RB_REBOOT:	step_reboot(h); break;
	case STEP_WAIT:
	case STEP_RB_WAIT:	step_wait(h); break;
	case STEP_VERIFY:	step_verify(h); break;
	case STEP_CLEANUP:	step_cleanup(h); break;
	case STEP_RB_REMOVE:	step_rb_remove(h); break;
	case STEP_RB_REGISTRY:
	case STEP_RB_MULTICAST:	step_rb_restore(h); break;
	case STEP_RB_VERIFY:	step_rb_verify(h); break;
	default:
		host_end(h, h->rollback ? "rolled-back" : "done");
	}
}

/*
 * Step boundary: the safe point where a stop (signal, fatal journal
 * error) takes effect.  A host waiting for its reboot stops in wait_try().
 */
void
host_step(struct hostrun *h, enum deploy_step s)
{
	if (h->e->fatal || h->finished)
		return;
	h->step = s;
	if (h->e->stopping && s != STEP_WAIT && s != STEP_RB_WAIT) {
		host_end(h, "interrupted");
		return;
	}
	eng_progress(h->e, h);
	step_run(h);
}

void
host_start(struct hostrun *h)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	h->started = 1;
	priors_load(h, jh);
	if (h->rollback) {
		host_step(h, STEP_RB_CONNECT);
		return;
	}
	host_step(h, STEP_CONNECT);
}

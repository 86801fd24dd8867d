/*
 * Connect, preflight and capture: the steps that only read the host.
 * Preflight stops a host that drifted from the plan or cannot take the
 * update; capture journals the prior state rollback/ restores, before
 * any change.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

/*
 * The journal of an interrupted run holds a reboot intent without its
 * outcome: the host may be down for it.  Take its boot time from then.
 */
static int
reboot_in_flight(struct host_run *h)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (jh == NULL || jh->reboot_boot == NULL || h->boot_before != NULL)
		return 0;
	h->boot_before = xstrdup(jh->reboot_boot);
	/* rollback after an apply cut short in its reboot: undo after it */
	if (h->mode == HOST_UNDO && strcmp(jh->reboot_step, "reboot") == 0)
		h->after_wait = STEP_RB_REMOVE;
	return 1;
}

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct host_run *h = arg;
	struct transport_result res;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok && reboot_in_flight(h)) {
		/* an interrupted run had started a reboot: wait for it */
		host_goto(h, h->mode == HOST_UNDO ? STEP_RB_WAIT : STEP_WAIT);
		return;
	}
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.out = res.err = "";
	host_connect(h, &res);
}

void
host_connect(struct host_run *h, const struct transport_result *res)
{
	const struct plan_host *ph = h->ph;

	/* Resume rule: nothing to read yet; the session is the answer. */
	if (res == NULL) {
		/* not a change: marks when the host started (status) */
		if (host_journal_ev(h, RB_EV_INTENT, -1) == -1)
			return;
		h->conn = transport_connect(h->e->tp, ph->name,
		    ph->address ? ph->address : ph->name, ph->port, ph->user,
		    on_connect, h);
		if (h->conn == NULL)
			host_fail(h, 1, "%s", err_msg());
		return;
	}
	host_journal_ev(h, RB_EV_DONE, -1);
	host_goto(h, h->mode == HOST_UNDO ? STEP_RB_REMOVE : STEP_PREFLIGHT);
}

static int
drifted(struct host_run *h, const char *caption, const char *version)
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

/* OS and build as planned, no reboot pending from before kbfix. */
void
host_preflight(struct host_run *h, const struct transport_result *res)
{
	const struct rollback_host *jh;
	char *t, *cap = NULL, *ver = NULL;

	/* Resume rule: read the OS, the build and RebootPending. */
	if (res == NULL) {
		host_send2(h, (const char *const[]){ "wmic", "os", "get",
		    "Caption,Version", "/value", NULL },
		    (const char *const[]){ "reg", "query", REBOOT_PENDING_KEY,
		    NULL });
		return;
	}
	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	t = host_res_text(res);
	if (wo_value(t, "Caption", &cap) == -1 ||
	    wo_value(t, "Version", &ver) == -1)
		host_fail(h, 0, "wmic os: %s", err_msg());
	else if (drifted(h, cap, ver))
		host_end(h, "drifted");
	else if (res->exit_status == 0 && !(jh && jh->install_started))
		/* RebootPending exists and it is not ours (FACTS 4) */
		host_fail(h, 0, "a reboot is pending from before kbfix; "
		    "reboot the host, then resume");
	else
		host_continue(h, STEP_PREFLIGHT_DISK);
	free(cap);
	free(ver);
	free(t);
}

/* Free space on C: for the package and its expansion. */
void
host_preflight_disk(struct host_run *h, const struct transport_result *res)
{
	char *t, *v = NULL;
	uint64_t free_b;

	/* Resume rule: read the free space. */
	if (res == NULL) {
		host_send(h, (const char *const[]){ "wmic", "logicaldisk",
		    "where", "DeviceID='C:'", "get", "FreeSpace", "/value",
		    NULL });
		return;
	}
	t = host_res_text(res);
	if (res->exit_status != 0 || wo_value(t, "FreeSpace", &v) == -1 ||
	    parse_u64(v, UINT64_MAX, &free_b) == -1) {
		host_fail(h, 0, "cannot read free space on C: (wmic logicaldisk "
		    "exited %u)", res->exit_status);
	} else if (free_b < FREE_DISK_MIN) {
		host_fail(h, 0, "only %llu MiB free on C:, %llu MiB needed",
		    (unsigned long long)(free_b >> 20),
		    (unsigned long long)(FREE_DISK_MIN >> 20));
	} else {
		host_journal_ev(h, RB_EV_DONE, -1);
		host_goto(h, STEP_CAPTURE);
	}
	free(v);
	free(t);
}

/* Everything read: journal it before the first change. */
static void
capture_finish(struct host_run *h)
{
	struct rollback_rec r;
	size_t i;

	if (h->e->o.check) {	/* read, not recorded: nothing changes */
		host_check_report(h);
		return;
	}
	for (i = 0; i < h->priors.n; i++) {
		rollback_prior_rec(&h->priors.p[i], &r);
		if (host_journal(h, RB_EV_PRIOR, &r) == -1)
			return;
	}
	h->captured = 1;
	host_journal_ev(h, RB_EV_DONE, -1);
	host_goto(h, STEP_WORKAROUND);
}

/* The thing of the current action, its state from the answer. */
static int
capture_read(struct host_run *h, const struct transport_result *res,
    struct rollback_prior *p)
{
	const struct plan_action *a = host_action(h);
	struct rollback_rec r;

	memset(p, 0, sizeof(*p));
	p->kind = a->kind == ACTION_REGISTRY ? RB_KIND_REGISTRY :
	    a->kind == ACTION_MULTICAST ? RB_KIND_MULTICAST : RB_KIND_PACKAGE;
	if (p->kind == RB_KIND_REGISTRY && res->exit_status > 1) {
		/* reg query: 1 when the key or value does not exist */
		host_fail(h, 0, "reg query %s exited %u", a->key,
		    res->exit_status);
		return -1;
	}
	if (p->kind == RB_KIND_PACKAGE && res->exit_status != 0) {
		host_fail(h, 0, "dism /get-packages exited 0x%08x",
		    res->exit_status);
		return -1;
	}
	p->key = a->key ? xstrdup(a->key) : NULL;
	p->value = a->value ? xstrdup(a->value) : NULL;
	p->family = a->family ? xstrdup(a->family) : NULL;
	p->kb = a->kb ? xstrdup(a->kb) : NULL;
	if (rollback_prior_read(p, res) == -1) {
		host_fail(h, 0, "netsh: %s", err_msg());
		rollback_prior_release(p);
		return -1;
	}
	/* what undo could not put back is not changed (rollback.h) */
	rollback_prior_rec(p, &r);
	if (rollback_prior_check(&r) == -1) {
		host_fail(h, 0, "capture of %s: the state before cannot be "
		    "restored: %s", p->kind == RB_KIND_REGISTRY ? p->value :
		    p->kind == RB_KIND_MULTICAST ? p->family : p->kb, err_msg());
		rollback_prior_release(p);
		return -1;
	}
	return 0;
}

/* The state before any change, once per host and run directory. */
void
host_capture(struct host_run *h, const struct transport_result *res)
{
	struct rollback_prior p;

	/* Resume rule: a capture journaled by an earlier run stands (the
	 * state before kbfix touched the host); else read each thing. */
	if (res == NULL && h->captured) {
		host_goto(h, STEP_WORKAROUND);
		return;
	}
	if (res == NULL) {
		if (h->action == 0)	/* a repeated capture starts afresh */
			rollback_priors_release(&h->priors);
		while (h->action < h->ph->nactions &&
		    host_action(h)->kind != ACTION_REGISTRY &&
		    host_action(h)->kind != ACTION_MULTICAST &&
		    host_action(h)->kind != ACTION_INSTALL)
			h->action++;
		if (h->action == h->ph->nactions)
			capture_finish(h);
		else
			host_value_query(h, host_action(h));
		return;
	}
	if (capture_read(h, res, &p) == -1)
		return;
	rollback_priors_add(&h->priors, &p);
	host_next_action(h);
}

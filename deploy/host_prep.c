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

/*
 * Product and build compared as identifiers: the product the registry's
 * ProductName normalises to ("Windows 7 Enterprise" -> "Windows 7"; a
 * caption such as "Microsoft Windows\xa07 Entreprise" is never read) and
 * the build without its revision (a cumulative update changes the UBR).
 */
static int
drifted(struct host_run *h, const struct winos *os)
{
	const struct plan_host *ph = h->ph;
	const char *product = plan_norm_os(os->product);

	if (ph->version != NULL && !plan_version_same_build(os->version,
	    ph->version)) {
		free(h->error);
		h->error = xasprintf("%s: drifted: build is %s, the plan was "
		    "made for %s", ph->name, os->build, ph->version);
		return 1;
	}
	if (ph->os != NULL && (product == NULL || strcmp(product,
	    ph->os) != 0)) {
		free(h->error);
		h->error = xasprintf("%s: drifted: OS is '%s' (ProductName), "
		    "the plan was made for %s", ph->name, os->product, ph->os);
		return 1;
	}
	return 0;
}


/* The shell check, the OS from the registry, the pending-reboot check. */

/* The CurrentVersion query's part of the preflight output. */
static int
preflight_os(const char *t, struct winos *os)
{
	struct winreg_list l;
	const char *p = strstr(t, DEPLOY_PF_MARK), *end;
	int rc;

	if (p == NULL || (p = strchr(p, '\n')) == NULL) {
		err_set("no reg query CurrentVersion output");
		return -1;
	}
	if ((end = strstr(p, "\n==kbfix:")) == NULL)
		end = p + strlen(p);
	if (transport_win_reg_query(p + 1, (size_t)(end - p), &l) == -1)
		return -1;
	rc = transport_win_os(&l, NULL, os);
	transport_winreg_list_release(&l);
	return rc;
}

/* A reboot pending from before kbfix, by the one check's signals. */
static int
pending_before(struct host_run *h, const char *t)
{
	const struct rollback_host *jh;
	char **reasons = NULL;
	size_t n = 0;
	struct buf b;
	int rc;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if ((rc = transport_win_pending_read(t, &reasons, &n)) == -1) {
		host_fail(h, 0, "%s", err_msg());
		return 1;
	}
	if (rc > 0 && !(jh && jh->install_started)) {
		buf_init(&b, 0);
		transport_win_pending_describe(&b, reasons, n);
		host_fail(h, 0, "a reboot is pending from before kbfix (%s); "
		    "reboot the host, then resume", buf_str(&b));
		buf_release(&b);
		rc = 1;
	} else
		rc = 0;
	strv_free(reasons, n);
	return rc;
}

/* cmd.exe, OS and build as planned, no reboot pending from before. */
void
host_preflight(struct host_run *h, const struct transport_result *res)
{
	struct winos os;
	char *t;

	/* Resume rule: read the shell, the OS, the build and the
	 * pending-reboot signals. */
	if (res == NULL) {
		HOST_SEND_CMD(h, DEPLOY_CMD_PREFLIGHT);
		return;
	}
	memset(&os, 0, sizeof(os));
	t = host_res_text(res);
	if (transport_win_shell_check(t) == -1)
		host_fail(h, 0, "%s", err_msg());
	else if (preflight_os(t, &os) == -1)
		host_fail(h, 0, "%s", err_msg());
	else if (drifted(h, &os))
		host_end(h, "drifted");
	else if (!pending_before(h, t))
		host_continue(h, STEP_PREFLIGHT_DISK);
	transport_winos_release(&os);
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
		HOST_SEND_CMD(h, DEPLOY_CMD_DISK);
		return;
	}
	t = host_res_text(res);
	if (wo_wmic_missing(res)) {
		host_fail(h, 0, "%s", WO_NO_WMIC);
	} else if (res->exit_status != 0 || wo_value(t, "FreeSpace", &v) == -1 ||
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
	/* a package is looked for by the identity it will have */
	if (p->kind == RB_KIND_PACKAGE && strchr(host_pkg_want(h), '~'))
		p->identity = xstrdup(host_pkg_want(h));
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

/*
 * Reboot and wait, shared by apply and undo: a reboot is done when the
 * boot time changed (as Ansible's win_reboot), and a reboot group lets one
 * member down at a time, so parked hosts are resumed from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

static const char *const boot_q[] = { "wmic", "os", "get", "lastbootuptime",
    "/value", NULL };

/* The apply step s, or its undo twin. */
static enum host_step
in_mode(const struct host_run *h, enum host_step s)
{
	if (h->mode == HOST_APPLY)
		return s;
	switch (s) {
	case STEP_REBOOT_ISSUE:	return STEP_RB_REBOOT_ISSUE;
	case STEP_REBOOT_RETRY:	return STEP_RB_REBOOT_RETRY;
	case STEP_WAIT:		return STEP_RB_WAIT;
	case STEP_VERIFY:	return STEP_RB_VERIFY;
	default:		return s;
	}
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

static enum host_step
after_wait(const struct host_run *h)
{
	if (h->after_wait != STEP_CONNECT)
		return h->after_wait;
	return in_mode(h, STEP_VERIFY);
}

static void
reboot_done(struct host_run *h, const char *boot_after)
{
	struct rollback_rec r;
	enum host_step next;

	rollback_rec_init(&r);
	r.step = h->mode == HOST_UNDO && h->after_wait == STEP_CONNECT ?
	    "rb-reboot" : "reboot";
	r.boot = h->boot_before;
	r.boot_after = boot_after;
	if (host_journal(h, RB_EV_DONE, &r) == -1)
		return;
	h->reboot_owed = 0;
	h->reboot = REBOOT_NONE;
	if (h->group_held) {
		deploy_group_release(&h->e->groups, h->ph->group, h->ph->name);
		h->group_held = 0;
		host_group_retry(h->e);
	}
	next = after_wait(h);
	h->after_wait = STEP_CONNECT;
	host_goto(h, next);
}

/* The journal's reboot of an interrupted run happened meanwhile. */
static int
reboot_happened(struct host_run *h, const char *boot)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (jh == NULL || jh->reboot_boot == NULL || h->boot_before != NULL ||
	    strcmp(jh->reboot_step, h->mode == HOST_UNDO ? "rb-reboot" :
	    "reboot") != 0 || !wo_boot_later(boot, jh->reboot_boot))
		return 0;
	h->boot_before = xstrdup(jh->reboot_boot);
	reboot_done(h, boot);
	return 1;
}

/* Whether a reboot is owed, and its group's turn. */
void
host_reboot(struct host_run *h, const struct transport_result *res)
{
	char *t, *boot = NULL;
	int pending;

	/* Resume rule: read the boot time and RebootPending. */
	if (res == NULL) {
		if (h->mode == HOST_APPLY && !plan_has(h->ph, ACTION_REBOOT))
			host_goto(h, STEP_VERIFY);
		else
			host_send2(h, boot_q, (const char *const[]){ "reg",
			    "query", REBOOT_PENDING_KEY, NULL });
		return;
	}
	pending = res->exit_status == 0;	/* RebootPending exists */
	t = host_res_text(res);
	if (wo_value(t, "LastBootUpTime", &boot) == -1) {
		free(t);
		host_fail(h, 0, "wmic os: %s", err_msg());
		return;
	}
	free(t);
	if (reboot_happened(h, boot)) {
		free(boot);
		return;
	}
	free(h->boot_before);
	h->boot_before = boot;
	if (!pending && !h->reboot_owed) {
		host_goto(h, after_wait(h));
		return;
	}
	if (h->e->win_dur > 0 && eng_now() >= h->e->win_start + h->e->win_dur) {
		free(h->error);
		h->error = xasprintf("%s: the window closed before the reboot; "
		    "resume in the next window", h->ph->name);
		host_end(h, "deferred");
		return;
	}
	if (!deploy_group_acquire(&h->e->groups, h->ph->group, h->ph->name)) {
		h->reboot = REBOOT_PARKED;	/* host_group_retry() resumes */
		return;
	}
	h->group_held = h->ph->group != NULL;
	host_continue(h, in_mode(h, STEP_REBOOT_ISSUE));
}

void
host_group_retry(struct engine *e)
{
	struct host_run *h;
	size_t i;

	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		if (h->reboot != REBOOT_PARKED || h->life == HOST_ENDED)
			continue;
		if (!deploy_group_acquire(&e->groups, h->ph->group,
		    h->ph->name))
			continue;
		h->reboot = REBOOT_NONE;
		h->group_held = 1;
		host_continue(h, in_mode(h, STEP_REBOOT_ISSUE));
	}
}

static void
send_shutdown(struct host_run *h, int abort_first)
{
	char t[16];
	const char *const reboot[] = { "shutdown", "/r", "/t", t, "/d",
	    "p:2:17", "/c", h->mode == HOST_UNDO ? "kbfix: rollback reboot" :
	    "kbfix: hotfix reboot", NULL };

	snprintf(t, sizeof(t), "%d", h->e->o.reboot_delay_s);
	if (abort_first)
		host_send2(h, (const char *const[]){ "shutdown", "/a", NULL },
		    reboot);
	else
		host_send(h, reboot);
}

/* 0: the reboot is on its way; 1115: a shutdown is in progress already. */
static int
shutdown_ok(const struct transport_result *res)
{
	return res->exit_status == 0 || res->exit_status == 1115;
}

void
host_reboot_issue(struct host_run *h, const struct transport_result *res)
{
	struct rollback_rec r;

	/* host_reboot() read the boot time the wait compares with */
	if (res == NULL) {
		rollback_rec_init(&r);
		r.boot = h->boot_before;
		if (host_journal(h, RB_EV_INTENT, &r) == -1)
			return;
		h->reboot = REBOOT_ISSUED;
		send_shutdown(h, 0);
		return;
	}
	if (shutdown_ok(res))
		host_goto(h, in_mode(h, STEP_WAIT));
	else
		host_continue(h, in_mode(h, STEP_REBOOT_RETRY));
}

/* Abort a scheduled shutdown and ask again, once (1190, FACTS.md
 * section 4). */
void
host_reboot_retry(struct host_run *h, const struct transport_result *res)
{
	char *why;

	/* host_reboot_issue()'s shutdown /r was refused just before */
	if (res == NULL) {
		send_shutdown(h, 1);
		return;
	}
	if (shutdown_ok(res)) {
		host_goto(h, in_mode(h, STEP_WAIT));
		return;
	}
	why = host_exit_text(WINEXIT_SHUTDOWN, res->exit_status);
	host_fail(h, 0, "shutdown /r exited %s", why);
	free(why);
}

/* Waiting: polls until the boot time changes. */

static void wait_try(void *);

static void
wait_again(struct host_run *h)
{
	transport_close(h->conn);
	h->conn = NULL;
	h->backoff_ms = h->backoff_ms < 100 ? 100 : h->backoff_ms * 3 / 2;
	if (h->backoff_ms > 2000)
		h->backoff_ms = 2000;	/* Ansible caps near 12 s; tests
					   reboot in well under that */
	transport_timer(h->e->tp, h->backoff_ms, wait_try, h);
}

/* While waiting, a dropped connection means "not back yet". */
static void
wait_exec_cb(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct host_run *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (res->failed)
		wait_again(h);
	else
		host_wait(h, res);
}

static void
wait_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct host_run *h = arg;
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
	struct host_run *h = arg;
	const struct plan_host *ph = h->ph;

	if (h->e->fatal || h->life == HOST_ENDED)
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

void
host_wait(struct host_run *h, const struct transport_result *res)
{
	char *t, *boot = NULL;

	/* Resume rule: the boot time decides; a drop means not back yet. */
	if (res == NULL) {
		transport_close(h->conn);
		h->conn = NULL;
		h->deadline_ms = time_now_ms() +
		    (int64_t)h->e->o.reboot_timeout_s * 1000;
		h->backoff_ms = 0;
		transport_timer(h->e->tp,
		    (int64_t)h->e->o.reboot_delay_s * 1000 + 100, wait_try, h);
		return;
	}
	t = host_res_text(res);
	if (wo_value(t, "LastBootUpTime", &boot) == 0 &&
	    wo_boot_later(boot, h->boot_before))
		reboot_done(h, boot);
	else
		wait_again(h);
	free(boot);
	free(t);
}

/*
 * Reboot and wait, shared by apply and rollback: a reboot is done when the
 * boot time changed (as Ansible's win_reboot), and a reboot group lets one
 * member down at a time, so parked hosts are resumed from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

/* ------------------------------------------------------------------ */
/* reboot and wait for the new boot time (as Ansible's win_reboot) */

static const char *const boot_q[] = { "wmic", "os", "get", "lastbootuptime",
    "/value", NULL };

static int
plan_has(const struct plan_host *ph, enum plan_action_kind kind)
{
	size_t i;

	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind == kind)
			return 1;
	return 0;
}

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
	if (host_jwrite(h, RB_EV_DONE, &r) == -1)
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
		host_hx2(h, (const char *const[]){ "shutdown", "/a", NULL },
		    (const char *const[]){ "shutdown", "/r", "/t", t, "/d",
		    "p:2:17", "/c", h->rollback ? "kbfix: rollback reboot" :
		    "kbfix: hotfix reboot", NULL }, reb_shutdown);
		return;
	}
	why = host_exit_text(WINEXIT_SHUTDOWN, res->exit_status);
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
	if (host_jwrite(h, RB_EV_INTENT, &r) == -1)
		return;
	h->reboot_issued = 1;
	h->sub = 0;
	host_hx(h, (const char *const[]){ "shutdown", "/r", "/t", t, "/d",
	    "p:2:17", "/c", h->rollback ? "kbfix: rollback reboot" :
	    "kbfix: hotfix reboot", NULL }, reb_shutdown);
}

static void
reb_state(struct hostrun *h, const struct transport_result *res)
{
	const struct rollback_host *jh;
	char *t = host_res_text(res), *boot = NULL;
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

void
host_step_reboot(struct hostrun *h)
{
	if (!h->rollback && !plan_has(h->ph, ACTION_REBOOT)) {
		host_step(h, STEP_VERIFY);
		return;
	}
	host_hx2(h, boot_q, (const char *const[]){ "reg", "query",
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
	char *t = host_res_text(res), *boot = NULL;

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

void
host_step_wait(struct hostrun *h)
{
	transport_close(h->conn);
	h->conn = NULL;
	h->deadline_ms = time_now_ms() + (int64_t)h->e->o.reboot_timeout_s *
	    1000;
	h->backoff_ms = 0;
	transport_timer(h->e->tp, (int64_t)h->e->o.reboot_delay_s * 1000 + 100,
	    wait_try, h);
}

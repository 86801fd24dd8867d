/*
 * Reboot and wait, shared by apply and undo: a reboot is done when the
 * host answers with a boot time later than its own clock when shutdown /r
 * was sent (wo_rebooted(), BOOT_DRIFT_US), and a reboot group lets one
 * member down at a time, so parked hosts are resumed from here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deploy/deploy_int.h"

/* Wall clock: compared with the journal's times. */
static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	r.clock = h->boot_clock;
	if (host_journal(h, RB_EV_DONE, &r) == -1)
		return;
	h->reboot_owed = 0;
	h->reboot = REBOOT_NONE;
	/* the wait's session goes on with the next step: no wait deadline */
	if (h->conn != NULL)
		transport_conn_limit(h->conn, 0);
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
	    "reboot") != 0 || !wo_rebooted(boot, jh->reboot_boot,
	    jh->reboot_clock))
		return 0;
	h->boot_before = xstrdup(jh->reboot_boot);
	free(h->boot_clock);
	h->boot_clock = jh->reboot_clock ? xstrdup(jh->reboot_clock) : NULL;
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
		if (h->mode == HOST_APPLY && !plan_host_has(h->ph, ACTION_REBOOT))
			host_goto(h, STEP_VERIFY);
		else
			HOST_SEND_CMD(h, DEPLOY_CMD_BOOT_PENDING);
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
		    "resume with the next --window, or roll back",
		    h->ph->name);
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
		/* after a stop nothing new starts, a reboot least of all */
		if (e->stopping) {
			h->reboot = REBOOT_NONE;
			host_end(h, "interrupted");
			continue;
		}
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
	struct buf line;

	buf_init(&line, 256);
	host_send_built(h, deploy_cmd_shutdown(h->e->o.reboot_delay_s,
	    h->mode == HOST_UNDO, abort_first, &line), &line);
}

/*
 * 0: the reboot is on its way; 1115: a shutdown is in progress already.
 * Then the host's clock, read in the same line, goes into the journal
 * with a second intent (boot, group and clock), so that a resume after a
 * crash from here on decides by it too.  A clock not read (wmic failed)
 * leaves the boot-against-boot rule.  -1: the journal failed (the run
 * stops).
 */
static int
shutdown_ok(struct host_run *h, const struct transport_result *res)
{
	struct rollback_rec r;
	char *t, *clock = NULL;
	int64_t epoch;

	if (res->exit_status != 0 && res->exit_status != 1115)
		return 0;
	t = host_res_text(res);
	if (wo_value(t, "LocalDateTime", &clock) == 0 &&
	    transport_win_wmi_datetime(clock, &epoch) == 0) {
		free(h->boot_clock);
		h->boot_clock = clock;
		clock = NULL;
		rollback_rec_init(&r);
		r.boot = h->boot_before;
		r.clock = h->boot_clock;
		r.group = h->group_held ? h->ph->group : NULL;
		if (host_journal(h, RB_EV_INTENT, &r) == -1) {
			free(t);
			return -1;
		}
	}
	free(clock);
	free(t);
	return 1;
}

void
host_reboot_issue(struct host_run *h, const struct transport_result *res)
{
	struct rollback_rec r;

	/* host_reboot() read the boot time the wait compares with */
	if (res == NULL) {
		rollback_rec_init(&r);
		r.boot = h->boot_before;
		/* the lease: the group is the host's until it is seen up */
		r.group = h->group_held ? h->ph->group : NULL;
		if (host_journal(h, RB_EV_INTENT, &r) == -1)
			return;
		free(h->boot_clock);
		h->boot_clock = NULL;	/* this shutdown's comes with it */
		h->reboot = REBOOT_ISSUED;
		h->reboot_ms = wall_ms();
		send_shutdown(h, 0);
		return;
	}
	switch (shutdown_ok(h, res)) {
	case 1:
		host_goto(h, in_mode(h, STEP_WAIT));
		break;
	case 0:
		host_continue(h, in_mode(h, STEP_REBOOT_RETRY));
		break;
	}
}

/* Abort a scheduled shutdown and ask again, once (1190, FACTS.md
 * section 4). */
void
host_reboot_retry(struct host_run *h, const struct transport_result *res)
{
	char *why;
	int ok;

	/* host_reboot_issue()'s shutdown /r was refused just before */
	if (res == NULL) {
		send_shutdown(h, 1);
		return;
	}
	if ((ok = shutdown_ok(h, res)) == -1)
		return;
	if (ok) {
		host_goto(h, in_mode(h, STEP_WAIT));
		return;
	}
	why = host_exit_text(WINEXIT_SHUTDOWN, res->exit_status);
	host_fail(h, 0, "shutdown /r exited %s", why);
	free(why);
}

/*
 * Waiting: polls until the boot time changes.  Every connect and command
 * of the wait ends by the reboot timeout's deadline (a first query that
 * hangs costs what is left of it, not the command timeout).  Three
 * answers are told apart from "did not come back": a refused host key
 * (the host is up, with another key), an aborted reboot (the host answers
 * with the boot time it had, ABORT_GRACE_MS after the reboot was due) and
 * the timeout itself.
 */

#define ABORT_GRACE_MS	10000
#define WATCH_MIN_S	120	/* parked members wait for a lease at least
				   this long, whatever --reboot-timeout */
#define POLL_MAX_MS	2000

static int64_t
backoff_next(int64_t b)
{
	b = b < 100 ? 100 : b * 3 / 2;
	return b > POLL_MAX_MS ? POLL_MAX_MS : b;	/* Ansible caps near
							   12 s; tests reboot
							   in well under that */
}

/*
 * One probe (connect and the boot-time query) ends within twice the
 * connect timeout and never after the deadline: a probe that hangs is
 * given up for the next one, not waited for until the command timeout.
 */
static int64_t
probe_limit(const struct engine *e, int64_t deadline_ms)
{
	int64_t ct = e->o.connect_timeout_ms > 0 ? e->o.connect_timeout_ms :
	    10000, at = time_now_ms() + 2 * ct;

	return at < deadline_ms ? at : deadline_ms;
}

static void wait_try(void *);

static void
wait_again(struct host_run *h)
{
	transport_close(h->conn);
	h->conn = NULL;
	h->backoff_ms = backoff_next(h->backoff_ms);
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

/* The end of a wait that did not see the host come back. */
static void
wait_fail(struct host_run *h, int keep_lease, const char *fmt, const char *a)
{
	transport_close(h->conn);
	h->conn = NULL;
	if (keep_lease && h->group_held) {
		/* still down for all we know: the group stays its own */
		lease_watch_new(h->e, h->ph, h->ph->group, h->boot_before,
		    h->boot_clock, h->reboot_ms);
		h->group_held = 0;
	}
	h->reboot = REBOOT_NONE;
	/* conn is NULL: no reconnect, and no undo of a host not answering */
	host_fail(h, 1, fmt, a);
}

static void
wait_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct host_run *h = arg;
	struct buf line;

	if (h->e->fatal)
		return;
	if (!ok && transport_conn_key_refused(c)) {
		wait_fail(h, 1, "%s (after the reboot)", error);
		return;
	}
	if (!ok) {
		wait_again(h);
		return;
	}
	buf_init(&line, 256);
	if (deploy_cmd(DEPLOY_CMD_BOOT, &line) == -1 ||
	    transport_exec(h->conn, buf_str(&line), wait_exec_cb, h) == -1)
		wait_again(h);
	buf_release(&line);
}

static void
wait_try(void *arg)
{
	struct host_run *h = arg;
	const struct plan_host *ph = h->ph;
	char secs[24];

	if (h->e->fatal || h->life == HOST_ENDED)
		return;
	if (h->e->stopping) {
		host_end(h, "interrupted");
		return;
	}
	if (time_now_ms() >= h->deadline_ms) {
		snprintf(secs, sizeof(secs), "%d", h->e->o.reboot_timeout_s);
		wait_fail(h, 1, "did not come back within %s s after the reboot",
		    secs);
		return;
	}
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    wait_connected, h);
	if (h->conn == NULL)
		wait_again(h);
	else
		transport_conn_limit(h->conn, probe_limit(h->e,
		    h->deadline_ms));
}

void
host_wait(struct host_run *h, const struct transport_result *res)
{
	const struct rollback_host *jh;
	char *t, *boot = NULL;
	int64_t due;

	/* Resume rule: the boot time decides; a drop means not back yet. */
	if (res == NULL) {
		transport_close(h->conn);
		h->conn = NULL;
		jh = rollback_replay_host(&h->e->rp, h->ph->name);
		if (h->reboot_ms == 0 && jh != NULL && jh->reboot_boot != NULL) {
			/* the interrupted run's shutdown: its time, its clock */
			h->reboot_ms = jh->reboot_ms;
			free(h->boot_clock);
			h->boot_clock = jh->reboot_clock ?
			    xstrdup(jh->reboot_clock) : NULL;
		}
		h->reboot = REBOOT_ISSUED;
		h->deadline_ms = time_now_ms() +
		    (int64_t)h->e->o.reboot_timeout_s * 1000;
		h->backoff_ms = 0;
		transport_timer(h->e->tp,
		    (int64_t)h->e->o.reboot_delay_s * 1000 + 100, wait_try, h);
		return;
	}
	t = host_res_text(res);
	due = h->reboot_ms + (int64_t)h->e->o.reboot_delay_s * 1000;
	if (wo_value(t, "LastBootUpTime", &boot) == 0 &&
	    wo_rebooted(boot, h->boot_before, h->boot_clock))
		reboot_done(h, boot);
	else if (boot != NULL && h->reboot_ms != 0 &&
	    wall_ms() >= due + ABORT_GRACE_MS) {
		/* up, never went down: the reboot was called off */
		h->reboot_owed = 1;
		wait_fail(h, 0, "the reboot was aborted (shutdown /a?): the "
		    "host answers with the boot time it had before (%s) and "
		    "no reboot is under way", h->boot_before);
	} else
		wait_again(h);
	free(boot);
	free(t);
}

/*
 * Leases: a reboot group held for a host the run does not wait for
 * itself, until the host is seen up (a new boot time, or the old one
 * ABORT_GRACE_MS after the reboot was due: it never went down).  Members
 * parked on the group meanwhile give up after the reboot timeout (at
 * least WATCH_MIN_S) and end interrupted: resume goes on.
 */

static void watch_try(void *);

static void
watch_end(struct lease_watch *w)
{
	transport_close(w->conn);
	w->conn = NULL;
	w->over = 1;
}

/* The host is up: the lease ends (journaled), parked members go on. */
static void
watch_release(struct lease_watch *w, const char *boot_after)
{
	struct engine *e = w->e;
	struct rollback_rec r;

	watch_end(w);
	rollback_rec_init(&r);
	r.ev = RB_EV_LEASE;
	r.host = w->host;
	r.group = w->group;
	r.boot = w->boot;
	r.boot_after = boot_after;
	r.clock = w->clock;
	r.state = "released";
	if (eng_journal(e, &r) == -1)
		return;
	deploy_group_release(&e->groups, w->group, w->host);
	host_group_retry(e);
}

/* Members waiting for the group stop waiting: resume goes on later. */
static void
watch_give_up(struct lease_watch *w)
{
	struct engine *e = w->e;
	struct host_run *h;
	size_t i;

	watch_end(w);
	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		if (h->reboot != REBOOT_PARKED || h->life == HOST_ENDED ||
		    h->ph->group == NULL || strcmp(h->ph->group, w->group) != 0)
			continue;
		h->reboot = REBOOT_NONE;
		free(h->error);
		h->error = xasprintf("%s: not rebooted: %s of reboot group %s "
		    "has not been seen up since its reboot; resume once it is "
		    "back", h->ph->name, w->host, w->group);
		host_end(h, "interrupted");
	}
}

/*
 * 1: the watch is over.  A stop ends the members parked on its group
 * (nothing new starts); the end of the run or its deadline leaves the
 * lease in the journal for the next run.
 */
static int
watch_over(struct lease_watch *w)
{
	struct engine *e = w->e;

	if (w->over)
		return 1;
	if (e->stopping || time_now_ms() >= w->deadline_ms)
		watch_give_up(w);
	else if (e->fatal || e->wave >= e->nwaves)
		watch_end(w);
	return w->over;
}

static void
watch_again(struct lease_watch *w)
{
	transport_close(w->conn);
	w->conn = NULL;
	w->backoff_ms = backoff_next(w->backoff_ms);
	transport_timer(w->e->tp, w->backoff_ms, watch_try, w);
}

static void
watch_answer(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct lease_watch *w = arg;
	char *t, *boot = NULL;

	(void)c;
	if (watch_over(w))
		return;
	t = res->failed ? NULL : host_res_text(res);
	if (t != NULL && wo_value(t, "LastBootUpTime", &boot) == 0 &&
	    (wo_rebooted(boot, w->boot, w->clock) ||
	    wall_ms() >= w->due_ms + ABORT_GRACE_MS))
		watch_release(w, boot);
	else
		watch_again(w);
	free(boot);
	free(t);
}

static void
watch_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct lease_watch *w = arg;
	struct buf line;

	(void)c;
	(void)error;
	if (watch_over(w))
		return;
	if (!ok) {
		watch_again(w);
		return;
	}
	buf_init(&line, 256);
	if (deploy_cmd(DEPLOY_CMD_BOOT, &line) == -1 ||
	    transport_exec(w->conn, buf_str(&line), watch_answer, w) == -1)
		watch_again(w);
	buf_release(&line);
}

static void
watch_try(void *arg)
{
	struct lease_watch *w = arg;

	if (watch_over(w))
		return;
	w->conn = transport_connect(w->e->tp, w->host, w->address, w->port,
	    w->user, watch_connected, w);
	if (w->conn == NULL)
		watch_again(w);
	else
		transport_conn_limit(w->conn, probe_limit(w->e,
		    w->deadline_ms));
}

void
lease_watch_new(struct engine *e, const struct plan_host *ph,
    const char *group, const char *boot, const char *clock,
    int64_t reboot_ms)
{
	struct lease_watch *w;

	w = xcalloc(1, sizeof(*w));
	w->e = e;
	w->host = xstrdup(ph->name);
	w->address = xstrdup(ph->address ? ph->address : ph->name);
	w->user = ph->user ? xstrdup(ph->user) : NULL;
	w->port = ph->port;
	w->group = xstrdup(group);
	w->boot = xstrdup(boot);
	w->clock = clock ? xstrdup(clock) : NULL;
	w->due_ms = reboot_ms + (int64_t)e->o.reboot_delay_s * 1000;
	w->deadline_ms = time_now_ms() + (int64_t)(e->o.reboot_timeout_s >
	    WATCH_MIN_S ? e->o.reboot_timeout_s : WATCH_MIN_S) * 1000;
	e->watches = xreallocarray(e->watches, e->nwatches + 1,
	    sizeof(*e->watches));
	e->watches[e->nwatches++] = w;
	transport_timer(e->tp, 0, watch_try, w);
}

/*
 * At the start of a run: every lease the journal holds (a reboot asked
 * for and the host not seen up since) keeps its group.  A host of this
 * run takes its lease over when it starts (host_lease_adopt()); until
 * then, and for hosts the run leaves alone, a watch holds it.
 */
void
host_leases_take(struct engine *e)
{
	const struct rollback_host *jh;
	const struct plan_host *ph;
	size_t i;

	for (i = 0; i < e->rp.nhosts; i++) {
		jh = &e->rp.hosts[i];
		if (jh->lease_group == NULL ||
		    (ph = plan_host_find(e->plan, jh->name)) == NULL)
			continue;
		/* down for all we know: it counts, whatever the budget */
		deploy_group_take(&e->groups, jh->lease_group, jh->name);
		lease_watch_new(e, ph, jh->lease_group, jh->lease_boot,
		    jh->lease_clock, jh->reboot_ms);
	}
}

void
host_lease_adopt(struct host_run *h)
{
	struct engine *e = h->e;
	size_t i;

	for (i = 0; i < e->nwatches; i++) {
		if (e->watches[i]->over ||
		    strcmp(e->watches[i]->host, h->ph->name) != 0)
			continue;
		watch_end(e->watches[i]);
		h->group_held = h->ph->group != NULL;
	}
}

void
host_leases_release(struct engine *e)
{
	struct lease_watch *w;
	size_t i;

	for (i = 0; i < e->nwatches; i++) {
		w = e->watches[i];
		free(w->host); free(w->address); free(w->user);
		free(w->group); free(w->boot); free(w->clock);
		free(w);
	}
	free(e->watches);
}

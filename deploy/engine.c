/*
 * The apply engine: waves, canary, failure threshold,
 * maintenance window and signals around the per-host machines (host*.c),
 * all on the transport's one poll loop.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy_int.h"

#define TICK_MS		200

static volatile sig_atomic_t stop_flag;

void
deploy_stop(void)
{
	static const char msg[] = "\nkbfix: stopped at once by a second "
	    "signal; 'kbfix status' shows where each host is, 'kbfix resume' "
	    "continues\n";

	/* async-signal-safe: write() and _exit() only */
	if (stop_flag) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(130);
		_exit(130);
	}
	stop_flag = 1;
}

int64_t
eng_now(void)
{
	return (int64_t)time(NULL);
}

int
eng_journal(struct engine *e, struct rollback_rec *r)
{
	if (e->fatal)
		return -1;
	if (e->o.check)		/* --check writes no journal */
		return 0;
	if (rollback_journal_append(e->j, r) == -1) {
		/* A change without its record could not be undone: stop. */
		e->fatal = 1;
		free(e->stop_reason);
		e->stop_reason = xstrdup(err_msg());
		transport_stop(e->tp);
		return -1;
	}
	/* TEST ONLY (KBFIX_TEST_KILL_AFTER): a crash at a chosen record. */
	if (e->o.kill_after != 0 && rollback_journal_count(e->j) >=
	    e->o.kill_after)
		raise(SIGKILL);
	return 0;
}

static void
count_state(struct deploy_progress *p, int rollback_run, const char *state)
{
	if (strcmp(state, rollback_run ? "rolled-back" : "done") == 0)
		p->done++;
	else if (strcmp(state, "rolled-back") == 0)
		p->rolledback++;
	else if (strcmp(state, "interrupted") == 0)
		p->interrupted++;
	else if (strcmp(state, "failed") == 0 ||
	    strcmp(state, "blocked") == 0 ||
	    strcmp(state, "rollback-failed") == 0)
		p->failed++;
	else
		p->other++;
}

void
eng_progress(struct engine *e, enum deploy_pev ev, struct host_run *cur)
{
	struct deploy_progress p;
	struct host_run *h, *longest = NULL;
	int64_t now = time_now_ms();
	size_t i;

	if (e->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.ev = ev;
	p.wave = e->wave;
	p.nwaves = e->nwaves;
	p.label = e->labels != NULL && e->wave < e->nwaves ?
	    e->labels[e->wave] : e->wave;
	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		if (h->life == HOST_RUNNING && (longest == NULL ||
		    h->step_ms < longest->step_ms))
			longest = h;
		if (h->wave != e->wave)
			continue;
		p.total++;
		if (h->life == HOST_QUEUED)
			continue;
		if (h->life == HOST_RUNNING)
			p.running++;
		else
			count_state(&p, e->rollback_run, h->endstate);
	}
	if (longest != NULL) {
		p.long_host = longest->ph->name;
		p.long_step = host_step_name(longest);
		p.long_ms = now - longest->step_ms;
	}
	if (cur != NULL) {
		p.host = cur->ph->name;
		p.step = host_step_name(cur);
		p.state = cur->life == HOST_RUNNING ? NULL : cur->endstate;
		p.error = cur->first_error ? cur->first_error : cur->error;
	}
	if (e->win_dur > 0)
		p.window_end = e->win_start + e->win_dur;
	if (e->window_wait) {
		p.wait_for = "the window";
		p.wait_until = e->win_start;
	}
	p.stop_reason = e->stop_reason;
	e->progress(&p, e->parg);
}

static void
journal_state(struct engine *e, const char *host, const char *state,
    const char *error)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.ev = RB_EV_STATE;
	r.host = host;
	r.state = state;
	r.error = error;
	eng_journal(e, &r);
}

/*
 * A host that ends without starting: not-started, deferred.  A rollback
 * leaves the journal state of a host it did not undo as it was (the
 * host keeps its changes, and its state says so); the summary shows
 * the skip (skip_error).
 */
static void
host_skip(struct engine *e, struct host_run *h, const char *state,
    const char *error)
{
	if (!e->rollback_run)
		journal_state(e, h->ph->name, state, error);
	h->life = HOST_SKIPPED;
	h->endstate = state;
	free(h->error);
	h->error = error ? xstrdup(error) : NULL;
	if (strcmp(state, "not-started") != 0)
		eng_progress(e, DEPLOY_PEV_END, h);
}

static int
failed_state(const char *s)
{
	/* blocked: the change did not hold (Group Policy); a canary wave
	 * blocked stops the run, the same GPO likely covers the rest */
	return s != NULL && (strcmp(s, "failed") == 0 ||
	    strcmp(s, "blocked") == 0 || strcmp(s, "rolled-back") == 0 ||
	    strcmp(s, "rollback-failed") == 0);
}

static void fill(struct engine *);

/* Nothing more starts: hosts not started are recorded as such. */
static void
finish_run(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nh; i++)
		if (e->h[i].life == HOST_QUEUED)
			host_skip(e, &e->h[i], "not-started",
			    e->stop_reason);
	e->nwaves = e->wave;	/* ends the tick */
	/* a stop ends the loop, whatever timers are left (a window a week
	 * away) */
	if (e->stopping)
		transport_stop(e->tp);
}

static void
wave_finished(struct engine *e)
{
	size_t i, fin = 0, bad = 0, wbad = 0;

	for (i = 0; i < e->nh; i++) {
		if (e->h[i].life != HOST_ENDED)
			continue;
		fin++;
		if (e->rollback_run ? strcmp(e->h[i].endstate,
		    "rollback-failed") == 0 : failed_state(e->h[i].endstate)) {
			bad++;
			if (e->h[i].wave == e->wave)
				wbad++;
		}
	}
	if (e->wave == 0 && e->o.canary > 0 && wbad > 0 && !e->stopping &&
	    !e->rollback_run) {
		e->stopping = 1;
		e->stop_reason = xstrdup("run stopped: the canary wave failed");
	} else if (!e->rollback_run && !e->stopping &&
	    deploy_max_fail_exceeded(bad, fin, e->o.max_fail_pct)) {
		e->stopping = 1;
		e->stop_reason = xasprintf("run stopped: %zu of %zu hosts "
		    "failed (--max-fail %d%%)", bad, fin, e->o.max_fail_pct);
	}
	eng_progress(e, DEPLOY_PEV_WAVE, NULL);
	if (e->stopping || e->wave + 1 >= e->nwaves) {
		finish_run(e);
		return;
	}
	e->wave++;
	fill(e);
}

static void
window_open(void *arg)
{
	struct engine *e = arg;

	e->window_wait = 0;
	fill(e);
}

/* 1: the host may start now; 0: deferred (recorded) or wait. */
static int
window_admits(struct engine *e, struct host_run *h)
{
	const struct rollback_host *jh;
	enum deploy_phase from = DEPLOY_PHASE_START;
	int64_t now = eng_now(), rem;
	char *err;

	if (e->win_dur <= 0)
		return 1;
	if (now < e->win_start) {
		if (!e->window_wait) {
			e->window_wait = 1;
			transport_timer(e->tp, (e->win_start - now) * 1000,
			    window_open, e);
			eng_progress(e, DEPLOY_PEV_WAIT, NULL);
		}
		return 0;
	}
	jh = rollback_replay_host(&e->rp, h->ph->name);
	if (jh != NULL && rollback_host_done(jh, "reboot"))
		from = DEPLOY_PHASE_VERIFY;
	else if (jh != NULL && rollback_host_done(jh, "install"))
		from = DEPLOY_PHASE_REBOOT;
	rem = deploy_remaining_s(h->ph->estimate_s, from);
	if (deploy_window_fits(now, e->win_start, e->win_dur, rem))
		return 1;
	err = xasprintf("%s: deferred: needs about %lld s, the window closes "
	    "in %lld s", h->ph->name, (long long)rem,
	    (long long)(e->win_start + e->win_dur - now));
	host_skip(e, h, "deferred", err);
	free(err);
	return -1;
}

static void
fill(struct engine *e)
{
	struct host_run *h;
	size_t i, left = 0;
	int w;

	if (e->fatal || e->wave >= e->nwaves)
		return;
	for (i = 0; i < e->nh && !e->stopping; i++) {
		h = &e->h[i];
		if (h->wave != e->wave || h->life != HOST_QUEUED)
			continue;
		if (e->running >= (size_t)e->o.parallel) {
			left++;
			continue;
		}
		w = window_admits(e, h);
		if (w == 0) {
			left++;
			break;
		}
		if (w < 0)
			continue;
		e->running++;
		host_start(h);
		if (e->fatal)
			return;
	}
	if (e->running == 0 && left == 0 && !e->window_wait)
		wave_finished(e);
}

void
eng_host_finished(struct host_run *h)
{
	struct engine *e = h->e;

	e->running--;
	eng_progress(e, DEPLOY_PEV_END, h);
	fill(e);
}

/*
 * A stop: hosts that only wait end now, interrupted (resume continues
 * them): those parked for their reboot group first (their reboot must
 * not start when the member ahead ends), then those waiting for their
 * reboot to finish or for a connection (nothing changed yet: an
 * unreachable host's connect timeout is not waited for); a wait for the
 * window ends with the run.
 */
static void
stop_waiting(struct engine *e)
{
	struct host_run *h;
	size_t i;

	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		if (h->life == HOST_RUNNING && h->reboot == REBOOT_PARKED)
			host_end(h, "interrupted");
	}
	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		if (h->life == HOST_RUNNING && (h->step == STEP_WAIT ||
		    h->step == STEP_RB_WAIT || h->step == STEP_CONNECT ||
		    h->step == STEP_RB_CONNECT))
			host_end(h, "interrupted");
	}
	if (e->window_wait && e->running == 0) {
		e->window_wait = 0;
		fill(e);
	}
}

static void
tick(void *arg)
{
	struct engine *e = arg;

	if (e->fatal || e->wave >= e->nwaves)
		return;
	if (stop_flag && !e->stopping) {
		e->stopping = 1;
		e->stop_reason = xstrdup("run stopped: interrupted by a "
		    "signal");
		eng_progress(e, DEPLOY_PEV_STOP, NULL);
		stop_waiting(e);
		if (e->fatal || e->wave >= e->nwaves)
			return;
	}
	eng_progress(e, DEPLOY_PEV_TICK, NULL);
	transport_timer(e->tp, TICK_MS, tick, e);
}

/* ------------------------------------------------------------------ */
/* set-up, validation, results */

static int
needs_run(const struct plan_host *ph)
{
	return ph->status == PLAN_NEEDS_ACTION && ph->nactions > 0;
}

/* Bad input is found before anything runs. */
static int
validate(struct engine *e)
{
	const struct plan_host *ph;
	const struct plan_action *a;
	size_t i, k;

	for (i = 0; i < e->plan->nhosts; i++) {
		ph = &e->plan->hosts[i];
		if (!needs_run(ph))
			continue;
		for (k = 0; k < ph->nactions; k++) {
			a = &ph->actions[k];
			if (a->kind == ACTION_REGISTRY &&
			    (!plan_valid_regkey(a->key) ||
			    !plan_valid_regvalue(a->value))) {
				err_set("%s: hosts %s: registry action %zu: "
				    "key or value refused", e->o.plan_path,
				    ph->name, k);
				return -1;
			}
			if (a->kind != ACTION_INSTALL)
				continue;
			if (!str_is_kb(a->kb)) {
				err_set("%s: host %s: '%s' is not a KB id",
				    e->o.plan_path, ph->name, a->kb);
				return -1;
			}
			if (!plan_transport_manual(ph->transport) && !e->rollback_run &&
			    bundle_find(&e->bundle, a->kb, ph->name,
			    ph->arch) == NULL) {
				err_set("%s: no file for %s (%s) needed by "
				    "host %s; run kbfix fetch with this plan",
				    e->o.bundle_dir, a->kb,
				    ph->arch ? ph->arch : "any arch", ph->name);
				return -1;
			}
		}
	}
	return 0;
}

static const char *const terminal[] = {
	"done", "failed", "blocked", "drifted", "manual", "rolled-back",
	"rollback-failed", NULL
};

static int
is_terminal(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && terminal[i] != NULL; i++)
		if (strcmp(s, terminal[i]) == 0)
			return 1;
	return 0;
}

/*
 * The hosts this run works on.  rollback: those whose journal holds a
 * prior state (they may have changed something), in any end state but
 * rolled-back.  apply and resume: the plan's hosts (in --limit) that
 * have not reached an end state; with --retry-failed also failed,
 * rolled-back and rollback-failed ones (their first capture stands);
 * a host failed while its reboot was in flight (it did not come back in
 * time) is always looked at again: it may be back.
 */
static int
want_host(struct engine *e, const struct plan_host *ph)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&e->rp, ph->name);
	if (e->rollback_run) {
		if (e->o.only_host && strcmp(e->o.only_host, ph->name) != 0)
			return 0;
		return jh != NULL && jh->npriors > 0 &&
		    strcmp(jh->state, "rolled-back") != 0;
	}
	if (!needs_run(ph) || plan_transport_manual(ph->transport) ||
	    !run_limit_has(e, ph->name))
		return 0;
	if (e->o.check)
		return 1;
	if (jh == NULL || !is_terminal(jh->state))
		return 1;
	if (e->o.retry_failed && failed_state(jh->state))
		return 1;
	return strcmp(jh->state, "failed") == 0 && jh->reboot_boot != NULL;
}

static void
hosts_build(struct engine *e)
{
	struct deploy_slot *slots;
	int *wave;
	size_t i, n = 0;

	e->h = xcalloc(e->plan->nhosts + 1, sizeof(*e->h));
	for (i = 0; i < e->plan->nhosts; i++) {
		if (!want_host(e, &e->plan->hosts[i]))
			continue;
		e->h[n].e = e;
		e->h[n].ph = &e->plan->hosts[i];
		e->h[n].mode = e->rollback_run ? HOST_UNDO : HOST_APPLY;
		n++;
	}
	e->nh = n;
	slots = xcalloc(n + 1, sizeof(*slots));
	wave = xcalloc(n + 1, sizeof(*wave));
	for (i = 0; i < n; i++) {
		slots[i].name = e->h[i].ph->name;
		slots[i].group = e->h[i].ph->group;
		slots[i].plan_wave = e->rollback_run || e->o.check ? 0 :
		    e->h[i].ph->wave;
	}
	/* rollback and --check: every host in one wave, no canary */
	if (e->rollback_run || e->o.check)
		e->nwaves = deploy_waves(slots, n, 0, (int)n + 1, wave);
	else
		e->nwaves = deploy_waves(slots, n, e->o.canary, e->o.parallel,
		    wave);
	for (i = 0; i < n; i++)
		e->h[i].wave = wave[i];
	/* labels: the canary wave 0, then plan wave numbers, else counted */
	e->labels = xcalloc((size_t)e->nwaves + 1, sizeof(*e->labels));
	for (i = 0; i < (size_t)e->nwaves; i++)
		e->labels[i] = -1;
	for (i = 0; i < n; i++) {
		if (wave[i] == 0 && !e->rollback_run && !e->o.check &&
		    e->o.canary > 0)
			e->labels[0] = 0;
		else if (e->labels[wave[i]] == -1 && slots[i].plan_wave > 0)
			e->labels[wave[i]] = slots[i].plan_wave;
	}
	for (i = 0; i < (size_t)e->nwaves; i++)
		if (e->labels[i] == -1)
			e->labels[i] = (i > 0 ? e->labels[i - 1] : 0) + 1;
	free(slots);
	free(wave);
}

static int
manual_runbooks(struct engine *e)
{
	const struct plan_host *ph;
	const struct rollback_host *jh;
	size_t i;

	for (i = 0; i < e->plan->nhosts && !e->rollback_run; i++) {
		ph = &e->plan->hosts[i];
		if (!needs_run(ph) || !plan_transport_manual(ph->transport))
			continue;
		if (runbook_write(e, ph) == -1)
			return -1;
		/* once: a state imported from the runbook's result stands */
		jh = rollback_replay_host(&e->rp, ph->name);
		if (jh == NULL)
			journal_state(e, ph->name, "manual", "runbook written: "
			    "run it on the host as Administrator, then 'kbfix "
			    "status RUN_DIR --import <host>-result.txt'");
	}
	return e->fatal ? -1 : 0;
}

/* Each plan host's run in this run, or NULL (one pass, not a scan of the
 * runs per plan host). */
static struct host_run **
run_hosts(const struct engine *e)
{
	struct host_run **run = xcalloc(e->plan->nhosts + 1, sizeof(*run));
	size_t i;

	for (i = 0; i < e->nh; i++)
		run[e->h[i].ph - e->plan->hosts] = &e->h[i];
	return run;
}

static void
result_count(struct engine *e, struct deploy_result *res,
    const char *state)
{
	if (strcmp(state, e->rollback_run ? "rolled-back" : "done") == 0)
		res->ndone++;
	else if (strcmp(state, "manual") == 0)
		res->nmanual++;
	else if (strcmp(state, "rolled-back") == 0)
		res->nrolledback++;
	else if (strcmp(state, "interrupted") == 0)
		res->ninterrupted++;
	else if (failed_state(state))
		res->nfailed++;
	else
		res->nother++;
}

/* --check: the hosts as read, from memory (no journal). */
static void
check_fill(struct engine *e, struct deploy_result *res)
{
	struct deploy_hostres *r;
	struct host_run *h;
	size_t i;

	res->hosts = xcalloc(e->nh + 1, sizeof(*res->hosts));
	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		r = &res->hosts[res->nhosts++];
		r->name = xstrdup(h->ph->name);
		r->state = xstrdup(h->life == HOST_ENDED ? h->endstate :
		    "interrupted");
		r->step = xstrdup(host_step_name(h));
		r->error = h->error ? xstrdup(h->error) : NULL;
		r->check = h->check ? xstrdup(h->check) : NULL;
		r->wave = -1;
		if (strcmp(r->state, "checked") == 0)
			res->nchecked++;
		else if (strcmp(r->state, "failed") == 0)
			res->nfailed++;
		else if (strcmp(r->state, "interrupted") == 0)
			res->ninterrupted++;
		else
			res->nother++;
	}
}

static void
result_fill(struct engine *e, struct deploy_result *res)
{
	struct rollback_log log;
	struct rollback_replay rp;
	const struct rollback_host *jh;
	const struct plan_host *ph;
	struct deploy_hostres *r;
	struct host_run **run, *h;
	size_t i;

	if (e->o.check) {
		check_fill(e, res);
		return;
	}
	if (rollback_log_read(e->o.run_dir, &log) == -1)
		return;
	rollback_replay(&log, &rp);
	run = run_hosts(e);
	res->hosts = xcalloc(e->plan->nhosts + 1, sizeof(*res->hosts));
	for (i = 0; i < e->plan->nhosts; i++) {
		ph = &e->plan->hosts[i];
		h = run[i];
		jh = rollback_replay_host(&rp, ph->name);
		if (jh == NULL || (e->rollback_run && h == NULL))
			continue;
		r = &res->hosts[res->nhosts++];
		r->name = xstrdup(ph->name);
		if (e->rollback_run && h->life != HOST_ENDED) {
			/* not undone: its journal state is left as it was */
			r->state = xstrdup(h->life == HOST_SKIPPED ?
			    h->endstate : "interrupted");
			r->step = xstrdup("-");
			r->error = h->error ? xstrdup(h->error) : NULL;
		} else {
			r->state = xstrdup(jh->state);
			r->step = xstrdup(jh->inflight ? jh->inflight :
			    jh->step ? jh->step : "-");
			r->error = jh->error ? xstrdup(jh->error) : NULL;
		}
		r->wave = h != NULL ? e->labels[h->wave] : -1;
		result_count(e, res, r->state);
	}
	free(run);
	if (!e->rollback_run && run_retry_write(e, &rp) == -1 &&
	    e->stop_reason == NULL)
		e->stop_reason = xstrdup(err_msg());
	rollback_replay_release(&rp);
	rollback_log_release(&log);
}

static void
engine_release(struct engine *e)
{
	size_t i;
	struct host_run *h;

	for (i = 0; i < e->nh; i++) {
		h = &e->h[i];
		rollback_priors_release(&h->priors);
		free(h->boot_before); free(h->boot_clock);
		free(h->identity);
		free(h->error); free(h->first_error); free(h->kept);
		free(h->check);
	}
	free(e->h);
	host_leases_release(e);
	free(e->intent_host);
	free(e->window_abs);
	free(e->labels);
	if (e->lockfd > 0)
		close(e->lockfd);
	transport_free(e->tp);
	rollback_journal_close(e->j);
	rollback_replay_release(&e->rp);
	rollback_log_release(&e->log);
	bundle_release(&e->bundle);
	plan_free(e->plan);
	deploy_grouplock_release(&e->groups);
	free(e->stop_reason);
	for (i = 0; i < e->nlimit; i++)
		free(e->limit[i]);
	free(e->limit);
	free(e->plan_source);
}

static void
opts_defaults(struct deploy_opts *o)
{
	if (o->parallel <= 0)
		o->parallel = 32;
	if (o->canary < 0)
		o->canary = 1;
	if (o->reboot_timeout_s <= 0)
		o->reboot_timeout_s = 600;
	if (o->reboot_delay_s < 0)
		o->reboot_delay_s = 5;
}

/*
 * Plan, window and bundle: what the operator gave.  A failure here is
 * bad input (e->bad_input, exit 2).
 */
static int
engine_input(struct engine *e)
{
	int64_t now = eng_now();

	e->bad_input = 1;
	e->plan = plan_read(e->o.plan_path);
	if (e->plan == NULL)
		return -1;
	/* rollback runs now: only a window the operator gives binds it */
	if (e->o.window == NULL && !e->rollback_run && !e->o.check &&
	    e->plan->window_start != NULL && time_parse_iso8601(e->plan->window_start, &e->win_start) == 0)
		e->win_dur = e->plan->window_duration_s;
	if (e->o.window != NULL && !e->o.check) {
		if (plan_window_parse(e->o.window, now, &e->win_start,
		    &e->win_dur) == -1)
			return -1;
		/* run.json keeps instants: a resume never re-anchors now/6s */
		e->window_abs = deploy_window_abs(e->win_start, e->win_dur);
		e->o.window = e->window_abs;
	}
	if (!e->rollback_run && e->o.bundle_dir != NULL &&
	    bundle_read(e->o.bundle_dir, &e->bundle) == -1)
		return -1;
	if (validate(e) == -1 || run_limit_load(e) == -1)
		return -1;
	if (e->rollback_run && e->o.only_host != NULL &&
	    plan_host_find(e->plan, e->o.only_host) == NULL) {
		err_set("host %s is not in the plan of %s", e->o.only_host,
		    e->o.run_dir);
		return -1;
	}
	e->bad_input = 0;
	return 0;
}

static int engine_transport(struct engine *);

static int
engine_setup(struct engine *e, int fresh)
{
	int prep = 0;

	if (e->o.check)
		return engine_input(e) == -1 ? -1 : engine_transport(e);

	/* the lock first: nothing in the run directory is written (run.json,
	 * plan.json, the journal) while another kbfix may own it */
	if (engine_input(e) == -1 || run_lock(e) == -1 ||
	    (fresh && (prep = run_dir_prepare(e)) == -1))
		return -1;
	if (prep == 1) {
		/* apply --limit of the same plan: the named hosts go on,
		 * failed ones too */
		fresh = 0;
		e->o.retry_failed = 1;
	}
	if (!fresh && rollback_log_read(e->o.run_dir, &e->log) == -1) {
		e->bad_input = 1;
		return -1;
	}
	if (!fresh && !e->rollback_run && prep == 0 && e->o.save_opts &&
	    run_json_update(e) == -1)
		return -1;
	rollback_replay(&e->log, &e->rp);
	e->j = rollback_journal_open(e->o.run_dir);
	if (e->j == NULL)
		return -1;
	return engine_transport(e);
}

static int
engine_transport(struct engine *e)
{
	struct transport_opts to;

	memset(&to, 0, sizeof(to));
	to.known_hosts = e->o.known_hosts;
	to.accept_new = e->o.accept_new;
	to.key_file = e->o.key_file;
	to.user = e->o.user;
	to.parallel = e->o.parallel;
	to.connect_timeout_ms = e->o.connect_timeout_ms;
	to.command_timeout_ms = e->o.command_timeout_ms;
	e->tp = transport_new(&to);
	return e->tp == NULL ? -1 : 0;
}

static int
engine_run(struct engine *e, const char *op, deploy_progress_cb *cb,
    void *arg, struct deploy_result *res)
{
	struct rollback_rec r;
	size_t i;
	int rc = -1;

	e->progress = cb;
	e->parg = arg;
	rollback_rec_init(&r);
	r.ev = RB_EV_BEGIN;
	r.op = op;
	r.intent = e->rollback_run ? "rollback" : "apply";
	r.host = e->rollback_run ? e->o.only_host : NULL;
	if (eng_journal(e, &r) == -1 || (!e->o.check &&
	    manual_runbooks(e) == -1))
		goto out;
	hosts_build(e);
	/* the plan's budgets first: group names point into the plan */
	for (i = 0; i < e->plan->ngroups; i++)
		deploy_group_budget(&e->groups, e->plan->groups[i].name,
		    e->plan->groups[i].max_unavailable);
	host_leases_take(e);
	stop_flag = 0;
	e->wave = 0;
	if (e->nwaves > 0) {
		transport_timer(e->tp, TICK_MS, tick, e);
		fill(e);
		if (transport_run(e->tp) == -1)
			goto out;
	}
	if (e->fatal) {
		err_set("%s", e->stop_reason);
		goto out;
	}
	rollback_rec_init(&r);
	r.ev = RB_EV_END;
	r.op = op;
	r.error = e->stop_reason;
	if (eng_journal(e, &r) == -1)
		goto out;
	rc = 0;
out:
	result_fill(e, res);
	res->stopped = e->stopping;
	res->stop_reason = e->stop_reason ? xstrdup(e->stop_reason) : NULL;
	return rc;
}

/*
 * resume continues what the journal says the last run was doing: an
 * apply, or a rollback (with its --host), never the reverse.
 */
static void
resume_intent(struct engine *e)
{
	struct rollback_log log;
	struct rollback_replay rp;

	if (rollback_log_read(e->o.run_dir, &log) == -1)
		return;		/* engine_setup() reports it */
	rollback_replay(&log, &rp);
	if (rp.intent != NULL && strcmp(rp.intent, "rollback") == 0) {
		e->rollback_run = 1;
		e->o.window = NULL;
		e->intent_host = rp.intent_host ? xstrdup(rp.intent_host) :
		    NULL;
		e->o.only_host = e->intent_host;
	}
	rollback_replay_release(&rp);
	rollback_log_release(&log);
}

int
deploy_apply(const struct deploy_opts *o, int resume,
    deploy_progress_cb *cb, void *arg, struct deploy_result *res)
{
	struct engine e;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	e.o = *o;
	opts_defaults(&e.o);
	if (resume)
		resume_intent(&e);
	rc = engine_setup(&e, !resume);
	if (rc == 0)
		rc = engine_run(&e, resume ? "resume" : "apply", cb, arg, res);
	res->bad_input = e.bad_input;
	engine_release(&e);
	return rc;
}

int
deploy_rollback(const struct deploy_opts *o, deploy_progress_cb *cb,
    void *arg, struct deploy_result *res)
{
	struct engine e;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	e.o = *o;
	opts_defaults(&e.o);
	e.rollback_run = 1;
	rc = engine_setup(&e, 0);
	if (rc == 0)
		rc = engine_run(&e, "rollback", cb, arg, res);
	res->bad_input = e.bad_input;
	engine_release(&e);
	return rc;
}

void
deploy_result_release(struct deploy_result *res)
{
	size_t i;

	for (i = 0; i < res->nhosts; i++) {
		free(res->hosts[i].name); free(res->hosts[i].state);
		free(res->hosts[i].step); free(res->hosts[i].error);
		free(res->hosts[i].check);
	}
	free(res->hosts);
	free(res->stop_reason);
	memset(res, 0, sizeof(*res));
}

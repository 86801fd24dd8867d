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

void
eng_progress(struct engine *e, struct host_run *cur)
{
	struct deploy_progress p;
	size_t i;

	if (e->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.wave = e->wave;
	p.nwaves = e->nwaves;
	for (i = 0; i < e->nh; i++) {
		if (e->h[i].wave != e->wave)
			continue;
		p.total++;
		if (e->h[i].life == HOST_QUEUED)
			continue;
		if (e->h[i].life == HOST_RUNNING)
			p.running++;
		else if (strcmp(e->h[i].endstate, "done") == 0)
			p.done++;
		else
			p.failed++;
	}
	if (cur != NULL) {
		p.host = cur->ph->name;
		p.step = host_step_name(cur);
	}
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

/* A host that ends without starting: not-started, deferred. */
static void
host_skip(struct engine *e, struct host_run *h, const char *state,
    const char *error)
{
	journal_state(e, h->ph->name, state, error);
	h->life = HOST_SKIPPED;
	h->endstate = state;
}

static int
failed_state(const char *s)
{
	return s != NULL && (strcmp(s, "failed") == 0 ||
	    strcmp(s, "rolled-back") == 0 ||
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
	} else if (deploy_max_fail_exceeded(bad, fin, e->o.max_fail_pct) &&
	    !e->stopping) {
		e->stopping = 1;
		e->stop_reason = xasprintf("run stopped: %zu of %zu hosts "
		    "failed (--max-fail %d%%)", bad, fin, e->o.max_fail_pct);
	}
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
	eng_progress(e, h);
	fill(e);
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
		if (e->window_wait && e->running == 0) {
			e->window_wait = 0;
			finish_run(e);
			return;
		}
	}
	eng_progress(e, NULL);
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
	"done", "failed", "drifted", "manual", "rolled-back",
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
	if (!needs_run(ph) || plan_transport_manual(ph->transport))
		return 0;
	return jh == NULL || !is_terminal(jh->state);
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
		slots[i].plan_wave = e->rollback_run ? 0 : e->h[i].ph->wave;
	}
	e->nwaves = deploy_waves(slots, n, e->rollback_run ? 0 : e->o.canary,
	    e->rollback_run ? (int)n + 1 : e->o.parallel, wave);
	for (i = 0; i < n; i++)
		e->h[i].wave = wave[i];
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
		jh = rollback_replay_host(&e->rp, ph->name);
		if (jh == NULL || strcmp(jh->state, "manual") != 0)
			journal_state(e, ph->name, "manual", "runbook written: "
			    "run it on the host, then its -rollback.cmd to "
			    "undo");
	}
	return e->fatal ? -1 : 0;
}

/* Each plan host's run wave: -2 not started in this run (one pass, not
 * a scan of the runs per plan host). */
static int *
run_waves(const struct engine *e)
{
	int *wave = xreallocarray(NULL, e->plan->nhosts + 1, sizeof(*wave));
	size_t i;

	for (i = 0; i < e->plan->nhosts; i++)
		wave[i] = -2;
	for (i = 0; i < e->nh; i++)
		wave[e->h[i].ph - e->plan->hosts] = e->h[i].wave;
	return wave;
}

static void
result_count(struct engine *e, struct deploy_result *res,
    const char *state)
{
	if (strcmp(state, e->rollback_run ? "rolled-back" : "done") == 0 ||
	    strcmp(state, "manual") == 0)
		res->ndone++;
	else if (failed_state(state))
		res->nfailed++;
	else
		res->nother++;
}

static void
result_fill(struct engine *e, struct deploy_result *res)
{
	struct rollback_log log;
	struct rollback_replay rp;
	const struct rollback_host *jh;
	const struct plan_host *ph;
	struct deploy_hostres *r;
	int *wave;
	size_t i;

	if (rollback_log_read(e->o.run_dir, &log) == -1)
		return;
	rollback_replay(&log, &rp);
	wave = run_waves(e);
	res->hosts = xcalloc(e->plan->nhosts + 1, sizeof(*res->hosts));
	for (i = 0; i < e->plan->nhosts; i++) {
		ph = &e->plan->hosts[i];
		jh = rollback_replay_host(&rp, ph->name);
		if (jh == NULL || (e->rollback_run && wave[i] == -2))
			continue;
		r = &res->hosts[res->nhosts++];
		r->name = xstrdup(ph->name);
		r->state = xstrdup(jh->state);
		r->step = xstrdup(jh->inflight ? jh->inflight :
		    jh->step ? jh->step : "-");
		r->error = jh->error ? xstrdup(jh->error) : NULL;
		r->wave = wave[i] != -2 ? wave[i] :
		    plan_transport_manual(ph->transport) ? -1 : 0;
		result_count(e, res, r->state);
	}
	free(wave);
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
		free(h->boot_before); free(h->identity);
		free(h->error); free(h->first_error); free(h->kept);
	}
	free(e->h);
	host_leases_release(e);
	free(e->intent_host);
	free(e->window_abs);
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
	if (e->o.window == NULL && e->plan->window_start != NULL &&
	    time_parse_iso8601(e->plan->window_start, &e->win_start) == 0)
		e->win_dur = e->plan->window_duration_s;
	if (e->o.window != NULL) {
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
	if (validate(e) == -1)
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

static int
engine_setup(struct engine *e, int fresh)
{
	struct transport_opts to;

	/* the lock first: nothing in the run directory is written (run.json,
	 * plan.json, the journal) while another kbfix may own it */
	if (engine_input(e) == -1 || run_lock(e) == -1 ||
	    (fresh && run_dir_prepare(e) == -1))
		return -1;
	if (!fresh && rollback_log_read(e->o.run_dir, &e->log) == -1) {
		e->bad_input = 1;
		return -1;
	}
	rollback_replay(&e->log, &e->rp);
	e->j = rollback_journal_open(e->o.run_dir);
	if (e->j == NULL)
		return -1;
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
	int rc = -1;

	e->progress = cb;
	e->parg = arg;
	rollback_rec_init(&r);
	r.ev = RB_EV_BEGIN;
	r.op = op;
	r.intent = e->rollback_run ? "rollback" : "apply";
	r.host = e->rollback_run ? e->o.only_host : NULL;
	if (eng_journal(e, &r) == -1 || manual_runbooks(e) == -1)
		goto out;
	hosts_build(e);
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
	e.o.window = NULL;
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
	}
	free(res->hosts);
	free(res->stop_reason);
	memset(res, 0, sizeof(*res));
}

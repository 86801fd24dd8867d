/*
 * The per-host state machine: one function per step, each starting with a
 * look at the host's actual state so that repeating it (resume after a
 * crash) is safe.  Every remote change is journaled before (intent) and
 * after (done or fail).  Commands are built with transport_cmdline() from
 * values plan_read() validated.  This file holds what every step uses
 * (dispatch, end states, journal and command helpers) and connect; the
 * other steps live in host_*.c by group.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

static void step_run(struct hostrun *);

/* Journal. */

int
host_jwrite(struct hostrun *h, enum rollback_ev ev, struct rollback_rec *r)
{
	r->ev = ev;
	r->host = h->ph->name;
	if (r->step == NULL && ev != RB_EV_PRIOR && ev != RB_EV_STATE)
		r->step = deploy_step_name(h->step);
	return eng_journal(h->e, r);
}

int
host_jsimple(struct hostrun *h, enum rollback_ev ev, int action)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = action;
	return host_jwrite(h, ev, &r);
}

/* End states. */

void
host_end(struct hostrun *h, const char *state)
{
	struct rollback_rec r;

	if (h->finished)
		return;
	h->endstate = state;
	rollback_rec_init(&r);
	r.state = state;
	r.error = h->first_error ? h->first_error : h->error;
	host_jwrite(h, RB_EV_STATE, &r);
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

void
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
	host_jwrite(h, RB_EV_FAIL, &r);
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

void
host_hx(struct hostrun *h, const char *const argv[], kont *k)
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

void
host_hx2(struct hostrun *h, const char *const a[], const char *const b[],
    kont *k)
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

char *
host_res_text(const struct transport_result *res)
{
	return wo_text(res->out, res->out_len);
}

char *
host_exit_text(enum winexit_tool tool, uint32_t code)
{
	struct buf b;

	buf_init(&b, 256);
	winexit_describe(&b, tool, code);
	return buf_detach(&b, NULL);
}

int
host_pkg_present(const struct transport_result *res, const char *kb,
    char **identity, int *pending)
{
	char *t = host_res_text(res), *state = NULL, *id = NULL;
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

/*
 * dism prints its result as "Error: 0x800f081e" too; where the exit status
 * reached us cut to 8 bits (an sshd on a POSIX host), the printed code is
 * the full one.
 */
uint32_t
host_dism_code(const struct transport_result *res)
{
	char *t = host_res_text(res), *p, *end;
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

/* Actions. */

const struct plan_action *
host_act(struct hostrun *h, size_t i)
{
	return &h->ph->actions[i];
}

char *
host_reg_target_data(const struct plan_action *a)
{
	if (a->data_str != NULL)
		return xstrdup(a->data_str);
	return xasprintf("%u", a->data_num);
}

/* reg query prints REG_DWORD as 0x1: compare numerically. */
int
host_reg_equal(const char *type, const char *qdata, const char *want)
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

/* Whether the answer to a workaround's query (reg query, netsh show)
 * shows the value as planned: type and data, or the multicast state.
 * netsh exit codes are unreliable, so its output alone decides. */
int
host_value_as_planned(const struct plan_action *a,
    const struct transport_result *res)
{
	char *t = host_res_text(res), *type = NULL, *data = NULL, *want;
	int ok, mc = -1;

	if (a->kind == ACTION_REGISTRY) {
		want = host_reg_target_data(a);
		ok = res->exit_status == 0 &&
		    wo_reg_value(t, a->value, &type, &data) == 0 &&
		    strcmp(type, a->type) == 0 &&
		    host_reg_equal(type, data, want);
		free(want);
	} else
		ok = wo_multicast(t, &mc) == 0 && mc == a->enabled;
	free(t);
	free(type);
	free(data);
	return ok;
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
	host_jsimple(h, RB_EV_DONE, -1);
	host_step(h, h->rollback ? STEP_RB_REMOVE : STEP_PREFLIGHT);
}

static void
step_connect(struct hostrun *h)
{
	const struct plan_host *ph = h->ph;

	/* not a change: marks when the host started (status, durations) */
	if (host_jsimple(h, RB_EV_INTENT, -1) == -1)
		return;
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    on_connect, h);
	if (h->conn == NULL)
		host_fail(h, 1, "%s", err_msg());
}

/* ------------------------------------------------------------------ */

static void
step_run(struct hostrun *h)
{
	switch (h->step) {
	case STEP_CONNECT:
	case STEP_RB_CONNECT:	step_connect(h); break;
	case STEP_PREFLIGHT:	host_step_preflight(h); break;
	case STEP_CAPTURE:	host_step_capture(h); break;
	case STEP_WORKAROUND:	host_step_workaround(h); break;
	case STEP_UPLOAD:	host_step_upload(h); break;
	case STEP_INSTALL:	host_step_install(h); break;
	case STEP_REBOOT:
	case STEP_RB_REBOOT:	host_step_reboot(h); break;
	case STEP_WAIT:
	case STEP_RB_WAIT:	host_step_wait(h); break;
	case STEP_VERIFY:	host_step_verify(h); break;
	case STEP_CLEANUP:	host_step_cleanup(h); break;
	case STEP_RB_REMOVE:	host_step_rb_remove(h); break;
	case STEP_RB_REGISTRY:
	case STEP_RB_MULTICAST:	host_step_rb_restore(h); break;
	case STEP_RB_VERIFY:	host_step_rb_verify(h); break;
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
	host_priors_load(h, jh);
	if (h->rollback) {
		host_step(h, STEP_RB_CONNECT);
		return;
	}
	host_step(h, STEP_CONNECT);
}

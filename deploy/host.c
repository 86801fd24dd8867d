/*
 * The per-host state machine: the table of steps, the dispatcher and what
 * every step uses (journal, commands, end states, reconnects).  The steps
 * themselves live in host_prep.c (connect, preflight, capture),
 * host_change.c (workaround, upload, install), host_reboot.c (reboot,
 * wait), host_verify.c (verify, cleanup) and host_undo.c (remove,
 * restore, verify back); docs/DEVELOPERS.md follows one host through.
 *
 * A step is one command: host_goto() or host_continue() calls its
 * function with res NULL, the function sends the command, and the answer
 * comes back to the same function (the step field says which).  Each step
 * first reads the host's actual state, so a step repeated after a lost
 * connection or a crash changes nothing twice.  Every remote change is
 * journaled before (intent) and after (done or fail).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "deploy/deploy_int.h"

/*
 * name: what the journal, status and progress call the step; several
 * steps of one group share it.  first: the step its group starts with,
 * where a reconnect after a drop starts over (the group reads first).
 */
static const struct host_step_def {
	const char		*name;
	host_step_fn		*run;
	enum host_step		 first;
} steps[STEP_N] = {
	[STEP_CONNECT] =	{ "connect", host_connect, STEP_CONNECT },
	[STEP_PREFLIGHT] =	{ "preflight", host_preflight, STEP_PREFLIGHT },
	[STEP_PREFLIGHT_DISK] =	{ "preflight", host_preflight_disk,
				  STEP_PREFLIGHT },
	[STEP_CAPTURE] =	{ "capture", host_capture, STEP_CAPTURE },
	[STEP_WORKAROUND] =	{ "workaround", host_workaround,
				  STEP_WORKAROUND },
	[STEP_WORKAROUND_SET] =	{ "workaround", host_workaround_set,
				  STEP_WORKAROUND },
	[STEP_WORKAROUND_GPO] =	{ "workaround", host_workaround_gpo,
				  STEP_WORKAROUND },
	[STEP_UPLOAD] =		{ "upload", host_upload, STEP_UPLOAD },
	[STEP_UPLOAD_MKDIR] =	{ "upload", host_upload_mkdir, STEP_UPLOAD },
	[STEP_UPLOAD_SEND] =	{ "upload", host_upload_send, STEP_UPLOAD },
	[STEP_INSTALL] =	{ "install", host_install, STEP_INSTALL },
	[STEP_INSTALL_EXPAND] =	{ "install", host_install_expand,
				  STEP_INSTALL },
	[STEP_INSTALL_ADD] =	{ "install", host_install_add, STEP_INSTALL },
	[STEP_INSTALL_CONFIRM] = { "install", host_install_confirm,
				  STEP_INSTALL },
	[STEP_REBOOT] =		{ "reboot", host_reboot, STEP_REBOOT },
	[STEP_REBOOT_ISSUE] =	{ "reboot", host_reboot_issue, STEP_REBOOT },
	[STEP_REBOOT_RETRY] =	{ "reboot", host_reboot_retry, STEP_REBOOT },
	[STEP_WAIT] =		{ "wait", host_wait, STEP_WAIT },
	[STEP_VERIFY] =		{ "verify", host_verify, STEP_VERIFY },
	[STEP_VERIFY_TCPIP] =	{ "verify", host_verify_tcpip, STEP_VERIFY },
	[STEP_CLEANUP] =	{ "cleanup", host_cleanup, STEP_CLEANUP },
	[STEP_DONE] =		{ "done", NULL, STEP_DONE },
	[STEP_RB_CONNECT] =	{ "rb-connect", host_connect, STEP_RB_CONNECT },
	[STEP_RB_REMOVE] =	{ "rb-remove", host_undo_remove,
				  STEP_RB_REMOVE },
	[STEP_RB_REMOVE_DISM] =	{ "rb-remove", host_undo_remove_dism,
				  STEP_RB_REMOVE },
	[STEP_RB_REMOVE_CONFIRM] = { "rb-remove", host_undo_remove_confirm,
				  STEP_RB_REMOVE },
	[STEP_RB_REGISTRY] =	{ "rb-registry", host_undo_restore,
				  STEP_RB_REGISTRY },
	[STEP_RB_REGISTRY_SET] = { "rb-registry", host_undo_restore_set,
				  STEP_RB_REGISTRY },
	[STEP_RB_MULTICAST] =	{ "rb-multicast", host_undo_restore,
				  STEP_RB_REGISTRY },
	[STEP_RB_MULTICAST_SET] = { "rb-multicast", host_undo_restore_set,
				  STEP_RB_REGISTRY },
	[STEP_RB_REBOOT] =	{ "rb-reboot", host_reboot, STEP_RB_REBOOT },
	[STEP_RB_REBOOT_ISSUE] = { "rb-reboot", host_reboot_issue,
				  STEP_RB_REBOOT },
	[STEP_RB_REBOOT_RETRY] = { "rb-reboot", host_reboot_retry,
				  STEP_RB_REBOOT },
	[STEP_RB_WAIT] =	{ "rb-wait", host_wait, STEP_RB_WAIT },
	[STEP_RB_VERIFY] =	{ "rb-verify", host_undo_verify,
				  STEP_RB_VERIFY },
	[STEP_RB_DONE] =	{ "rb-done", NULL, STEP_RB_DONE },
};

const char *
host_step_name(const struct host_run *h)
{
	return h->step < STEP_N ? steps[h->step].name : "?";
}

/* The dispatcher. */

static void
step_enter(struct host_run *h, enum host_step s)
{
	h->step = s;
	if (steps[s].run == NULL) {
		host_end(h, h->mode == HOST_UNDO ? "rolled-back" : "done");
		return;
	}
	steps[s].run(h, NULL);
}

/*
 * A new group of steps, from its first action.  The group boundary is the
 * safe point where a stop (signal, fatal journal error) takes effect; a
 * host waiting for its reboot stops in the wait step.
 */
void
host_goto(struct host_run *h, enum host_step s)
{
	if (h->e->fatal || h->life == HOST_ENDED)
		return;
	h->step = s;
	h->action = 0;
	if (h->e->stopping && s != STEP_WAIT && s != STEP_RB_WAIT) {
		host_end(h, "interrupted");
		return;
	}
	h->step_ms = time_now_ms();
	eng_progress(h->e, DEPLOY_PEV_STEP, h);
	step_enter(h, s);
}

/* The next step of the same group, at the same action. */
void
host_continue(struct host_run *h, enum host_step s)
{
	if (h->e->fatal || h->life == HOST_ENDED)
		return;
	step_enter(h, s);
}

/* The group's first step again, at the next action. */
void
host_next_action(struct host_run *h)
{
	h->action++;
	host_continue(h, steps[h->step].first);
}

void
host_start(struct host_run *h)
{
	const struct rollback_host *jh;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	h->life = HOST_RUNNING;
	rollback_priors_load(&h->priors, jh);
	h->captured = jh != NULL && rollback_host_done(jh, "capture");
	if (jh != NULL && jh->identity != NULL)
		h->identity = xstrdup(jh->identity);
	h->reboot_owed = jh != NULL && jh->reboot_needed;
	/* an apply that was undoing this host goes on undoing it */
	if (h->mode == HOST_APPLY && jh != NULL && jh->undoing) {
		h->mode = HOST_UNDO;
		h->first_error = jh->error ? xstrdup(jh->error) : NULL;
	}
	host_lease_adopt(h);
	host_goto(h, h->mode == HOST_UNDO ? STEP_RB_CONNECT : STEP_CONNECT);
}

/* Journal. */

int
host_journal(struct host_run *h, enum rollback_ev ev, struct rollback_rec *r)
{
	r->ev = ev;
	r->host = h->ph->name;
	if (r->step == NULL && ev != RB_EV_PRIOR && ev != RB_EV_STATE)
		r->step = host_step_name(h);
	return eng_journal(h->e, r);
}

int
host_journal_ev(struct host_run *h, enum rollback_ev ev, int action)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = action;
	return host_journal(h, ev, &r);
}

/* End states. */

void
host_end(struct host_run *h, const char *state)
{
	struct rollback_rec r;

	if (h->life == HOST_ENDED)
		return;
	h->endstate = state;
	rollback_rec_init(&r);
	r.state = state;
	/* a done host keeps no error of a step retried on the way */
	r.error = h->first_error ? h->first_error :
	    strcmp(state, "done") == 0 ? NULL : h->error;
	host_journal(h, RB_EV_STATE, &r);
	host_release(h);
	h->life = HOST_ENDED;
	eng_host_finished(h);
}

void
host_release(struct host_run *h)
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
set_error(struct host_run *h, const char *fmt, va_list ap)
{
	struct buf b;
	const char *name = h->ph->name;
	size_t n = strlen(name);
	char *msg;

	buf_init(&b, 4096);
	buf_vaddf(&b, fmt, ap);
	msg = buf_detach(&b, NULL);
	free(h->error);
	/* transport's messages name the host already: once is enough */
	if (strncmp(msg, name, n) == 0 && strncmp(msg + n, ": ", 2) == 0) {
		h->error = msg;
		return;
	}
	h->error = xasprintf("%s: %s", name, msg);
	free(msg);
}

static void
retry_connected(struct transport_conn *c, int ok, const char *error,
    void *arg)
{
	struct host_run *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	host_goto(h, steps[h->step].first);
}

static void
retry_timer(void *arg)
{
	struct host_run *h = arg;
	const struct plan_host *ph = h->ph;

	if (h->e->fatal || h->life == HOST_ENDED)
		return;
	h->conn = transport_connect(h->e->tp, ph->name,
	    ph->address ? ph->address : ph->name, ph->port, ph->user,
	    retry_connected, h);
	if (h->conn == NULL)
		host_fail(h, 1, "%s", err_msg());
}

/*
 * A connection lost in the middle of a step: reconnect and start its
 * group again, which reads the host's actual state first.  A lost
 * connection right after shutdown /r is the reboot itself.
 */
static int
host_retry(struct host_run *h)
{
	enum host_step g = steps[h->step].first;

	if (h->e->stopping || g == STEP_CONNECT || g == STEP_RB_CONNECT ||
	    g == STEP_WAIT || g == STEP_RB_WAIT)
		return 0;
	transport_close(h->conn);
	h->conn = NULL;
	if ((g == STEP_REBOOT || g == STEP_RB_REBOOT) &&
	    h->reboot == REBOOT_ISSUED) {
		host_goto(h, g == STEP_REBOOT ? STEP_WAIT : STEP_RB_WAIT);
		return 1;
	}
	if (h->retries >= 2)
		return 0;
	h->retries++;
	transport_timer(h->e->tp, 500, retry_timer, h);
	return 1;
}

void
host_fail(struct host_run *h, int transport_err, const char *fmt, ...)
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
	host_journal(h, RB_EV_FAIL, &r);
	if (h->mode == HOST_UNDO) {
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
		h->mode = HOST_UNDO;
		host_goto(h, STEP_RB_REMOVE);
		return;
	}
	host_end(h, "failed");
}

void
host_block(struct host_run *h, const char *fmt, ...)
{
	struct rollback_rec r;
	va_list ap;

	va_start(ap, fmt);
	set_error(h, fmt, ap);
	va_end(ap);
	rollback_rec_init(&r);
	r.error = h->error;
	host_journal(h, RB_EV_FAIL, &r);
	host_end(h, "blocked");
}

/* Commands: the answer goes to the function of the host's step. */

static void
exec_cb(struct transport_conn *c, const struct transport_result *res,
    void *arg)
{
	struct host_run *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (res->failed) {
		host_fail(h, 1, "%s", res->error);
		return;
	}
	steps[h->step].run(h, res);
}

void
host_send_line(struct host_run *h, struct buf *line)
{
	if (line->failed || transport_exec(h->conn, buf_str(line), exec_cb,
	    h) == -1)
		host_fail(h, 1, "%s", err_msg());
}

void
host_send(struct host_run *h, const char *const argv[])
{
	struct buf line;

	buf_init(&line, 8192);
	if (transport_cmdline(&line, argv) == -1)
		host_fail(h, 0, "%s", err_msg());
	else
		host_send_line(h, &line);
	buf_release(&line);
}

/* A line deploy/cmdline.c built (rc its return): send it, or fail. */
void
host_send_built(struct host_run *h, int rc, struct buf *line)
{
	if (rc == -1)
		host_fail(h, 0, "%s", err_msg());
	else
		host_send_line(h, line);
	buf_release(line);
}

/* Two commands in one round trip: a change and the read that checks it. */
void
host_send2(struct host_run *h, const char *const a[], const char *const b[])
{
	struct buf line;

	buf_init(&line, 8192);
	if (transport_cmdline(&line, a) == -1 ||
	    transport_cmdline_join(&line, b) == -1)
		host_fail(h, 0, "%s", err_msg());
	else
		host_send_line(h, &line);
	buf_release(&line);
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
	transport_winexit_describe(&b, tool, code);
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

/* "0x800f081e" at p: its value, or -1. */
static int
hex_code(const char *p, uint32_t *v)
{
	int n = 0, d;

	if (strncasecmp(p, "0x", 2) != 0)
		return parse_u32(p, v);
	*v = 0;
	for (p += 2; isxdigit((unsigned char)*p) && n < 8; p++, n++) {
		d = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		*v = *v << 4 | (uint32_t)d;
	}
	return n > 0 && !isxdigit((unsigned char)*p) ? 0 : -1;
}

/*
 * dism prints its result as "Error: 0x800f081e" too; where the exit status
 * reached us cut to 8 bits (an sshd on a POSIX host), the printed code is
 * the full one.
 */
uint32_t
host_dism_code(const struct transport_result *res)
{
	char *t = host_res_text(res), *p, *tok;
	uint32_t v, code = res->exit_status;

	p = code != 0 ? strstr(t, "Error: ") : NULL;
	if (p != NULL) {
		tok = xstrndup(p + 7, strcspn(p + 7, " \t\r\n"));
		if (hex_code(tok, &v) == 0 && (v & 0xff) == (code & 0xff))
			code = v;
		free(tok);
	}
	free(t);
	return code;
}

/* Actions. */

const struct plan_action *
host_action(const struct host_run *h)
{
	return &h->ph->actions[h->action];
}

char *
host_reg_target_data(const struct plan_action *a)
{
	if (a->data_str != NULL)
		return xstrdup(a->data_str);
	return xasprintf("%u", a->data_num);
}

/* The thing an action changes, as rollback/ reads and restores it. */
static void
action_thing(const struct plan_action *a, struct rollback_prior *p)
{
	memset(p, 0, sizeof(*p));
	p->kind = a->kind == ACTION_REGISTRY ? RB_KIND_REGISTRY :
	    a->kind == ACTION_MULTICAST ? RB_KIND_MULTICAST : RB_KIND_PACKAGE;
	p->key = a->key;
	p->value = a->value;
	p->family = a->family;
	p->kb = a->kb;
}

/* The read of a workaround's value (reg query, netsh show global). */
void
host_value_query(struct host_run *h, const struct plan_action *a)
{
	struct rollback_prior p;
	struct buf line;

	action_thing(a, &p);
	buf_init(&line, 8192);
	if (rollback_prior_query(&p, &line) == -1)
		host_fail(h, 0, "%s", err_msg());
	else
		host_send_line(h, &line);
	buf_release(&line);
}

/* Whether the answer to a workaround's query shows the value as planned:
 * type and data, or the multicast state.  netsh exit codes are
 * unreliable, so its output alone decides. */
int
host_value_as_planned(const struct plan_action *a,
    const struct transport_result *res)
{
	struct rollback_prior now;
	char *want;
	int ok;

	action_thing(a, &now);
	if (rollback_prior_read(&now, res) == -1)
		return 0;
	if (a->kind == ACTION_REGISTRY) {
		want = host_reg_target_data(a);
		ok = now.existed && strcmp(now.type, a->type) == 0 &&
		    rollback_reg_equal(now.type, now.data, want);
		free(want);
		free(now.type);
		free(now.data);
		return ok;
	}
	return now.enabled == a->enabled;
}

/* apply --check. */

static void
check_registry(struct buf *b, const struct plan_action *a,
    const struct rollback_prior *p)
{
	char *want = host_reg_target_data(a);

	buf_addf(b, "  registry %s\\%s: ", a->key, a->value);
	if (p->existed && strcmp(p->type, a->type) == 0 &&
	    rollback_reg_equal(p->type, p->data, want))
		buf_addf(b, "%s %s, as planned already\n", p->type, p->data);
	else if (p->existed)
		buf_addf(b, "%s %s -> %s %s\n", p->type, p->data, a->type,
		    want);
	else
		buf_addf(b, "absent -> %s %s\n", a->type, want);
	free(want);
}

/*
 * The package apply would install: the identity dism will list, read from
 * the package's update.mum at fetch (manifest.json package_identity), then
 * the .cab and the file it comes from.  A bundle without the identity (no
 * update.mum in the package) is checked for the KB's Package_for_<KB>
 * (host_pkg_want()).
 */
static void
check_install(struct buf *b, const struct plan_action *a,
    const struct bundle_file *f)
{
	const char *id = f && f->src ? f->src->package_identity : NULL;

	buf_addf(b, "  package %s: install ", a->kb);
	if (id != NULL)
		buf_addf(b, "%s (", id);
	buf_addf(b, "%s from %s", f && f->package_cab ? f->package_cab : "?",
	    f ? f->name : "?");
	if (id != NULL)
		buf_adds(b, ")\n");
	else
		buf_addf(b, "; identity unknown (no package_identity in the "
		    "bundle), dism is checked for Package_for_%s\n", a->kb);
}

/*
 * What apply would change on the host, from the capture's reads: each
 * workaround's value now and as planned, each package (its identity when
 * the host has it), the reboot; a host that drifted from the plan never
 * gets here (preflight ends it "drifted" with the reason).
 */
void
host_check_report(struct host_run *h)
{
	const struct plan_host *ph = h->ph;
	const struct plan_action *a;
	const struct rollback_prior *p;
	struct buf b;
	size_t i, k = 0;
	int install = 0, reboot;

	buf_init(&b, 1 << 20);
	for (i = 0; i < ph->nactions; i++) {
		a = &ph->actions[i];
		if (a->kind != ACTION_REGISTRY && a->kind != ACTION_MULTICAST &&
		    a->kind != ACTION_INSTALL)
			continue;
		if (k >= h->priors.n)
			break;
		p = &h->priors.p[k++];
		if (a->kind == ACTION_REGISTRY) {
			check_registry(&b, a, p);
		} else if (a->kind == ACTION_MULTICAST) {
			buf_addf(&b, "  multicast forwarding (%s): %s -> %s%s\n",
			    a->family, p->enabled ? "enabled" : "disabled",
			    a->enabled ? "enabled" : "disabled",
			    p->enabled == a->enabled ? " (as planned already)"
			    : "");
		} else if (p->installed) {
			buf_addf(&b, "  package %s: installed already as %s "
			    "(the plan expected to install it: drift)\n", a->kb,
			    p->identity ? p->identity : "?");
		} else {
			install = 1;
			check_install(&b, a, bundle_find(&h->e->bundle, a->kb,
			    ph->name, ph->arch));
		}
	}
	reboot = plan_host_has(ph, ACTION_REBOOT);
	buf_addf(&b, "  reboot: %s\n", install && reboot ?
	    "yes, after the install (planned)" : reboot ?
	    "no (nothing to install)" : "no (not planned)");
	free(h->check);
	h->check = buf_detach(&b, NULL);
	host_end(h, "checked");
}

/*
 * The undo steps on the host machine: remove what kbfix installed,
 * restore registry values and multicast forwarding (newest change first),
 * reboot (host_reboot.c), check everything is back.  What to undo, the
 * command lines and the judgement of the answers are rollback/'s
 * (rollback/undo.c); these steps send them and journal around them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

static struct rollback_prior *
prior(struct host_run *h)
{
	return &h->priors.p[h->action];
}

/* Moves h->action to the next prior to undo whose kind is (or, with
 * not, is not) a package; 0 when none is left. */
static int
seek(struct host_run *h, int package)
{
	const struct rollback_prior *p;

	for (; h->action < h->priors.n; h->action++) {
		p = &h->priors.p[h->action];
		if (rollback_prior_undoable(p) &&
		    (p->kind == RB_KIND_PACKAGE) == package)
			return 1;
	}
	return 0;
}

static void
send_query(struct host_run *h, const struct rollback_prior *p)
{
	struct buf line;

	buf_init(&line, 8192);
	if (rollback_prior_query(p, &line) == -1)
		host_fail(h, 0, "%s", err_msg());
	else
		host_send_line(h, &line);
	buf_release(&line);
}

/* Each package kbfix installed, if still there. */
void
host_undo_remove(struct host_run *h, const struct transport_result *res)
{
	struct rollback_prior *p;
	char *id = NULL;
	int pending = 0;

	/* Resume rule: read the installed packages; a gone one is done. */
	if (res == NULL) {
		if (!seek(h, 1))
			host_goto(h, STEP_RB_REGISTRY);
		else
			send_query(h, prior(h));
		return;
	}
	p = prior(h);
	/* by the identity captured (update.mum's), else Package_for_KB */
	if (!host_pkg_present(res, p->identity ? p->identity : p->kb, &id,
	    &pending)) {
		host_next_action(h);
		return;
	}
	free(p->identity);
	p->identity = id;
	host_continue(h, STEP_RB_REMOVE_DISM);
}

void
host_undo_remove_dism(struct host_run *h, const struct transport_result *res)
{
	struct rollback_prior *p = prior(h);
	struct rollback_rec r;
	struct buf line;

	/* host_undo_remove() read the identity installed just before */
	if (res == NULL) {
		rollback_rec_init(&r);
		r.identity = p->identity;
		r.kb = p->kb;
		if (host_journal(h, RB_EV_INTENT, &r) == -1)
			return;
		buf_init(&line, 8192);
		if (rollback_remove_cmd(p->identity, &line) == -1)
			host_fail(h, 0, "%s", err_msg());
		else
			host_send_line(h, &line);
		buf_release(&line);
		return;
	}
	h->dism_exit = host_dism_code(res);
	host_continue(h, STEP_RB_REMOVE_CONFIRM);
}

/* Gone, or Uninstall Pending (a reboot finishes it), is success. */
void
host_undo_remove_confirm(struct host_run *h,
    const struct transport_result *res)
{
	struct rollback_prior *p = prior(h);
	struct rollback_rec r;
	char *state = NULL, *why;
	int reboot = 0;

	/* Resume rule: read the installed packages. */
	if (res == NULL) {
		send_query(h, p);
		return;
	}
	if (!rollback_package_gone(p, res, &reboot, &state)) {
		why = host_exit_text(WINEXIT_DISM, h->dism_exit);
		host_fail(h, 0, "%s is still %s: dism /remove-package exited %s",
		    p->kb, state, why);
		free(why);
		free(state);
		return;
	}
	if (reboot)
		h->reboot_owed = 1;
	rollback_rec_init(&r);
	r.identity = p->identity;
	if (host_journal(h, RB_EV_DONE, &r) == -1)
		return;
	host_next_action(h);
}

/*
 * Registry values and multicast forwarding, newest change first:
 * h->action counts the priors from the last one.
 */
static struct rollback_prior *
restore_prior(struct host_run *h)
{
	const struct rollback_prior *p;

	for (; h->action < h->priors.n; h->action++) {
		p = &h->priors.p[h->priors.n - 1 - h->action];
		if (p->kind == RB_KIND_REGISTRY ||
		    p->kind == RB_KIND_MULTICAST)
			return &h->priors.p[h->priors.n - 1 - h->action];
	}
	return NULL;
}

static const char *
thing_name(const struct rollback_prior *p)
{
	return p->kind == RB_KIND_PACKAGE ? p->kb :
	    p->kind == RB_KIND_REGISTRY ? p->value : "multicast";
}

/* The plan action that set p's thing (what kbfix set), or NULL. */
static const struct plan_action *
set_action(const struct host_run *h, const struct rollback_prior *p)
{
	const struct plan_action *a;
	size_t i;

	for (i = 0; i < h->ph->nactions; i++) {
		a = &h->ph->actions[i];
		if (p->kind == RB_KIND_REGISTRY && a->kind == ACTION_REGISTRY &&
		    plan_regpath_eq(a->key, p->key) &&
		    strcasecmp(a->value, p->value) == 0)
			return a;
		if (p->kind == RB_KIND_MULTICAST &&
		    a->kind == ACTION_MULTICAST &&
		    strcasecmp(a->family, p->family) == 0)
			return a;
	}
	return NULL;
}

/*
 * Someone changed the thing since kbfix set it: it is left as it is
 * (unless --force), and the host ends rollback-failed naming the value
 * before kbfix, the one kbfix set and the one now.
 */
static void
keep_changed(struct host_run *h, struct rollback_prior *p,
    const struct plan_action *a, const struct transport_result *res)
{
	struct rollback_prior now;
	struct buf b;
	char *set;

	memset(&now, 0, sizeof(now));
	now.kind = p->kind;
	now.key = p->key;
	now.value = p->value;
	now.family = p->family;
	buf_init(&b, 4096);
	buf_addf(&b, "%s was changed since kbfix set it: before kbfix ",
	    thing_name(p));
	rollback_prior_describe(p, &b);
	if (a->kind == ACTION_REGISTRY) {
		/* as reg query prints it, as the other two are */
		set = a->data_str ? xstrdup(a->data_str) :
		    xasprintf("0x%x", a->data_num);
		buf_addf(&b, ", kbfix set %s %s, now ", a->type, set);
		free(set);
	} else
		buf_addf(&b, ", kbfix set %s, now ", a->enabled ? "enabled" :
		    "disabled");
	if (rollback_prior_read(&now, res) == 0)
		rollback_prior_describe(&now, &b);
	else
		buf_adds(&b, "unreadable");
	buf_adds(&b, "; left as it is ('kbfix rollback --force' restores "
	    "it)");
	p->kept = 1;
	if (h->kept == NULL)
		h->kept = buf_detach(&b, NULL);
	buf_release(&b);
	free(now.type);
	free(now.data);
}

void
host_undo_restore(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a;
	struct rollback_prior *p = restore_prior(h);

	/* Resume rule: read the value; one already as before is left. */
	if (res == NULL) {
		if (p == NULL) {
			host_goto(h, STEP_RB_REBOOT);
			return;
		}
		/* the journal names the kind restored */
		h->step = p->kind == RB_KIND_REGISTRY ? STEP_RB_REGISTRY :
		    STEP_RB_MULTICAST;
		send_query(h, p);
		return;
	}
	if (rollback_prior_holds(p, res)) {
		host_next_action(h);
		return;
	}
	/* Resume rule: only what kbfix set is put back (or --force) */
	a = set_action(h, p);
	if (a != NULL && !h->e->o.force && !host_value_as_planned(a, res)) {
		keep_changed(h, p, a, res);
		host_next_action(h);
		return;
	}
	if (host_journal_ev(h, RB_EV_INTENT, -1) == -1)
		return;
	host_continue(h, h->step == STEP_RB_REGISTRY ? STEP_RB_REGISTRY_SET :
	    STEP_RB_MULTICAST_SET);
}

void
host_undo_restore_set(struct host_run *h, const struct transport_result *res)
{
	struct rollback_prior *p = restore_prior(h);
	struct buf line;

	/* host_undo_restore() read the value just before: set, read back */
	if (res == NULL) {
		buf_init(&line, 8192);
		if (rollback_restore_cmd(p, &line) == -1)
			host_fail(h, 0, "%s", err_msg());
		else
			host_send_line(h, &line);
		buf_release(&line);
		return;
	}
	if (!rollback_prior_holds(p, res)) {
		host_fail(h, 0, "restoring %s did not take effect",
		    p->kind == RB_KIND_REGISTRY ? p->value : "multicast");
		return;
	}
	if (host_journal_ev(h, RB_EV_DONE, -1) == -1)
		return;
	host_next_action(h);
}

/* After the reboot: each thing undone is as before the run. */
void
host_undo_verify(struct host_run *h, const struct transport_result *res)
{
	/* Resume rule: read each thing from the host. */
	if (res == NULL) {
		while (h->action < h->priors.n &&
		    (!rollback_prior_undoable(prior(h)) || prior(h)->kept))
			h->action++;
		if (h->action == h->priors.n && h->kept != NULL) {
			host_fail(h, 0, "%s", h->kept);
			return;
		}
		if (h->action == h->priors.n) {
			host_journal_ev(h, RB_EV_DONE, -1);
			host_goto(h, STEP_CLEANUP);
		} else
			send_query(h, prior(h));
		return;
	}
	if (!rollback_prior_holds(prior(h), res)) {
		host_fail(h, 0, "rollback verify: %s is not back to its prior "
		    "state", thing_name(prior(h)));
		return;
	}
	host_next_action(h);
}

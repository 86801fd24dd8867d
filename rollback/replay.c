/*
 * Replay: fold the journal into where each host stands, and print it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rollback/rollback.h"
#include "util/util.h"

/* The slot holding name, or the empty slot where it would go. */
static size_t *
slot_find(const struct rollback_replay *rp, const char *name)
{
	size_t i = (size_t)str_hash(STR_HASH_INIT, name) & (rp->nslots - 1);

	while (rp->slots[i] != 0 &&
	    strcmp(rp->hosts[rp->slots[i] - 1].name, name) != 0)
		i = (i + 1) & (rp->nslots - 1);
	return &rp->slots[i];
}

/* At most half full: probes stay short. */
static void
slots_grow(struct rollback_replay *rp)
{
	size_t i;

	free(rp->slots);
	rp->nslots = rp->nslots ? rp->nslots * 2 : 64;
	rp->slots = xcalloc(rp->nslots, sizeof(*rp->slots));
	for (i = 0; i < rp->nhosts; i++)
		*slot_find(rp, rp->hosts[i].name) = i + 1;
}

static struct rollback_host *
host_get(struct rollback_replay *rp, const char *name)
{
	struct rollback_host *h;
	size_t *slot;

	if (2 * (rp->nhosts + 1) > rp->nslots)
		slots_grow(rp);
	slot = slot_find(rp, name);
	if (*slot != 0)
		return &rp->hosts[*slot - 1];
	if (rp->nhosts == rp->cap) {
		rp->cap = rp->cap ? rp->cap * 2 : 16;
		rp->hosts = xreallocarray(rp->hosts, rp->cap, sizeof(*h));
	}
	h = &rp->hosts[rp->nhosts];
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->state = "pending";
	*slot = ++rp->nhosts;
	return h;
}

static int
is_reboot(const char *step)
{
	return step != NULL && (strcmp(step, "reboot") == 0 ||
	    strcmp(step, "rb-reboot") == 0);
}

/* Which way the host was going: an undo step (rb-*), or the plan;
 * cleanup ends both. */
static void
host_way(struct rollback_host *h, const char *step)
{
	if (step != NULL && strcmp(step, "cleanup") != 0)
		h->undoing = strncmp(step, "rb-", 3) == 0;
}

static void
host_done(struct rollback_host *h, const struct rollback_rec *r)
{
	if (r->step == NULL)
		return;
	h->step = r->step;
	if (h->inflight != NULL && strcmp(h->inflight, r->step) == 0)
		h->inflight = NULL;
	h->done = xreallocarray(h->done, h->ndone + 1, sizeof(*h->done));
	h->done[h->ndone++] = r->step;
	if (strcmp(r->step, "install") == 0) {
		h->installed = 1;
		if (r->identity != NULL)
			h->identity = r->identity;
		if (r->state != NULL && strcmp(r->state, "reboot-required") == 0)
			h->reboot_needed = 1;
	} else if (is_reboot(r->step)) {
		h->rebooted = 1;
		h->reboot_needed = 0;
		h->reboot_boot = h->reboot_clock = NULL;
		h->lease_group = NULL;
		h->lease_boot = h->lease_clock = NULL;
	}
}

static void
host_rec(struct rollback_host *h, const struct rollback_rec *r)
{
	switch (r->ev) {
	case RB_EV_LEASE:
		/* seen up after a reboot the run no longer waited for */
		h->lease_group = NULL;
		h->lease_boot = h->lease_clock = NULL;
		break;
	case RB_EV_INTENT:
		host_way(h, r->step);
		h->state = "running";
		/* a connect changes nothing: it marks when the host started,
		 * and a resumed host past it is not "in" it */
		if (r->step == NULL || (strcmp(r->step, "connect") != 0 &&
		    strcmp(r->step, "rb-connect") != 0))
			h->inflight = r->step;
		if (r->step != NULL && strcmp(r->step, "install") == 0)
			h->install_started = 1;
		if (is_reboot(r->step) && r->boot != NULL) {
			h->reboot_boot = r->boot;
			h->reboot_step = r->step;
			h->reboot_ms = r->at_ms;
			/* the second intent, once shutdown /r answered, has
			 * the host's clock; a first one starts afresh */
			h->reboot_clock = r->clock;
			/* the group is this host's until it is seen up */
			h->lease_group = r->group;
			h->lease_boot = r->group ? r->boot : NULL;
			h->lease_clock = r->group ? r->clock : NULL;
		}
		break;
	case RB_EV_DONE:
		h->state = "running";
		host_way(h, r->step);
		host_done(h, r);
		break;
	case RB_EV_FAIL:
		/* a reboot refused never went out: its group is free */
		if (is_reboot(r->step))
			h->lease_group = h->lease_boot =
			    h->lease_clock = NULL;
		h->inflight = NULL;
		h->error = r->error;
		break;
	case RB_EV_PRIOR:
		h->priors = xreallocarray(h->priors, h->npriors + 1,
		    sizeof(*h->priors));
		h->priors[h->npriors++] = r;
		break;
	case RB_EV_STATE:
		h->state = r->state ? r->state : "?";
		h->error = r->error;
		/* Undone: a later apply starts from a clean slate. */
		if (r->state && strcmp(r->state, "rolled-back") == 0) {
			h->npriors = h->ndone = 0;
			h->installed = h->reboot_needed = h->rebooted = 0;
			h->install_started = 0;
			h->identity = NULL;
			h->undoing = 0;
		}
		break;
	default:
		break;
	}
}

/* A run ended (or a new one began): hosts it left running were cut off. */
static void
mark_interrupted(struct rollback_replay *rp)
{
	size_t i;

	for (i = 0; i < rp->nhosts; i++)
		if (strcmp(rp->hosts[i].state, "running") == 0)
			rp->hosts[i].state = "interrupted";
}

int
rollback_replay(const struct rollback_log *log, struct rollback_replay *rp)
{
	const struct rollback_rec *r;
	size_t i;

	memset(rp, 0, sizeof(*rp));
	for (i = 0; i < log->nrecs; i++) {
		r = &log->recs[i];
		if (r->ev == RB_EV_BEGIN) {
			if (rp->open_run)
				mark_interrupted(rp);
			rp->open_run = 1;
			rp->last_op = r->op;
			if (r->intent != NULL || (r->op != NULL &&
			    strcmp(r->op, "resume") != 0)) {
				rp->intent = r->intent ? r->intent : r->op;
				rp->intent_host = r->host;
			}
		} else if (r->ev == RB_EV_END) {
			mark_interrupted(rp);
			rp->open_run = 0;
		} else if (r->host != NULL) {
			host_rec(host_get(rp, r->host), r);
		}
	}
	return 0;
}

void
rollback_replay_release(struct rollback_replay *rp)
{
	size_t i;

	for (i = 0; i < rp->nhosts; i++) {
		free(rp->hosts[i].priors);
		free(rp->hosts[i].done);
	}
	free(rp->hosts);
	free(rp->slots);
	memset(rp, 0, sizeof(*rp));
}

const struct rollback_host *
rollback_replay_host(const struct rollback_replay *rp, const char *name)
{
	size_t slot;

	if (rp->nslots == 0)
		return NULL;
	slot = *slot_find(rp, name);
	return slot != 0 ? &rp->hosts[slot - 1] : NULL;
}

int
rollback_host_done(const struct rollback_host *h, const char *step)
{
	size_t i;

	for (i = 0; h != NULL && i < h->ndone; i++)
		if (strcmp(h->done[i], step) == 0)
			return 1;
	return 0;
}

/*
 * What an apply that stopped half-way (deferred by the window's close,
 * interrupted, failed) left of a host's work, in b; nothing for a host
 * that ended, was undoing, or had not changed anything yet.  Known from
 * the journal alone once the install is done: the reboot it owes, the
 * verify, the cleanup; before that, the step it stopped after.
 */
static void
host_left(const struct rollback_host *h, struct buf *b)
{
	static const char *const order[] = { "capture", "workaround",
	    "upload", "install", "reboot", "verify", "cleanup", NULL };
	const char *last = NULL;
	size_t i;

	if (h->undoing || strcmp(h->state, "done") == 0 ||
	    strcmp(h->state, "rolled-back") == 0 ||
	    strcmp(h->state, "rollback-failed") == 0 ||
	    strcmp(h->state, "drifted") == 0)
		return;
	for (i = 0; order[i] != NULL; i++)
		if (rollback_host_done(h, order[i]))
			last = order[i];
	if (last == NULL || strcmp(last, "cleanup") == 0)
		return;
	if (strcmp(last, "install") == 0 || strcmp(last, "reboot") == 0 ||
	    strcmp(last, "verify") == 0)
		buf_addf(b, "%s%s%s", h->reboot_needed ? "reboot, " : "",
		    strcmp(last, "verify") != 0 ? "verify, " : "", "cleanup");
	else
		buf_addf(b, "what follows %s", last);
}

int
rollback_status_text(const struct rollback_replay *rp, struct buf *b)
{
	const struct rollback_host *h;
	struct buf left;
	size_t i;

	buf_init(&left, 256);
	buf_addf(b, "%-24s %-16s %-12s %s\n", "HOST", "STATE", "STEP",
	    "ERROR");
	for (i = 0; i < rp->nhosts; i++) {
		h = &rp->hosts[i];
		buf_addf(b, "%-24s %-16s %-12s ", h->name, h->state,
		    h->inflight ? h->inflight : h->step ? h->step : "-");
		/* an error may quote a host's output: no escape sequences */
		buf_add_term(b, h->error ? h->error : "");
		buf_reset(&left);
		host_left(h, &left);
		if (left.len > 0)
			buf_addf(b, "%sleft: %s", h->error ? "; " : "",
			    buf_str(&left));
		buf_addc(b, '\n');
	}
	if (rp->open_run)
		buf_addf(b, "(the last %s run did not finish: a crash, or it "
		    "is still running; 'kbfix resume' continues it)\n",
		    rp->last_op ? rp->last_op : "");
	buf_release(&left);
	return b->failed ? -1 : 0;
}

static void
json_field(struct buf *b, const char *name, const char *v, int comma)
{
	buf_addf(b, "%s\"%s\": ", comma ? ", " : "", name);
	if (v == NULL)
		buf_adds(b, "null");
	else
		buf_add_json_str(b, v);
}

int
rollback_status_json(const struct rollback_replay *rp, const char *run_dir,
    struct buf *b)
{
	const struct rollback_host *h;
	struct buf left;
	size_t i;

	buf_init(&left, 256);
	buf_adds(b, "{\"format\": \"kbfix-status/1\", ");
	json_field(b, "run_dir", run_dir, 0);
	buf_addf(b, ", \"finished\": %s, \"hosts\": [",
	    rp->open_run ? "false" : "true");
	for (i = 0; i < rp->nhosts; i++) {
		h = &rp->hosts[i];
		buf_adds(b, i ? ",\n  {" : "\n  {");
		json_field(b, "name", h->name, 0);
		json_field(b, "state", h->state, 1);
		json_field(b, "step", h->step, 1);
		json_field(b, "inflight", h->inflight, 1);
		json_field(b, "error", h->error, 1);
		json_field(b, "package_identity", h->identity, 1);
		buf_reset(&left);
		host_left(h, &left);
		json_field(b, "left", left.len ? buf_str(&left) : NULL, 1);
		buf_addf(b, ", \"rebooted\": %s, \"priors\": %zu}",
		    h->rebooted ? "true" : "false", h->npriors);
	}
	buf_adds(b, "\n]}\n");
	buf_release(&left);
	return b->failed ? -1 : 0;
}

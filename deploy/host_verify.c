/*
 * Verify and cleanup: after the reboot every planned change is checked on
 * the host (package installed, tcpip.sys new enough, values as planned);
 * cleanup ends both apply and undo.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

static int
verified_kind(const struct plan_action *a)
{
	return a->kind == ACTION_INSTALL || a->kind == ACTION_REGISTRY ||
	    a->kind == ACTION_MULTICAST;
}

static void
verify_package(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a = host_action(h);
	char *t = host_res_text(res), *id = NULL, *state = NULL;
	int ok = wo_dism_package(t, host_pkg_want(h), &id, &state) == 0 &&
	    strcasecmp(state, "Installed") == 0;

	free(t);
	if (!ok)
		host_fail(h, 0, "verify: %s (%s) is %s", a->kb,
		    host_pkg_want(h), state && *state ? state : "not installed");
	else if (a->tcpip_min != NULL)
		host_continue(h, STEP_VERIFY_TCPIP);
	else
		host_next_action(h);
	free(id);
	free(state);
}

void
host_verify(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a;

	/* Resume rule: read each planned thing from the host. */
	if (res == NULL) {
		while (h->action < h->ph->nactions &&
		    !verified_kind(host_action(h)))
			h->action++;
		if (h->action == h->ph->nactions) {
			host_journal_ev(h, RB_EV_DONE, -1);
			host_goto(h, STEP_CLEANUP);
		} else if (host_action(h)->kind == ACTION_INSTALL)
			HOST_SEND_CMD(h, DEPLOY_CMD_PACKAGES);
		else
			host_value_query(h, host_action(h));
		return;
	}
	a = host_action(h);
	if (a->kind == ACTION_INSTALL) {
		verify_package(h, res);
		return;
	}
	if (!host_value_as_planned(a, res)) {
		host_fail(h, 0, "verify: %s is not as planned",
		    a->kind == ACTION_REGISTRY ? a->value :
		    "multicast forwarding");
		return;
	}
	host_next_action(h);
}

/* The fix's tcpip.sys version at least the advisory's. */
void
host_verify_tcpip(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a = host_action(h);
	char *t, *v = NULL;

	/* Resume rule: read the file version. */
	if (res == NULL) {
		HOST_SEND_CMD(h, DEPLOY_CMD_TCPIP);
		return;
	}
	t = host_res_text(res);
	if (wo_wmic_missing(res))
		host_fail(h, 0, "%s", WO_NO_WMIC);
	else if (wo_value(t, "Version", &v) == -1)
		host_fail(h, 0, "cannot read the tcpip.sys version");
	else if (plan_version_cmp(v, a->tcpip_min) < 0)
		host_fail(h, 0, "verify: tcpip.sys is %s, %s needs %s", v,
		    a->kb, a->tcpip_min);
	else
		host_next_action(h);
	free(v);
	free(t);
}

void
host_cleanup(struct host_run *h, const struct transport_result *res)
{
	/* rmdir of a folder that is gone: nothing to undo, nothing read */
	if (res == NULL) {
		HOST_SEND_CMD(h, DEPLOY_CMD_CLEANUP);
		return;
	}
	/* exit 2: nothing was uploaded */
	host_journal_ev(h, RB_EV_DONE, -1);
	host_end(h, h->mode == HOST_UNDO ? "rolled-back" : "done");
}

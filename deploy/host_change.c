/*
 * Workaround, upload and install: the steps that change the host.  Each
 * group looks first (value already set, package already present) so that
 * a resumed run changes nothing twice, and journals its intent before the
 * change.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog.h"
#include "deploy/deploy_int.h"

/* Moves h->action to the next action of kind a or b; 0 when none is left. */
static int
seek(struct host_run *h, enum plan_action_kind a, enum plan_action_kind b)
{
	for (; h->action < h->ph->nactions; h->action++)
		if (host_action(h)->kind == a || host_action(h)->kind == b)
			return 1;
	return 0;
}

/*
 * A value a Group Policy Preferences item may write back (the advisory's
 * group_policy) is checked after a Group Policy refresh, on a resumed
 * run too (the value as planned before the refresh proves nothing).
 */
static void
gpo_or_next(struct host_run *h)
{
	if (host_action(h)->kind == ACTION_REGISTRY &&
	    host_action(h)->group_policy != NULL)
		host_continue(h, STEP_WORKAROUND_GPO);
	else
		host_next_action(h);
}

/* Registry values and multicast forwarding: read each, set what differs. */
void
host_workaround(struct host_run *h, const struct transport_result *res)
{
	/* Resume rule: read the value; one already as planned is left. */
	if (res == NULL) {
		if (!seek(h, ACTION_REGISTRY, ACTION_MULTICAST))
			host_goto(h, STEP_UPLOAD);
		else
			host_value_query(h, host_action(h));
		return;
	}
	if (host_value_as_planned(host_action(h), res)) {
		gpo_or_next(h);
		return;
	}
	if (host_journal_ev(h, RB_EV_INTENT, (int)h->action) == -1)
		return;
	host_continue(h, STEP_WORKAROUND_SET);
}

void
host_workaround_set(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a = host_action(h);
	struct buf line;

	/* host_workaround() read the value just before: set it, read back */
	if (res == NULL) {
		buf_init(&line, 8192);
		host_send_built(h, deploy_cmd_workaround_set(a, &line), &line);
		return;
	}
	if (!host_value_as_planned(a, res)) {
		host_fail(h, 0, "%s did not take effect",
		    a->kind == ACTION_REGISTRY ? a->value :
		    "multicastforwarding");
		return;
	}
	if (host_journal_ev(h, RB_EV_DONE, (int)h->action) == -1)
		return;
	gpo_or_next(h);
}

/*
 * gpupdate's /wait inside the command timeout (transport's default 600
 * s), so that the value is read even when a refresh takes minutes: past
 * its wait gpupdate returns and the refresh goes on in the background.
 */
static int
gpupdate_wait(const struct host_run *h)
{
	int t = h->e->o.command_timeout_ms > 0 ?
	    h->e->o.command_timeout_ms / 1000 : 600;

	return t > 120 ? t - 60 : t / 2;
}

/*
 * The value after gpupdate /target:computer /force: back to what a Group
 * Policy Preferences item writes, the host is blocked (seed 002 note 2);
 * the change stays journaled, so rollback puts back the value from
 * before kbfix.  A refresh that cannot reach a domain controller leaves
 * the value as set: nothing proves a preference, the run goes on.
 */
void
host_workaround_gpo(struct host_run *h, const struct transport_result *res)
{
	const struct plan_action *a = host_action(h);
	struct rollback_prior now;
	struct buf line;
	char *set;

	if (res == NULL) {
		buf_init(&line, 8192);
		host_send_built(h, deploy_cmd_gpupdate(a, gpupdate_wait(h),
		    &line), &line);
		return;
	}
	if (host_value_as_planned(a, res)) {
		host_next_action(h);
		return;
	}
	memset(&now, 0, sizeof(now));
	now.kind = RB_KIND_REGISTRY;
	now.key = a->key;
	now.value = a->value;
	buf_init(&line, 4096);
	if (rollback_prior_read(&now, res) == 0)
		rollback_prior_describe(&now, &line);
	else
		buf_adds(&line, "unreadable");
	set = host_reg_target_data(a);
	host_block(h, "Group Policy Preferences set %s back: %s after "
	    "gpupdate /target:computer /force (kbfix set %s); %s; then "
	    "kbfix resume --retry-failed (kbfix rollback puts back the "
	    "value from before kbfix)", a->value, buf_str(&line), set,
	    a->group_policy);
	free(set);
	buf_release(&line);
	free(now.type);
	free(now.data);
}

/* Upload and install. */

static const struct bundle_file *
file_of(struct host_run *h)
{
	return bundle_find(&h->e->bundle, host_action(h)->kb, h->ph->name,
	    h->ph->arch);
}

/*
 * What dism lists once the action's package is installed: the identity
 * read from the package's own update.mum at fetch (manifest.json
 * package_identity: a cumulative update or monthly rollup is
 * Package_for_RollupFix, with no KB in its name), else the KB, found as
 * the top-level Package_for_<KB> (never a sub-package).
 */
const char *
host_pkg_want(struct host_run *h)
{
	const struct bundle_file *f = file_of(h);

	if (f != NULL && f->src != NULL && f->src->package_identity != NULL)
		return f->src->package_identity;
	return host_action(h)->kb;
}

/* Each package's file onto the host, unless the package is there. */
void
host_upload(struct host_run *h, const struct transport_result *res)
{
	int pending = 0;

	/* Resume rule: read the installed packages. */
	if (res == NULL) {
		if (!seek(h, ACTION_INSTALL, ACTION_INSTALL))
			host_goto(h, STEP_INSTALL);
		else
			HOST_SEND_CMD(h, DEPLOY_CMD_PACKAGES);
		return;
	}
	if (res->exit_status == 0 && host_pkg_present(res, host_pkg_want(h),
	    NULL, &pending))
		host_next_action(h);
	else
		host_continue(h, STEP_UPLOAD_MKDIR);
}

void
host_upload_mkdir(struct host_run *h, const struct transport_result *res)
{
	/* host_upload() found the package absent just before */
	if (res == NULL) {
		HOST_SEND_CMD(h, DEPLOY_CMD_MKDIR);
		return;
	}
	/* mkdir exits 1 when the folder exists */
	host_continue(h, STEP_UPLOAD_SEND);
}

static void
on_upload(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct host_run *h = arg;
	struct transport_result res;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.out = res.err = "";
	host_upload_send(h, &res);
}

void
host_upload_send(struct host_run *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h);
	char *remote;

	/* the file is checked after its upload (transport reads it back) */
	if (res == NULL) {
		if (bundle_file_unchanged(f) == -1) {
			host_fail(h, 0, "%s", err_msg());
			return;
		}
		remote = xasprintf("%s/%s", REMOTE_SFTP_DIR, f->name);
		if (host_journal_ev(h, RB_EV_INTENT, (int)h->action) == 0 &&
		    transport_upload(h->conn, f->path, remote, on_upload,
		    h) == -1)
			host_fail(h, 1, "%s", err_msg());
		free(remote);
		return;
	}
	if (host_journal_ev(h, RB_EV_DONE, (int)h->action) == -1)
		return;
	host_next_action(h);
}

/* The capture said the package was absent: this run installed it. */
static int
installed_by_us(struct host_run *h, const char *kb)
{
	const struct rollback_host *jh;
	size_t i;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (h->install_recorded || rollback_host_done(jh, "install"))
		return 0;
	for (i = 0; i < h->priors.n; i++)
		if (h->priors.p[i].kind == RB_KIND_PACKAGE &&
		    strcasecmp(h->priors.p[i].kb, kb) == 0)
			return !h->priors.p[i].installed;
	return 0;
}

/* install done, with the identity rollback removes (after a lost
 * connection or a crash between dism and its record too) */
static int
install_record(struct host_run *h)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = (int)h->action;
	r.kb = host_action(h)->kb;
	r.identity = h->identity;
	r.state = h->reboot_owed ? "reboot-required" : "installed";
	h->install_recorded = 1;
	return host_journal(h, RB_EV_DONE, &r);
}

void
host_install(struct host_run *h, const struct transport_result *res)
{
	char *id = NULL;
	int pending = 0;

	/* Resume rule: read the installed packages; one present (by us
	 * before a crash, or before the run) is not installed again. */
	if (res == NULL) {
		if (!seek(h, ACTION_INSTALL, ACTION_INSTALL))
			host_goto(h, STEP_REBOOT);
		else
			HOST_SEND_CMD(h, DEPLOY_CMD_PACKAGES);
		return;
	}
	if (res->exit_status != 0 || !host_pkg_present(res, host_pkg_want(h),
	    &id, &pending)) {
		if (host_journal_ev(h, RB_EV_INTENT, (int)h->action) == 0)
			host_continue(h, STEP_INSTALL_EXPAND);
		return;
	}
	if (pending)
		h->reboot_owed = 1;
	free(h->identity);
	h->identity = id;
	if (installed_by_us(h, host_action(h)->kb) && install_record(h) == -1)
		return;
	host_next_action(h);
}

/* The .msu's package .cab into PLAN_REMOTE_DIR\KB. */
void
host_install_expand(struct host_run *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h);
	struct buf line;

	/* host_install() found the package absent just before */
	if (res == NULL) {
		buf_init(&line, 8192);
		host_send_built(h, deploy_cmd_expand(f->name,
		    host_action(h)->kb, &line), &line);
		return;
	}
	if (res->exit_status != 0) {
		host_fail(h, 0, "expand %s exited %u", f->name,
		    res->exit_status);
		return;
	}
	host_continue(h, STEP_INSTALL_ADD);
}

void
host_install_add(struct host_run *h, const struct transport_result *res)
{
	const struct bundle_file *f;
	struct buf line;
	char *cab;

	/* expand made the .cab just before */
	if (res == NULL) {
		f = file_of(h);
		cab = deploy_cab_name(f->name, f->package_cab);
		buf_init(&line, 8192);
		host_send_built(h, deploy_cmd_dism_add(host_action(h)->kb, cab,
		    &line), &line);
		free(cab);
		return;
	}
	/* the package state decides (host_install_confirm), the code
	 * explains */
	h->dism_exit = host_dism_code(res);
	host_continue(h, STEP_INSTALL_CONFIRM);
}

/*
 * After dism /add-package the package state decides, not the exit code
 * alone: present (Installed, or Install Pending: reboot) is success,
 * absent is a failure explained by the code (FACTS.md section 4: 3010 and
 * 0x00240005 reboot, 0x00240006 already installed, 0x800F081E not
 * applicable, 0x80240016 / 1618 busy).
 */
void
host_install_confirm(struct host_run *h, const struct transport_result *res)
{
	enum winexit_class cls = transport_winexit_classify(WINEXIT_DISM, h->dism_exit);
	const char *kb = host_action(h)->kb;
	char *id = NULL, *why;
	int pending = 0;

	/* Resume rule: read the installed packages. */
	if (res == NULL) {
		HOST_SEND_CMD(h, DEPLOY_CMD_PACKAGES);
		return;
	}
	if (!host_pkg_present(res, host_pkg_want(h), &id, &pending)) {
		why = host_exit_text(WINEXIT_DISM, h->dism_exit);
		if (cls == WINEXIT_NOT_APPLICABLE)
			host_fail(h, 0, "%s is not applicable to this host: dism "
			    "exited %s", kb, why);
		else
			host_fail(h, 0, "%s was not installed: dism /add-package "
			    "exited %s; dism does not list %s", kb, why,
			    host_pkg_want(h));
		free(why);
		return;
	}
	if (pending || cls == WINEXIT_OK_REBOOT || cls == WINEXIT_REBOOTING)
		h->reboot_owed = 1;
	free(h->identity);
	h->identity = id;
	if (install_record(h) == -1)
		return;
	host_next_action(h);
}

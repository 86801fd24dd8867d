/*
 * Workaround, upload and install, the steps that change the host.  Each
 * looks first (value already set, package already present) so that a
 * resumed run changes nothing twice, and journals its intent before.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

/* ------------------------------------------------------------------ */
/* workarounds: registry values and multicast forwarding */

static void work_next(struct hostrun *);

static void
work_verified(struct hostrun *h, const struct transport_result *res)
{
	const struct plan_action *a = host_act(h, h->ai);
	int ok = host_value_as_planned(a, res);

	if (h->sub == 0) {
		/* first look: already as wanted, nothing to change */
		if (ok) {
			h->ai++;
			work_next(h);
			return;
		}
		h->sub = 1;
		if (host_jsimple(h, RB_EV_INTENT, (int)h->ai) == -1)
			return;
		work_next(h);
		return;
	}
	if (!ok) {
		host_fail(h, 0, "%s did not take effect",
		    a->kind == ACTION_REGISTRY ? a->value :
		    "multicastforwarding");
		return;
	}
	host_jsimple(h, RB_EV_DONE, (int)h->ai);
	h->ai++;
	h->sub = 0;
	work_next(h);
}

void
host_work_query(struct hostrun *h, const struct plan_action *a, kont *k)
{
	const char *argv[8];

	if (a->kind == ACTION_REGISTRY) {
		argv[0] = "reg"; argv[1] = "query"; argv[2] = a->key;
		argv[3] = "/v"; argv[4] = a->value; argv[5] = NULL;
	} else {
		argv[0] = "netsh"; argv[1] = "interface"; argv[2] = a->family;
		argv[3] = "show"; argv[4] = "global"; argv[5] = NULL;
	}
	host_hx(h, argv, k);
}

static void
work_set(struct hostrun *h, const struct plan_action *a)
{
	const char *argv[12];
	char *data = host_reg_target_data(a);
	char *mc = xasprintf("multicastforwarding=%s",
	    a->enabled ? "enabled" : "disabled");

	if (a->kind == ACTION_REGISTRY) {
		argv[0] = "reg"; argv[1] = "add"; argv[2] = a->key;
		argv[3] = "/v"; argv[4] = a->value; argv[5] = "/t";
		argv[6] = a->type; argv[7] = "/d"; argv[8] = data;
		argv[9] = "/f"; argv[10] = NULL;	/* /f: else reg prompts */
		host_hx2(h, argv, (const char *const[]){ "reg", "query", a->key,
		    "/v", a->value, NULL }, work_verified);
	} else {
		argv[0] = "netsh"; argv[1] = "interface"; argv[2] = a->family;
		argv[3] = "set"; argv[4] = "global"; argv[5] = mc;
		argv[6] = NULL;
		host_hx2(h, argv, (const char *const[]){ "netsh", "interface",
		    a->family, "show", "global", NULL }, work_verified);
	}
	free(data);
	free(mc);
}

static void
work_next(struct hostrun *h)
{
	const struct plan_action *a;

	for (; h->ai < h->ph->nactions; h->ai++) {
		a = host_act(h, h->ai);
		if (a->kind != ACTION_REGISTRY && a->kind != ACTION_MULTICAST)
			continue;
		if (h->sub == 0)
			host_work_query(h, a, work_verified);
		else
			work_set(h, a);
		return;
	}
	host_step(h, STEP_UPLOAD);
}

void
host_step_workaround(struct hostrun *h)
{
	h->ai = 0;
	h->sub = 0;
	work_next(h);
}

/* ------------------------------------------------------------------ */
/* upload and install */

static const struct bundle_file *
file_of(struct hostrun *h, size_t ai)
{
	return bundle_find(&h->e->bundle, host_act(h, ai)->kb, h->ph->name,
	    h->ph->arch);
}

static int
next_install(struct hostrun *h)
{
	for (; h->ai < h->ph->nactions; h->ai++)
		if (host_act(h, h->ai)->kind == ACTION_INSTALL)
			return 1;
	return 0;
}

static void upload_next(struct hostrun *);

static void
on_upload(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct hostrun *h = arg;

	(void)c;
	if (h->e->fatal)
		return;
	if (!ok) {
		host_fail(h, 1, "%s", error);
		return;
	}
	host_jsimple(h, RB_EV_DONE, (int)h->ai);
	h->uploaded = 1;
	h->ai++;
	upload_next(h);
}

static void
up_mkdir(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *remote;

	(void)res;	/* mkdir exits 1 when the folder exists */
	remote = xasprintf("%s/%s", REMOTE_SFTP_DIR, f->name);
	if (host_jsimple(h, RB_EV_INTENT, (int)h->ai) == 0 &&
	    transport_upload(h->conn, f->path, remote, on_upload, h) == -1)
		host_fail(h, 1, "%s", err_msg());
	free(remote);
}

static void
up_check(struct hostrun *h, const struct transport_result *res)
{
	static const char *const mk[] = { "mkdir", REMOTE_DIR, NULL };
	int pending = 0;

	if (res->exit_status == 0 && host_pkg_present(res,
	    host_act(h, h->ai)->kb, NULL, &pending)) {
		h->ai++;
		upload_next(h);
		return;
	}
	host_hx(h, mk, up_mkdir);
}

static void
upload_next(struct hostrun *h)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	if (!next_install(h)) {
		host_step(h, STEP_INSTALL);
		return;
	}
	host_hx(h, pkgs, up_check);
}

void
host_step_upload(struct hostrun *h)
{
	h->ai = 0;
	upload_next(h);
}

static void install_next(struct hostrun *);

/* The capture said the package was absent: this run installed it. */
static int
installed_by_us(struct hostrun *h, const char *kb)
{
	const struct rollback_host *jh;
	size_t i;

	jh = rollback_replay_host(&h->e->rp, h->ph->name);
	if (h->install_recorded || rollback_host_done(jh, "install"))
		return 0;
	for (i = 0; i < h->npriors; i++)
		if (h->priors[i].kind == RB_KIND_PACKAGE &&
		    strcasecmp(h->priors[i].kb, kb) == 0)
			return !h->priors[i].installed;
	return 0;
}

/* install done, with the identity rollback removes (after a lost
 * connection or a crash between dism and its record too) */
static int
inst_record(struct hostrun *h)
{
	struct rollback_rec r;

	rollback_rec_init(&r);
	r.action = (int)h->ai;
	r.kb = host_act(h, h->ai)->kb;
	r.identity = h->identity;
	r.state = h->reboot_needed ? "reboot-required" : "installed";
	h->install_recorded = 1;
	return host_jwrite(h, RB_EV_DONE, &r);
}

/*
 * After dism /add-package the package state decides, not the exit code
 * alone: present (Installed, or Install Pending: reboot) is success,
 * absent is a failure explained by the code (FACTS.md section 4: 3010 and
 * 0x00240005 reboot, 0x00240006 already installed, 0x800F081E not
 * applicable, 0x80240016 / 1618 busy).
 */
static void
inst_identity(struct hostrun *h, const struct transport_result *res)
{
	enum winexit_class cls = winexit_classify(WINEXIT_DISM, h->dism_exit);
	char *id = NULL, *why;
	int pending = 0;

	if (!host_pkg_present(res, host_act(h, h->ai)->kb, &id, &pending)) {
		why = host_exit_text(WINEXIT_DISM, h->dism_exit);
		if (cls == WINEXIT_NOT_APPLICABLE)
			host_fail(h, 0, "%s is not applicable to this host: dism "
			    "exited %s", host_act(h, h->ai)->kb, why);
		else
			host_fail(h, 0, "%s was not installed: dism /add-package "
			    "exited %s", host_act(h, h->ai)->kb, why);
		free(why);
		return;
	}
	if (pending || cls == WINEXIT_OK_REBOOT || cls == WINEXIT_REBOOTING)
		h->reboot_needed = 1;
	free(h->identity);
	h->identity = id;
	if (inst_record(h) == -1)
		return;
	h->ai++;
	install_next(h);
}

static void
inst_dism(struct hostrun *h, const struct transport_result *res)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	h->dism_exit = host_dism_code(res);
	host_hx(h, pkgs, inst_identity);
}

static char *
cab_name(const struct bundle_file *f)
{
	const char *us;

	if (f->package_cab != NULL)
		return xstrdup(f->package_cab);
	/* windows6.1-kb4345459-x64_<sha1>.msu holds Windows6.1-KB...cab */
	us = strrchr(f->name, '_');
	if (us == NULL)
		us = strrchr(f->name, '.');
	return xasprintf("%.*s.cab", (int)(us - f->name), f->name);
}

static void
inst_expanded(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *cab, *pp;

	if (res->exit_status != 0) {
		host_fail(h, 0, "expand %s exited %u", f->name,
		    res->exit_status);
		return;
	}
	cab = cab_name(f);
	pp = xasprintf("/packagepath:%s\\%s\\%s", REMOTE_DIR,
	    host_act(h, h->ai)->kb, cab);
	host_hx(h, (const char *const[]){ "dism", "/online", "/add-package", pp,
	    "/quiet", "/norestart", NULL }, inst_dism);
	free(pp);
	free(cab);
}

static void
inst_check(struct hostrun *h, const struct transport_result *res)
{
	const struct bundle_file *f = file_of(h, h->ai);
	char *id = NULL, *msu, *dir;
	int pending = 0;

	if (res->exit_status == 0 && host_pkg_present(res,
	    host_act(h, h->ai)->kb, &id, &pending)) {
		/* installed already (by us before a crash, or before) */
		if (pending)
			h->reboot_needed = 1;
		free(h->identity);
		h->identity = id;
		if (installed_by_us(h, host_act(h, h->ai)->kb) &&
		    inst_record(h) == -1)
			return;
		h->ai++;
		install_next(h);
		return;
	}
	if (host_jsimple(h, RB_EV_INTENT, (int)h->ai) == -1)
		return;
	msu = xasprintf("%s\\%s", REMOTE_DIR, f->name);
	dir = xasprintf("%s\\%s", REMOTE_DIR, host_act(h, h->ai)->kb);
	host_hx2(h, (const char *const[]){ "mkdir", dir, NULL },
	    (const char *const[]){ "expand", "-F:*", msu, dir, NULL },
	    inst_expanded);
	free(msu);
	free(dir);
}

static void
install_next(struct hostrun *h)
{
	static const char *const pkgs[] = { "dism", "/online",
	    "/get-packages", NULL };

	if (!next_install(h)) {
		host_step(h, STEP_REBOOT);
		return;
	}
	host_hx(h, pkgs, inst_check);
}

void
host_step_install(struct hostrun *h)
{
	h->ai = 0;
	install_next(h);
}

/*
 * One host's output of discover_commands() into its inventory record.
 * The stream is split at the echoed markers ("==kbfix:NAME==") and each
 * part read by its parser from transport/; the facts go into the record
 * through plan/'s edit functions, which check them as the readers do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover/discover_int.h"

#define SQM	"HKLM\\Software\\Microsoft\\SQMClient\\Windows\\"
#define SQMPOL	"HKLM\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows\\"
#define RAC	"HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC\\"
#define CBS	"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\" \
		"Component Based Servicing\\"
#define WU	"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\" \
		"WindowsUpdate\\Auto Update\\"

struct part {
	const char	*name;
	const char	*p;
	size_t		 len;
};

struct facts {
	struct part	 parts[16];
	size_t		 nparts;
	char		**kbs;		/* installed */
	size_t		 nkbs;
	char		**pending;	/* install or uninstall pending */
	size_t		 npending;
	char		**absent;	/* registry values the host lacks */
	size_t		 nabsent;
	int		 pending_reboot;
};

/* Split decoded text in place at marker lines. */
static void
split(char *text, struct facts *f)
{
	char *line = text, *nl, *end;
	struct part *cur = NULL;

	for (; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			nl++;
		if (strncmp(line, DISCOVER_MARK, strlen(DISCOVER_MARK)) != 0) {
			if (cur != NULL)
				cur->len = (size_t)((nl ? nl : line +
				    strlen(line)) - cur->p);
			continue;
		}
		if (f->nparts == sizeof(f->parts) / sizeof(f->parts[0]))
			break;
		line[nl ? nl - line - 1 : (long)strlen(line)] = '\0';
		line += strlen(DISCOVER_MARK);
		if ((end = strstr(line, "==")) != NULL)
			*end = '\0';
		cur = &f->parts[f->nparts++];
		cur->name = line;
		cur->p = nl ? nl : line + strlen(line);
		cur->len = 0;
	}
}

static const struct part *
part(const struct facts *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nparts; i++)
		if (strcmp(f->parts[i].name, name) == 0)
			return &f->parts[i];
	return NULL;
}

static void
add_unique(char ***v, size_t *n, const char *kb)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], kb) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(kb);
}

static int
do_sysinfo(struct plan_inventory *inv, struct plan_inv_host *h,
    struct facts *f)
{
	const struct part *p = part(f, "systeminfo");
	struct winsysinfo si;
	size_t i;
	int rc;

	if (p == NULL || transport_win_systeminfo_csv(p->p, p->len, &si) == -1) {
		if (p == NULL)
			err_set("no systeminfo output");
		err_prefix("%s: ", h->name);
		return -1;
	}
	rc = plan_inv_host_set(inv, h, "os", si.os_name) == -1 ||
	    plan_inv_host_set(inv, h, "version", si.os_version) == -1 ||
	    (si.arch != NULL && plan_inv_host_set(inv, h, "arch",
	    si.arch) == -1) ? -1 : 0;
	for (i = 0; i < si.nhotfixes; i++)
		add_unique(&f->kbs, &f->nkbs, si.hotfixes[i]);
	transport_winsysinfo_release(&si);
	return rc;
}

static void
do_updates(struct facts *f)
{
	const struct part *p;
	struct dism_list dl;
	char **kbs = NULL;
	size_t n = 0, i;

	if ((p = part(f, "qfe")) != NULL) {
		transport_win_wmic_qfe(p->p, p->len, &kbs, &n);
		for (i = 0; i < n; i++)
			add_unique(&f->kbs, &f->nkbs, kbs[i]);
		strv_free(kbs, n);
	}
	if ((p = part(f, "dism")) == NULL ||
	    transport_win_dism_packages(p->p, p->len, &dl) == -1)
		return;
	for (i = 0; i < dl.n; i++) {
		if (dl.p[i].state == DISM_INSTALL_PENDING ||
		    dl.p[i].state == DISM_UNINSTALL_PENDING) {
			f->pending_reboot = 1;
			add_unique(&f->pending, &f->npending, dl.p[i].kb[0] ?
			    dl.p[i].kb : dl.p[i].identity);
		} else if (dl.p[i].kb[0] != '\0' &&
		    (dl.p[i].state == DISM_INSTALLED ||
		    dl.p[i].state == DISM_SUPERSEDED))
			add_unique(&f->kbs, &f->nkbs, dl.p[i].kb);
	}
	transport_dism_list_release(&dl);
}

/* A registry fact: its number or string, or recorded as absent. */
static int
reg_fact(struct plan_inventory *inv, struct plan_inv_host *h,
    const struct winreg_list *l, const char *path, const char *name,
    struct facts *f)
{
	const struct winreg_value *v = transport_winreg_find(l, name);
	char key[512];

	snprintf(key, sizeof(key), "%s%s", path, name);
	if (v == NULL) {
		add_unique(&f->absent, &f->nabsent, key);
		return plan_inv_host_del_reg(inv, h, key);
	}
	if (v->type != WINREG_DWORD && v->type != WINREG_QWORD)
		return plan_inv_host_set_reg(inv, h, key, 0, v->data);
	/* the inventory holds REG_DWORDs: 32 bits (DESIGN.md "Inventory") */
	if (v->num > UINT32_MAX) {
		err_set("%s: registry: %s: %llu does not fit 32 bits", h->name,
		    key, (unsigned long long)v->num);
		return -1;
	}
	return plan_inv_host_set_reg(inv, h, key, (uint32_t)v->num, NULL);
}

static int
reg_part(const struct facts *f, const char *name, struct winreg_list *l)
{
	const struct part *p = part(f, name);

	memset(l, 0, sizeof(*l));
	if (p == NULL)
		return 0;
	return transport_win_reg_query(p->p, p->len, l);
}

static int
reg_facts(struct plan_inventory *inv, struct plan_inv_host *h,
    struct facts *f, const struct winreg_list *sqm,
    const struct winreg_list *pol, const struct winreg_list *rac)
{
	if (reg_fact(inv, h, sqm, SQM, "CEIPEnable", f) == -1 ||
	    reg_fact(inv, h, sqm, SQM, "CEIPSampledIn", f) == -1 ||
	    reg_fact(inv, h, pol, SQMPOL, "CEIPEnable", f) == -1 ||
	    reg_fact(inv, h, rac, RAC, "RacSampleNumber", f) == -1)
		return -1;
	return plan_inv_host_set_list(inv, h, "registry_absent", f->absent,
	    f->nabsent);
}

static int
do_registry(struct plan_inventory *inv, struct plan_inv_host *h,
    struct facts *f)
{
	struct winreg_list sqm, pol, rac, cbs, wu, pfro;
	const struct winreg_value *v;
	int rc = -1;

	memset(&sqm, 0, sizeof(sqm));
	pol = rac = cbs = wu = pfro = sqm;
	if (reg_part(f, "sqm", &sqm) == -1 ||
	    reg_part(f, "sqmpolicy", &pol) == -1 ||
	    reg_part(f, "rac", &rac) == -1 || reg_part(f, "cbs", &cbs) == -1 ||
	    reg_part(f, "wu", &wu) == -1 || reg_part(f, "pfro", &pfro) == -1) {
		err_prefix("%s: ", h->name);
		goto out;
	}
	if (reg_facts(inv, h, f, &sqm, &pol, &rac) == -1)
		goto out;
	/* FACTS.md 4: either key present, or file renames queued. */
	v = transport_winreg_find(&pfro, "PendingFileRenameOperations");
	if (transport_winreg_has_key(&cbs, CBS "RebootPending") ||
	    transport_winreg_has_key(&wu, WU "RebootRequired") ||
	    (v != NULL && v->nitems > 0 && v->items[0][0] != '\0'))
		f->pending_reboot = 1;
	rc = 0;
out:
	transport_winreg_list_release(&sqm);
	transport_winreg_list_release(&pol);
	transport_winreg_list_release(&rac);
	transport_winreg_list_release(&cbs);
	transport_winreg_list_release(&wu);
	transport_winreg_list_release(&pfro);
	return rc;
}

static int
do_misc(struct plan_inventory *inv, struct plan_inv_host *h,
    const struct facts *f)
{
	const struct part *p;
	char *v, iso[21];
	int64_t t;
	int mc, rc = 0;

	if ((p = part(f, "tcpip")) != NULL &&
	    (v = transport_win_wmic_value(p->p, p->len, "Version")) != NULL) {
		if (*v != '\0')
			rc = plan_inv_host_set_file(inv, h, "tcpip.sys", v);
		free(v);
	}
	if ((p = part(f, "netsh")) != NULL &&
	    (mc = transport_win_netsh_multicast(p->p, p->len)) != -1)
		h->multicast = mc;
	if ((p = part(f, "boot")) != NULL &&
	    (v = transport_win_wmic_value(p->p, p->len, "LastBootUpTime")) != NULL) {
		if (rc == 0 && transport_win_wmi_datetime(v, &t) == 0) {
			time_iso8601(t, iso);
			rc = plan_inv_host_set(inv, h, "last_boot", iso);
		}
		free(v);
	}
	time_iso8601((int64_t)time(NULL), iso);
	if (rc == 0)
		rc = plan_inv_host_set(inv, h, "discovered", iso);
	return rc;
}

int
discover_update(struct plan_inventory *inv, struct plan_inv_host *h,
    const char *out, size_t len)
{
	struct plan_inv_host was = *h;
	struct facts f;
	char *text;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	text = transport_win_text(out, len, NULL);
	split(text, &f);
	if (do_sysinfo(inv, h, &f) == -1)
		goto out;
	do_updates(&f);
	if (do_registry(inv, h, &f) == -1 || do_misc(inv, h, &f) == -1 ||
	    plan_inv_host_set_list(inv, h, "installed", f.kbs, f.nkbs) == -1 ||
	    plan_inv_host_set_list(inv, h, "pending_updates", f.pending,
	    f.npending) == -1 || plan_inv_host_check(inv, h) == -1)
		goto out;
	h->pending_reboot = f.pending_reboot;
	rc = 0;
out:
	if (rc == -1)
		*h = was;	/* the edits made new copies: was is intact */
	strv_free(f.kbs, f.nkbs);
	strv_free(f.pending, f.npending);
	strv_free(f.absent, f.nabsent);
	free(text);
	return rc;
}

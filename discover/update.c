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

struct part {
	const char	*name;
	const char	*p;
	size_t		 len;
};

struct facts {
	struct part	 parts[32];
	size_t		 nparts;
	char		**kbs;		/* installed */
	size_t		 nkbs;
	char		**pending;	/* install or uninstall pending */
	size_t		 npending;
	char		**superseded;	/* DISM state Superseded */
	size_t		 nsuperseded;
	char		*rollup;	/* highest Package_for_RollupFix */
	char		**absent;	/* registry values the host lacks */
	size_t		 nabsent;
	char		**reasons;	/* pending-reboot signals */
	size_t		 nreasons;
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

static int reg_part(const struct facts *, const char *,
    struct winreg_list *);

/* The OS from the registry (reg query is never translated). */
static int
do_os(struct plan_inventory *inv, struct plan_inv_host *h, struct facts *f)
{
	struct winreg_list cv, env, nls;
	struct winos os;
	const char *lang;
	int rc = -1;

	memset(&os, 0, sizeof(os));
	if (reg_part(f, "os", &cv) == -1 || reg_part(f, "env", &env) == -1 ||
	    reg_part(f, "lang", &nls) == -1 ||
	    transport_win_os(&cv, &env, &os) == -1) {
		err_prefix("%s: ", h->name);
		goto out;
	}
	lang = transport_win_ui_language(&nls);
	rc = plan_inv_host_set(inv, h, "os", os.product) == -1 ||
	    plan_inv_host_set(inv, h, "version", os.version) == -1 ||
	    (os.arch != NULL && plan_inv_host_set(inv, h, "arch",
	    os.arch) == -1) || (lang != NULL && plan_inv_host_set(inv, h,
	    "ui_language", lang) == -1) ? -1 : 0;
out:
	transport_winos_release(&os);
	transport_winreg_list_release(&cv);
	transport_winreg_list_release(&env);
	transport_winreg_list_release(&nls);
	return rc;
}

static void
remove_kb(char **v, size_t *n, const char *kb)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp(v[i], kb) == 0) {
			free(v[i]);
			v[i] = v[--*n];
			return;
		}
}

/*
 * A package's part in the facts.  The KB of a top-level Package_for_KB
 * package; sub-packages (Package_3_for_KB..., ..._SP1) say nothing about
 * their KB.  Cumulative updates and monthly rollups carry no KB in their
 * name (Package_for_RollupFix): the highest one's version is the rollup
 * level; the KB comes from wmic qfe.
 */
static void
dism_fact(struct facts *f, const struct dism_package *p)
{
	if (p->state == DISM_INSTALL_PENDING ||
	    p->state == DISM_UNINSTALL_PENDING) {
		f->pending_reboot = 1;
		if (!p->sub)
			add_unique(&f->pending, &f->npending, p->kb[0] ?
			    p->kb : p->identity);
		return;
	}
	if (strcasecmp(p->name, "Package_for_RollupFix") == 0 &&
	    p->state == DISM_INSTALLED && p->version != NULL &&
	    plan_valid_version(p->version, 4) &&
	    (f->rollup == NULL || plan_version_cmp(p->version, f->rollup) > 0)) {
		free(f->rollup);
		f->rollup = xstrdup(p->version);
	}
	if (p->sub || p->kb[0] == '\0')
		return;
	if (p->state == DISM_INSTALLED)
		add_unique(&f->kbs, &f->nkbs, p->kb);
	else if (p->state == DISM_SUPERSEDED)
		add_unique(&f->superseded, &f->nsuperseded, p->kb);
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
	for (i = 0; i < dl.n; i++)
		dism_fact(f, &dl.p[i]);
	/* qfe lists a superseded update too: it is evidence, not installed */
	for (i = 0; i < f->nsuperseded; i++)
		remove_kb(f->kbs, &f->nkbs, f->superseded[i]);
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
	struct winreg_list sqm, pol, rac;
	int rc = -1;

	memset(&sqm, 0, sizeof(sqm));
	pol = rac = sqm;
	if (reg_part(f, "sqm", &sqm) == -1 ||
	    reg_part(f, "sqmpolicy", &pol) == -1 ||
	    reg_part(f, "rac", &rac) == -1) {
		err_prefix("%s: ", h->name);
		goto out;
	}
	if (reg_facts(inv, h, f, &sqm, &pol, &rac) == -1)
		goto out;
	rc = 0;
out:
	transport_winreg_list_release(&sqm);
	transport_winreg_list_release(&pol);
	transport_winreg_list_release(&rac);
	return rc;
}

/* The one pending-reboot check (transport/winpending.c). */
static int
do_pending(const struct plan_inv_host *h, const char *text, struct facts *f)
{
	if (transport_win_pending_read(text, &f->reasons, &f->nreasons) == -1) {
		err_prefix("%s: ", h->name);
		return -1;
	}
	if (f->pending_reboot && f->nreasons == 0)
		add_unique(&f->reasons, &f->nreasons, "DISM package pending");
	if (f->nreasons > 0)
		f->pending_reboot = 1;
	return 0;
}

/* Multicast forwarding: MSFT_NetIPv4Protocol where Windows has it, else
 * netsh's English line; unknown (not written) otherwise. */
static void
do_multicast(struct plan_inv_host *h, const struct facts *f)
{
	const struct part *p;
	int mc = -1;

	if ((p = part(f, "cim")) != NULL)
		mc = transport_win_cim_multicast(p->p, p->len);
	if (mc == -1 && (p = part(f, "netsh")) != NULL)
		mc = transport_win_netsh_multicast(p->p, p->len);
	if (mc != -1)
		h->multicast = mc;
}

static int
do_misc(struct plan_inventory *inv, struct plan_inv_host *h,
    const struct facts *f)
{
	const struct part *p;
	char *v, iso[21];
	int64_t t;
	int rc = 0;

	if ((p = part(f, "tcpip")) != NULL &&
	    (v = transport_win_wmic_value(p->p, p->len, "Version")) != NULL) {
		if (*v != '\0')
			rc = plan_inv_host_set_file(inv, h, "tcpip.sys", v);
		free(v);
	}
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
	char *text, *all;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	text = transport_win_text(out, len, NULL);
	all = xstrdup(text);	/* split() cuts text in place */
	if (transport_win_shell_check(text) == -1) {
		err_prefix("%s: ", h->name);
		goto out;
	}
	split(text, &f);
	if (do_os(inv, h, &f) == -1)
		goto out;
	do_updates(&f);
	do_multicast(h, &f);
	if (do_registry(inv, h, &f) == -1 || do_misc(inv, h, &f) == -1 ||
	    do_pending(h, all, &f) == -1 ||
	    plan_inv_host_set_list(inv, h, "installed", f.kbs, f.nkbs) == -1 ||
	    plan_inv_host_set_list(inv, h, "superseded", f.superseded,
	    f.nsuperseded) == -1 ||
	    (f.rollup != NULL && plan_inv_host_set(inv, h, "rollup",
	    f.rollup) == -1) ||
	    plan_inv_host_set_list(inv, h, "pending_updates", f.pending,
	    f.npending) == -1 ||
	    plan_inv_host_set_list(inv, h, "pending_reboot_reasons",
	    f.reasons, f.nreasons) == -1 || plan_inv_host_check(inv, h) == -1)
		goto out;
	h->pending_reboot = f.pending_reboot;
	rc = 0;
out:
	if (rc == -1)
		*h = was;	/* the edits made new copies: was is intact */
	strv_free(f.kbs, f.nkbs);
	strv_free(f.pending, f.npending);
	strv_free(f.superseded, f.nsuperseded);
	strv_free(f.absent, f.nabsent);
	strv_free(f.reasons, f.nreasons);
	free(f.rollup);
	free(text);
	free(all);
	return rc;
}

char *
discover_wmic_warning(const char *name, const char *out, size_t len,
    const char *err)
{
	static const struct {
		const char *part, *prop, *field;
	} wm[] = {
		{ "tcpip", "Version", "files.tcpip.sys" },
		{ "boot", "LastBootUpTime", "last_boot" },
	};
	const struct part *p;
	struct facts f;
	struct buf b;
	char *text, *v;
	size_t i;

	memset(&f, 0, sizeof(f));
	text = transport_win_text(out, len, NULL);
	split(text, &f);
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(wm) / sizeof(wm[0]); i++) {
		v = (p = part(&f, wm[i].part)) == NULL ? NULL :
		    transport_win_wmic_value(p->p, p->len, wm[i].prop);
		if (v == NULL || *v == '\0')
			buf_addf(&b, "%s%s", b.len ? " and " : "",
			    wm[i].field);
		free(v);
	}
	free(text);
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	/* "'wmic' is not recognized ...", "Der Befehl "wmic" ist ...",
	 * "'wmic' n'est pas reconnu ...": the name is in every language */
	v = err != NULL && strstr(err, "wmic") != NULL ?
	    xasprintf("%s: no wmic.exe (removed in Windows 11 24H2 and "
	    "Windows Server 2025): %s not read, left as they were, and "
	    "installed holds only the KBs dism names (a cumulative update "
	    "shows as rollup); %s, then discover it again", name,
	    buf_str(&b), TRANSPORT_WMIC_FIX) :
	    xasprintf("%s: %s not read, left as they were: wmic answered "
	    "nothing for them", name, buf_str(&b));
	buf_release(&b);
	return v;
}

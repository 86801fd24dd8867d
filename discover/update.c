/*
 * One host's output of discover_commands() into its inventory entry.
 * The stream is split at the echoed markers ("==kbfix:NAME==") and each
 * part read by its parser from transport/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util/util.h"
#include "transport/transport.h"
#include "discover_int.h"

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

/* Replace in place (the inventory keeps its order), or append. */
static void
set_item(cJSON *obj, const char *key, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key) == NULL ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v))
		cJSON_AddItemToObject(obj, key, v);
}

static cJSON *
object(cJSON *host, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(host, key);

	if (!cJSON_IsObject(o)) {
		o = cJSON_CreateObject();
		set_item(host, key, o);
	}
	return o;
}

static cJSON *
string_array(char **v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static void
add_kb(char ***v, size_t *n, const char *kb)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], kb) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(kb);
}

static int
do_sysinfo(cJSON *host, struct facts *f)
{
	const struct part *p = part(f, "systeminfo");
	struct winsysinfo si;
	size_t i;

	if (p == NULL || winparse_systeminfo_csv(p->p, p->len, &si) == -1) {
		if (p == NULL)
			err_set("no systeminfo output");
		return -1;
	}
	set_item(host, "os", cJSON_CreateString(si.os_name));
	set_item(host, "version", cJSON_CreateString(si.os_version));
	if (si.arch != NULL)
		set_item(host, "arch", cJSON_CreateString(si.arch));
	for (i = 0; i < si.nhotfixes; i++)
		add_kb(&f->kbs, &f->nkbs, si.hotfixes[i]);
	winsysinfo_release(&si);
	return 0;
}

static void
do_updates(struct facts *f)
{
	const struct part *p;
	struct dism_list dl;
	char **kbs = NULL;
	size_t n = 0, i;

	if ((p = part(f, "qfe")) != NULL) {
		winparse_wmic_qfe(p->p, p->len, &kbs, &n);
		for (i = 0; i < n; i++)
			add_kb(&f->kbs, &f->nkbs, kbs[i]);
		strv_free(kbs, n);
	}
	if ((p = part(f, "dism")) == NULL ||
	    winparse_dism_packages(p->p, p->len, &dl) == -1)
		return;
	for (i = 0; i < dl.n; i++) {
		if (dl.p[i].state == DISM_INSTALL_PENDING ||
		    dl.p[i].state == DISM_UNINSTALL_PENDING) {
			f->pending_reboot = 1;
			add_kb(&f->pending, &f->npending, dl.p[i].kb[0] ?
			    dl.p[i].kb : dl.p[i].identity);
		} else if (dl.p[i].kb[0] != '\0' &&
		    (dl.p[i].state == DISM_INSTALLED ||
		    dl.p[i].state == DISM_SUPERSEDED))
			add_kb(&f->kbs, &f->nkbs, dl.p[i].kb);
	}
	dism_list_release(&dl);
}

/* A registry fact: its number or string, or recorded as absent. */
static void
reg_fact(cJSON *host, const struct winreg_list *l, const char *path,
    const char *name)
{
	const struct winreg_value *v = l != NULL ? winreg_find(l, name) : NULL;
	cJSON *reg = object(host, "registry"), *absent;
	char key[512];

	snprintf(key, sizeof(key), "%s%s", path, name);
	cJSON_DeleteItemFromObject(reg, key);	/* any spelling */
	if (v == NULL) {
		absent = cJSON_GetObjectItemCaseSensitive(host,
		    "registry_absent");
		if (!cJSON_IsArray(absent)) {
			absent = cJSON_CreateArray();
			set_item(host, "registry_absent", absent);
		}
		cJSON_AddItemToArray(absent, cJSON_CreateString(key));
	} else if (v->type == WINREG_DWORD || v->type == WINREG_QWORD)
		cJSON_AddItemToObject(reg, key, cJSON_CreateNumber(
		    (double)v->num));
	else
		cJSON_AddItemToObject(reg, key, cJSON_CreateString(v->data));
}

static int
reg_part(const struct facts *f, const char *name, struct winreg_list *l)
{
	const struct part *p = part(f, name);

	memset(l, 0, sizeof(*l));
	if (p == NULL)
		return 0;
	return winparse_reg_query(p->p, p->len, l);
}

static int
do_registry(cJSON *host, struct facts *f)
{
	struct winreg_list sqm, pol, rac, cbs, wu, pfro;
	const struct winreg_value *v;
	int rc = -1;

	memset(&sqm, 0, sizeof(sqm));
	pol = rac = cbs = wu = pfro = sqm;
	cJSON_DeleteItemFromObjectCaseSensitive(host, "registry_absent");
	if (reg_part(f, "sqm", &sqm) == -1 ||
	    reg_part(f, "sqmpolicy", &pol) == -1 ||
	    reg_part(f, "rac", &rac) == -1 || reg_part(f, "cbs", &cbs) == -1 ||
	    reg_part(f, "wu", &wu) == -1 || reg_part(f, "pfro", &pfro) == -1)
		goto out;
	reg_fact(host, &sqm, SQM, "CEIPEnable");
	reg_fact(host, &sqm, SQM, "CEIPSampledIn");
	reg_fact(host, &pol, SQMPOL, "CEIPEnable");
	reg_fact(host, &rac, RAC, "RacSampleNumber");
	/* FACTS.md 4: either key present, or file renames queued. */
	v = winreg_find(&pfro, "PendingFileRenameOperations");
	if (winreg_has_key(&cbs, CBS "RebootPending") ||
	    winreg_has_key(&wu, WU "RebootRequired") ||
	    (v != NULL && v->nitems > 0 && v->items[0][0] != '\0'))
		f->pending_reboot = 1;
	rc = 0;
out:
	winreg_list_release(&sqm);
	winreg_list_release(&pol);
	winreg_list_release(&rac);
	winreg_list_release(&cbs);
	winreg_list_release(&wu);
	winreg_list_release(&pfro);
	return rc;
}

static void
do_misc(cJSON *host, const struct facts *f)
{
	const struct part *p;
	char *v, iso[21];
	int64_t t;
	int mc;

	if ((p = part(f, "tcpip")) != NULL &&
	    (v = winparse_wmic_value(p->p, p->len, "Version")) != NULL) {
		if (*v != '\0')
			set_item(object(host, "files"), "tcpip.sys",
			    cJSON_CreateString(v));
		free(v);
	}
	if ((p = part(f, "netsh")) != NULL &&
	    (mc = winparse_netsh_multicast(p->p, p->len)) != -1)
		set_item(host, "multicast_forwarding", cJSON_CreateBool(mc));
	if ((p = part(f, "boot")) != NULL &&
	    (v = winparse_wmic_value(p->p, p->len, "LastBootUpTime")) != NULL) {
		if (winparse_wmi_datetime(v, &t) == 0) {
			time_iso8601(t, iso);
			set_item(host, "last_boot", cJSON_CreateString(iso));
		}
		free(v);
	}
	time_iso8601((int64_t)time(NULL), iso);
	set_item(host, "discovered", cJSON_CreateString(iso));
}

int
discover_update(cJSON *host, const char *out, size_t len)
{
	struct facts f;
	char *text;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	text = winparse_text(out, len, NULL);
	split(text, &f);
	if (do_sysinfo(host, &f) == -1)
		goto out;
	do_updates(&f);
	if (do_registry(host, &f) == -1)
		goto out;
	do_misc(host, &f);
	set_item(host, "installed", string_array(f.kbs, f.nkbs));
	set_item(host, "pending_updates", string_array(f.pending,
	    f.npending));
	set_item(host, "pending_reboot", cJSON_CreateBool(f.pending_reboot));
	rc = 0;
out:
	strv_free(f.kbs, f.nkbs);
	strv_free(f.pending, f.npending);
	free(text);
	return rc;
}

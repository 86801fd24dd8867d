/*
 * netsh interface ipv4|ipv6 show|set global, shutdown, wmic (qfe, os,
 * datafile), systeminfo, ver, hostname and echo, with the output formats
 * of FACTS.md section 4.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

/* netsh -------------------------------------------------------------------- */

static const char *netsh_globals[][2] = {
	{"Default Hop Limit", "128 hops"},
	{"Neighbor Cache Limit", "256 entries per interface"},
	{"Route Cache Limit", "128 entries per compartment"},
	{"Reassembly Limit", "32893088 bytes"},
	{"ICMP Redirects", "enabled"},
	{"Source Routed Packets", "dontforward"},
	{"Task Offload", "enabled"},
	{"Dhcp Media Sense", "enabled"},
	{"Media Sense Logging", "disabled"},
	{"MLD Level", "all"},
	{"MLD Version", "version3"},
	{"Multicast Forwarding", NULL},
	{"Group Forwarded Fragments", "disabled"},
	{"Randomize Identifiers", "enabled"},
	{"Address Mask Reply", "disabled"},
	{"Minimum MTU", "576"},
};

static uint32_t
netsh_show(struct host *h, const struct profile *pr, const char *fam)
{
	const char *loc = profile_get(pr, "locale", "en-US"), *label;
	char key[32];
	size_t i;

	/* netsh translates labels and values (netsh/ captures) */
	snprintf(key, sizeof(key), "mcast_%s", fam);
	out_printf(h, "%s\r\n\r\n%s\r\n"
	    "---------------------------------------------\r\n",
	    loc_text(loc, "Querying active state..."),
	    loc_text(loc, "General Global Parameters"));
	for (i = 0; i < sizeof(netsh_globals) / sizeof(netsh_globals[0]); i++) {
		label = loc_text(loc, netsh_globals[i][0]);
		out_printf(h, "%s%*s: %s\r\n", label,
		    (int)(36 - utf8_width(label)), "",
		    loc_text(loc, netsh_globals[i][1] ? netsh_globals[i][1] :
		    profile_get(pr, key, "disabled")));
	}
	out_printf(h, "\r\nCurrent Global Statistics\r\n"
	    "---------------------------------------------\r\n"
	    "Number of Compartments              : 1\r\n"
	    "Number of NL clients                : 7\r\n"
	    "Number of FL providers              : 4\r\n\r\n");
	return WS_OK;
}

static uint32_t
netsh_set(struct host *h, struct profile *pr, const char *fam, int argc,
    char **argv)
{
	const char *val = NULL;
	char key[32];
	int i;

	for (i = 0; i < argc; i++) {
		if (strncasecmp(argv[i], "multicastforwarding=", 20) == 0)
			val = argv[i] + 20;
		else if (strncasecmp(argv[i], "store=", 6) != 0)
			val = "";
	}
	if (val == NULL || (strcasecmp(val, "enabled") != 0 &&
	    strcasecmp(val, "disabled") != 0)) {
		out_printf(h, "One or more essential parameters were not "
		    "entered.\r\nVerify the required parameters, and reenter "
		    "them.\r\n\r\n");
		return WS_FAIL;
	}
	snprintf(key, sizeof(key), "mcast_%s", fam);
	profile_set(pr, key, strcasecmp(val, "enabled") == 0 ? "enabled" :
	    "disabled");
	if (profile_save(h, pr) == -1) {
		out_printf(h, "%s\r\n", err_msg());
		return WS_FAIL;
	}
	out_printf(h, "Ok.\r\n\r\n");
	return WS_OK;
}

uint32_t
cmd_netsh(struct host *h, int argc, char **argv)
{
	struct profile pr;
	const char *fam = NULL;
	uint32_t rc = WS_FAIL;

	if (argc >= 5 && (strcasecmp(argv[1], "interface") == 0 ||
	    strcasecmp(argv[1], "int") == 0)) {
		if (strcasecmp(argv[2], "ipv4") == 0 ||
		    strcasecmp(argv[2], "ip") == 0)
			fam = "ipv4";
		else if (strcasecmp(argv[2], "ipv6") == 0)
			fam = "ipv6";
	}
	if (fam == NULL || strcasecmp(argv[4], "global") != 0) {
		out_printf(h, "The following command was not found: %s.\r\n",
		    argc > 1 ? argv[1] : "");
		return WS_FAIL;
	}
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	if (strcasecmp(argv[3], "show") == 0 && argc == 5)
		rc = netsh_show(h, &pr, fam);
	else if (strcasecmp(argv[3], "set") == 0)
		rc = netsh_set(h, &pr, fam, argc - 5, argv + 5);
	else
		out_printf(h, "The following command was not found: "
		    "interface %s %s.\r\n", fam, argv[3]);
	profile_free(&pr);
	return rc;
}

/* shutdown ----------------------------------------------------------------- */

struct shutargs {
	int		 reboot, abort;
	const char	*t, *c, *d;
};

static int
shutdown_parse(struct shutargs *a, int argc, char **argv)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (arg_is(argv[i], "/r"))
			a->reboot = 1;
		else if (arg_is(argv[i], "/a"))
			a->abort = 1;
		else if (arg_is(argv[i], "/f"))
			continue;
		else if (i + 1 < argc && arg_is(argv[i], "/t"))
			a->t = argv[++i];
		else if (i + 1 < argc && arg_is(argv[i], "/c"))
			a->c = argv[++i];
		else if (i + 1 < argc && arg_is(argv[i], "/d"))
			a->d = argv[++i];
		else
			return -1;
	}
	return a->reboot + a->abort == 1 ? 0 : -1;
}

/* /d [p|u:]xx:yy, e.g. p:2:17 (Operating System: Hot fix, planned). */
static int
reason_valid(const char *d)
{
	unsigned maj, min;
	char tail;

	if ((d[0] == 'p' || d[0] == 'P' || d[0] == 'u' || d[0] == 'U') &&
	    d[1] == ':')
		d += 2;
	return sscanf(d, "%u:%u%c", &maj, &min, &tail) == 2 && maj < 256 &&
	    min < 65536;
}

static uint32_t
shutdown_abort(struct host *h)
{
	char *p = state_path(h, "shutdown");
	int rc = unlink(p);

	free(p);
	if (rc == -1) {
		err_printf(h, "Unable to abort the system shutdown because no "
		    "shutdown was in progress.(1116)\r\n");
		return WS_NO_SHUTDOWN;
	}
	event_log(h, "reboot-aborted");
	return WS_OK;
}

uint32_t
cmd_shutdown(struct host *h, int argc, char **argv)
{
	struct shutargs a;
	struct profile pr;
	uint32_t t = 30, max;
	char *s;

	if (shutdown_parse(&a, argc, argv) == -1) {
		err_printf(h, "winsim: only shutdown /r [/t N] [/c COMMENT] "
		    "[/d p:X:Y] [/f] and shutdown /a are simulated.(87)\r\n");
		return WS_BAD_PARAMETER;
	}
	if (a.abort)
		return shutdown_abort(h);
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	/* /t max: 600 on Vista / 2008, 315360000 on 7 and later. */
	max = strncmp(profile_get(&pr, "version", ""), "6.0.", 4) == 0 ?
	    600 : 315360000;
	profile_free(&pr);
	if ((a.t != NULL && (parse_u32(a.t, &t) == -1 || t > max)) ||
	    (a.c != NULL && strlen(a.c) > 512) ||
	    (a.d != NULL && !reason_valid(a.d))) {
		err_printf(h, "The parameter is incorrect.(87)\r\n");
		return WS_BAD_PARAMETER;
	}
	if (state_exists(h, "shutdown.firing")) {
		err_printf(h, "A system shutdown is in progress.(1115)\r\n");
		return WS_SHUTDOWN_IN_PROGRESS;
	}
	if (state_exists(h, "shutdown")) {
		err_printf(h, "A system shutdown has already been scheduled."
		    "(1190)\r\n");
		return WS_SHUTDOWN_SCHEDULED;
	}
	s = xasprintf("%lld\t%s\n", (long long)(now_ms() + (int64_t)t * 1000),
	    a.c ? a.c : "");
	if (state_write(h, "shutdown", s, strlen(s)) == -1) {
		free(s);
		err_printf(h, "%s\r\n", err_msg());
		return WS_FAIL;
	}
	free(s);
	event_log(h, "reboot-scheduled t=%u", t);
	return WS_OK;
}

/* wmic --------------------------------------------------------------------- */

struct wmirow {
	char		 names[8][32];
	char		*vals[8];
	size_t		 n;
};

struct wmiout {
	struct wmirow	*rows;
	size_t		 nrows;
};

/* wmic prints property names in their own case, whatever was asked. */
static const char *canonical[] = {
	"BuildNumber", "Caption", "CSDVersion", "CSName", "Description",
	"HotFixID", "InstalledOn", "LastBootUpTime", "LocalDateTime", "Name",
	"OSArchitecture",
	"ServicePackMajorVersion", "Version",
};

static void
row_add(struct wmirow *r, const char *name, char *val)
{
	size_t i;

	for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++)
		if (strcasecmp(canonical[i], name) == 0)
			name = canonical[i];
	if (r->n < 8) {
		snprintf(r->names[r->n], sizeof(r->names[0]), "%s", name);
		r->vals[r->n++] = val;
	} else {
		free(val);
	}
}

static void
wmiout_free(struct wmiout *w)
{
	size_t i, j;

	for (i = 0; i < w->nrows; i++)
		for (j = 0; j < w->rows[i].n; j++)
			free(w->rows[i].vals[j]);
	free(w->rows);
}

static struct wmirow *
wmiout_row(struct wmiout *w)
{
	w->rows = xreallocarray(w->rows, w->nrows + 1, sizeof(*w->rows));
	memset(&w->rows[w->nrows], 0, sizeof(w->rows[0]));
	return &w->rows[w->nrows++];
}

/* The requested properties, sorted as wmic prints them. */
static int
props_split(const char *list, char props[8][32], size_t *n)
{
	const char *p = list;
	size_t len, i, j;
	char tmp[32];

	*n = 0;
	while (*p && *n < 8) {
		len = strcspn(p, ",");
		if (len == 0 || len >= 32)
			return -1;
		snprintf(props[*n], 32, "%.*s", (int)len, p);
		(*n)++;
		p += len;
		if (*p == ',')
			p++;
	}
	for (i = 1; i < *n; i++)
		for (j = i; j > 0 && strcasecmp(props[j - 1], props[j]) > 0; j--) {
			memcpy(tmp, props[j], 32);
			memcpy(props[j], props[j - 1], 32);
			memcpy(props[j - 1], tmp, 32);
		}
	return *n > 0 ? 0 : -1;
}

/*
 * LastBootUpTime is the clock less the uptime, so it moves when the clock
 * is corrected: faults/boot-drift holds the milliseconds it has moved by
 * (e.g. 1000), without a reboot.  LocalDateTime is the clock (UTC here).
 */
static char *
os_prop(struct host *h, const struct profile *pr, const char *prop)
{
	const char *ver = profile_get(pr, "version", "6.1.7601"), *b;
	const char *csd = profile_get(pr, "csd", "");
	long long boot = 0, drift = 0;
	char t[64], *f;

	b = strrchr(ver, '.');
	if (strcasecmp(prop, "Caption") == 0)
		return xstrdup(profile_get(pr, "caption", "Microsoft Windows"));
	if (strcasecmp(prop, "Version") == 0)
		return xstrdup(ver);
	if (strcasecmp(prop, "BuildNumber") == 0)
		return xstrdup(b ? b + 1 : ver);
	if (strcasecmp(prop, "OSArchitecture") == 0)
		return xstrdup(strcmp(profile_get(pr, "arch", "x64"), "x86") ==
		    0 ? "32-bit" : "64-bit");
	if (strcasecmp(prop, "CSDVersion") == 0)
		return xstrdup(csd);
	if (strcasecmp(prop, "ServicePackMajorVersion") == 0)
		return xstrdup(strncmp(csd, "Service Pack ", 13) == 0 ?
		    csd + 13 : "0");
	if (strcasecmp(prop, "CSName") == 0)
		return xstrdup(h->name);
	if (strcasecmp(prop, "LastBootUpTime") == 0) {
		sscanf(profile_get(pr, "boot_ms", "0"), "%lld", &boot);
		if ((f = fault_read(h, "boot-drift")) != NULL) {
			sscanf(f, "%lld", &drift);
			free(f);
		}
		wmi_time(boot + drift, t);
		return xstrdup(t);
	}
	if (strcasecmp(prop, "LocalDateTime") == 0) {
		wmi_time(now_ms(), t);
		return xstrdup(t);
	}
	return NULL;
}

static int
wmi_os(struct host *h, char props[8][32], size_t n, struct wmiout *w)
{
	struct profile pr;
	struct wmirow *r;
	size_t i;
	int rc = 0;

	if (profile_load(h, &pr) == -1)
		return -1;
	r = wmiout_row(w);
	for (i = 0; i < n && rc == 0; i++) {
		char *v = os_prop(h, &pr, props[i]);

		if (v == NULL)
			rc = -1;
		else
			row_add(r, props[i], v);
	}
	profile_free(&pr);
	return rc;
}

static char *
qfe_prop(const char *kb, const char *prop, const char *host)
{
	if (strcasecmp(prop, "HotFixID") == 0)
		return xstrdup(kb);
	if (strcasecmp(prop, "Description") == 0)
		return xstrdup("Update");
	if (strcasecmp(prop, "Caption") == 0)
		return xasprintf("http://support.microsoft.com/?kbid=%s",
		    kb + 2);
	if (strcasecmp(prop, "CSName") == 0)
		return xstrdup(host);
	if (strcasecmp(prop, "InstalledOn") == 0)
		return xstrdup("7/11/2018");
	return NULL;
}

/* Installed packages' KB ids (Package_for_KB4338823~... -> KB4338823; a
 * RollupFix by its KB column); a hotfix's sub-packages are not updates. */
static char **
installed_kbs(struct host *h, size_t *n)
{
	struct packages ps;
	char **v = NULL;
	size_t i;

	*n = 0;
	if (packages_load(h, &ps) == -1)
		return NULL;
	for (i = 0; i < ps.n; i++) {
		const char *id = ps.v[i].id;

		size_t len = strcspn(id, "~");

		if (strcmp(ps.v[i].state, "Installed") != 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(char *));
		if (strcmp(ps.v[i].kb, "-") != 0)
			v[(*n)++] = xstrdup(ps.v[i].kb);
		else if (strncasecmp(id, "Package_for_KB", 14) == 0 &&
		    strspn(id + 14, "0123456789") == len - 14)
			v[(*n)++] = xstrndup(id + 12, len - 12);
		else
			continue;
	}
	packages_free(&ps);
	return v;
}

static int
wmi_qfe(struct host *h, char props[8][32], size_t n, struct wmiout *w)
{
	size_t i, j, nkb;
	char **kbs = installed_kbs(h, &nkb);
	int rc = 0;

	for (i = 0; i < nkb; i++) {
		struct wmirow *r = wmiout_row(w);

		for (j = 0; j < n; j++) {
			char *v = qfe_prop(kbs[i], props[j], h->name);

			if (v == NULL)
				rc = -1;
			else
				row_add(r, props[j], v);
		}
	}
	for (i = 0; i < nkb; i++)
		free(kbs[i]);
	free(kbs);
	return rc;
}

/* where name="C:\\Windows\\..." or "name='C:\\...'" -> C:\Windows\... */
static char *
where_name(const char *cond)
{
	struct buf b;
	const char *p;

	if (strncasecmp(cond, "name", 4) != 0)
		return NULL;
	for (p = cond + 4; *p == ' ' || *p == '='; p++)
		;
	if (*p == '\'' || *p == '"')
		p++;
	buf_init(&b, 4096);
	buf_add(&b, "", 0);
	for (; *p && *p != '\'' && *p != '"'; p++) {
		buf_addc(&b, *p);
		if (p[0] == '\\' && p[1] == '\\')
			p++;
	}
	return buf_detach(&b, NULL);
}

static int
wmi_datafile(struct host *h, const char *cond, char props[8][32], size_t n,
    struct wmiout *w)
{
	char *path = where_name(cond), *hp, *ver = NULL;
	struct wmirow *r;
	size_t i;
	int rc = -1;

	if (path == NULL || winpath_valid(path) == -1)
		goto out;
	hp = winpath_to_host(h, path);
	if (version_get(h, path, &ver) == -1 ||
	    (ver == NULL && access(hp, F_OK) != 0)) {
		free(hp);
		rc = 0;
		goto out;
	}
	free(hp);
	r = wmiout_row(w);
	for (i = 0, rc = 0; i < n; i++) {
		if (strcasecmp(props[i], "Version") == 0)
			row_add(r, props[i], xstrdup(ver ? ver : ""));
		else if (strcasecmp(props[i], "Name") == 0)
			row_add(r, props[i], xstrdup(path));
		else
			rc = -1;
	}
out:
	free(ver);
	free(path);
	return rc;
}

static void
wmi_print(struct buf *o, const struct wmiout *w, int list)
{
	size_t i, j, width[8] = {0};

	if (list) {
		for (i = 0; i < w->nrows; i++) {
			buf_adds(o, "\r\r\n\r\r\n");
			for (j = 0; j < w->rows[i].n; j++)
				buf_addf(o, "%s=%s\r\r\n", w->rows[i].names[j],
				    w->rows[i].vals[j]);
		}
		buf_adds(o, "\r\r\n\r\r\n");
		return;
	}
	for (j = 0; j < w->rows[0].n; j++) {
		width[j] = strlen(w->rows[0].names[j]);
		for (i = 0; i < w->nrows; i++)
			if (strlen(w->rows[i].vals[j]) > width[j])
				width[j] = strlen(w->rows[i].vals[j]);
	}
	for (j = 0; j < w->rows[0].n; j++)
		buf_addf(o, "%-*s  ", (int)width[j], w->rows[0].names[j]);
	buf_adds(o, "\r\r\n");
	for (i = 0; i < w->nrows; i++) {
		for (j = 0; j < w->rows[i].n; j++)
			buf_addf(o, "%-*s  ", (int)width[j], w->rows[i].vals[j]);
		buf_adds(o, "\r\r\n");
	}
	buf_adds(o, "\r\r\n");
}

/* wmic writes UTF-16LE with a BOM when the host's profile asks for it. */
static void
wmi_emit(struct host *h, const struct buf *o)
{
	struct profile pr;
	size_t i;
	int wide = 0;

	if (profile_load(h, &pr) == 0)
		wide = strcmp(profile_get(&pr, "wmic_utf16", "0"), "1") == 0;
	profile_free(&pr);
	if (!wide) {
		buf_add(&h->out, o->data ? o->data : "", o->len);
		return;
	}
	buf_add(&h->out, "\xff\xfe", 2);
	for (i = 0; i < o->len; i++) {
		buf_addc(&h->out, o->data[i]);
		buf_addc(&h->out, 0);
	}
}

/*
 * wmic logicaldisk where "DeviceID='C:'" get FreeSpace /value: the free
 * bytes of C: from the profile's free_disk (default 50 GiB).  Added for
 * kbfix apply's preflight.
 */
static int
wmi_logicaldisk(struct host *h, const char *cond, char props[8][32],
    size_t n, struct wmiout *w)
{
	struct profile pr;
	struct wmirow *r;
	size_t i;
	int rc = 0;

	if (strcasestr(cond, "'C:'") == NULL)
		return 0;	/* no instance */
	if (profile_load(h, &pr) == -1)
		return -1;
	r = wmiout_row(w);
	for (i = 0; i < n && rc == 0; i++) {
		if (strcasecmp(props[i], "FreeSpace") == 0)
			row_add(r, "FreeSpace", xstrdup(profile_get(&pr,
			    "free_disk", "53687091200")));
		else if (strcasecmp(props[i], "DeviceID") == 0)
			row_add(r, "DeviceID", xstrdup("C:"));
		else
			rc = -1;
	}
	profile_free(&pr);
	return rc;
}

static int
wmi_collect(struct host *h, int argc, char **argv, struct wmiout *w,
    int *list)
{
	char props[8][32];
	const char *alias = argv[1], *cond = NULL;
	size_t n;
	int i = 2;

	if ((strcasecmp(alias, "datafile") == 0 ||
	    strcasecmp(alias, "logicaldisk") == 0) && argc > 3 &&
	    strcasecmp(argv[2], "where") == 0) {
		cond = argv[3];
		i = 4;
	}
	if (i + 1 >= argc || strcasecmp(argv[i], "get") != 0 ||
	    props_split(argv[i + 1], props, &n) == -1)
		return -1;
	for (i += 2; i < argc; i++) {
		if (arg_is(argv[i], "/value") ||
		    arg_is(argv[i], "/format:list"))
			*list = 1;
		else
			return -1;
	}
	if (strcasecmp(alias, "os") == 0)
		return wmi_os(h, props, n, w);
	if (strcasecmp(alias, "qfe") == 0)
		return wmi_qfe(h, props, n, w);
	if (cond != NULL && strcasecmp(alias, "logicaldisk") == 0)
		return wmi_logicaldisk(h, cond, props, n, w);
	if (cond != NULL)
		return wmi_datafile(h, cond, props, n, w);
	return -1;
}

/*
 * wmic /namespace:\\root\StandardCimv2 path MSFT_NetIPv4Protocol get
 * MulticastForwarding /value: the NetTCPIP WMI class of Windows 8 / 2012
 * and later (0 Disabled, 1 Enabled; never translated); older Windows has
 * no such namespace.
 */
static uint32_t
wmic_cim(struct host *h, int argc, char **argv)
{
	struct profile pr;
	struct buf o;
	unsigned maj = 0, min = 0;
	int i, ok = 0;

	for (i = 2; i < argc; i++)
		ok |= strcasecmp(argv[i], "MSFT_NetIPv4Protocol") == 0;
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	sscanf(profile_get(&pr, "version", "6.1"), "%u.%u", &maj, &min);
	if (!ok || maj < 6 || (maj == 6 && min < 2)) {
		profile_free(&pr);
		err_printf(h, "ERROR:\r\nDescription = Invalid namespace\r\n");
		return 0x8004100eu;
	}
	buf_init(&o, 4096);
	buf_addf(&o, "\r\r\n\r\r\nMulticastForwarding=%d\r\r\n\r\r\n\r\r\n",
	    strcmp(profile_get(&pr, "mcast_ipv4", "disabled"), "enabled") == 0);
	wmi_emit(h, &o);
	buf_release(&o);
	profile_free(&pr);
	return WS_OK;
}

uint32_t
cmd_wmic(struct host *h, int argc, char **argv)
{
	struct wmiout w = {NULL, 0};
	struct buf o;
	int list = 0;

	if (argc > 1 && strncasecmp(argv[1], "/namespace:", 11) == 0)
		return wmic_cim(h, argc, argv);
	if (argc < 3 || wmi_collect(h, argc, argv, &w, &list) == -1) {
		wmiout_free(&w);
		err_printf(h, "Node - %s\r\nERROR:\r\nDescription = Invalid "
		    "query\r\n\r\n", h->name);
		return 44135;
	}
	if (w.nrows == 0) {
		err_printf(h, "No Instance(s) Available.\r\n");
		wmiout_free(&w);
		return WS_OK;
	}
	buf_init(&o, (size_t)16 << 20);
	wmi_print(&o, &w, list);
	wmi_emit(h, &o);
	buf_release(&o);
	wmiout_free(&w);
	return WS_OK;
}

/* systeminfo --------------------------------------------------------------- */

static char *
hotfixes(struct host *h, const char *loc, const char *sep)
{
	size_t i, n;
	char **kbs = installed_kbs(h, &n);
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_addf(&b, loc_text(loc, "%zu Hotfix(s) Installed."), n);
	for (i = 0; i < n; i++) {
		buf_addf(&b, "%s[%02zu]: %s", sep, i + 1, kbs[i]);
		free(kbs[i]);
	}
	free(kbs);
	return buf_detach(&b, NULL);
}

/* Host-specific values, in the host's language; a list's second line
 * starts at the value column (CSV: after a comma), as the captures. */
static void
sysinfo_fields(struct host *h, const struct profile *pr, char *v[], int csv,
    size_t col)
{
	char sep[128];
	const char *ver = profile_get(pr, "version", "6.1.7601");
	const char *csd = profile_get(pr, "csd", ""), *b = strrchr(ver, '.');
	const char *loc = profile_get(pr, "locale", "en-US");
	long long boot = 0;
	char t[64];

	sscanf(profile_get(pr, "boot_ms", "0"), "%lld", &boot);
	locale_time(boot, t, sizeof(t), 1);
	snprintf(sep, sizeof(sep), "%s", ",");
	if (!csv)
		snprintf(sep, sizeof(sep), "\r\n%*s", (int)col, "");
	v[0] = xstrdup(h->name);
	v[1] = xstrdup(profile_get(pr, "caption", "Microsoft Windows"));
	v[2] = xasprintf("%s %s %s %s", ver, *csd ? csd : "N/A",
	    loc_text(loc, "Build"), b ? b + 1 : ver);
	v[3] = xstrdup(t);
	v[4] = xstrdup(strcmp(profile_get(pr, "arch", "x64"), "x86") == 0 ?
	    "X86-based PC" : "x64-based PC");
	v[5] = hotfixes(h, loc, sep);
	v[6] = xasprintf("%s%s%sIntel64 Family 6 Model 85 Stepping 4 "
	    "GenuineIntel ~2100 Mhz", loc_text(loc,
	    "1 Processor(s) Installed."), sep, loc_text(loc, "[01]: "));
	v[7] = xasprintf("%s%s[01]: Intel(R) PRO/1000 MT Network Connection",
	    loc_text(loc, "1 NIC(s) Installed."), sep);
}

static const char *sysinfo_names[] = {
	"Host Name", "OS Name", "OS Version", "OS Manufacturer",
	"OS Configuration", "OS Build Type", "Registered Owner",
	"Registered Organization", "Product ID", "Original Install Date",
	"System Boot Time", "System Manufacturer", "System Model",
	"System Type", "Processor(s)", "BIOS Version", "Windows Directory",
	"System Directory", "Boot Device", "System Locale", "Input Locale",
	"Time Zone", "Total Physical Memory", "Available Physical Memory",
	"Virtual Memory: Max Size", "Virtual Memory: Available",
	"Virtual Memory: In Use", "Page File Location(s)", "Domain",
	"Logon Server", "Hotfix(s)", "Network Card(s)",
};

/* Fixed values; NULL where sysinfo_fields() fills in (index order). */
static const char *sysinfo_fixed[] = {
	NULL, NULL, NULL, "Microsoft Corporation", "Member Server",
	"Multiprocessor Free", "Windows User", "", "00486-001-0001076-84223",
	"7/1/2018, 9:00:00 AM", NULL, "kbfix", "winsim", NULL,
	NULL, "SeaBIOS 1.16.0, 4/1/2014", "C:\\Windows",
	"C:\\Windows\\system32", "\\Device\\HarddiskVolume1",
	"en-us;English (United States)", "en-us;English (United States)",
	"(UTC) Coordinated Universal Time", "4,095 MB", "2,048 MB",
	"8,189 MB", "6,000 MB", "2,189 MB", "C:\\pagefile.sys", "WORKGROUP",
	"N/A", NULL, NULL,
};

uint32_t
cmd_systeminfo(struct host *h, int argc, char **argv)
{
	static const int slot[] = {0, 1, 2, 10, 13, 30, 14, 31};
	const char *val[32], *const *names;
	struct profile pr;
	char *v[8];
	size_t i, col, n = sizeof(sysinfo_names) / sizeof(sysinfo_names[0]);
	int csv = 0, nh = 0, k;

	for (k = 1; k < argc; k++) {
		if (k + 1 < argc && arg_is(argv[k], "/fo") &&
		    strcasecmp(argv[k + 1], "csv") == 0)
			csv = 1, k++;
		else if (k + 1 < argc && arg_is(argv[k], "/fo") &&
		    strcasecmp(argv[k + 1], "list") == 0)
			k++;
		else if (arg_is(argv[k], "/nh"))
			nh = 1;
		else {
			err_printf(h, "ERROR: Invalid argument/option - '%s'.\r\n"
			    "Type \"SYSTEMINFO /?\" for usage.\r\n", argv[k]);
			return WS_FAIL;
		}
	}
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	/* labels and CSV headers in the host's language (locale.c) */
	names = loc_sysinfo_labels(profile_get(&pr, "locale", "en-US"),
	    sysinfo_names, &col);
	sysinfo_fields(h, &pr, v, csv, col);
	for (i = 0; i < n; i++)
		val[i] = sysinfo_fixed[i];
	for (i = 0; i < 8; i++)
		val[slot[i]] = v[i];
	/* the list starts with a blank line, the CSV with its header (the
	 * systeminfo/ captures) */
	if (!csv)
		out_printf(h, "\r\n");
	for (i = 0; csv && !nh && i < n; i++)
		out_printf(h, "\"%s\"%s", names[i], i + 1 < n ? "," : "\r\n");
	for (i = 0; csv && i < n; i++)
		out_printf(h, "\"%s\"%s", val[i], i + 1 < n ? "," : "\r\n");
	for (i = 0; !csv && i < n; i++)
		out_printf(h, "%s:%*s%s\r\n", names[i],
		    (int)(col - 1 - utf8_width(names[i])), "", val[i]);
	for (i = 0; i < 8; i++)
		free(v[i]);
	profile_free(&pr);
	return WS_OK;
}

/* ver, hostname -------------------------------------------------- */

uint32_t
cmd_ver(struct host *h, int argc, char **argv)
{
	struct profile pr;

	(void)argc;
	(void)argv;
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	out_printf(h, "\r\nMicrosoft Windows [Version %s]\r\n",
	    profile_get(&pr, "version", "6.1.7601"));
	profile_free(&pr);
	return WS_OK;
}

uint32_t
cmd_hostname(struct host *h, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	out_printf(h, "%s\r\n", h->name);
	return WS_OK;
}

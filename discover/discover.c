/*
 * kbfix discover: one connection and one command line per host, the
 * outputs split by echo markers and read by transport/'s parsers, the
 * results written into the inventory's own cJSON tree.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util/util.h"
#include "plan/plan.h"
#include "transport/transport.h"
#include "discover.h"
#include "discover_int.h"

#define INVENTORY_MAX	((size_t)256 << 20)
#define MARK		DISCOVER_MARK

struct dhost {
	cJSON		*json;
	const char	*name;		/* inside json */
	const char	*address, *user;
	int		 port;
	int		 skipped;	/* transport manual */
	char		*error;
	struct transport_conn *conn;
	struct discover	*d;
};

struct discover {
	char		*path;
	cJSON		*root;
	int		*lines;		/* CSV input: each host's line, else NULL */
	struct dhost	*hosts;
	size_t		 n;
	char		*cmdline;
	int		 failed;
};

/*
 * What discover asks each host, in one line joined with " & " (cmd.exe
 * runs each in turn whatever the previous exit code).  Each output is
 * preceded by an echo of its marker so the stream can be split.
 */
enum dcmd {
	D_SYSINFO, D_QFE, D_DISM, D_TCPIP, D_SQM, D_SQMPOL, D_RAC, D_NETSH,
	D_CBS, D_WUREBOOT, D_PFRO, D_BOOT, D_NCMD
};

static const struct {
	const char	*mark;
	const char	*argv[10];
} dcmds[D_NCMD] = {
	[D_SYSINFO] = { "systeminfo", { "systeminfo", "/fo", "csv" } },
	[D_QFE] = { "qfe", { "wmic", "qfe", "get", "HotFixID",
	    "/format:list" } },
	[D_DISM] = { "dism", { "dism", "/online", "/get-packages" } },
	/* WQL doubles each backslash of the file name. */
	[D_TCPIP] = { "tcpip", { "wmic", "datafile", "where",
	    "name='C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys'", "get",
	    "Version", "/value" } },
	[D_SQM] = { "sqm", { "reg", "query",
	    "HKLM\\Software\\Microsoft\\SQMClient\\Windows" } },
	[D_SQMPOL] = { "sqmpolicy", { "reg", "query",
	    "HKLM\\SOFTWARE\\Policies\\Microsoft\\SQMClient\\Windows" } },
	[D_RAC] = { "rac", { "reg", "query",
	    "HKLM\\Software\\Microsoft\\Reliability Analysis\\RAC", "/v",
	    "RacSampleNumber" } },
	[D_NETSH] = { "netsh", { "netsh", "interface", "ipv4", "show",
	    "global" } },
	/* The parents: reg.exe prints nothing for a key without values, so
	 * RebootPending and RebootRequired are looked for among the listed
	 * subkeys (the exit code is lost in a joined line). */
	[D_CBS] = { "cbs", { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
	    "Component Based Servicing" } },
	[D_WUREBOOT] = { "wu", { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
	    "WindowsUpdate\\Auto Update" } },
	[D_PFRO] = { "pfro", { "reg", "query",
	    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager",
	    "/v", "PendingFileRenameOperations" } },
	[D_BOOT] = { "boot", { "wmic", "os", "get", "lastbootuptime",
	    "/value" } },
};

int
discover_commands(struct buf *b)
{
	const char *echo[3] = { "echo", NULL, NULL };
	char mark[64];
	size_t i;

	for (i = 0; i < D_NCMD; i++) {
		snprintf(mark, sizeof(mark), MARK "%s==", dcmds[i].mark);
		echo[1] = mark;
		if (transport_cmdline_join(b, echo) == -1 ||
		    transport_cmdline_join(b, dcmds[i].argv) == -1)
			return -1;
	}
	return 0;
}

/* Validation, before any connection. */

static int
all_chars(const char *s, const char *extra, size_t min, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return n >= min && n <= max;
}

int
discover_valid_kb(const char *s)
{
	size_t n = strlen(s);

	return n >= 6 && n <= 10 && (s[0] == 'K' || s[0] == 'k') &&
	    (s[1] == 'B' || s[1] == 'b') && all_chars(s + 2, "", 4, 8) &&
	    strspn(s + 2, "0123456789") == n - 2;
}

/* HKLM\Some Key\Value: hive, then letters, digits, space _ . - ( ) { }. */
int
discover_valid_registry_path(const char *s)
{
	static const char *hives[] = { "HKLM\\", "HKEY_LOCAL_MACHINE\\",
	    "HKCU\\", "HKEY_CURRENT_USER\\", "HKU\\", "HKEY_USERS\\",
	    "HKCR\\", "HKEY_CLASSES_ROOT\\", "HKCC\\",
	    "HKEY_CURRENT_CONFIG\\" };
	size_t i, n;

	for (i = 0; i < sizeof(hives) / sizeof(hives[0]); i++) {
		n = strlen(hives[i]);
		if (strncasecmp(s, hives[i], n) == 0)
			return all_chars(s + n, " _.-(){}\\", 1, 1024) &&
			    strstr(s, "\\\\") == NULL && s[strlen(s) - 1] != '\\';
	}
	return 0;
}

/* Registry data from the inventory: a number, or a string without
 * anything cmd.exe would interpret. */
static int
valid_registry_data(const cJSON *v)
{
	const unsigned char *p;

	if (cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsString(v))
		return 0;
	for (p = (const unsigned char *)v->valuestring; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f || strchr("&|<>^%\"!", *p))
			return 0;
	return 1;
}

/* "hosts[2] (web01)", or "line 4 (web01)" for a host read from a CSV. */
static const char *
host_label(const struct discover *d, const cJSON *h, size_t i, char *buf,
    size_t len)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "name");
	const char *name = cJSON_IsString(n) &&
	    plan_valid_hostname(n->valuestring) ? n->valuestring : NULL;

	if (d->lines != NULL && name != NULL)
		snprintf(buf, len, "line %d (%s)", d->lines[i], name);
	else if (name != NULL)
		snprintf(buf, len, "hosts[%zu] (%s)", i, name);
	else
		snprintf(buf, len, "hosts[%zu]", i);
	return buf;
}

static int
check_registry(const cJSON *reg, const char *where)
{
	const cJSON *e;

	if (reg == NULL)
		return 0;
	if (!cJSON_IsObject(reg)) {
		err_set("%s: field \"registry\" must be an object", where);
		return -1;
	}
	cJSON_ArrayForEach(e, reg) {
		if (!discover_valid_registry_path(e->string)) {
			err_set("%s: field \"registry\": key \"%s\" is not a "
			    "registry path (HKLM\\Key\\Value; letters, digits, "
			    "space _ . - ( ) { } only)", where, e->string);
			return -1;
		}
		if (!valid_registry_data(e)) {
			err_set("%s: field \"registry\": value of \"%s\" holds "
			    "a character cmd.exe would interpret (& | < > ^ %% "
			    "\" !) or a control character", where, e->string);
			return -1;
		}
	}
	return 0;
}

static int
check_installed(const cJSON *inst, const char *where)
{
	const cJSON *e;

	if (inst == NULL)
		return 0;
	if (!cJSON_IsArray(inst)) {
		err_set("%s: field \"installed\" must be an array", where);
		return -1;
	}
	cJSON_ArrayForEach(e, inst) {
		if (!cJSON_IsString(e) || !discover_valid_kb(e->valuestring)) {
			err_set("%s: field \"installed\": \"%s\" is not a KB "
			    "id (KB and 4 to 8 digits)", where,
			    cJSON_IsString(e) ? e->valuestring : "?");
			return -1;
		}
	}
	return 0;
}

static int
check_string(const cJSON *obj, const char *field, const char *extra,
    const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (v == NULL)
		return 0;
	if (!cJSON_IsString(v) || !all_chars(v->valuestring, extra, 1, 253)) {
		err_set("%s: field \"%s\" must be a string of letters, digits "
		    "and %s", where, field, extra);
		return -1;
	}
	return 0;
}

/* Fields of a host or of defaults that reach the network or a command. */
static int
check_fields(const cJSON *h, const char *where)
{
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(h, "port");

	if (check_string(h, "address", ".:-_", where) == -1 ||
	    check_string(h, "user", ".-_\\", where) == -1 ||
	    check_registry(cJSON_GetObjectItemCaseSensitive(h, "registry"),
	    where) == -1 ||
	    check_installed(cJSON_GetObjectItemCaseSensitive(h, "installed"),
	    where) == -1)
		return -1;
	if (port != NULL && (!cJSON_IsNumber(port) || port->valuedouble < 1 ||
	    port->valuedouble > 65535 ||
	    port->valuedouble != (double)port->valueint)) {
		err_set("%s: field \"port\" must be a number from 1 to 65535",
		    where);
		return -1;
	}
	return 0;
}

static const char *
field_str(const cJSON *h, const cJSON *defaults, const char *f)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, f);

	if (v == NULL && defaults != NULL)
		v = cJSON_GetObjectItemCaseSensitive(defaults, f);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
load_host(struct discover *d, cJSON *h, const cJSON *defaults, size_t i)
{
	struct dhost *dh = &d->hosts[i];
	const cJSON *name, *port, *tr;
	const char *os;
	char where[128];
	size_t j;

	host_label(d, h, i, where, sizeof(where));
	name = cJSON_GetObjectItemCaseSensitive(h, "name");
	if (!cJSON_IsObject(h) || !cJSON_IsString(name) ||
	    !plan_valid_hostname(name->valuestring)) {
		err_set("%s: field \"name\" is required: 1 to 63 letters, "
		    "digits, '.', '_' or '-'", where);
		return -1;
	}
	if (check_fields(h, where) == -1)
		return -1;
	for (j = 0; j < i; j++)
		if (strcasecmp(d->hosts[j].name, name->valuestring) == 0) {
			err_set("%s: duplicate host name", where);
			return -1;
		}
	dh->json = h;
	dh->d = d;
	dh->name = name->valuestring;
	dh->address = field_str(h, defaults, "address");
	if (dh->address == NULL)
		dh->address = dh->name;
	dh->user = field_str(h, defaults, "user");
	port = cJSON_GetObjectItemCaseSensitive(h, "port");
	if (port == NULL && defaults != NULL)
		port = cJSON_GetObjectItemCaseSensitive(defaults, "port");
	dh->port = cJSON_IsNumber(port) ? port->valueint : 22;
	tr = cJSON_GetObjectItemCaseSensitive(h, "transport");
	if (tr == NULL && defaults != NULL)
		tr = cJSON_GetObjectItemCaseSensitive(defaults, "transport");
	/* the planner's rule: a Vista / Server 2008 host without a
	 * transport is manual (Win32-OpenSSH does not run there), so it is
	 * not contacted; "ssh" given explicitly still is */
	if (cJSON_IsString(tr))
		dh->skipped = strcasecmp(tr->valuestring, "manual") == 0;
	else if ((os = field_str(h, defaults, "os")) != NULL)
		dh->skipped = plan_manual_by_default(plan_norm_os(os));
	return 0;
}

static int
load_tree(struct discover *d)
{
	cJSON *hosts, *h, *defaults;
	size_t i = 0;

	defaults = cJSON_GetObjectItemCaseSensitive(d->root, "defaults");
	hosts = cJSON_GetObjectItemCaseSensitive(d->root, "hosts");
	if (!cJSON_IsObject(d->root) || !cJSON_IsArray(hosts)) {
		err_set("expected {\"defaults\": {...}, \"hosts\": [...]}");
		return -1;
	}
	if (defaults != NULL && !cJSON_IsObject(defaults)) {
		err_set("field \"defaults\" must be an object");
		return -1;
	}
	if (defaults != NULL && check_fields(defaults, "defaults") == -1)
		return -1;
	d->n = (size_t)cJSON_GetArraySize(hosts);
	d->hosts = xcalloc(d->n ? d->n : 1, sizeof(*d->hosts));
	cJSON_ArrayForEach(h, hosts) {
		if (load_host(d, h, defaults, i) == -1)
			return -1;
		i++;
	}
	return 0;
}

/*
 * JSON or not, decided as plan_inventory_parse() does: the first byte
 * after a UTF-8 byte order mark and blanks is '{' or '['.
 */
static int
is_json(const char *p, size_t len)
{
	const char *end = p + len;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p < end && (*p == '{' || *p == '[');
}

/*
 * A CSV or Active Directory export: the planner's reader checks it (its
 * messages name the file, line and field) and writes it as inventory
 * JSON, which discover then edits like any JSON inventory.  The hosts'
 * lines are kept for discover's own checks' messages.
 */
static int
convert_csv(struct discover *d, struct buf *b)
{
	struct plan_inventory *inv;
	size_t i;

	if ((inv = plan_inventory_parse(d->path, b->data ? b->data : "",
	    b->len)) == NULL)
		return -1;
	d->lines = xcalloc(inv->nhosts ? inv->nhosts : 1, sizeof(*d->lines));
	for (i = 0; i < inv->nhosts; i++)
		d->lines[i] = inv->hosts[i].line;
	buf_release(b);
	buf_init(b, INVENTORY_MAX * 4);
	if (plan_inventory_write_json(inv, b) == -1) {
		plan_inventory_free(inv);
		return -1;
	}
	plan_inventory_free(inv);
	return 0;
}

struct discover *
discover_load(const char *path)
{
	struct discover *d;
	struct buf b;
	size_t off;

	buf_init(&b, INVENTORY_MAX);
	if (file_read(path, INVENTORY_MAX, &b) == -1)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->path = xstrdup(path);
	if (!is_json(b.data ? b.data : "", b.len) && convert_csv(d, &b) == -1) {
		buf_release(&b);
		discover_free(d);
		return NULL;
	}
	/* cJSON does not skip a byte order mark; the planner does */
	off = b.len >= 3 && memcmp(b.data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	d->root = cJSON_ParseWithLength(b.data ? b.data + off : "", b.len - off);
	buf_release(&b);
	if (d->root == NULL) {
		err_set("%s: not valid JSON", path);
		discover_free(d);
		return NULL;
	}
	if (load_tree(d) == -1) {
		err_prefix("%s: ", path);
		discover_free(d);
		return NULL;
	}
	return d;
}

void
discover_free(struct discover *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->hosts[i].error);
	free(d->hosts);
	free(d->lines);
	cJSON_Delete(d->root);
	free(d->cmdline);
	free(d->path);
	free(d);
}

size_t
discover_nhosts(const struct discover *d)
{
	return d->n;
}

const char *
discover_host_name(const struct discover *d, size_t i)
{
	return d->hosts[i].name;
}

const char *
discover_host_error(const struct discover *d, size_t i)
{
	return d->hosts[i].error;
}

int
discover_host_skipped(const struct discover *d, size_t i)
{
	return d->hosts[i].skipped;
}

int
discover_write(const struct discover *d, const char *path)
{
	char *s;
	int rc;

	if ((s = cJSON_Print(d->root)) == NULL) {
		err_set("%s: cannot format JSON", path);
		return -1;
	}
	rc = file_write_atomic(path, s, strlen(s), 0644);
	free(s);
	return rc;
}

/* The loop. */

static void
host_fail(struct dhost *h, const char *why)
{
	if (h->error == NULL) {
		h->error = xstrdup(why);
		h->d->failed++;
	}
	transport_close(h->conn);
	h->conn = NULL;
}

static void
on_exec(struct transport_conn *c, const struct transport_result *r, void *arg)
{
	struct dhost *h = arg;

	(void)c;
	if (r->failed)
		host_fail(h, r->error);
	else if (discover_update(h->json, r->out, r->out_len) == -1) {
		err_prefix("%s: ", h->name);
		host_fail(h, err_msg());
	} else {
		transport_close(h->conn);
		h->conn = NULL;
	}
}

static void
on_connect(struct transport_conn *c, int ok, const char *error, void *arg)
{
	struct dhost *h = arg;

	(void)c;
	if (!ok)
		host_fail(h, error);
}

int
discover_run(struct discover *d, const struct transport_opts *o)
{
	struct transport *t;
	struct dhost *h;
	struct buf cmd;
	size_t i;
	int rc = -1;

	buf_init(&cmd, 0);
	if (discover_commands(&cmd) == -1)
		goto out;
	if ((t = transport_new(o)) == NULL)
		goto out;
	for (i = 0; i < d->n; i++) {
		h = &d->hosts[i];
		if (h->skipped)
			continue;
		h->conn = transport_connect(t, h->name, h->address, h->port,
		    h->user, on_connect, h);
		if (h->conn == NULL)
			host_fail(h, err_msg());
		else
			transport_exec(h->conn, cmd.data, on_exec, h);
	}
	if (transport_run(t) == 0)
		rc = d->failed;
	transport_free(t);
out:
	buf_release(&cmd);
	return rc;
}

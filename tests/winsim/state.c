/*
 * Host state files in $WINSIM_STATE: profile, packages, versions, paths
 * under C/, the event log and the reboot transition.  Every write is
 * write-temp-and-rename (file_write_atomic) under the host lock that
 * main.c takes for the whole command line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

#define STATE_MAX	((size_t)16 << 20)

char *
state_path(struct host *h, const char *name)
{
	return xasprintf("%s/%s", h->dir, name);
}

int
state_exists(struct host *h, const char *name)
{
	char *p = state_path(h, name);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

/* A missing state file reads as empty. */
int
state_read(struct host *h, const char *name, struct buf *out)
{
	char *p = state_path(h, name);
	int rc = 0;

	if (file_read(p, STATE_MAX, out) == -1) {
		if (errno != ENOENT) {
			rc = -1;
		} else {
			buf_init(out, STATE_MAX);
			buf_add(out, "", 0);
		}
	}
	free(p);
	return rc;
}

int
state_write(struct host *h, const char *name, const char *data, size_t len)
{
	char *p = state_path(h, name);
	int rc = file_write_atomic(p, data, len, 0644);

	free(p);
	return rc;
}

/* faults/NAME: NULL when absent, else its first line (maybe ""). */
char *
fault_read(struct host *h, const char *name)
{
	char *rel = xasprintf("faults/%s", name), *nl, *s;
	struct buf b;

	if (!state_exists(h, rel) || state_read(h, rel, &b) == -1) {
		free(rel);
		return NULL;
	}
	free(rel);
	s = buf_detach(&b, NULL);
	if ((nl = strpbrk(s, "\r\n")) != NULL)
		*nl = '\0';
	return s;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* WMI CIM_DATETIME in UTC: 20261121121712.076000+000 (FACTS.md 4). */
void
wmi_time(int64_t ms, char out[64])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%04d%02d%02d%02d%02d%02d.%03d000+000",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* en-US: 11/21/2026, 12:17:12 PM (seconds) or 11/21/2026 12:17 PM. */
void
locale_time(int64_t ms, char *out, size_t len, int seconds)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int h12;

	gmtime_r(&t, &tm);
	h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
	if (seconds)
		snprintf(out, len, "%d/%d/%04d, %d:%02d:%02d %s",
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, h12,
		    tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
	else
		snprintf(out, len, "%d/%d/%04d %d:%02d:%02d %s",
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, h12,
		    tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

/* One line "<epoch_ms> <event>" appended with a single write(2). */
void
event_log(struct host *h, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *p;
	int fd;

	buf_init(&b, 1 << 16);
	buf_addf(&b, "%lld ", (long long)now_ms());
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addc(&b, '\n');
	p = state_path(h, "events.log");
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd != -1) {
		if (write(fd, b.data, b.len) == -1)
			(void)0;	/* the log is best effort */
		close(fd);
	}
	free(p);
	buf_release(&b);
}

/* Profile ---------------------------------------------------------------- */

void
profile_set(struct profile *p, const char *key, const char *val)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->keys[i], key) == 0) {
			free(p->vals[i]);
			p->vals[i] = xstrdup(val);
			return;
		}
	}
	p->keys = xreallocarray(p->keys, p->n + 1, sizeof(char *));
	p->vals = xreallocarray(p->vals, p->n + 1, sizeof(char *));
	p->keys[p->n] = xstrdup(key);
	p->vals[p->n] = xstrdup(val);
	p->n++;
}

const char *
profile_get(const struct profile *p, const char *key, const char *def)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->keys[i], key) == 0)
			return p->vals[i];
	return def;
}

void
profile_free(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->keys[i]);
		free(p->vals[i]);
	}
	free(p->keys);
	free(p->vals);
	p->keys = p->vals = NULL;
	p->n = 0;
}

int
profile_load(struct host *h, struct profile *p)
{
	char *line, *next, *eq;
	struct buf b;

	memset(p, 0, sizeof(*p));
	if (state_read(h, "profile", &b) == -1)
		return -1;
	for (line = b.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		profile_set(p, line, eq + 1);
	}
	buf_release(&b);
	return 0;
}

int
profile_save(struct host *h, const struct profile *p)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, STATE_MAX);
	for (i = 0; i < p->n; i++)
		buf_addf(&b, "%s=%s\n", p->keys[i], p->vals[i]);
	rc = state_write(h, "profile", buf_str(&b), b.len);
	buf_release(&b);
	return rc;
}

/* Packages --------------------------------------------------------------- */

void
packages_add(struct packages *ps, const char *id, const char *state,
    const char *tcpip)
{
	ps->v = xreallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	ps->v[ps->n].id = xstrdup(id);
	ps->v[ps->n].state = xstrdup(state);
	ps->v[ps->n].tcpip = xstrdup(tcpip != NULL && *tcpip ? tcpip : "-");
	ps->v[ps->n].prior = xstrdup("-");
	ps->v[ps->n].kb = xstrdup("-");
	ps->n++;
}

void
packages_remove(struct packages *ps, size_t i)
{
	free(ps->v[i].id);
	free(ps->v[i].state);
	free(ps->v[i].tcpip);
	free(ps->v[i].prior);
	free(ps->v[i].kb);
	memmove(&ps->v[i], &ps->v[i + 1], (ps->n - i - 1) * sizeof(*ps->v));
	ps->n--;
}

void
packages_free(struct packages *ps)
{
	while (ps->n > 0)
		packages_remove(ps, ps->n - 1);
	free(ps->v);
	ps->v = NULL;
}

struct package *
packages_find(struct packages *ps, const char *id)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcasecmp(ps->v[i].id, id) == 0)
			return &ps->v[i];
	return NULL;
}

int
packages_pending(const struct packages *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strstr(ps->v[i].state, "Pending") != NULL)
			return 1;
	return 0;
}

int
packages_load(struct host *h, struct packages *ps)
{
	char *line, *next, *f[5];
	struct buf b;
	int k;

	memset(ps, 0, sizeof(*ps));
	if (state_read(h, "packages", &b) == -1)
		return -1;
	for (line = b.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#')
			continue;
		f[0] = line;
		for (k = 1; k < 5; k++) {
			f[k] = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
			if (f[k] != NULL)
				*f[k]++ = '\0';
		}
		packages_add(ps, f[0], f[1] ? f[1] : "Installed", f[2]);
		if (f[3] != NULL && *f[3]) {
			free(ps->v[ps->n - 1].prior);
			ps->v[ps->n - 1].prior = xstrdup(f[3]);
		}
		if (f[4] != NULL && *f[4]) {
			free(ps->v[ps->n - 1].kb);
			ps->v[ps->n - 1].kb = xstrdup(f[4]);
		}
	}
	buf_release(&b);
	return 0;
}

int
packages_save(struct host *h, const struct packages *ps)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, STATE_MAX);
	for (i = 0; i < ps->n; i++) {
		buf_addf(&b, "%s\t%s\t%s", ps->v[i].id, ps->v[i].state,
		    ps->v[i].tcpip);
		if (strcmp(ps->v[i].prior, "-") != 0 ||
		    strcmp(ps->v[i].kb, "-") != 0)
			buf_addf(&b, "\t%s", ps->v[i].prior);
		if (strcmp(ps->v[i].kb, "-") != 0)
			buf_addf(&b, "\t%s", ps->v[i].kb);
		buf_addc(&b, '\n');
	}
	rc = state_write(h, "packages", buf_str(&b), b.len);
	buf_release(&b);
	return rc;
}

/* File versions ------------------------------------------------------------ */

static char *
versions_line(char *s, const char *winpath, char **ver)
{
	char *line, *next, *tab;

	for (line = s; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (strcasecmp(line, winpath) == 0) {
			*ver = tab + 1;
			return line;
		}
		*tab = '\t';
		if (next != NULL)
			next[-1] = '\n';
	}
	return NULL;
}

/* *out is NULL when the file has no recorded version. */
int
version_get(struct host *h, const char *winpath, char **out)
{
	struct buf b;
	char *ver;

	*out = NULL;
	if (state_read(h, "versions", &b) == -1)
		return -1;
	if (versions_line(b.data, winpath, &ver) != NULL)
		*out = xstrdup(ver);
	buf_release(&b);
	return 0;
}

int
version_set(struct host *h, const char *winpath, const char *ver)
{
	struct buf b, nb;
	char *line, *next, *tab;
	int rc;

	if (state_read(h, "versions", &b) == -1)
		return -1;
	buf_init(&nb, STATE_MAX);
	for (line = b.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		tab = strchr(line, '\t');
		if (tab != NULL && (size_t)(tab - line) == strlen(winpath) &&
		    strncasecmp(line, winpath, strlen(winpath)) == 0)
			continue;
		buf_addf(&nb, "%s\n", line);
	}
	buf_addf(&nb, "%s\t%s\n", winpath, ver);
	rc = state_write(h, "versions", buf_str(&nb), nb.len);
	buf_release(&b);
	buf_release(&nb);
	return rc;
}

/* Windows paths ------------------------------------------------------------ */

/* Only C:\ absolute paths, no "..", no characters Windows forbids. */
int
winpath_valid(const char *p)
{
	const char *c;

	if (!((p[0] == 'C' || p[0] == 'c') && p[1] == ':' &&
	    (p[2] == '\\' || p[2] == '\0'))) {
		err_set("%s: winsim only simulates absolute C:\\ paths", p);
		return -1;
	}
	for (c = p + 2; *c; c++) {
		if (strchr("/:*?\"<>|", *c) != NULL && *c != '*') {
			err_set("%s: character '%c' is not allowed in a path",
			    p, *c);
			return -1;
		}
		if (c[0] == '\\' && c[1] == '.' && c[2] == '.' &&
		    (c[3] == '\\' || c[3] == '\0')) {
			err_set("%s: '..' is not simulated", p);
			return -1;
		}
	}
	return 0;
}

/* Case-insensitive lookup of one component in dir; NULL if none. */
static char *
match_entry(const char *dir, const char *comp)
{
	struct dirent *de;
	char *found = NULL;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (strcasecmp(de->d_name, comp) == 0) {
			found = xstrdup(de->d_name);
			break;
		}
	}
	closedir(d);
	return found;
}

/*
 * C:\Windows\Temp\x.msu -> STATE/C/Windows/Temp/x.msu, matching existing
 * components case-insensitively as NTFS does; missing components keep the
 * case given.  The caller checks winpath_valid() first.
 */
char *
winpath_to_host(struct host *h, const char *winpath)
{
	struct buf b;
	const char *p = winpath + 2, *e;
	char *comp, *m;

	buf_init(&b, 1 << 16);
	buf_addf(&b, "%s/C", h->dir);
	while (*p) {
		while (*p == '\\')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '\\');
		if (e == NULL)
			e = p + strlen(p);
		comp = xstrndup(p, (size_t)(e - p));
		m = match_entry(buf_str(&b), comp);
		buf_addf(&b, "/%s", m != NULL ? m : comp);
		free(m);
		free(comp);
		p = e;
	}
	return buf_detach(&b, NULL);
}

/* Reboot ------------------------------------------------------------------- */

#define TCPIP_PATH	"C:\\Windows\\System32\\drivers\\tcpip.sys"

/* Removing a package puts back the tcpip.sys it replaced, if it is still
 * the one that package brought. */
static void
boot_remove(struct host *h, struct packages *ps, size_t i)
{
	struct package *p = &ps->v[i];
	char *cur = NULL;

	event_log(h, "package-removed %s", p->id);
	if (strcmp(p->prior, "-") != 0 &&
	    version_get(h, TCPIP_PATH, &cur) == 0 && cur != NULL &&
	    strcmp(cur, p->tcpip) == 0)
		version_set(h, TCPIP_PATH, p->prior);
	free(cur);
	packages_remove(ps, i);
}

static void
boot_install(struct host *h, struct package *p)
{
	char *cur = NULL;

	free(p->state);
	p->state = xstrdup("Installed");
	event_log(h, "package-installed %s", p->id);
	if (strcmp(p->tcpip, "-") == 0)
		return;
	if (version_get(h, TCPIP_PATH, &cur) == 0 && cur != NULL) {
		free(p->prior);
		p->prior = cur;
	}
	version_set(h, TCPIP_PATH, p->tcpip);
}

static void
boot_packages(struct host *h, struct packages *ps)
{
	size_t i = 0;

	while (i < ps->n) {
		struct package *p = &ps->v[i];

		if (strcmp(p->state, "Uninstall Pending") == 0) {
			boot_remove(h, ps, i);
			continue;
		}
		if (strcmp(p->state, "Install Pending") == 0)
			boot_install(h, p);
		i++;
	}
}

static const char *pending_keys[] = {
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
	    "Component Based Servicing\\RebootPending",
	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
	    "WindowsUpdate\\Auto Update\\RebootRequired",
};

/*
 * The build revision (UBR) a host reports is its highest installed
 * cumulative update's (Package_for_RollupFix~...~14393.2368.1.4 makes
 * 10.0.14393.2368), where Windows keeps one (Windows 10 / Server 2016).
 */
static void
boot_ubr(struct registry *r, const struct packages *ps)
{
	struct regkey *cv = registry_key(r, "HKEY_LOCAL_MACHINE\\SOFTWARE\\"
	    "Microsoft\\Windows NT\\CurrentVersion", 0);
	struct regval *build, *ubr;
	unsigned long best = 0, b, rev;
	const char *v;
	char hex[32];
	size_t i;

	if (cv == NULL || (ubr = registry_value(cv, "UBR")) == NULL ||
	    (build = registry_value(cv, "CurrentBuildNumber")) == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		if (strncasecmp(ps->v[i].id, "Package_for_RollupFix~", 22) != 0 ||
		    strcmp(ps->v[i].state, "Installed") != 0 ||
		    (v = strrchr(ps->v[i].id, '~')) == NULL ||
		    sscanf(v + 1, "%lu.%lu", &b, &rev) != 2 ||
		    b != strtoul(build->data, NULL, 10))
			continue;
		if (rev > best)
			best = rev;
	}
	if (best == 0)
		return;
	snprintf(hex, sizeof(hex), "0x%lx", best);
	registry_set(cv, "UBR", "REG_DWORD", hex);
}

static int
boot_registry(struct host *h, const struct packages *ps)
{
	struct registry r;
	struct regkey *k;
	size_t i;
	int rc;

	if (registry_load(h, &r) == -1)
		return -1;
	boot_ubr(&r, ps);
	for (i = 0; i < sizeof(pending_keys) / sizeof(pending_keys[0]); i++)
		registry_delete_key(&r, pending_keys[i]);
	k = registry_key(&r, "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\"
	    "Control\\Session Manager", 0);
	if (k != NULL)
		registry_delete_value(k, "PendingFileRenameOperations");
	rc = registry_save(h, &r);
	registry_free(&r);
	return rc;
}

/*
 * The host comes back (run by the fleet supervisor at the end of the
 * down time): pending packages take effect, tcpip.sys is at the version
 * the package carries, the pending-reboot markers are gone, the boot time
 * is now, and the scheduled shutdown is consumed.
 */
int
host_boot(struct host *h)
{
	struct packages ps;
	struct profile pr;
	char ms[32];
	int rc = -1;

	if (packages_load(h, &ps) == -1)
		return -1;
	if (profile_load(h, &pr) == -1)
		goto out;
	boot_packages(h, &ps);
	if (packages_save(h, &ps) == -1 || boot_registry(h, &ps) == -1)
		goto out;
	snprintf(ms, sizeof(ms), "%lld", (long long)now_ms());
	profile_set(&pr, "boot_ms", ms);
	if (profile_save(h, &pr) == -1)
		goto out;
	for (const char *f = "shutdown"; f != NULL;
	    f = strcmp(f, "shutdown") == 0 ? "shutdown.firing" : NULL) {
		char *p = state_path(h, f);
		unlink(p);
		free(p);
	}
	event_log(h, "boot %s", ms);
	rc = 0;
out:
	profile_free(&pr);
	packages_free(&ps);
	return rc;
}

/*
 * dism /online /get-packages | /add-package | /remove-package, and
 * expand -F:* X.msu DIR, the way Ansible's win_hotfix installs an update
 * over a remote session (FACTS.md section 4).  Packages stay "Install
 * Pending" / "Uninstall Pending" until the host reboots (host_boot()).
 *
 * A package .cab tells what it is through a pkgProperties.txt inside it
 * (UTF-16LE with BOM, or ASCII; Key="Value" lines, as in an .msu):
 *   KB Article Number="4345459"      required
 *   Processor Architecture="amd64"   x86, amd64 or ia64; another
 *                                    architecture than the host's is not
 *                                    applicable (0x800F081E)
 *   Package Version="6.1.1.1"        optional, default 6.1.1.1
 *   Tcpip.sys Version="6.1.7601.24168"   simulator only: the tcpip.sys
 *                                    version the package installs
 *   Applies To Build="7601"          simulator only, optional: any other
 *                                    build is not applicable
 * tests/winsim/mkmsu builds such files.  The package's identity is DISM's:
 * the first <assemblyIdentity> of the update.mum inside the .cab
 * (Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5 for a
 * cumulative update or monthly rollup, FACTS.md 5), its KB the <package
 * identifier="KB...">; the later Package_* identities are its
 * sub-packages (a hotfix's Package_3_for_KB..., ..._SP1), installed and
 * removed with it.  Without update.mum: Package_for_KB<n> from
 * pkgProperties.txt.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

#define PKG_TOKEN	"31bf3856ad364e35"
#define CBS_PENDING	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\" \
	"CurrentVersion\\Component Based Servicing\\RebootPending"
#define WU_PENDING	"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\" \
	"CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired"

struct pkginfo {
	char	*kb;		/* digits */
	char	*arch;
	char	*version;
	char	*tcpip;
	char	*build;
	char	*id;		/* update.mum's identity, or NULL */
	char	**subs;		/* its sub-packages' identities */
	size_t	 nsubs;
};

struct dismargs {
	int		 online, quiet, norestart, english;
	const char	*action;	/* get-packages, add-package, ... */
	const char	*path;
	const char	*name;
};

static const struct {
	uint32_t	 code;
	const char	*text;
} dism_errors[] = {
	{WS_DISM_NOT_APPLICABLE,
	    "The specified package is not applicable to this image."},
	{0x80070005u, "Access is denied."},
	{WS_PATH_NOT_FOUND_HR, "The system cannot find the file specified."},
	{WS_BAD_PARAMETER_HR, "The parameter is incorrect."},
	{0x800f0805u, "The specified package is not valid Windows package."},
	{0x80240016u, "Another installation is in progress."},
	{WS_ALREADY_INSTALLED, "The package is already installed."},
	{WS_ALREADY_UNINSTALLED, "The package is not installed."},
	{1618u, "Another installation is already in progress."},
};

static const char *
error_text(uint32_t code)
{
	size_t i;

	for (i = 0; i < sizeof(dism_errors) / sizeof(dism_errors[0]); i++)
		if (dism_errors[i].code == code)
			return dism_errors[i].text;
	return "The operation failed.";
}

static void
header(struct host *h, const struct profile *pr)
{
	const char *ver = profile_get(pr, "version", "6.1.7601");

	out_printf(h, "\r\nDeployment Image Servicing and Management tool\r\n"
	    "Version: %s\r\n\r\nImage Version: %s.%s\r\n\r\n",
	    strncmp(ver, "10.", 3) == 0 ? ver : "6.1.7600.16385", ver,
	    profile_get(pr, "revision", "0"));
}

static uint32_t
fail(struct host *h, const struct dismargs *a, const char *what,
    uint32_t code)
{
	if (what != NULL)
		out_printf(h, "An error occurred - %s Error: 0x%08x\r\n\r\n",
		    what, code);
	out_printf(h, "Error: 0x%08x\r\n\r\n%s\r\n", code, error_text(code));
	if (!a->quiet)
		out_printf(h, "\r\nThe DISM log file can be found at "
		    "C:\\Windows\\Logs\\DISM\\dism.log\r\n");
	return code;
}

static uint32_t
usage_error(struct host *h, const char *msg)
{
	out_printf(h, "\r\nError: 87\r\n\r\n%s\r\n", msg);
	return WS_BAD_PARAMETER;
}

static int
parse_args(struct dismargs *a, int argc, char **argv)
{
	const char *rest;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (arg_is(argv[i], "/online"))
			a->online = 1;
		else if (arg_is(argv[i], "/quiet"))
			a->quiet = 1;
		else if (arg_is(argv[i], "/norestart"))
			a->norestart = 1;
		else if (arg_is(argv[i], "/english"))
			a->english = 1;
		else if (arg_prefix(argv[i], "/packagepath:", &rest))
			a->path = rest;
		else if (arg_prefix(argv[i], "/packagename:", &rest))
			a->name = rest;
		else if (arg_is(argv[i], "/get-packages") ||
		    arg_is(argv[i], "/add-package") ||
		    arg_is(argv[i], "/remove-package"))
			a->action = argv[i] + 1;
		else
			return -1;
	}
	return 0;
}

static int
by_identity(const void *a, const void *b)
{
	return strcasecmp(((const struct package *)a)->id,
	    ((const struct package *)b)->id);
}

/*
 * As the dism/ captures show it: sorted by identity, Install Time to the
 * minute ("10/13/2016 6:26 PM"; empty while Install Pending), cumulative
 * updates and rollups "Security Update".
 */
static uint32_t
get_packages(struct host *h, const struct profile *pr, int english)
{
	const char *loc = english ? "en-US" : profile_get(pr, "locale",
	    "en-US");
	struct packages ps;
	char when[64], *p;
	size_t i;
	long long boot = 0;

	if (packages_load(h, &ps) == -1)
		return fail(h, &(struct dismargs){0}, NULL, 0x80004005u);
	sscanf(profile_get(pr, "boot_ms", "0"), "%lld", &boot);
	locale_time(boot, when, sizeof(when), 0);
	/* drop the seconds: "12/2/2026 7:27:56 AM" -> "12/2/2026 7:27 AM" */
	if ((p = strrchr(when, ':')) != NULL && strchr(when, ':') != p)
		memmove(p, p + 3, strlen(p + 3) + 1);
	if (ps.n > 1)
		qsort(ps.v, ps.n, sizeof(*ps.v), by_identity);
	/* DISM's labels are translated unless /English is given */
	out_printf(h, "%s\r\n\r\n", loc_text(loc, "Packages listing:"));
	for (i = 0; i < ps.n; i++)
		out_printf(h, "%s : %s\r\n%s : %s\r\n%s : %s\r\n%s :%s%s\r\n"
		    "\r\n", loc_text(loc, "Package Identity"), ps.v[i].id,
		    loc_text(loc, "State"), loc_text(loc, ps.v[i].state),
		    loc_text(loc, "Release Type"), strncasecmp(ps.v[i].id,
		    "Package_for_RollupFix~", 22) == 0 ? "Security Update" :
		    strncasecmp(ps.v[i].id, "Package_", 8) == 0 ? "Update" :
		    "Foundation", loc_text(loc, "Install Time"),
		    strstr(ps.v[i].state, "Install Pending") ?
		    "" : " ", strstr(ps.v[i].state, "Install Pending") ? "" :
		    when);
	out_printf(h, "%s\r\n", loc_text(loc,
	    "The operation completed successfully."));
	packages_free(&ps);
	return WS_OK;
}

/* Runs gcab (Debian package) to list or extract a Cabinet file. */
static int
run_gcab(const char *mode, const char *dir, const char *cab)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("gcab", "gcab", mode, "-C", dir, cab, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
rm_tree(const char *path)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", path, de->d_name);
			rm_tree(p);
			free(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* UTF-16LE (with or without BOM) or ASCII text -> ASCII. */
static char *
to_ascii(const struct buf *b)
{
	size_t i, start = 0, step = 1;
	struct buf o;

	if (b->len >= 2 && (unsigned char)b->data[0] == 0xff &&
	    (unsigned char)b->data[1] == 0xfe) {
		start = 2;
		step = 2;
	} else if (b->len >= 2 && b->data[1] == '\0') {
		step = 2;
	}
	buf_init(&o, b->len + 1);
	buf_add(&o, "", 0);
	for (i = start; i < b->len; i += step)
		if ((unsigned char)b->data[i] < 0x80 &&
		    (step == 1 || i + 1 >= b->len || b->data[i + 1] == '\0'))
			buf_addc(&o, b->data[i]);
	return buf_detach(&o, NULL);
}

/* Key="Value" -> Value (a copy), or NULL. */
static char *
prop_get(const char *text, const char *key)
{
	const char *p = text, *q;
	size_t n = strlen(key);

	for (; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		while (*p == '\r' || *p == ' ')
			p++;
		if (strncasecmp(p, key, n) != 0 || p[n] != '=')
			continue;
		p += n + 1;
		if (*p == '"')
			p++;
		q = p + strcspn(p, "\"\r\n");
		return xstrndup(p, (size_t)(q - p));
	}
	return NULL;
}

static void
pkginfo_free(struct pkginfo *pi)
{
	free(pi->kb);
	free(pi->arch);
	free(pi->version);
	free(pi->tcpip);
	free(pi->build);
	free(pi->id);
	while (pi->nsubs > 0)
		free(pi->subs[--pi->nsubs]);
	free(pi->subs);
}

/* attr="value" inside the tag at p (up to its '>'), or NULL. */
static char *
mum_attr(const char *p, const char *name)
{
	const char *end = strchr(p, '>'), *q;
	char *pat = xasprintf(" %s=\"", name);

	q = strstr(p, pat);
	if (q == NULL || end == NULL || q > end) {
		free(pat);
		return NULL;
	}
	q += strlen(pat);
	free(pat);
	return xstrndup(q, strcspn(q, "\""));
}

static char *
mum_identity(const char *tag)
{
	char *n = mum_attr(tag, "name"), *v = mum_attr(tag, "version"),
	    *a = mum_attr(tag, "processorArchitecture"),
	    *t = mum_attr(tag, "publicKeyToken"), *id = NULL;

	if (n && v && a && t)
		id = xasprintf("%s~%s~%s~~%s", n, t, a, v);
	free(n); free(v); free(a); free(t);
	return id;
}

/* update.mum (UTF-8): the package's identity, KB and sub-packages. */
static int
mum_parse(const char *text, struct pkginfo *pi)
{
	const char *p = strstr(text, "<assemblyIdentity ");
	char *kb, *id, *arch;

	if (p == NULL || (pi->id = mum_identity(p)) == NULL)
		return -1;
	arch = mum_attr(p, "processorArchitecture");
	if (pi->arch == NULL)
		pi->arch = arch;
	else
		free(arch);
	if (pi->version == NULL)
		pi->version = mum_attr(p, "version");
	if ((p = strstr(text, "<package identifier=\"")) != NULL &&
	    (kb = mum_attr(p, "identifier")) != NULL) {
		if (pi->kb == NULL && strncasecmp(kb, "KB", 2) == 0)
			pi->kb = xstrdup(kb + 2);
		free(kb);
	}
	for (p = strstr(text, "<assemblyIdentity "); p != NULL; ) {
		p = strstr(p + 1, "<assemblyIdentity ");
		if (p == NULL || strncmp(p, "<assemblyIdentity name=\"Package_",
		    32) != 0 || (id = mum_identity(p)) == NULL)
			continue;
		pi->subs = xreallocarray(pi->subs, pi->nsubs + 1,
		    sizeof(*pi->subs));
		pi->subs[pi->nsubs++] = id;
	}
	return pi->kb != NULL ? 0 : -1;
}

static int
find_mum(const char *dir, struct pkginfo *pi)
{
	char *p = xasprintf("%s/update.mum", dir), *text;
	struct buf b;
	int rc = -1;

	if (file_read(p, 1 << 20, &b) == 0) {
		text = to_ascii(&b);
		rc = mum_parse(text, pi);
		free(text);
		buf_release(&b);
	}
	free(p);
	return rc;
}

static int
props_parse(const char *text, struct pkginfo *pi)
{
	char *kb = prop_get(text, "KB Article Number");
	const char *digits = kb;

	if (kb == NULL)
		return -1;
	if (strncasecmp(digits, "KB", 2) == 0)
		digits += 2;
	pi->kb = xstrdup(digits);
	free(kb);
	pi->arch = prop_get(text, "Processor Architecture");
	pi->version = prop_get(text, "Package Version");
	if (pi->version == NULL)
		pi->version = xstrdup("6.1.1.1");
	pi->tcpip = prop_get(text, "Tcpip.sys Version");
	pi->build = prop_get(text, "Applies To Build");
	return *pi->kb != '\0' && strspn(pi->kb, "0123456789") ==
	    strlen(pi->kb) ? 0 : -1;
}

static int
find_props(const char *dir, struct pkginfo *pi)
{
	struct dirent *de;
	struct buf b;
	char *p, *text;
	int rc = -1;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while (rc == -1 && (de = readdir(d)) != NULL) {
		if (!str_endswith(de->d_name, "pkgProperties.txt") &&
		    strcasestr(de->d_name, "pkgproperties.txt") == NULL)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (file_read(p, 1 << 20, &b) == 0) {
			text = to_ascii(&b);
			rc = props_parse(text, pi);
			free(text);
			buf_release(&b);
		}
		free(p);
	}
	closedir(d);
	return rc;
}

/* Reads the package's pkgProperties.txt from inside the .cab. */
static int
cab_info(struct host *h, const char *cab, struct pkginfo *pi)
{
	char *tmp = xasprintf("%s/tmp.cab.XXXXXX", h->dir);
	int rc = -1;

	memset(pi, 0, sizeof(*pi));
	if (mkdtemp(tmp) == NULL) {
		free(tmp);
		return -1;
	}
	if (run_gcab("-x", tmp, cab) == 0) {
		rc = find_props(tmp, pi);
		if (find_mum(tmp, pi) == 0)
			rc = 0;
	}
	rm_tree(tmp);
	free(tmp);
	if (rc == -1)
		pkginfo_free(pi);
	return rc;
}

static const char *
host_arch(const struct profile *pr)
{
	const char *a = profile_get(pr, "arch", "x64");

	return strcmp(a, "x64") == 0 ? "amd64" : a;
}

/* "3010", "0x800F081E" -> the code. */
static int
parse_code(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (strncasecmp(s, "0x", 2) != 0)
		return parse_u32(s, out);
	for (p = s + 2; *p; p++) {
		if (!isxdigit((unsigned char)*p) || v > UINT32_MAX >> 4)
			return -1;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10);
	}
	if (p == s + 2)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* 0 or the fault's code for this KB (faults/add-package-fail holds
 * "CODE [KB...]"; faults/not-applicable holds "" or "KB...". */
static uint32_t
add_fault(struct host *h, const char *kb)
{
	char *f = fault_read(h, "add-package-fail"), *sp;
	uint32_t code = 0;

	if (f != NULL) {
		sp = strchr(f, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		if ((sp == NULL || strcasestr(sp, kb) != NULL) &&
		    parse_code(f, &code) == -1)
			code = WS_FAIL;
		free(f);
		if (code != 0)
			return code;
	}
	f = fault_read(h, "not-applicable");
	if (f != NULL && (*f == '\0' || strcasestr(f, kb) != NULL))
		code = WS_DISM_NOT_APPLICABLE;
	free(f);
	return code;
}

static uint32_t
applicable(struct host *h, const struct profile *pr, const struct pkginfo *pi)
{
	const char *ver = profile_get(pr, "version", ""), *b;
	uint32_t code;
	char kb[32];

	snprintf(kb, sizeof(kb), "KB%s", pi->kb);
	if ((code = add_fault(h, kb)) != 0)
		return code;
	if (pi->arch != NULL && strcasecmp(pi->arch, host_arch(pr)) != 0)
		return WS_DISM_NOT_APPLICABLE;
	b = strrchr(ver, '.');
	if (pi->build != NULL && (b == NULL || strcmp(b + 1, pi->build) != 0))
		return WS_DISM_NOT_APPLICABLE;
	return 0;
}

static struct package *
find_kb(struct packages *ps, const char *kb, const char *arch)
{
	char *pfx = xasprintf("Package_for_KB%s~", kb);
	size_t i, n = strlen(pfx);
	struct package *p = NULL;

	for (i = 0; i < ps->n && p == NULL; i++)
		if (strncasecmp(ps->v[i].id, pfx, n) == 0 &&
		    strcasestr(ps->v[i].id + n, arch) != NULL)
			p = &ps->v[i];
	free(pfx);
	return p;
}

/* Reboot markers (FACTS.md section 4): CBS RebootPending for every
 * pending package; wusa goes through Windows Update, which also sets
 * WindowsUpdate\Auto Update\RebootRequired. */
static int
mark_pending_keys(struct host *h, int wu)
{
	struct registry r;
	int rc;

	if (registry_load(h, &r) == -1)
		return -1;
	registry_key(&r, CBS_PENDING, 1);
	if (wu)
		registry_key(&r, WU_PENDING, 1);
	rc = registry_save(h, &r);
	registry_free(&r);
	return rc;
}

static int
mark_pending(struct host *h)
{
	return mark_pending_keys(h, 0);
}

/* dism /quiet without /norestart restarts by itself when needed. */
static void
restart_now(struct host *h)
{
	char *s = xasprintf("%lld\tdism /quiet\n", (long long)now_ms());

	state_write(h, "shutdown", s, strlen(s));
	event_log(h, "reboot-scheduled due=now by dism");
	free(s);
}

static uint32_t
record_add(struct host *h, const struct dismargs *a, const char *id,
    const struct pkginfo *pi)
{
	struct packages ps;
	struct package *p;
	uint32_t rc = WS_REBOOT_REQUIRED;

	if (packages_load(h, &ps) == -1)
		return fail(h, a, id, 0x80004005u);
	p = pi->id != NULL ? packages_find(&ps, pi->id) :
	    find_kb(&ps, pi->kb, pi->arch ? pi->arch : "~");
	if (p != NULL && strcmp(p->state, "Installed") == 0) {
		rc = WS_ALREADY_INSTALLED;
	} else if (p != NULL && strcmp(p->state, "Uninstall Pending") == 0) {
		free(p->state);
		p->state = xstrdup("Installed");
		rc = WS_OK;
	} else if (p == NULL) {
		packages_add(&ps, id, "Install Pending", pi->tcpip);
		if (strncasecmp(id, "Package_for_KB", 14) != 0) {
			free(ps.v[ps.n - 1].kb);
			ps.v[ps.n - 1].kb = xasprintf("KB%s", pi->kb);
		}
		for (size_t i = 0; i < pi->nsubs; i++)
			if (packages_find(&ps, pi->subs[i]) == NULL)
				packages_add(&ps, pi->subs[i],
				    "Install Pending", NULL);
	}
	if (packages_save(h, &ps) == -1 ||
	    (rc == WS_REBOOT_REQUIRED && mark_pending(h) == -1))
		rc = fail(h, a, id, 0x80004005u);
	packages_free(&ps);
	return rc;
}

static uint32_t
add_package(struct host *h, const struct profile *pr, const struct dismargs *a)
{
	struct pkginfo pi;
	char *path, *id;
	uint32_t rc;

	if (a->path == NULL || winpath_valid(a->path) == -1)
		return usage_error(h, "The /packagepath option needs a C:\\ "
		    "path to a .cab file.");
	path = winpath_to_host(h, a->path);
	if (access(path, R_OK) != 0) {
		free(path);
		return fail(h, a, a->path, WS_PATH_NOT_FOUND_HR);
	}
	if (cab_info(h, path, &pi) == -1) {
		free(path);
		return fail(h, a, a->path, 0x800f0805u);
	}
	free(path);
	id = pi.id != NULL ? xstrdup(pi.id) : xasprintf("Package_for_KB%s~"
	    "%s~%s~~%s", pi.kb, PKG_TOKEN, pi.arch ? pi.arch : host_arch(pr),
	    pi.version);
	if (!a->quiet)
		out_printf(h, "Processing 1 of 1 - Adding package %s\r\n", id);
	if ((rc = applicable(h, pr, &pi)) != 0) {
		rc = fail(h, a, id, rc);
	} else if ((rc = record_add(h, a, id, &pi)) == WS_REBOOT_REQUIRED) {
		event_log(h, "package-pending %s", id);
		if (!a->quiet)
			out_printf(h, "[==========================100.0%%"
			    "==========================]\r\nThe operation "
			    "completed successfully.\r\nRestart Windows to "
			    "complete this operation.\r\n");
	} else if (rc == WS_OK || rc == WS_ALREADY_INSTALLED) {
		if (!a->quiet)
			out_printf(h, "[==========================100.0%%"
			    "==========================]\r\nThe operation "
			    "completed successfully.\r\n");
	}
	free(id);
	pkginfo_free(&pi);
	return rc;
}

/* A sub-package of the hotfix whose top-level identity is top:
 * Package_<n>_for_KB<k>~... or Package_for_KB<k>_<x>~... */
static int
sub_of(const char *id, const char *top)
{
	size_t n = strcspn(top, "~"), m = strcspn(id, "~");
	const char *kb;

	if (strncasecmp(top, "Package_for_KB", 14) != 0 || m == n)
		return 0;
	kb = top + 12;		/* "KB4345459" */
	n -= 12;
	if (strncasecmp(id, "Package_", 8) == 0 &&
	    isdigit((unsigned char)id[8])) {
		id += 8 + strspn(id + 8, "0123456789");
		return strncasecmp(id, "_for_", 5) == 0 &&
		    strncasecmp(id + 5, kb, n) == 0 && id[5 + n] == '~';
	}
	return strncasecmp(id, top, n + 12) == 0 && id[n + 12] == '_';
}

/* The sub-packages go with their package (dism /remove-package of it). */
static void
remove_subs(struct packages *ps, const char *top, int pending)
{
	size_t i;

	for (i = ps->n; i-- > 0;) {
		if (!sub_of(ps->v[i].id, top))
			continue;
		if (!pending) {
			packages_remove(ps, i);
			continue;
		}
		free(ps->v[i].state);
		ps->v[i].state = xstrdup("Uninstall Pending");
	}
}

static uint32_t
remove_package(struct host *h, const struct dismargs *a)
{
	struct packages ps;
	struct package *p;
	uint32_t rc = WS_REBOOT_REQUIRED;

	if (a->name == NULL || *a->name == '\0')
		return usage_error(h, "The /packagename option is required.");
	if (packages_load(h, &ps) == -1)
		return fail(h, a, a->name, 0x80004005u);
	if (!a->quiet)
		out_printf(h, "Processing 1 of 1 - Removing package %s\r\n",
		    a->name);
	p = packages_find(&ps, a->name);
	if (p == NULL || strcmp(p->state, "Uninstall Pending") == 0) {
		packages_free(&ps);
		return fail(h, a, a->name, WS_ALREADY_UNINSTALLED);
	}
	if (strcmp(p->state, "Install Pending") == 0) {
		packages_remove(&ps, (size_t)(p - ps.v));
		remove_subs(&ps, a->name, 0);
		rc = WS_OK;
	} else {
		free(p->state);
		p->state = xstrdup("Uninstall Pending");
		remove_subs(&ps, a->name, 1);
	}
	if (packages_save(h, &ps) == -1 ||
	    (rc == WS_REBOOT_REQUIRED && mark_pending(h) == -1))
		rc = fail(h, a, a->name, 0x80004005u);
	else if (!a->quiet)
		out_printf(h, "[==========================100.0%%"
		    "==========================]\r\nThe operation completed "
		    "successfully.\r\n%s", rc == WS_REBOOT_REQUIRED ?
		    "Restart Windows to complete this operation.\r\n" : "");
	event_log(h, "package-remove %s", a->name);
	packages_free(&ps);
	return rc;
}

uint32_t
cmd_dism(struct host *h, int argc, char **argv)
{
	struct dismargs a;
	struct profile pr;
	uint32_t rc;

	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	/* DISM ships with Windows 7 / 2008 R2 (NT 6.1) and later. */
	if (strncmp(profile_get(&pr, "version", ""), "6.0.", 4) == 0) {
		profile_free(&pr);
		err_printf(h, "'%s' is not recognized as an internal or "
		    "external command,\r\noperable program or batch file.\r\n",
		    argv[0]);
		return WS_NOT_RECOGNIZED;
	}
	if (parse_args(&a, argc, argv) == -1 || a.action == NULL) {
		profile_free(&pr);
		return usage_error(h, "The command line is not valid for "
		    "winsim's dism: use /online with /get-packages, "
		    "/add-package /packagepath:X.cab or /remove-package "
		    "/packagename:ID.");
	}
	if (!a.quiet)
		header(h, &pr);
	if (!a.online)
		rc = usage_error(h, "winsim only simulates /online.");
	else if (strcasecmp(a.action, "get-packages") == 0)
		rc = get_packages(h, &pr, a.english);
	else if (!a.norestart && !a.quiet)
		rc = usage_error(h, "winsim: without /norestart (or /quiet) "
		    "dism would wait at the prompt \"Do you want to restart "
		    "the computer now? (Y/N)\" for ever; pass /norestart.");
	else if (strcasecmp(a.action, "add-package") == 0)
		rc = add_package(h, &pr, &a);
	else
		rc = remove_package(h, &a);
	if (rc == WS_REBOOT_REQUIRED && !a.norestart)
		restart_now(h);
	profile_free(&pr);
	return rc;
}

/* expand ------------------------------------------------------------------- */

static uint32_t
expand_move(struct host *h, const char *tmp, const char *dest,
    const char *windest)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	if ((d = opendir(tmp)) == NULL)
		return WS_FAIL;
	while ((de = readdir(d)) != NULL) {
		char *from, *to;

		if (de->d_name[0] == '.')
			continue;
		from = xasprintf("%s/%s", tmp, de->d_name);
		to = xasprintf("%s/%s", dest, de->d_name);
		rm_tree(to);
		if (rename(from, to) == 0) {
			out_printf(h, "Adding %s\\%s to Extraction Queue\r\n",
			    windest, de->d_name);
			n++;
		}
		free(from);
		free(to);
	}
	closedir(d);
	out_printf(h, "\r\nExpanding Files ....\r\n\r\nExpanding Files "
	    "Complete ...\r\n%d file%s total.\r\n", n, n == 1 ? "" : "s");
	return WS_OK;
}

static uint32_t
expand_run(struct host *h, const char *src, const char *dst)
{
	char *s = NULL, *d = NULL, *tmp = NULL;
	struct stat st;
	uint32_t rc = WS_FAIL;

	if (winpath_valid(src) == -1 || winpath_valid(dst) == -1) {
		err_printf(h, "%s\r\n", err_msg());
		return WS_FAIL;
	}
	s = winpath_to_host(h, src);
	d = winpath_to_host(h, dst);
	if (access(s, R_OK) != 0) {
		out_printf(h, "Can't open input file: %s.\r\n", src);
		goto out;
	}
	if (stat(d, &st) == -1 || !S_ISDIR(st.st_mode)) {
		out_printf(h, "Can't open output file: %s.\r\n", dst);
		goto out;
	}
	tmp = xasprintf("%s/tmp.expand.XXXXXX", h->dir);
	if (mkdtemp(tmp) == NULL || run_gcab("-x", tmp, s) == -1) {
		out_printf(h, "Can't open input file: %s.\r\n", src);
		goto out;
	}
	rc = expand_move(h, tmp, d, dst);
out:
	if (tmp != NULL)
		rm_tree(tmp);
	free(tmp);
	free(s);
	free(d);
	return rc;
}

uint32_t
cmd_expand(struct host *h, int argc, char **argv)
{
	const char *src = NULL, *dst = NULL, *rest;
	int i, all = 0;

	out_printf(h, "Microsoft (R) File Expansion Utility  Version "
	    "6.1.7600.16385\r\nCopyright (c) Microsoft Corporation. All "
	    "rights reserved.\r\n\r\n");
	for (i = 1; i < argc; i++) {
		if (arg_prefix(argv[i], "-F:", &rest) && strcmp(rest, "*") == 0)
			all = 1;
		else if (src == NULL && argv[i][0] != '-' && argv[i][0] != '/')
			src = argv[i];
		else if (dst == NULL && argv[i][0] != '-' && argv[i][0] != '/')
			dst = argv[i];
		else
			src = dst = NULL, i = argc;
	}
	if (!all || src == NULL || dst == NULL) {
		out_printf(h, "winsim: only \"expand -F:* SOURCE.msu "
		    "DESTINATION_DIR\" is simulated.\r\n");
		return WS_FAIL;
	}
	return expand_run(h, src, dst);
}

/* wusa ------------------------------------------------------------------- */

struct wusaargs {
	const char	*path, *kb;
	int		 quiet, norestart, uninstall;
};

static int
wusa_parse(struct wusaargs *a, int argc, char **argv)
{
	const char *rest;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (arg_is(argv[i], "/quiet"))
			a->quiet = 1;
		else if (arg_is(argv[i], "/norestart"))
			a->norestart = 1;
		else if (arg_is(argv[i], "/uninstall"))
			a->uninstall = 1;
		else if (arg_prefix(argv[i], "/kb:", &rest))
			a->kb = rest;
		else if (argv[i][0] != '/' && a->path == NULL)
			a->path = argv[i];
		else
			return -1;
	}
	return a->uninstall ? (a->kb != NULL ? 0 : -1) :
	    (a->path != NULL ? 0 : -1);
}

static uint32_t
wusa_uninstall(struct host *h, const struct wusaargs *a)
{
	struct packages ps;
	struct package *p;
	uint32_t rc = WS_REBOOT_REQUIRED;
	const char *kb = a->kb;

	if (strncasecmp(kb, "KB", 2) == 0)
		kb += 2;
	if (packages_load(h, &ps) == -1)
		return 0x80004005u;
	p = find_kb(&ps, kb, "~");
	if (p == NULL || strcmp(p->state, "Uninstall Pending") == 0) {
		rc = WS_ALREADY_UNINSTALLED;
	} else {
		free(p->state);
		p->state = xstrdup("Uninstall Pending");
		if (packages_save(h, &ps) == -1 || mark_pending(h) == -1)
			rc = 0x80004005u;
	}
	packages_free(&ps);
	return rc;
}

static uint32_t
wusa_install(struct host *h, const struct profile *pr, const char *msu)
{
	struct dismargs quiet = {.quiet = 1};
	struct pkginfo pi;
	char *path, *id;
	uint32_t rc;

	if (winpath_valid(msu) == -1)
		return WS_BAD_PARAMETER;
	path = winpath_to_host(h, msu);
	rc = access(path, R_OK) == 0 ? 0 : WS_PATH_NOT_FOUND_HR;
	if (rc == 0 && cab_info(h, path, &pi) == -1)
		rc = 0x80070057u;
	free(path);
	if (rc != 0)
		return rc;
	id = xasprintf("Package_for_KB%s~%s~%s~~%s", pi.kb, PKG_TOKEN,
	    pi.arch ? pi.arch : host_arch(pr), pi.version);
	/* wusa's own code for "not applicable": 0x80240017. */
	if (applicable(h, pr, &pi) != 0)
		rc = 0x80240017u;
	else
		rc = record_add(h, &quiet, id, &pi);
	if (rc == WS_REBOOT_REQUIRED) {
		event_log(h, "package-pending %s", id);
		mark_pending_keys(h, 1);
	}
	free(id);
	pkginfo_free(&pi);
	return rc;
}

/*
 * wusa X.msu /quiet /norestart, wusa /uninstall /kb:N /quiet /norestart.
 * In a remote session wusa is refused access (FACTS.md section 4: 5); it
 * works from a scheduled task running as SYSTEM.  It prints nothing.
 */
uint32_t
cmd_wusa(struct host *h, int argc, char **argv)
{
	struct wusaargs a;
	struct profile pr;
	uint32_t rc;

	if (!h->system)
		return WS_ACCESS_DENIED;
	if (wusa_parse(&a, argc, argv) == -1)
		return WS_BAD_PARAMETER;
	if (!a.quiet) {
		err_printf(h, "winsim: without /quiet wusa would show a dialog "
		    "no one answers; pass /quiet.\r\n");
		return WS_BAD_PARAMETER;
	}
	if (profile_load(h, &pr) == -1)
		return WS_FAIL;
	rc = a.uninstall ? wusa_uninstall(h, &a) : wusa_install(h, &pr, a.path);
	profile_free(&pr);
	buf_reset(&h->out);
	if (rc == WS_REBOOT_REQUIRED && !a.norestart)
		restart_now(h);
	return rc;
}

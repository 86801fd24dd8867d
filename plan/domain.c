/*
 * The domain rules the modules share, each defined here once (DESIGN.md
 * "Each rule lives in one place") and pinned by
 * tests/unit/test_plan_domain.c: registry value paths, Windows and file
 * versions, maintenance windows and durations, the manual-transport rule.
 * KB ids are util's str_is_kb(); the remote working folder is
 * PLAN_REMOTE_DIR in plan.h; the bundle file lookup is
 * catalog_bundle_find(); wave assignment is plan/build.c's (plan waves)
 * and deploy_waves() (run waves derived from them).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"

/* Registry names: printable ASCII, none of cmd.exe's metacharacters. */
static int
valid_regchars(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n]; n++)
		switch (s[n]) {
		case '&': case '|': case '<': case '>': case '^': case '%':
		case '"':
			return 0;
		default:
			if (s[n] < 0x20 || s[n] > 0x7e)
				return 0;
		}
	return n >= 1 && n <= max;
}

/* The root spelled either way; NULL when s is under another hive. */
static const char *
reg_tail(const char *s)
{
	if (str_casecmp_prefix(s, "HKLM\\") == 0)
		return s + strlen("HKLM\\");
	if (str_casecmp_prefix(s, "HKEY_LOCAL_MACHINE\\") == 0)
		return s + strlen("HKEY_LOCAL_MACHINE\\");
	return NULL;
}

/* Key paths are at most 255 characters (Windows' limit). */
int
plan_valid_regkey(const char *s)
{
	const char *t;

	if (!valid_regchars(s, 255) || strstr(s, "\\\\") || str_endswith(s, "\\"))
		return 0;
	t = reg_tail(s);
	return t != NULL && *t != '\0';
}

/* Value names are at most 16,383 characters and hold no backslash. */
int
plan_valid_regvalue(const char *s)
{
	return valid_regchars(s, 16383) && strchr(s, '\\') == NULL;
}

/* REG_SZ data a workaround writes: at most 1,024 of the same characters. */
int
plan_valid_regdata(const char *s)
{
	return valid_regchars(s, 1024);
}

char *
plan_norm_regpath(const char *s)
{
	if (!plan_valid_regkey(s))
		return NULL;
	return xasprintf("HKLM\\%s", reg_tail(s));
}

int
plan_regpath_eq(const char *a, const char *b)
{
	const char *ta = reg_tail(a), *tb = reg_tail(b);

	if (ta == NULL || tb == NULL)
		return strcasecmp(a, b) == 0;
	return strcasecmp(ta, tb) == 0;
}

/* Versions. */

/* 2 to 4 dotted fields of 1 to 5 digits; -1 without a message. */
static int
version_scan(const char *p, struct plan_version *v)
{
	unsigned x;
	int digits;

	memset(v, 0, sizeof(*v));
	for (;;) {
		for (x = 0, digits = 0; isdigit((unsigned char)*p); p++) {
			if (++digits > 5)
				return -1;
			x = x * 10 + (unsigned)(*p - '0');
		}
		if (digits == 0 || v->n == 4)
			return -1;
		v->f[v->n++] = x;
		if (*p == '\0')
			break;
		if (*p++ != '.')
			return -1;
	}
	return v->n >= 2 ? 0 : -1;
}

int
plan_version_parse(const char *s, struct plan_version *v)
{
	if (version_scan(s, v) == 0)
		return 0;
	err_set("'%s' is not a version of 2 to 4 dotted numbers like "
	    "6.1.7601.24214", s);
	return -1;
}

int
plan_version_cmpv(const struct plan_version *a, const struct plan_version *b)
{
	int i;

	for (i = 0; i < 4; i++)
		if (a->f[i] != b->f[i])
			return a->f[i] < b->f[i] ? -1 : 1;
	return 0;
}

int
plan_version_cmp(const char *a, const char *b)
{
	struct plan_version va, vb;

	if (version_scan(a, &va) == -1)
		memset(&va, 0, sizeof(va));
	if (version_scan(b, &vb) == -1)
		memset(&vb, 0, sizeof(vb));
	return plan_version_cmpv(&va, &vb);
}

/*
 * "6.1.7601", "10.0.17134.165" (the build revision kept: it decides the
 * Windows 10 advisories) or AD's "6.1 (7601)" as "6.1.7601".
 */
int
plan_norm_version(const char *s, char *out, size_t outlen)
{
	struct plan_version v;
	const char *ad = strstr(s, " (");
	char *dotted = NULL;
	int rc = -1, n;

	if (ad != NULL && str_endswith(s, ")")) {
		/* "6.1 (7601)": the build between the parentheses */
		dotted = xasprintf("%.*s.%.*s", (int)(ad - s), s,
		    (int)(strlen(ad) - 3), ad + 2);
		if (version_scan(dotted, &v) == -1 || v.n != 3)
			goto bad;
	} else if (version_scan(s, &v) == -1 || v.n < 3)
		goto bad;
	if (v.n == 4)
		n = snprintf(out, outlen, "%u.%u.%u.%u", v.f[0], v.f[1],
		    v.f[2], v.f[3]);
	else
		n = snprintf(out, outlen, "%u.%u.%u", v.f[0], v.f[1], v.f[2]);
	if (n < 0 || n >= (int)outlen)
		goto bad;
	rc = 0;
	goto out;
bad:
	err_set("'%s' is not a Windows version like 6.1.7601, "
	    "10.0.17134.165 or 6.1 (7601)", s);
out:
	free(dotted);
	return rc;
}

int
plan_version_same_build(const char *a, const char *b)
{
	struct plan_version va, vb;

	return version_scan(a, &va) == 0 && version_scan(b, &vb) == 0 &&
	    va.n >= 3 && vb.n >= 3 && va.f[0] == vb.f[0] &&
	    va.f[1] == vb.f[1] && va.f[2] == vb.f[2];
}

int
plan_version_revision(const char *s)
{
	struct plan_version v;

	return version_scan(s, &v) == 0 && v.n == 4 ? (int)v.f[3] : -1;
}

int
plan_valid_version(const char *s, int fields)
{
	struct plan_version v;

	return version_scan(s, &v) == 0 && v.n == fields;
}

int
plan_valid_fileversion(const char *s)
{
	return plan_valid_version(s, 4);
}

/* Durations and windows. */

static int
dur_number(const char **p, uint64_t *out)
{
	char num[12];
	size_t len = strspn(*p, "0123456789");

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, *p, len);
	num[len] = '\0';
	*p += len;
	return parse_u64(num, PLAN_DURATION_MAX, out);
}

static int
dur_unit(int c, uint64_t *mult)
{
	switch (tolower(c)) {
	case 'd': *mult = 86400; return 0;
	case 'h': *mult = 3600; return 0;
	case 'm': *mult = 60; return 0;
	case 's': *mult = 1; return 0;
	default: return -1;
	}
}

/*
 * "1h30m", "2d", "PT4H", "P1DT2H": number-unit groups; in the ISO form a
 * 'T' may stand between the days and the rest.
 */
static int
dur_groups(const char *p, int iso, uint64_t *total)
{
	uint64_t n, mult;

	*total = 0;
	if (*p == '\0')
		return -1;
	while (*p) {
		if (iso && (*p == 'T' || *p == 't') && p[1] != '\0') {
			p++;
			continue;
		}
		if (dur_number(&p, &n) == -1 || dur_unit(*p++, &mult) == -1)
			return -1;
		*total += n * mult;
		if (*total > PLAN_DURATION_MAX)
			return -1;
	}
	return 0;
}

int
plan_duration_parse(const char *s, int64_t *seconds)
{
	uint64_t total;
	int rc;

	if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s))
		rc = parse_u64(s, PLAN_DURATION_MAX, &total);
	else if (s[0] == 'P' || s[0] == 'p')
		rc = dur_groups(s + 1, 1, &total);
	else
		rc = dur_groups(s, 0, &total);
	if (rc == -1 || total == 0) {
		err_set("'%s' is not a duration of 1 second to 31 days like "
		    "90m, 4h, 1h30m, 2d, 3600s, 3600, PT4H or P1DT2H", s);
		return -1;
	}
	*seconds = (int64_t)total;
	return 0;
}

int
plan_window_parse(const char *s, int64_t now, int64_t *start,
    int64_t *duration_s)
{
	const char *slash = strchr(s, '/');
	char *st;
	int rc = -1;

	if (slash == NULL) {
		err_set("window '%s' is not START/DURATION, e.g. "
		    "2026-11-21T22:00:00Z/4h or now/90m", s);
		return -1;
	}
	st = xstrndup(s, (size_t)(slash - s));
	if (strcmp(st, "now") == 0)
		*start = now;
	else if (time_parse_iso8601(st, start) == -1) {
		err_prefix("window '%s': start: ", s);
		goto out;
	}
	if (plan_duration_parse(slash + 1, duration_s) == -1) {
		err_prefix("window '%s': ", s);
		goto out;
	}
	rc = 0;
out:
	free(st);
	return rc;
}

/* The manual-transport rule. */

int
plan_transport_manual(const char *transport)
{
	return transport != NULL && strcasecmp(transport, "manual") == 0;
}

/* Win32-OpenSSH does not run on Vista / Server 2008 (FACTS.md 4). */
int
plan_manual_by_default(const char *product)
{
	return product != NULL && (strcmp(product, "Windows Vista") == 0 ||
	    strcmp(product, "Windows Server 2008") == 0);
}

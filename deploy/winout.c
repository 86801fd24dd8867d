/*
 * The few facts the engine reads from Windows command output, through
 * transport's parsers (FACTS.md section 4: wmic may answer in UTF-16LE
 * with a BOM; lines end in CRLF or CR CR LF).  Text passed in has been
 * through wo_text() once.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy/deploy_int.h"

char *
wo_text(const char *out, size_t len)
{
	return transport_win_text(out, len, NULL);
}

/* "Name=value" lines of wmic /value. */
int
wo_value(const char *text, const char *name, char **val)
{
	*val = transport_win_wmic_value(text, strlen(text), name);
	if (*val == NULL) {
		err_set("no '%s=' line in the output", name);
		return -1;
	}
	return 0;
}

/*
 * dism /get-packages: the identity and state of a package.  want is the
 * package's exact identity (it holds '~': read from its update.mum at
 * fetch, manifest.json "package_identity"), or else a KB, whose package
 * is the top-level Package_for_KB<n>: a hotfix's sub-packages
 * (Package_3_for_KB..., ..._SP1) never stand in for it.  state is "" for
 * a block without a State line.
 */
int
wo_dism_package(const char *text, const char *want, char **identity,
    char **state)
{
	const struct dism_package *p = NULL;
	struct dism_list l;
	char *name = NULL;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (transport_win_dism_packages(text, strlen(text), &l) == 0) {
		if (strchr(want, '~') != NULL)
			p = transport_dism_find(&l, want);
		else
			name = xasprintf("Package_for_%s", want);
		for (i = 0; name != NULL && p == NULL && i < l.n; i++)
			if (strcasecmp(l.p[i].name, name) == 0)
				p = &l.p[i];
	}
	if (p != NULL) {
		*identity = xstrdup(p->identity);
		*state = xstrdup(p->state_text);
	} else
		err_set("%s not in dism /get-packages", want);
	free(name);
	transport_dism_list_release(&l);
	return p != NULL ? 0 : -1;
}

/* A WMI datetime as microseconds since the epoch (UTC), or -1. */
static int
boot_us(const char *s, int64_t *us)
{
	int64_t t, frac = 0;
	int i;

	if (transport_win_wmi_datetime(s, &t) == -1)
		return -1;
	for (i = 15; i < 21; i++)
		frac = frac * 10 + (s[i] - '0');
	*us = t * 1000000 + frac;
	return 0;
}

/*
 * Whether the host rebooted (docs/DEVELOPERS.md "Boot time"): every value
 * is a WMI datetime read as an instant (the UTC offset in minutes:
 * "...023000.500000+120" and "...013000.500000+060" are the same).  With
 * the host's clock when shutdown /r was sent (clock), the new boot must
 * be later than that clock less BOOT_DRIFT_US, and later than the old
 * boot: LastBootUpTime is now minus the uptime, so it moves by seconds
 * when the clock is corrected, and an old boot that moved by a second is
 * still hours before the shutdown.  Without the clock (a journal of an
 * older kbfix, a host whose clock could not be read) the new boot must
 * only be later than the old one.  A value that is not a WMI datetime is
 * compared as text: any change is a reboot.
 */
int
wo_rebooted(const char *after, const char *before, const char *clock)
{
	int64_t a, b, c;

	if (boot_us(after, &a) == -1 || boot_us(before, &b) == -1)
		return strcmp(after, before) != 0;
	if (clock != NULL && boot_us(clock, &c) == 0)
		return a > b && a > c - BOOT_DRIFT_US;
	return a > b;
}

/*
 * wmic is gone from Windows 11 24H2 and current Server builds (FACTS.md
 * 5): cmd.exe then exits 9009 with "'wmic' is not recognized ...".
 */
int
wo_wmic_missing(const struct transport_result *res)
{
	return res->exit_status == 9009 ||
	    strstr(res->err, "'wmic' is not recognized") != NULL;
}

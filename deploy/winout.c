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

/* dism /get-packages: the identity and state of KB's package. */
int
wo_dism_package(const char *text, const char *kb, char **identity,
    char **state)
{
	struct dism_list l;
	size_t i;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	if (transport_win_dism_packages(text, strlen(text), &l) == 0)
		for (i = 0; i < l.n && rc == -1; i++) {
			if (strcasecmp(l.p[i].kb, kb) != 0)
				continue;
			*identity = xstrdup(l.p[i].identity);
			*state = xstrdup(l.p[i].state_text);
			rc = 0;
		}
	transport_dism_list_release(&l);
	if (rc == -1)
		err_set("%s not in dism /get-packages", kb);
	return rc;
}


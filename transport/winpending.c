/*
 * The one pending-reboot check (FACTS.md section 5, the signals Salt's
 * win_system reads): reg query lines, each after an echoed marker, and
 * the judgement of their output.  Discover and apply's preflight both
 * run it, so both name the same signals.  reg query's output is never
 * translated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "transport/transport.h"

#define MARK	"==kbfix:pend-"
#define CV	"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
#define CBS	CV "Component Based Servicing"
#define WU	CV "WindowsUpdate\\Auto Update"
#define SM	"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"
#define CN	"HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\"
#define NETLOGON "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Netlogon"

enum { P_CBS, P_WU, P_SM, P_UPD, P_ACN, P_CN, P_NETLOGON, P_SRVMGR, P_N };

/* Parents are queried where a signal is a key: reg.exe prints nothing
 * for a key without values, so a key is seen among its parent's subkeys
 * (and an exit code is lost in a joined line). */
static const struct {
	const char	*mark;
	const char	*argv[7];
} pend[P_N] = {
	[P_CBS] = { "cbs", { "reg", "query", CBS } },
	[P_WU] = { "wu", { "reg", "query", WU } },
	[P_SM] = { "sm", { "reg", "query", SM } },
	[P_UPD] = { "updates", { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Updates", "/v", "UpdateExeVolatile" } },
	[P_ACN] = { "acn", { "reg", "query", CN "ActiveComputerName", "/v",
	    "ComputerName" } },
	[P_CN] = { "cn", { "reg", "query", CN "ComputerName", "/v",
	    "ComputerName" } },
	[P_NETLOGON] = { "netlogon", { "reg", "query", NETLOGON } },
	[P_SRVMGR] = { "srvmgr", { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\ServerManager", "/v",
	    "CurrentRebootAttempts" } },
};

int
transport_win_pending_cmdline(struct buf *b)
{
	const char *echo[3] = { "echo", NULL, NULL };
	char mark[64];
	size_t i;

	for (i = 0; i < P_N; i++) {
		snprintf(mark, sizeof(mark), MARK "%s==", pend[i].mark);
		echo[1] = mark;
		if (transport_cmdline_join(b, echo) == -1 ||
		    transport_cmdline_join(b, pend[i].argv) == -1)
			return -1;
	}
	return 0;
}

/* The part after "==kbfix:pend-NAME==" up to the next marker line. */
static int
part(const char *text, const char *name, struct winreg_list *l)
{
	char mark[64];
	const char *p, *end;
	size_t n;

	memset(l, 0, sizeof(*l));
	n = (size_t)snprintf(mark, sizeof(mark), MARK "%s==", name);
	for (p = text; (p = strstr(p, mark)) != NULL; p += n)
		if (p == text || p[-1] == '\n')
			break;
	if (p == NULL) {
		err_set("no output of the pending-reboot check's %s query",
		    name);
		return -1;
	}
	if ((p = strchr(p, '\n')) == NULL)
		return 0;
	/* from the '\n' that ends the marker line: an empty part */
	if ((end = strstr(p, "\n==kbfix:")) != NULL)
		end++;
	else
		end = p + strlen(p);
	p++;
	if (transport_win_reg_query(p, (size_t)(end - p), l) == -1) {
		err_prefix("pending-reboot check, %s: ", name);
		return -1;
	}
	return 0;
}

static void
fire(char ***reasons, size_t *n, const char *signal)
{
	*reasons = xreallocarray(*reasons, *n + 1, sizeof(**reasons));
	(*reasons)[(*n)++] = xstrdup(signal);
}

/* A REG_MULTI_SZ with some non-empty item. */
static int
multi_set(const struct winreg_list *l, const char *name)
{
	const struct winreg_value *v = transport_winreg_find(l, name);
	size_t i;

	for (i = 0; v != NULL && i < v->nitems; i++)
		if (v->items[i][0] != '\0')
			return 1;
	return v != NULL && v->type != WINREG_MULTI_SZ && v->data[0] != '\0';
}

static int
num_set(const struct winreg_list *l, const char *name)
{
	const struct winreg_value *v = transport_winreg_find(l, name);

	if (v == NULL)
		return 0;
	if (v->type == WINREG_DWORD || v->type == WINREG_QWORD)
		return v->num != 0;
	return v->data[0] != '\0' && strcmp(v->data, "0") != 0;
}

static void
judge(struct winreg_list *l, char ***reasons, size_t *n)
{
	static const struct {
		int		 part;
		const char	*key;		/* under the queried key */
		const char	*signal;
	} keys[] = {
		{ P_CBS, CBS "\\RebootPending", "CBS RebootPending" },
		{ P_CBS, CBS "\\RebootInProgress", "CBS RebootInProgress" },
		{ P_CBS, CBS "\\PackagesPending", "CBS PackagesPending" },
		{ P_WU, WU "\\RebootRequired", "WU RebootRequired" },
		{ P_WU, WU "\\PostRebootReporting", "WU PostRebootReporting" },
		{ P_NETLOGON, NETLOGON "\\JoinDomain", "Netlogon JoinDomain" },
		{ P_NETLOGON, NETLOGON "\\AvoidSpnSet", "Netlogon AvoidSpnSet" },
	};
	const struct winreg_value *a, *c;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (transport_winreg_has_key(&l[keys[i].part], keys[i].key))
			fire(reasons, n, keys[i].signal);
	if (multi_set(&l[P_SM], "PendingFileRenameOperations"))
		fire(reasons, n, "PendingFileRenameOperations");
	if (multi_set(&l[P_SM], "PendingFileRenameOperations2"))
		fire(reasons, n, "PendingFileRenameOperations2");
	if (num_set(&l[P_UPD], "UpdateExeVolatile"))
		fire(reasons, n, "UpdateExeVolatile");
	a = transport_winreg_find(&l[P_ACN], "ComputerName");
	c = transport_winreg_find(&l[P_CN], "ComputerName");
	if (a != NULL && c != NULL && strcasecmp(a->data, c->data) != 0)
		fire(reasons, n, "computer rename");
	if (num_set(&l[P_SRVMGR], "CurrentRebootAttempts"))
		fire(reasons, n, "ServerManager CurrentRebootAttempts");
}

int
transport_win_pending_read(const char *text, char ***reasons, size_t *n)
{
	struct winreg_list l[P_N];
	size_t i, before = *n;
	int rc = -1;

	memset(l, 0, sizeof(l));
	for (i = 0; i < P_N; i++)
		if (part(text, pend[i].mark, &l[i]) == -1)
			goto out;
	judge(l, reasons, n);
	rc = (int)(*n - before);
out:
	for (i = 0; i < P_N; i++)
		transport_winreg_list_release(&l[i]);
	return rc;
}

int
transport_win_pending_describe(struct buf *b, char *const reasons[], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_addf(b, "%s%s", i ? ", " : "", reasons[i]) == -1)
			return -1;
	return 0;
}

/*
 * The command lines kbfix apply sends, one function each (deploy.h,
 * "Command lines"): the host steps (host_*.c) send them and export/
 * writes the very same lines into its Ansible project, so quoting and
 * validation are transport_cmdline()'s in both.  Pure: no host, no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

int
deploy_cmd(enum deploy_cmd c, struct buf *line)
{
	/* untranslated: the registry, not systeminfo's or wmic's captions */
	static const char *const os[] = { "reg", "query",
	    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", NULL };
	static const char *const mark[] = { "echo", DEPLOY_PF_MARK, NULL };
	static const char *const pending[] = { "reg", "query",
	    REBOOT_PENDING_KEY, NULL };
	static const char *const boot[] = { "wmic", "os", "get",
	    "lastbootuptime", "/value", NULL };

	switch (c) {
	case DEPLOY_CMD_PREFLIGHT:
		/* the shell proved first, then the OS, then every
		 * pending-reboot signal */
		return transport_win_shell_cmdline(line) == -1 ||
		    transport_cmdline_join(line, mark) == -1 ||
		    transport_cmdline_join(line, os) == -1 ? -1 :
		    transport_win_pending_cmdline(line);
	case DEPLOY_CMD_DISK:
		return transport_cmdline(line, (const char *const[]){ "wmic",
		    "logicaldisk", "where", "DeviceID='C:'", "get", "FreeSpace",
		    "/value", NULL });
	case DEPLOY_CMD_PACKAGES:
		return transport_cmdline(line, (const char *const[]){ "dism",
		    "/online", "/get-packages", "/English", NULL });
	case DEPLOY_CMD_MKDIR:
		return transport_cmdline(line, (const char *const[]){ "mkdir",
		    PLAN_REMOTE_DIR, NULL });
	case DEPLOY_CMD_BOOT:
		return transport_cmdline(line, boot);
	case DEPLOY_CMD_BOOT_PENDING:
		return transport_cmdline(line, boot) == -1 ? -1 :
		    transport_cmdline_join(line, pending);
	case DEPLOY_CMD_TCPIP:
		return transport_cmdline(line, (const char *const[]){ "wmic",
		    "datafile", "where",
		    "name='C:\\\\Windows\\\\System32\\\\drivers\\\\tcpip.sys'",
		    "get", "Version", "/value", NULL });
	case DEPLOY_CMD_CLEANUP:
		return transport_cmdline(line, (const char *const[]){ "rmdir",
		    "/s", "/q", PLAN_REMOTE_DIR, NULL });
	}
	err_set("unknown command %d", (int)c);
	return -1;
}

/* Set a registry value or the multicast state, then read it back. */
int
deploy_cmd_workaround_set(const struct plan_action *a, struct buf *line)
{
	char *data, *mc;
	int rc;

	if (a->kind == ACTION_REGISTRY) {
		data = a->data_str != NULL ? xstrdup(a->data_str) :
		    xasprintf("%u", a->data_num);
		rc = transport_cmdline(line, (const char *const[]){ "reg",
		    "add", a->key, "/v", a->value, "/t", a->type, "/d", data,
		    "/f", NULL });	/* /f: else reg prompts */
		free(data);
		return rc == -1 ? -1 : transport_cmdline_join(line,
		    (const char *const[]){ "reg", "query", a->key, "/v",
		    a->value, NULL });
	}
	mc = xasprintf("multicastforwarding=%s",
	    a->enabled ? "enabled" : "disabled");
	rc = transport_cmdline(line, (const char *const[]){ "netsh",
	    "interface", a->family, "set", "global", mc, NULL });
	free(mc);
	return rc == -1 ? -1 : transport_cmdline_join(line,
	    (const char *const[]){ "netsh", "interface", a->family, "show",
	    "global", NULL });
}

/*
 * A Group Policy refresh, then the registry value read again: a Group
 * Policy Preferences item writes its value back at each refresh (seed
 * 002 note 2).  gpupdate waits up to /wait seconds (its default 600)
 * and then returns while processing goes on; its exit code is not read
 * (" & "): the value read after it decides.
 */
int
deploy_cmd_gpupdate(const struct plan_action *a, int wait_s, struct buf *line)
{
	struct buf l;
	char wait[24];
	int rc = -1;

	/* built apart: a refused key or value leaves line as it was */
	buf_init(&l, 8192);
	snprintf(wait, sizeof(wait), "/wait:%d", wait_s);
	if (transport_cmdline(&l, (const char *const[]){ "gpupdate",
	    "/target:computer", "/force", wait_s >= 0 ? wait : NULL,
	    NULL }) == 0 && transport_cmdline_join(&l, (const char *const[]){
	    "reg", "query", a->key, "/v", a->value, NULL }) == 0)
		rc = buf_adds(line, buf_str(&l));
	buf_release(&l);
	return rc;
}

/* The .msu's package .cab into PLAN_REMOTE_DIR\KB. */
int
deploy_cmd_expand(const char *msu_name, const char *kb, struct buf *line)
{
	char *msu = xasprintf("%s\\%s", PLAN_REMOTE_DIR, msu_name);
	char *dir = xasprintf("%s\\%s", PLAN_REMOTE_DIR, kb);
	int rc;

	rc = transport_cmdline(line, (const char *const[]){ "mkdir", dir,
	    NULL });
	if (rc == 0)
		rc = transport_cmdline_join(line, (const char *const[]){
		    "expand", "-F:*", msu, dir, NULL });
	free(msu);
	free(dir);
	return rc;
}

char *
deploy_cab_name(const char *msu_name, const char *package_cab)
{
	const char *us;

	if (package_cab != NULL)
		return xstrdup(package_cab);
	/* windows6.1-kb4345459-x64_<sha1>.msu holds Windows6.1-KB...cab */
	us = strrchr(msu_name, '_');
	if (us == NULL)
		us = strrchr(msu_name, '.');
	if (us == NULL)
		return xasprintf("%s.cab", msu_name);
	return xasprintf("%.*s.cab", (int)(us - msu_name), msu_name);
}

int
deploy_cmd_dism_add(const char *kb, const char *cab, struct buf *line)
{
	char *pp = xasprintf("/packagepath:%s\\%s\\%s", PLAN_REMOTE_DIR, kb,
	    cab);
	int rc;

	rc = transport_cmdline(line, (const char *const[]){ "dism", "/online",
	    "/add-package", pp, "/quiet", "/norestart", "/English",
	    NULL });
	free(pp);
	return rc;
}

/*
 * The host's clock first, in the same line (the new boot must be later,
 * host_reboot.c): cmd.exe runs each part whatever the one before exited,
 * and the line's status is shutdown's.
 */
int
deploy_cmd_shutdown(int delay_s, int undo, int abort_first, struct buf *line)
{
	char t[16];
	const char *const reboot[] = { "shutdown", "/r", "/t", t, "/d",
	    "p:2:17", "/c", undo ? "kbfix: rollback reboot" :
	    "kbfix: hotfix reboot", NULL };

	snprintf(t, sizeof(t), "%d", delay_s);
	if (transport_cmdline(line, (const char *const[]){ "wmic", "os",
	    "get", "localdatetime", "/value", NULL }) == -1 ||
	    (abort_first && transport_cmdline_join(line,
	    (const char *const[]){ "shutdown", "/a", NULL }) == -1))
		return -1;
	return transport_cmdline_join(line, reboot);
}

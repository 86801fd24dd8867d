/*
 * Runbooks for manual hosts (transport "manual", e.g. Vista / Server 2008
 * where Win32-OpenSSH does not run, FACTS.md section 4): the same steps as
 * the engine as a cmd.exe script an operator runs as Administrator, plus
 * a rollback script that restores what the first one saved.
 */
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy_int.h"

static void
rb_registry(struct buf *a, struct buf *r, const struct plan_action *x,
    size_t i)
{
	char *data = x->data_str ? xstrdup(x->data_str) :
	    xasprintf("%u", x->data_num);

	buf_addf(a, "rem -- registry %s\\%s = %s\n", x->key, x->value, data);
	/* names and data quoted: "Path Value (x86)" or a ")" must not split
	 * the command or end an if/else block (plan_valid_reg* keep " out) */
	buf_addf(a, "reg query \"%s\" /v \"%s\" >nul 2>&1\n", x->key,
	    x->value);
	buf_addf(a, "if errorlevel 1 (echo absent> \"%%KBDIR%%\\prior-%zu.txt\""
	    ") else (reg export \"%s\" \"%%KBDIR%%\\prior-%zu.reg\" /y >nul)\n",
	    i, x->key, i);
	buf_addf(a, "reg add \"%s\" /v \"%s\" /t %s /d \"%s\" /f\n", x->key,
	    x->value, x->type, data);
	buf_adds(a, "if errorlevel 1 goto fail\n");
	buf_addf(r, "if exist \"%%KBDIR%%\\prior-%zu.reg\" (reg import "
	    "\"%%KBDIR%%\\prior-%zu.reg\") else "
	    "(reg delete \"%s\" /v \"%s\" /f)\n",
	    i, i, x->key, x->value);
	free(data);
}

static void
rb_multicast(struct buf *a, struct buf *r, const struct plan_action *x,
    size_t i)
{
	const char *want = x->enabled ? "enabled" : "disabled";

	buf_addf(a, "rem -- multicast forwarding (%s) %s\n", x->family, want);
	buf_addf(a, "netsh interface %s show global | find \"Multicast "
	    "Forwarding\" > \"%%KBDIR%%\\prior-%zu.txt\"\n", x->family, i);
	buf_addf(a, "netsh interface %s set global multicastforwarding=%s\n",
	    x->family, want);
	buf_addf(a, "netsh interface %s show global | find \"Multicast "
	    "Forwarding\" | find \"%s\" >nul || goto fail\n", x->family, want);
	buf_addf(r, "find \"enabled\" \"%%KBDIR%%\\prior-%zu.txt\" >nul && "
	    "netsh interface %s set global multicastforwarding=enabled\n",
	    i, x->family);
	buf_addf(r, "find \"disabled\" \"%%KBDIR%%\\prior-%zu.txt\" >nul && "
	    "netsh interface %s set global multicastforwarding=disabled\n",
	    i, x->family);
}

/*
 * Vista / Server 2008 (NT 6.0, the hosts that are manual by default) have
 * no dism.exe and their wusa has no /uninstall (both came with Windows 7;
 * tests/README.md "Known differences"); wusa itself works there, run
 * locally as Administrator (access denied is a remote-session limit,
 * FACTS.md section 4).
 */
static int
is_nt60(const struct plan_host *ph)
{
	return ph->version != NULL && strncmp(ph->version, "6.0.", 4) == 0;
}

static void
rb_install_nt60(struct buf *a, struct buf *r, const struct plan_action *x,
    const char *name)
{
	buf_addf(a, "rem -- install %s: copy %s from the bundle's files\\ "
	    "next to this script (NT 6.0: with wusa)\n", x->kb,
	    name);
	buf_addf(a, "wusa \"%%~dp0%s\" /quiet /norestart\n", name);
	/* 3010: reboot required; 0x240006 already installed; 0x80240017
	 * (not applicable) is negative as an errorlevel */
	buf_adds(a, "if errorlevel 1 if not errorlevel 3010 goto fail\n");
	buf_addf(r, "echo kbfix: NT 6.0 wusa cannot uninstall: remove %s in "
	    "Control Panel, Programs, View installed updates\n", x->kb);
}

static void
rb_install(struct engine *e, struct buf *a, struct buf *r,
    const struct plan_host *ph, const struct plan_action *x)
{
	const struct bundle_file *f;
	const char *name;
	char *cab;

	f = bundle_find(&e->bundle, x->kb, ph->name, ph->arch);
	name = f ? f->name : x->kb;
	if (is_nt60(ph)) {
		rb_install_nt60(a, r, x, name);
		return;
	}
	cab = f && f->package_cab ? xstrdup(f->package_cab) :
	    xasprintf("<the .cab of %s>", x->kb);
	buf_addf(a, "rem -- install %s: copy %s from the bundle's files\\ "
	    "next to this script\n", x->kb, name);
	buf_addf(a, "mkdir \"%%KBDIR%%\\%s\" 2>nul\n", x->kb);
	buf_addf(a, "expand -F:* \"%%~dp0%s\" \"%%KBDIR%%\\%s\"\n", name,
	    x->kb);
	buf_adds(a, "if errorlevel 1 goto fail\n");
	buf_addf(a, "dism /online /add-package /packagepath:\"%%KBDIR%%\\%s\\%s\""
	    " /quiet /norestart /English\n", x->kb, cab);
	/* 3010 and 0x240005: reboot required; 0x240006 already installed */
	buf_adds(a, "if errorlevel 1 if not errorlevel 3010 goto fail\n");
	buf_addf(r, "wusa /uninstall /kb:%s /quiet /norestart\n", x->kb + 2);
	free(cab);
}

static void
runbook_text(struct engine *e, const struct plan_host *ph, struct buf *a,
    struct buf *r)
{
	const struct plan_action *x;
	size_t i;

	buf_addf(a, "@echo off\nrem kbfix runbook for %s: run as "
	    "Administrator in cmd.exe.\nrem What it changes is saved under "
	    "%%KBDIR%% for %s-rollback.cmd.\n", ph->name, ph->name);
	buf_adds(a, "set KBDIR=" PLAN_REMOTE_DIR "\nmkdir \"%KBDIR%\" 2>nul\n");
	buf_addf(r, "@echo off\nrem kbfix rollback for %s: undoes %s.cmd "
	    "(run it as Administrator).\nset KBDIR=" PLAN_REMOTE_DIR "\n",
	    ph->name, ph->name);
	for (i = 0; i < ph->nactions; i++) {
		x = &ph->actions[i];
		if (x->kind == ACTION_REGISTRY)
			rb_registry(a, r, x, i);
		else if (x->kind == ACTION_MULTICAST)
			rb_multicast(a, r, x, i);
		else if (x->kind == ACTION_INSTALL)
			rb_install(e, a, r, ph, x);
	}
	buf_adds(a, "echo kbfix: done; the host restarts in 60 s\n"
	    "shutdown /r /t 60 /d p:2:17 /c \"kbfix: hotfix reboot\"\n"
	    "exit /b 0\n:fail\necho kbfix: FAILED (errorlevel %errorlevel%); "
	    "run the rollback script\nexit /b 1\n");
	buf_adds(r, "shutdown /r /t 60 /d p:2:17 /c \"kbfix: rollback "
	    "reboot\"\n");
}

/* cmd.exe reads CRLF scripts. */
static char *
crlf(const struct buf *b, size_t *len)
{
	struct buf o;
	size_t i;

	buf_init(&o, BUF_MAX_DEFAULT);
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			buf_addc(&o, '\r');
		buf_addc(&o, b->data[i]);
	}
	return buf_detach(&o, len);
}

int
runbook_write(struct engine *e, const struct plan_host *ph)
{
	struct buf a, r;
	char *dir, *path = NULL, *text = NULL;
	size_t len;
	int rc = -1;

	buf_init(&a, 1 << 20);
	buf_init(&r, 1 << 20);
	runbook_text(e, ph, &a, &r);
	dir = xasprintf("%s/runbooks", e->o.run_dir);
	if (mkdir_p(dir, 0755) == -1)
		goto out;
	path = xasprintf("%s/%s.cmd", dir, ph->name);
	text = crlf(&a, &len);
	if (file_write_atomic(path, text, len, 0644) == -1)
		goto out;
	free(path);
	free(text);
	path = xasprintf("%s/%s-rollback.cmd", dir, ph->name);
	text = crlf(&r, &len);
	if (file_write_atomic(path, text, len, 0644) == -1)
		goto out;
	rc = 0;
out:
	free(text);
	free(path);
	free(dir);
	buf_release(&a);
	buf_release(&r);
	return rc;
}

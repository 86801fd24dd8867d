/*
 * Runbooks for manual hosts (transport "manual", e.g. Vista / Server 2008
 * where Win32-OpenSSH does not run, FACTS.md section 4): the same steps as
 * the engine as a cmd.exe script an operator runs as Administrator, plus
 * a rollback script that restores what the first one saved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "deploy/deploy_int.h"

/*
 * Exit codes are compared exactly ("%RC%"=="3010"): cmd's `if errorlevel
 * N` means >= N, so a negative HRESULT from wusa (0x80070005 is
 * -2147024891) would pass every `if errorlevel 1` test.  Accepted: 0,
 * 3010 (reboot required) and 2359302 (0x00240006, already installed).
 * Each step appends a line to the result file the operator brings back
 * (kbfix status RUN_DIR --import FILE).
 */
#define RB_CHECK "set RC=%%errorlevel%%\nif not \"%%RC%%\"==\"0\" goto fail\n"

/*
 * A value a Group Policy Preferences item may write back (seed 002 note
 * 2): the refresh apply runs (deploy_cmd_gpupdate(), here with gpupdate's
 * own wait and on a line of its own), then the value read again; set
 * back, the script ends blocked (label blocked-N, rb_blocked()) and says
 * which GPO setting to change.
 */
static void
rb_gpupdate(struct buf *a, const struct plan_action *x, const char *shown,
    size_t i)
{
	buf_addf(a, "rem Group Policy Preferences may write the value back: "
	    "refresh, then read it again\ngpupdate /target:computer /force\n"
	    "reg query \"%s\" /v \"%s\" | find \"%s\" >nul\n"
	    "if errorlevel 1 goto blocked-%zu\n", x->key, x->value, shown, i);
}

static void
rb_blocked(struct buf *a, const struct plan_action *x, size_t i)
{
	buf_addf(a, ":blocked-%zu\necho state blocked workaround-%zu>> "
	    "\"%%RESULT%%\"\necho kbfix: BLOCKED: Group Policy Preferences set "
	    "%s back after gpupdate; change the GPO setting named below, "
	    "then run this script again\nrem ", i, i, x->value);
	buf_add_comment(a, x->group_policy);
	buf_addf(a, "\necho %s\nexit /b 1\n", x->group_policy);
}

static void
rb_registry(struct buf *a, struct buf *r, const struct plan_action *x,
    size_t i)
{
	char *data = x->data_str ? xstrdup(x->data_str) :
	    xasprintf("%u", x->data_num), *shown;

	buf_addf(a, "rem -- registry %s\\%s = %s\nset STEP=workaround-%zu\n",
	    x->key, x->value, data, i);
	/* names and data quoted: "Path Value (x86)" or a ")" must not split
	 * the command (plan_valid_reg* keep " out) */
	buf_addf(a, "reg query \"%s\" /v \"%s\" >nul 2>&1\n", x->key,
	    x->value);
	buf_addf(a, "if errorlevel 1 echo absent> \"%%KBDIR%%\\prior-%zu.txt\""
	    "\n", i);
	buf_addf(a, "if not errorlevel 1 reg export \"%s\" "
	    "\"%%KBDIR%%\\prior-%zu.reg\" /y >nul\n", x->key, i);
	buf_addf(a, "reg add \"%s\" /v \"%s\" /t %s /d \"%s\" /f >nul\n"
	    RB_CHECK, x->key, x->value, x->type, data);
	/* reg query prints "    NAME    TYPE    DATA", a DWORD as 0x1 */
	shown = x->data_str != NULL ? xasprintf("%s    %s", x->type, data) :
	    xasprintf("%s    0x%x", x->type, x->data_num);
	buf_addf(a, "reg query \"%s\" /v \"%s\" | find \"%s\" >nul\n"
	    RB_CHECK, x->key, x->value, shown);
	if (x->group_policy != NULL)
		rb_gpupdate(a, x, shown, i);
	free(shown);
	buf_addf(a, "echo workaround %zu ok>> \"%%RESULT%%\"\n", i);
	buf_addf(r, "if exist \"%%KBDIR%%\\prior-%zu.reg\" reg import "
	    "\"%%KBDIR%%\\prior-%zu.reg\"\n", i, i);
	buf_addf(r, "if exist \"%%KBDIR%%\\prior-%zu.txt\" reg delete \"%s\" "
	    "/v \"%s\" /f\n", i, x->key, x->value);
	free(data);
}

static void
rb_multicast(struct buf *a, struct buf *r, const struct plan_action *x,
    size_t i)
{
	const char *want = x->enabled ? "enabled" : "disabled";

	buf_addf(a, "rem -- multicast forwarding (%s) %s\nset STEP=workaround-"
	    "%zu\n", x->family, want, i);
	buf_addf(a, "netsh interface %s show global | find \"Multicast "
	    "Forwarding\" > \"%%KBDIR%%\\prior-%zu.txt\"\n", x->family, i);
	buf_addf(a, "netsh interface %s set global multicastforwarding=%s "
	    ">nul\n", x->family, want);
	buf_addf(a, "netsh interface %s show global | find \"Multicast "
	    "Forwarding\" | find \": %s\" >nul\n" RB_CHECK, x->family, want);
	buf_addf(a, "echo workaround %zu ok>> \"%%RESULT%%\"\n", i);
	buf_addf(r, "type \"%%KBDIR%%\\prior-%zu.txt\" | find \": enabled\" "
	    ">nul\nif \"%%errorlevel%%\"==\"0\" netsh interface %s set global "
	    "multicastforwarding=enabled\n", i, x->family);
	buf_addf(r, "type \"%%KBDIR%%\\prior-%zu.txt\" | find \": disabled\" "
	    ">nul\nif \"%%errorlevel%%\"==\"0\" netsh interface %s set global "
	    "multicastforwarding=disabled\n", i, x->family);
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

/* Installed already (wmic qfe lists it): nothing to do, no reboot. */
static void
rb_install_check(struct buf *a, const struct plan_action *x, size_t i)
{
	buf_addf(a, "rem -- install %s\nset STEP=install-%zu\n", x->kb, i);
	buf_addf(a, "wmic qfe get HotFixID | find \"%s\" >nul 2>&1\n"
	    "if \"%%errorlevel%%\"==\"0\" goto installed-%zu\n", x->kb, i);
}

/* The exit code of the install just run (RC): exact values only. */
static void
rb_install_result(struct buf *a, const struct plan_action *x, size_t i)
{
	buf_addf(a, "set RC=%%errorlevel%%\n"
	    "echo install %s exit %%RC%%>> \"%%RESULT%%\"\n"
	    "if \"%%RC%%\"==\"3010\" set REBOOT=1\n"
	    "if \"%%RC%%\"==\"3010\" goto installed-%zu\n"
	    "if \"%%RC%%\"==\"0\" goto installed-%zu\n"
	    "if \"%%RC%%\"==\"2359302\" goto installed-%zu\n"
	    "goto fail\n:installed-%zu\n", x->kb, i, i, i, i);
}

static void
rb_install(struct engine *e, struct buf *a, struct buf *r,
    const struct plan_host *ph, const struct plan_action *x, size_t i)
{
	const struct bundle_file *f;
	const char *name;
	char *cab;

	f = bundle_find(&e->bundle, x->kb, ph->name, ph->arch);
	name = f ? f->name : x->kb;
	rb_install_check(a, x, i);
	if (is_nt60(ph)) {
		buf_addf(a, "rem copy %s from the bundle's files\\ next to this "
		    "script (NT 6.0: wusa)\n", name);
		buf_addf(a, "wusa \"%%~dp0%s\" /quiet /norestart\n", name);
		rb_install_result(a, x, i);
		buf_addf(r, "rem NT 6.0 wusa cannot uninstall: remove %s in "
		    "Control Panel, Programs, View installed updates\n"
		    "echo kbfix: remove %s by hand (Control Panel, View "
		    "installed updates); nothing else to undo for it\n"
		    "echo remove %s by-hand>> \"%%RESULT%%\"\n"
		    "set BYHAND=1\n", x->kb, x->kb, x->kb);
		return;
	}
	cab = f && f->package_cab ? xstrdup(f->package_cab) :
	    xasprintf("<the .cab of %s>", x->kb);
	buf_addf(a, "rem copy %s from the bundle's files\\ next to this "
	    "script\n", name);
	buf_addf(a, "mkdir \"%%KBDIR%%\\%s\" 2>nul\n", x->kb);
	buf_addf(a, "expand -F:* \"%%~dp0%s\" \"%%KBDIR%%\\%s\" >nul\n" RB_CHECK,
	    name, x->kb);
	buf_addf(a, "dism /online /add-package /packagepath:\"%%KBDIR%%\\%s\\%s\""
	    " /quiet /norestart /English\n", x->kb, cab);
	rb_install_result(a, x, i);
	buf_addf(r, "set STEP=remove-%zu\nwusa /uninstall /kb:%s /quiet "
	    "/norestart\nset RC=%%errorlevel%%\n"
	    "echo remove %s exit %%RC%%>> \"%%RESULT%%\"\n"
	    "if \"%%RC%%\"==\"3010\" set REBOOT=1\n"
	    "if \"%%RC%%\"==\"3010\" goto removed-%zu\n"
	    "if \"%%RC%%\"==\"0\" goto removed-%zu\n"
	    "if \"%%RC%%\"==\"2359303\" goto removed-%zu\n"
	    "goto fail\n:removed-%zu\n", i, x->kb + 2, x->kb, i, i, i, i);
	free(cab);
}

static void
runbook_text(struct engine *e, const struct plan_host *ph, struct buf *a,
    struct buf *r)
{
	const struct plan_action *x;
	struct buf w;
	int reboot = plan_host_has(ph, ACTION_REBOOT);
	size_t i;

	buf_addf(a, "@echo off\nrem kbfix runbook for %s: run as "
	    "Administrator in cmd.exe.\nrem What it changes is saved under "
	    "%%KBDIR%% for %s-rollback.cmd.\nrem It writes %s-result.txt "
	    "next to it: bring that file back and run\nrem   kbfix status "
	    "RUN_DIR --import %s-result.txt\nrem Run it again after the "
	    "reboot: it then finds everything in place and\nrem verifies "
	    "(result: done).\n", ph->name, ph->name, ph->name, ph->name);
	buf_adds(a, "set KBDIR=" PLAN_REMOTE_DIR "\n");
	buf_addf(a, "set RESULT=%%~dp0%s-result.txt\nset REBOOT=0\n"
	    "mkdir \"%%KBDIR%%\" 2>nul\n"
	    "echo kbfix-result/1 %s apply> \"%%RESULT%%\"\n", ph->name,
	    ph->name);
	buf_addf(r, "@echo off\nrem kbfix rollback for %s: undoes %s.cmd "
	    "(run it as Administrator).\nrem It writes %s-result.txt next "
	    "to it for kbfix status RUN_DIR --import.\nset KBDIR="
	    PLAN_REMOTE_DIR "\nset RESULT=%%~dp0%s-result.txt\nset REBOOT=0\n"
	    "set BYHAND=0\necho kbfix-result/1 %s rollback> \"%%RESULT%%\"\n",
	    ph->name, ph->name, ph->name, ph->name, ph->name);
	/* the workarounds first, as apply sets them (a Group Policy that
	 * sets one back stops the runbook before any install); undo runs
	 * in reverse: the package first, then the workarounds (w) */
	buf_init(&w, 1 << 20);
	for (i = 0; i < ph->nactions; i++) {
		x = &ph->actions[i];
		if (x->kind == ACTION_REGISTRY)
			rb_registry(a, &w, x, i);
		else if (x->kind == ACTION_MULTICAST)
			rb_multicast(a, &w, x, i);
	}
	for (i = ph->nactions; i-- > 0; ) {
		x = &ph->actions[i];
		if (x->kind == ACTION_INSTALL)
			rb_install(e, a, r, ph, x, i);
	}
	buf_adds(r, buf_str(&w));
	buf_release(&w);
	if (reboot)
		buf_adds(a, "if \"%REBOOT%\"==\"1\" goto reboot\n");
	buf_adds(a, "echo verify ok>> \"%RESULT%\"\necho state done>> "
	    "\"%RESULT%\"\necho kbfix: done\nexit /b 0\n");
	if (reboot)
		buf_adds(a, ":reboot\necho state reboot-pending>> \"%RESULT%\""
		    "\necho kbfix: installed; the host restarts in 60 s; run "
		    "this script again afterwards to verify\n"
		    "shutdown /r /t 60 /d p:2:17 /c \"kbfix: hotfix reboot\"\n"
		    "exit /b 0\n");
	buf_adds(a, ":fail\necho state failed %STEP% %RC%>> \"%RESULT%\"\n"
	    "echo kbfix: FAILED at %STEP% (exit %RC%); run the rollback "
	    "script\nexit /b 1\n");
	for (i = 0; i < ph->nactions; i++)
		if (ph->actions[i].kind == ACTION_REGISTRY &&
		    ph->actions[i].group_policy != NULL)
			rb_blocked(a, &ph->actions[i], i);
	if (reboot)
		buf_adds(r, "if \"%REBOOT%\"==\"1\" goto reboot\n");
	buf_adds(r, "if \"%BYHAND%\"==\"1\" goto byhand\n"
	    "echo state rolled-back>> \"%RESULT%\"\necho kbfix: rolled back\n"
	    "exit /b 0\n:byhand\necho state by-hand>> \"%RESULT%\"\n"
	    "exit /b 0\n");
	if (reboot)
		buf_adds(r, ":reboot\necho state rolled-back>> \"%RESULT%\"\n"
		    "echo kbfix: rolled back; the host restarts in 60 s\n"
		    "shutdown /r /t 60 /d p:2:17 /c \"kbfix: rollback reboot\"\n"
		    "exit /b 0\n");
	buf_adds(r, ":fail\necho state failed %STEP% %RC%>> \"%RESULT%\"\n"
	    "echo kbfix: rollback FAILED at %STEP% (exit %RC%)\nexit /b 1\n");
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

/*
 * kbfix status RUN_DIR --import RESULT: what a runbook did, into the
 * journal.  The file is the runbook's own (kbfix-result/1): its first
 * line names the host and the script (apply or rollback), its last
 * "state" line the outcome.  Every field is checked (a manual host of
 * the run's plan, a known state, a step name and a whole number) and the
 * journal gets only text built here, never the file's.
 */
static int
word_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return n > 0 && n < 64;
}

/* A whole number, possibly negative (an HRESULT as %errorlevel%). */
static int
parse_ll(const char *s, long long *v)
{
	char *e;

	if (*s == '\0' || strlen(s) > 12)
		return -1;
	errno = 0;
	*v = strtoll(s, &e, 10);
	return errno != 0 || *e != '\0' ? -1 : 0;
}

/* Cuts line at runs of spaces into at most max fields; their count. */
static int
split_words(char *line, char **f, int max)
{
	int n = 0;

	for (line += strspn(line, " "); *line && n < max;
	    line += strspn(line, " ")) {
		f[n++] = line;
		line += strcspn(line, " ");
		if (*line)
			*line++ = '\0';
	}
	return n;
}

static int
import_parse(const char *path, char *text, char **host, int *rollback,
    char **state, char **step, long long *code)
{
	char *line, *next, *f[5];
	int n, lineno = 0, seen = 0;

	*state = *step = *host = NULL;
	for (line = text; line != NULL && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		n = split_words(line, f, 5);
		if (lineno == 1) {
			if (n != 3 || strcmp(f[0], "kbfix-result/1") != 0 ||
			    (strcmp(f[2], "apply") != 0 &&
			    strcmp(f[2], "rollback") != 0)) {
				err_set("%s: line 1: not a kbfix runbook "
				    "result (kbfix-result/1 HOST apply|"
				    "rollback)", path);
				return -1;
			}
			*host = xstrdup(f[1]);
			*rollback = strcmp(f[2], "rollback") == 0;
			continue;
		}
		if (n < 2 || strcmp(f[0], "state") != 0)
			continue;
		seen = lineno;
		free(*state);
		free(*step);
		*state = xstrdup(f[1]);
		*step = NULL;
		*code = 0;
		if (strcmp(f[1], "failed") == 0) {
			if (n != 4 || !word_ok(f[2]) ||
			    parse_ll(f[3], code) == -1) {
				err_set("%s: line %d: expected 'state failed "
				    "STEP CODE'", path, lineno);
				return -1;
			}
			*step = xstrdup(f[2]);
		} else if (strcmp(f[1], "blocked") == 0) {
			if (n != 3 || !word_ok(f[2])) {
				err_set("%s: line %d: expected 'state blocked "
				    "STEP'", path, lineno);
				return -1;
			}
			*step = xstrdup(f[2]);
		} else if (n != 2 || (strcmp(f[1], "done") != 0 &&
		    strcmp(f[1], "reboot-pending") != 0 &&
		    strcmp(f[1], "rolled-back") != 0 &&
		    strcmp(f[1], "by-hand") != 0)) {
			err_set("%s: line %d: unknown state", path, lineno);
			return -1;
		}
	}
	if (*host == NULL || !seen) {
		err_set("%s: no outcome ('state' line): the runbook did not "
		    "finish; run it again", path);
		return -1;
	}
	return 0;
}

/* "state blocked workaround-N": the action's Group Policy setting. */
static char *
blocked_reason(const struct plan_host *ph, const char *step)
{
	const struct plan_action *x = NULL;
	long long n;

	if (strncmp(step, "workaround-", 11) == 0 &&
	    parse_ll(step + 11, &n) == 0 && n >= 0 &&
	    (size_t)n < ph->nactions)
		x = &ph->actions[n];
	if (x == NULL || x->kind != ACTION_REGISTRY || x->group_policy == NULL)
		return xasprintf("%s: the runbook was blocked at %s", ph->name,
		    step);
	return xasprintf("%s: Group Policy Preferences set %s back after "
	    "gpupdate (the runbook); %s; then run the runbook again (its "
	    "rollback script puts back the value from before kbfix)",
	    ph->name, x->value, x->group_policy);
}

int
deploy_runbook_import(const char *run_dir, const char *path,
    char **host_out, char **state_out)
{
	struct rollback_journal *j = NULL;
	struct rollback_rec r;
	struct plan *plan = NULL;
	const struct plan_host *ph;
	struct buf b;
	char *pp, *lock, *host = NULL, *state = NULL, *step = NULL;
	char *err = NULL;
	const char *jstate;
	long long code = 0;
	int rollback = 0, fd = -1, rc = -1;

	*host_out = *state_out = NULL;
	buf_init(&b, 1 << 20);
	pp = xasprintf("%s/plan.json", run_dir);
	lock = xasprintf("%s/lock", run_dir);
	if (file_read(path, b.max, &b) == -1 || buf_addc(&b, '\0') == -1 ||
	    import_parse(path, b.data, &host, &rollback, &state, &step,
	    &code) == -1 || (plan = plan_read(pp)) == NULL)
		goto out;
	ph = plan_host_find(plan, host);
	if (ph == NULL || !plan_transport_manual(ph->transport)) {
		err_set("%s: host '%s' is not a manual host of %s", path,
		    host, run_dir);
		goto out;
	}
	if (strcmp(state, "done") == 0 && !rollback) {
		jstate = "done";
	} else if (strcmp(state, "rolled-back") == 0 && rollback) {
		jstate = "rolled-back";
	} else if (strcmp(state, "failed") == 0) {
		jstate = rollback ? "rollback-failed" : "failed";
		err = xasprintf("%s: the %srunbook failed at %s (exit %lld = "
		    "0x%08llx)", ph->name, rollback ? "rollback " : "", step,
		    code, code & 0xffffffffLL);
	} else if (strcmp(state, "blocked") == 0 && !rollback) {
		jstate = "blocked";
		err = blocked_reason(ph, step);
	} else if (strcmp(state, "reboot-pending") == 0 && !rollback) {
		jstate = "manual";
		err = xasprintf("%s: the runbook installed and restarts the "
		    "host; run it again after the reboot to verify", ph->name);
	} else if (strcmp(state, "by-hand") == 0 && rollback) {
		jstate = "manual";
		err = xasprintf("%s: rollback: remove the package by hand "
		    "(Control Panel, View installed updates)", ph->name);
	} else {
		err_set("%s: state %s does not fit a%s runbook", path, state,
		    rollback ? " rollback" : "n apply");
		goto out;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1) {
		err_set("%s: another kbfix is working on this run directory",
		    run_dir);
		goto out;
	}
	if ((j = rollback_journal_open(run_dir)) == NULL)
		goto out;
	rollback_rec_init(&r);
	r.ev = RB_EV_STATE;
	r.host = ph->name;
	r.state = jstate;
	r.error = err;
	if (rollback_journal_append(j, &r) == -1)
		goto out;
	*host_out = xstrdup(ph->name);
	*state_out = xstrdup(jstate);
	rc = 0;
out:
	if (j != NULL)
		rollback_journal_close(j);
	if (fd != -1)
		close(fd);
	plan_free(plan);
	free(pp);
	free(lock);
	free(host);
	free(state);
	free(step);
	free(err);
	buf_release(&b);
	return rc;
}

/*
 * winsim entry point.
 *   winsim -c "LINE"        run LINE as cmd.exe /c would (the login shell)
 *   winsim --boot           the host comes back from a reboot (supervisor)
 *   winsim --run-task NAME  run a scheduled task now (supervisor, /run)
 *   winsim --batch C:\X.cmd  run a batch file as the console's
 *                           Administrator (batch.c)
 * Environment: WINSIM_STATE (the host's state directory, required) and
 * WINSIM_HOST (its name).
 *
 * The process exit status is the Windows exit code modulo 256: a Linux
 * sshd reports only 8 bits (WEXITSTATUS).  The full 32-bit code is in the
 * event log ("status" lines); tests/README.md has the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

static const struct {
	const char	*name;
	uint32_t	(*fn)(struct host *, int, char **);
} commands[] = {
	{"reg", cmd_reg},
	{"dism", cmd_dism},
	{"expand", cmd_expand},
	{"wusa", cmd_wusa},
	{"netsh", cmd_netsh},
	{"shutdown", cmd_shutdown},
	{"schtasks", cmd_schtasks},
	{"wmic", cmd_wmic},
	{"systeminfo", cmd_systeminfo},
	{"type", cmd_type},
	{"del", cmd_del},
	{"erase", cmd_del},
	{"mkdir", cmd_mkdir},
	{"md", cmd_mkdir},
	{"rmdir", cmd_rmdir},
	{"rd", cmd_rmdir},
	{"ver", cmd_ver},
	{"hostname", cmd_hostname},
	{"wevtutil", cmd_wevtutil},
	{"gpupdate", cmd_gpupdate},
};

void
out_printf(struct host *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&h->out, fmt, ap);
	va_end(ap);
}

void
err_printf(struct host *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&h->err, fmt, ap);
	va_end(ap);
}

/* "/f" matches /f, /F, -f and -F: Windows tools accept both prefixes. */
int
arg_is(const char *arg, const char *opt)
{
	return (arg[0] == '/' || arg[0] == '-') &&
	    strcasecmp(arg + 1, opt + 1) == 0;
}

/* "/packagepath:" matches /PackagePath:X; *rest points at X. */
int
arg_prefix(const char *arg, const char *opt, const char **rest)
{
	size_t n = strlen(opt) - 1;

	if ((arg[0] != '/' && arg[0] != '-') ||
	    strncasecmp(arg + 1, opt + 1, n) != 0)
		return 0;
	*rest = arg + 1 + n;
	return 1;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * faults/NAME matches when present and its first line ("" = any command)
 * occurs in the line, case-insensitively.  "once TEXT" (or "once") fires
 * one time: the first command to match renames the file NAME.fired.
 */
static int
fault_matches(struct host *h, const char *name, const char *line)
{
	char *f = fault_read(h, name), *from, *to;
	const char *pat = f;
	int hit, once = 0;

	if (f != NULL && strncmp(f, "once", 4) == 0 &&
	    (f[4] == '\0' || f[4] == ' ')) {
		once = 1;
		pat = f[4] == ' ' ? f + 5 : f + 4;
	}
	hit = f != NULL && (*pat == '\0' || strcasestr(line, pat) != NULL);
	if (hit && once) {
		from = xasprintf("%s/faults/%s", h->dir, name);
		to = xasprintf("%s.fired", from);
		hit = rename(from, to) == 0;
		free(from);
		free(to);
	}
	free(f);
	return hit;
}

/* Fault "hang": never answer, but leave once the session is gone. */
static void
hang(struct host *h)
{
	struct pollfd pfd = {1, 0, 0};

	event_log(h, "fault hang");
	for (;;) {
		if (poll(&pfd, 1, 200) == 1 &&
		    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
			_exit(1);
		if (getppid() == 1)
			_exit(1);
	}
}

/* Fault "drop": half of the output, then the session's sshd dies. */
static void
drop(struct host *h)
{
	event_log(h, "fault drop");
	write_all(1, h->out.data ? h->out.data : "", h->out.len / 2);
	sleep_ms(100);
	kill(getppid(), SIGKILL);
	_exit(1);
}

static void
flush(struct host *h)
{
	if (h->out.len > 0)
		write_all(1, h->out.data, h->out.len);
	if (h->err.len > 0)
		write_all(2, h->err.data, h->err.len);
	buf_reset(&h->out);
	buf_reset(&h->err);
}

/* "C:\Windows\System32\reg.exe" -> "reg" */
static char *
command_name(const char *arg0)
{
	const char *base = strrchr(arg0, '\\');
	char *s = xstrdup(base ? base + 1 : arg0);
	size_t n = strlen(s);

	if (n > 4 && strcasecmp(s + n - 4, ".exe") == 0)
		s[n - 4] = '\0';
	return s;
}

/* A command the host's profile says it lacks: no_wmic=1 is Windows 11
 * 24H2 or Server 2025, where wmic.exe is gone. */
static int
absent(struct host *h, const char *name)
{
	struct profile pr;
	int gone = 0;

	if (strcasecmp(name, "wmic") == 0 && profile_load(h, &pr) == 0) {
		gone = strcmp(profile_get(&pr, "no_wmic", "0"), "1") == 0;
		profile_free(&pr);
	}
	return gone;
}

uint32_t
run_simple(struct host *h, const char *text)
{
	char **argv, *name;
	uint32_t rc = WS_NOT_RECOGNIZED;
	size_t i;
	int argc;

	if (argv_split(text, &argv, &argc) == -1)
		return WS_OK;
	name = command_name(argv[0]);
	/* echo is cmd.exe's own: it prints the rest of the line as typed,
	 * quotes included. */
	if (strcasecmp(name, "echo") == 0) {
		const char *rest = text + strlen(argv[0]);

		if (*rest == '\0')
			out_printf(h, "ECHO is on.\r\n");
		else
			out_printf(h, "%s\r\n", rest + 1);
		free(name);
		argv_free(argv, argc);
		return WS_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcasecmp(name, commands[i].name) == 0) {
			if (absent(h, name))
				i = sizeof(commands) / sizeof(commands[0]);
			else
				rc = commands[i].fn(h, argc, argv);
			break;
		}
	}
	if (i == sizeof(commands) / sizeof(commands[0]))
		err_printf(h, "'%s' is not recognized as an internal or "
		    "external command,\r\noperable program or batch file.\r\n",
		    argv[0]);
	free(name);
	argv_free(argv, argc);
	return rc;
}

/* cmd.exe /c LINE: the status is that of the last command run. */
uint32_t
run_line(struct host *h, const char *line)
{
	struct simple *v;
	uint32_t rc = WS_OK;
	size_t i, n;

	if (cmdline_split(line, &v, &n) == -1) {
		err_printf(h, "%s\r\n", err_msg());
		event_log(h, "refused %s", line);
		return WS_FAIL;
	}
	for (i = 0; i < n; i++) {
		if ((v[i].join == JOIN_AND && rc != WS_OK) ||
		    (v[i].join == JOIN_OR && rc == WS_OK))
			continue;
		event_log(h, "cmd %s", v[i].text);
		rc = run_simple(h, v[i].text);
		event_log(h, "status %lu %s", (unsigned long)rc, v[i].text);
		if (fault_matches(h, "drop", v[i].text))
			drop(h);
		flush(h);
	}
	cmdline_free(v, n);
	return rc;
}

static int
host_lock(struct host *h)
{
	char *p = state_path(h, "lock");

	h->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(p);
	if (h->lockfd == -1 || flock(h->lockfd, LOCK_EX) == -1) {
		err_setx_errno("%s: lock", h->dir);
		return -1;
	}
	return 0;
}

static void
host_release(struct host *h)
{
	if (h->lockfd != -1)
		close(h->lockfd);
	buf_release(&h->out);
	buf_release(&h->err);
	free(h->dir);
	free(h->name);
}

static int
host_init(struct host *h)
{
	const char *dir = getenv("WINSIM_STATE"), *name = getenv("WINSIM_HOST");

	memset(h, 0, sizeof(*h));
	h->lockfd = -1;
	buf_init(&h->out, (size_t)64 << 20);
	buf_init(&h->err, (size_t)1 << 20);
	if (dir == NULL || *dir != '/') {
		err_set("WINSIM_STATE is not set to an absolute state directory");
		return -1;
	}
	h->dir = xstrdup(dir);
	h->name = xstrdup(name ? name : "WINSIM");
	return 0;
}

/*
 * wmic.exe reads its standard input to the end before it answers when
 * run without a console (over SSH it waits until the client sends EOF).
 * Simulated when the profile says wmic_reads_stdin=1; done before the
 * host lock so a waiting wmic does not block other sessions.
 */
static void
wmic_stdin(struct host *h, const char *line)
{
	struct profile pr;
	char chunk[4096];
	int wait = 0;

	if (strcasestr(line, "wmic") == NULL || profile_load(h, &pr) == -1)
		return;
	wait = strcmp(profile_get(&pr, "wmic_reads_stdin", "0"), "1") == 0;
	profile_free(&pr);
	if (!wait)
		return;
	event_log(h, "wmic-reads-stdin");
	while (read(0, chunk, sizeof(chunk)) > 0 || errno == EINTR)
		errno = 0;
}

/* Faults that act before the command: slow (ms) and hang. */
static void
faults_before(struct host *h, const char *line)
{
	char *slow = fault_read(h, "slow");
	uint32_t ms;

	if (slow != NULL && parse_u32(slow, &ms) == 0)
		sleep_ms(ms);
	free(slow);
	if (fault_matches(h, "hang", line))
		hang(h);
	wmic_stdin(h, line);
}

static int
usage(void)
{
	fprintf(stderr, "usage: winsim -c COMMAND_LINE | --boot | --batch C:\\X.cmd | "
	    "--run-task NAME\n(environment: WINSIM_STATE, WINSIM_HOST)\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct host h;
	uint32_t rc = WS_OK;

	if (argc != 3 && !(argc == 2 && strcmp(argv[1], "--boot") == 0))
		return usage();
	if (host_init(&h) == -1) {
		fprintf(stderr, "winsim: %s\n", err_msg());
		host_release(&h);
		return 1;
	}
	if (strcmp(argv[1], "-c") == 0)
		faults_before(&h, argv[2]);
	if (host_lock(&h) == -1) {
		fprintf(stderr, "winsim: %s\n", err_msg());
		host_release(&h);
		return 1;
	}
	if (strcmp(argv[1], "-c") == 0) {
		rc = run_line(&h, argv[2]);
	} else if (strcmp(argv[1], "--boot") == 0) {
		rc = host_boot(&h) == 0 ? WS_OK : WS_FAIL;
	} else if (strcmp(argv[1], "--batch") == 0) {
		h.system = 1;	/* a local Administrator: wusa works */
		rc = batch_run(&h, argv[2]);
	} else if (strcmp(argv[1], "--run-task") == 0) {
		h.system = 1;
		rc = task_run(&h, argv[2]) == 0 ? WS_OK : WS_FAIL;
	} else {
		host_release(&h);
		return usage();
	}
	if (rc != WS_OK && strcmp(argv[1], "-c") != 0 &&
	    strcmp(argv[1], "--batch") != 0)
		fprintf(stderr, "winsim: %s\n", err_msg());
	flush(&h);
	host_release(&h);
	/* Never let a failure look like success in 8 bits. */
	return rc != WS_OK && (rc & 0xff) == 0 ? 255 : (int)(rc & 0xff);
}

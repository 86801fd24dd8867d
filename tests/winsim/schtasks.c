/*
 * schtasks /create /tn NAME /tr CMD /sc once /st HH:MM[:SS] [/sd MM/DD/YYYY]
 * /ru SYSTEM /f, /run /tn, /query [/tn] [/fo list|table] [/v], /delete
 * /tn /f (FACTS.md section 4: a reboot at a clock time).  STATE/tasks has
 * one task a line: NAME<TAB>NEXT_MS<TAB>STATUS<TAB>RU<TAB>SC<TAB>LAST<TAB>TR
 * with NEXT_MS -1 when it will not run again.  The fleet supervisor runs
 * "once" tasks when NEXT_MS is reached; /run runs one at once.  A task runs
 * its command line through winsim itself (winsim --run-task NAME), with
 * its output discarded, as SYSTEM.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

#define NOT_FOUND "ERROR: The system cannot find the file specified.\r\n"

struct task {
	char		*name, *status, *ru, *sc, *tr;
	long long	 next;
	unsigned long	 last;
};

struct tasks {
	struct task	*v;
	size_t		 n;
};

struct taskargs {
	const char	*tn, *tr, *sc, *st, *sd, *ru, *fo;
	int		 force, verbose;
};

static void
tasks_free(struct tasks *ts)
{
	size_t i;

	for (i = 0; i < ts->n; i++) {
		free(ts->v[i].name);
		free(ts->v[i].status);
		free(ts->v[i].ru);
		free(ts->v[i].sc);
		free(ts->v[i].tr);
	}
	free(ts->v);
	ts->v = NULL;
	ts->n = 0;
}

static struct task *
task_add(struct tasks *ts, const char *f[7])
{
	struct task *t;

	ts->v = xreallocarray(ts->v, ts->n + 1, sizeof(*ts->v));
	t = &ts->v[ts->n++];
	t->name = xstrdup(f[0]);
	t->next = strtoll(f[1], NULL, 10);
	t->status = xstrdup(f[2]);
	t->ru = xstrdup(f[3]);
	t->sc = xstrdup(f[4]);
	t->last = strtoul(f[5], NULL, 10);
	t->tr = xstrdup(f[6]);
	return t;
}

static int
tasks_load(struct host *h, struct tasks *ts)
{
	char *line, *next;
	const char *f[7];
	struct buf b;
	int k;

	memset(ts, 0, sizeof(*ts));
	if (state_read(h, "tasks", &b) == -1)
		return -1;
	for (line = b.data; line != NULL && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		f[0] = line;
		for (k = 1; k < 7 && f[k - 1] != NULL; k++) {
			char *tab = strchr(f[k - 1], '\t');

			if (tab != NULL)
				*tab++ = '\0';
			f[k] = tab;
		}
		if (k == 7 && f[6] != NULL)
			task_add(ts, f);
	}
	buf_release(&b);
	return 0;
}

static int
tasks_save(struct host *h, const struct tasks *ts)
{
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, (size_t)16 << 20);
	for (i = 0; i < ts->n; i++)
		buf_addf(&b, "%s\t%lld\t%s\t%s\t%s\t%lu\t%s\n", ts->v[i].name,
		    ts->v[i].next, ts->v[i].status, ts->v[i].ru, ts->v[i].sc,
		    ts->v[i].last, ts->v[i].tr);
	rc = state_write(h, "tasks", buf_str(&b), b.len);
	buf_release(&b);
	return rc;
}

static struct task *
task_find(struct tasks *ts, const char *name)
{
	size_t i;

	if (name[0] == '\\')
		name++;
	for (i = 0; i < ts->n; i++)
		if (strcasecmp(ts->v[i].name, name) == 0)
			return &ts->v[i];
	return NULL;
}

static int
parse_args(struct taskargs *a, int argc, char **argv)
{
	static const char *opts[] = {"/tn", "/tr", "/sc", "/st", "/sd", "/ru",
	    "/fo"};
	const char **dst[] = {&a->tn, &a->tr, &a->sc, &a->st, &a->sd, &a->ru,
	    &a->fo};
	size_t k;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 2; i < argc; i++) {
		if (arg_is(argv[i], "/f")) {
			a->force = 1;
			continue;
		}
		if (arg_is(argv[i], "/v")) {
			a->verbose = 1;
			continue;
		}
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (arg_is(argv[i], opts[k]) && i + 1 < argc)
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return -1;
		*dst[k] = argv[++i];
	}
	return 0;
}

/* /st HH:MM [/sd MM/DD/YYYY] in host time (UTC) -> epoch ms. */
static int
start_time(const struct taskargs *a, long long *ms)
{
	unsigned hh, mm, ss = 0, mo, dd, yy;
	struct tm tm;
	time_t now = time(NULL);
	char tail;
	int n;

	n = sscanf(a->st, "%u:%u:%u%c", &hh, &mm, &ss, &tail);
	if ((n != 2 && n != 3) || hh > 23 || mm > 59 || ss > 59)
		return -1;
	gmtime_r(&now, &tm);
	if (a->sd != NULL) {
		if (sscanf(a->sd, "%u/%u/%u%c", &mo, &dd, &yy, &tail) != 3 ||
		    mo < 1 || mo > 12 || dd < 1 || dd > 31 || yy < 1970)
			return -1;
		tm.tm_year = (int)yy - 1900;
		tm.tm_mon = (int)mo - 1;
		tm.tm_mday = (int)dd;
	}
	tm.tm_hour = (int)hh;
	tm.tm_min = (int)mm;
	tm.tm_sec = (int)ss;
	*ms = (long long)timegm(&tm) * 1000;
	return 0;
}

static uint32_t
syntax(struct host *h, const char *what)
{
	err_printf(h, "ERROR: Invalid syntax. %s\r\nType \"SCHTASKS /?\" for "
	    "usage.\r\n", what);
	return WS_FAIL;
}

static uint32_t
task_create(struct host *h, struct tasks *ts, const struct taskargs *a)
{
	const char *f[7];
	char next[32];
	long long ms = -1;
	struct task *t;

	if (a->tn == NULL || a->tr == NULL || a->sc == NULL ||
	    strpbrk(a->tn, "\t\\/") != NULL || strchr(a->tr, '\t') != NULL)
		return syntax(h, "/tn, /tr and /sc are required.");
	if (strcasecmp(a->sc, "once") == 0 &&
	    (a->st == NULL || start_time(a, &ms) == -1))
		return syntax(h, "/sc once needs /st HH:MM.");
	if ((t = task_find(ts, a->tn)) != NULL && !a->force) {
		err_printf(h, "winsim: without /f schtasks would wait at the "
		    "prompt \"WARNING: The task name \"%s\" already exists. Do "
		    "you want to replace it (Y/N)?\" for ever; pass /f.\r\n",
		    a->tn);
		return WS_FAIL;
	}
	if (ms != -1 && ms < now_ms()) {
		out_printf(h, "WARNING: Task may not run because /ST is "
		    "earlier than current time.\r\n");
		ms = -1;
	}
	snprintf(next, sizeof(next), "%lld", ms);
	if (t != NULL) {
		free(t->tr);
		t->tr = xstrdup(a->tr);
		t->next = ms;
	} else {
		f[0] = a->tn; f[1] = next; f[2] = "Ready";
		f[3] = a->ru ? a->ru : "SYSTEM"; f[4] = a->sc; f[5] = "267011";
		f[6] = a->tr;
		task_add(ts, f);
	}
	if (tasks_save(h, ts) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		return WS_FAIL;
	}
	event_log(h, "task-created %s next=%lld", a->tn, ms);
	out_printf(h, "SUCCESS: The scheduled task \"%s\" has successfully "
	    "been created.\r\n", a->tn);
	return WS_OK;
}

static uint32_t
task_delete(struct host *h, struct tasks *ts, const struct taskargs *a)
{
	struct task *t;
	size_t i;

	if (a->tn == NULL)
		return syntax(h, "/tn is required.");
	if ((t = task_find(ts, a->tn)) == NULL) {
		err_printf(h, NOT_FOUND);
		return WS_FAIL;
	}
	if (!a->force) {
		err_printf(h, "winsim: without /f schtasks would wait at the "
		    "prompt \"WARNING: Are you sure you want to remove the task "
		    "\"%s\" (Y/N)?\" for ever; pass /f.\r\n", a->tn);
		return WS_FAIL;
	}
	i = (size_t)(t - ts->v);
	free(t->name);
	free(t->status);
	free(t->ru);
	free(t->sc);
	free(t->tr);
	memmove(&ts->v[i], &ts->v[i + 1], (ts->n - i - 1) * sizeof(*ts->v));
	ts->n--;
	if (tasks_save(h, ts) == -1) {
		err_printf(h, "ERROR: %s\r\n", err_msg());
		return WS_FAIL;
	}
	out_printf(h, "SUCCESS: The scheduled task \"%s\" was successfully "
	    "deleted.\r\n", a->tn);
	return WS_OK;
}

static void
next_text(const struct task *t, char *out, size_t len)
{
	if (t->next < 0)
		snprintf(out, len, "N/A");
	else
		locale_time(t->next, out, len, 0);
}

static void
query_print(struct host *h, const struct task *t, const struct taskargs *a)
{
	char next[64];

	next_text(t, next, sizeof(next));
	if (a->fo == NULL || strcasecmp(a->fo, "list") != 0) {
		out_printf(h, "%-40s %-22s %-15s\r\n", t->name, next, t->status);
		return;
	}
	out_printf(h, "HostName:      %s\r\nTaskName:      \\%s\r\n"
	    "Next Run Time: %s\r\nStatus:        %s\r\n"
	    "Logon Mode:    Interactive/Background\r\n", h->name, t->name,
	    next, t->status);
	if (a->verbose)
		out_printf(h, "Last Result:   %lu\r\nTask To Run:   %s\r\n"
		    "Run As User:   %s\r\nSchedule Type: %s\r\n", t->last, t->tr,
		    t->ru, t->sc);
	out_printf(h, "\r\n");
}

static uint32_t
task_query(struct host *h, struct tasks *ts, const struct taskargs *a)
{
	struct task *t = NULL;
	int list = a->fo != NULL && strcasecmp(a->fo, "list") == 0;
	size_t i;

	if (a->tn != NULL && (t = task_find(ts, a->tn)) == NULL) {
		err_printf(h, NOT_FOUND);
		return WS_FAIL;
	}
	if (ts->n == 0) {
		out_printf(h, "INFO: There are no scheduled tasks presently "
		    "available at your access level.\r\n");
		return WS_OK;
	}
	out_printf(h, "\r\nFolder: \\\r\n");
	if (!list)
		out_printf(h, "%-40s %-22s %-15s\r\n%s %s %s\r\n", "TaskName",
		    "Next Run Time", "Status",
		    "========================================",
		    "======================", "===============");
	for (i = 0; i < ts->n; i++)
		if (t == NULL || t == &ts->v[i])
			query_print(h, &ts->v[i], a);
	return WS_OK;
}

/* Start "winsim --run-task NAME" detached, as the Task Scheduler would. */
static int
spawn_task(const char *name)
{
	char self[4096];
	ssize_t n;
	pid_t pid;
	int fd, st;

	/* readlink, not exec of /proc/self/exe: right under valgrind too. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return -1;
	self[n] = '\0';
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(self, "winsim", "--run-task", name, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return 0;
}

static uint32_t
task_start(struct host *h, struct tasks *ts, const struct taskargs *a)
{
	struct task *t;

	if (a->tn == NULL)
		return syntax(h, "/tn is required.");
	if ((t = task_find(ts, a->tn)) == NULL) {
		err_printf(h, NOT_FOUND);
		return WS_FAIL;
	}
	if (spawn_task(t->name) == -1) {
		err_printf(h, "ERROR: cannot start the task.\r\n");
		return WS_FAIL;
	}
	out_printf(h, "SUCCESS: Attempted to run the scheduled task \"%s\"."
	    "\r\n", t->name);
	return WS_OK;
}

uint32_t
cmd_schtasks(struct host *h, int argc, char **argv)
{
	struct taskargs a;
	struct tasks ts;
	uint32_t rc;

	if (argc < 2 || parse_args(&a, argc, argv) == -1)
		return syntax(h, "");
	if (tasks_load(h, &ts) == -1)
		return WS_FAIL;
	if (arg_is(argv[1], "/create"))
		rc = task_create(h, &ts, &a);
	else if (arg_is(argv[1], "/delete"))
		rc = task_delete(h, &ts, &a);
	else if (arg_is(argv[1], "/query"))
		rc = task_query(h, &ts, &a);
	else if (arg_is(argv[1], "/run"))
		rc = task_start(h, &ts, &a);
	else
		rc = syntax(h, "");
	tasks_free(&ts);
	return rc;
}

/* winsim --run-task NAME: runs under the host lock, output discarded. */
int
task_run(struct host *h, const char *name)
{
	struct tasks ts;
	struct task *t;
	char *line = NULL;
	uint32_t rc;

	if (tasks_load(h, &ts) == -1)
		return -1;
	if ((t = task_find(&ts, name)) == NULL) {
		tasks_free(&ts);
		err_set("%s: no such task", name);
		return -1;
	}
	line = xstrdup(t->tr);
	t->next = -1;
	tasks_save(h, &ts);
	event_log(h, "task-run %s", name);
	tasks_free(&ts);
	rc = run_line(h, line);
	buf_reset(&h->out);
	buf_reset(&h->err);
	if (tasks_load(h, &ts) == 0 && (t = task_find(&ts, name)) != NULL) {
		t->last = rc;
		tasks_save(h, &ts);
	}
	event_log(h, "task-status %lu %s", (unsigned long)rc, name);
	free(line);
	tasks_free(&ts);
	return 0;
}

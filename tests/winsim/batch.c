/*
 * A small cmd.exe batch interpreter: `winsim --batch C:\path\x.cmd` runs
 * a kbfix runbook as an Administrator at the host's console would (wusa
 * works there, unlike in an SSH session).  Only what kbfix's runbooks and
 * Install-Offline.cmd-style scripts use, each refused loudly otherwise:
 *
 *   @echo off, rem, ::, :label, goto label (goto :eof), exit /b N,
 *   set NAME=VALUE, echo TEXT, echo TEXT> FILE / >> FILE,
 *   if [not] errorlevel N CMD   (errorlevel >= N, signed: a negative
 *                                HRESULT is below every N >= 0)
 *   if [not] "A"=="B" CMD       (after expansion)
 *   if [not] exist "PATH" CMD
 *   COMMAND [>nul] [2>nul] [2>&1] [> FILE] [>> FILE]
 *   COMMAND | find [/i] "TEXT"  (errorlevel 0 when a line matches)
 *
 * %NAME% expands from set (and ERRORLEVEL, signed decimal), %~dp0 is the
 * script's folder with its trailing backslash, %% is %.  Expansion is per
 * line, as cmd.exe does for lines without blocks; ( ) blocks are refused.
 * Every command is logged as run_line() logs it ("cmd", "status").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

#define BATCH_STEPS_MAX	100000	/* a goto loop ends here */

struct batch {
	struct host	*h;
	char		*dp0;		/* C:\dir\ */
	char		**names, **vals;
	size_t		 nvars;
	int32_t		 errorlevel;
	char		**lines;
	size_t		 nlines;
	int		 done;
	uint32_t	 exit_code;
};

static void
trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* "x" -> x, in place */
static void
unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

static void
put_fd(int fd, const struct buf *b)
{
	size_t off = 0;
	ssize_t w;

	while (off < b->len) {
		w = write(fd, b->data + off, b->len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static const char *
var_get(struct batch *b, const char *name, char *num, size_t len)
{
	size_t i;

	if (strcasecmp(name, "errorlevel") == 0) {
		snprintf(num, len, "%ld", (long)b->errorlevel);
		return num;
	}
	for (i = 0; i < b->nvars; i++)
		if (strcasecmp(b->names[i], name) == 0)
			return b->vals[i];
	return "";
}

static void
var_set(struct batch *b, const char *name, const char *val)
{
	size_t i;

	for (i = 0; i < b->nvars; i++)
		if (strcasecmp(b->names[i], name) == 0) {
			free(b->vals[i]);
			b->vals[i] = xstrdup(val);
			return;
		}
	b->names = xreallocarray(b->names, b->nvars + 1, sizeof(char *));
	b->vals = xreallocarray(b->vals, b->nvars + 1, sizeof(char *));
	b->names[b->nvars] = xstrdup(name);
	b->vals[b->nvars++] = xstrdup(val);
}

static char *
expand(struct batch *b, const char *s)
{
	struct buf o;
	const char *e;
	char num[16], *name;

	buf_init(&o, 1 << 20);
	while (*s) {
		if (s[0] != '%') {
			buf_addc(&o, *s++);
		} else if (s[1] == '%') {
			buf_addc(&o, '%');
			s += 2;
		} else if (strncasecmp(s, "%~dp0", 5) == 0) {
			buf_adds(&o, b->dp0);
			s += 5;
		} else if ((e = strchr(s + 1, '%')) != NULL) {
			name = xstrndup(s + 1, (size_t)(e - s - 1));
			buf_adds(&o, var_get(b, name, num, sizeof(num)));
			free(name);
			s = e + 1;
		} else {
			s++;	/* a lone % is dropped, as cmd.exe does */
		}
	}
	return buf_detach(&o, NULL);
}

/* Output of the command just run: to stdout, nowhere or a file. */
static void
route(struct batch *b, const char *file, int append, int err_nul)
{
	struct host *h = b->h;
	struct buf old;
	char *p;

	if (file == NULL) {
		put_fd(1, &h->out);
	} else if (strcasecmp(file, "nul") != 0) {
		if (winpath_valid(file) == 0 &&
		    (p = winpath_to_host(h, file)) != NULL) {
			buf_init(&old, (size_t)64 << 20);
			if (append)
				(void)file_read(p, old.max, &old);
			buf_add(&old, h->out.data ? h->out.data : "",
			    h->out.len);
			(void)file_write_atomic(p, old.data ? old.data : "",
			    old.len, 0644);
			buf_release(&old);
			free(p);
		}
	}
	if (!err_nul)
		put_fd(2, &h->err);
	buf_reset(&h->out);
	buf_reset(&h->err);
}

/* Cut the redirections off the end of s: > FILE, >> FILE, 2>nul, 2>&1. */
static void
redirections(char *s, char **file, int *append, int *err_nul)
{
	char *p;
	int any = 1;

	*file = NULL;
	*append = *err_nul = 0;
	while (any) {
		any = 0;
		trim_right(s);
		if ((p = strstr(s, "2>&1")) != NULL && p[4] == '\0') {
			*err_nul = *file != NULL &&
			    strcasecmp(*file, "nul") == 0;
			*p = '\0';
			any = 1;
		} else if ((p = strstr(s, "2>nul")) != NULL && p[5] == '\0') {
			*err_nul = 1;
			*p = '\0';
			any = 1;
		}
	}
	/* the last > outside quotes */
	for (p = s + strlen(s); p > s; p--) {
		if (p[-1] == '"') {
			while (--p > s && p[-1] != '"')
				;
			if (p == s)
				break;
			continue;
		}
		if (p[-1] == '>')
			break;
	}
	if (p == s)
		return;
	*append = p - 1 > s && p[-2] == '>';
	free(*file);
	*file = xstrdup(p + strspn(p, " "));
	unquote(*file);
	p[*append ? -2 : -1] = '\0';
	trim_right(s);
	if (*err_nul == 0 && strcasecmp(*file, "nul") == 0 &&
	    strstr(s, "2>") != NULL)
		*err_nul = 1;
}

static uint32_t
run_cmd(struct batch *b, const char *text)
{
	struct host *h = b->h;
	uint32_t rc;

	event_log(h, "cmd %s", text);
	rc = run_simple(h, text);
	event_log(h, "status %lu %s", (unsigned long)rc, text);
	return rc;
}

/* Keep the lines of h->out that hold the find's text; 0 when one does. */
static int
find_filter(struct batch *b, char *right)
{
	struct host *h = b->h;
	struct buf keep;
	char *needle, *line, *nl, *save, *one;
	char *(*cmp)(const char *, const char *) = strstr;
	int found = 0;

	right += strspn(right, " ");
	if (strncasecmp(right, "find ", 5) != 0)
		return -1;
	right += 5;
	if (strncasecmp(right, "/i ", 3) == 0) {
		cmp = strcasestr;
		right += 3;
	}
	needle = xstrdup(right + strspn(right, " "));
	trim_right(needle);
	unquote(needle);
	buf_init(&keep, (size_t)64 << 20);
	save = xstrndup(h->out.data ? h->out.data : "", h->out.len);
	for (line = save; *line; line = nl) {
		nl = line + strcspn(line, "\n");
		if (*nl == '\n')
			nl++;
		one = xstrndup(line, (size_t)(nl - line));
		if (cmp(one, needle) != NULL) {
			buf_adds(&keep, one);
			found = 1;
		}
		free(one);
	}
	buf_reset(&h->out);
	buf_add(&h->out, keep.data ? keep.data : "", keep.len);
	buf_release(&keep);
	free(save);
	free(needle);
	return found ? 0 : 1;
}

/* COMMAND | find [/i] "TEXT" [| find ...]: s holds NULs at the bars. */
static uint32_t
pipe_find(struct batch *b, char **seg, size_t nseg)
{
	size_t i;
	int rc = 0;

	trim_right(seg[0]);
	(void)run_cmd(b, seg[0]);
	for (i = 1; i < nseg; i++) {
		rc = find_filter(b, seg[i]);
		if (rc == -1) {
			err_printf(b->h, "batch: only '| find' is "
			    "simulated\r\n");
			return WS_FAIL;
		}
	}
	return rc == 0 ? WS_OK : WS_FAIL;
}

static void run_stmt(struct batch *, char *);

static void
do_goto(struct batch *b, const char *label, size_t *pc)
{
	size_t i;
	const char *l;

	if (*label == ':')
		label++;
	if (strcasecmp(label, "eof") == 0) {
		b->done = 1;
		return;
	}
	for (i = 0; i < b->nlines; i++) {
		l = b->lines[i] + strspn(b->lines[i], " \t");
		if (l[0] == ':' && strcasecmp(l + 1, label) == 0) {
			*pc = i;
			return;
		}
	}
	err_printf(b->h, "The system cannot find the batch label specified "
	    "- %s\r\n", label);
	route(b, NULL, 0, 0);
	b->done = 1;
	b->exit_code = WS_FAIL;
}

static size_t *cur_pc;

/* "A"=="B" at s: 1 equal, 0 not, -1 not this form; *rest after it. */
static int
str_compare(char *s, char **rest)
{
	char *a, *ae, *bb, *be;
	int eq;

	if (*s != '"')
		return -1;
	a = s + 1;
	if ((ae = strchr(a, '"')) == NULL || strncmp(ae + 1, "==\"", 3) != 0)
		return -1;
	bb = ae + 4;
	if ((be = strchr(bb, '"')) == NULL)
		return -1;
	eq = ae - a == be - bb && strncasecmp(a, bb, (size_t)(ae - a)) == 0;
	*rest = be + 1;
	return eq;
}

static void
run_if(struct batch *b, char *s)
{
	char *rest = NULL, *e;
	int neg = 0, cond = 0;
	long n;

	s += strspn(s, " ");
	if (strncasecmp(s, "not ", 4) == 0) {
		neg = 1;
		s += 4 + strspn(s + 4, " ");
	}
	if (strncasecmp(s, "errorlevel ", 11) == 0) {
		n = strtol(s + 11, &e, 10);
		cond = b->errorlevel >= n;
		rest = e;
	} else if (strncasecmp(s, "exist ", 6) == 0) {
		char *path, *p;

		s += 6 + strspn(s + 6, " ");
		if (*s == '"') {
			e = strchr(s + 1, '"');
			path = xstrndup(s + 1, e ? (size_t)(e - s - 1) :
			    strlen(s + 1));
			rest = e ? e + 1 : s + strlen(s);
		} else {
			e = s + strcspn(s, " ");
			path = xstrndup(s, (size_t)(e - s));
			rest = e;
		}
		p = winpath_valid(path) == 0 ? winpath_to_host(b->h, path) :
		    NULL;
		cond = p != NULL && access(p, F_OK) == 0;
		free(p);
		free(path);
	} else if ((cond = str_compare(s, &rest)) == -1) {
		err_printf(b->h, "batch: this if is not simulated: %s\r\n", s);
		route(b, NULL, 0, 0);
		b->done = 1;
		b->exit_code = WS_FAIL;
		return;
	}
	if (cond != neg)
		run_stmt(b, rest + strspn(rest, " "));
}

/* One statement, already expanded. */
static void
run_stmt(struct batch *b, char *s)
{
	char *file, *seg[8];
	size_t nseg;
	int append, err_nul;
	uint32_t rc;

	s += strspn(s, " \t@");
	trim_right(s);
	if (*s == '\0' || *s == ':' || (strncasecmp(s, "rem", 3) == 0 &&
	    (s[3] == ' ' || s[3] == '\0')))
		return;
	if (*s == '(') {
		err_printf(b->h, "batch: ( ) blocks are not simulated\r\n");
		route(b, NULL, 0, 0);
		b->done = 1;
		b->exit_code = WS_FAIL;
		return;
	}
	if (strncasecmp(s, "if ", 3) == 0) {
		run_if(b, s + 3);
		return;
	}
	if (strncasecmp(s, "goto ", 5) == 0) {
		do_goto(b, s + 5 + strspn(s + 5, " "), cur_pc);
		return;
	}
	if (strncasecmp(s, "exit /b", 7) == 0) {
		b->exit_code = (uint32_t)strtol(s + 7, NULL, 10);
		b->done = 1;
		return;
	}
	if (strncasecmp(s, "set ", 4) == 0) {
		char *eq = strchr(s + 4, '=');

		if (eq != NULL) {
			*eq = '\0';
			var_set(b, s + 4 + strspn(s + 4, " "), eq + 1);
		}
		return;
	}
	if (strcasecmp(s, "echo off") == 0 || strcasecmp(s, "echo on") == 0)
		return;
	redirections(s, &file, &append, &err_nul);
	{
		int q = 0;
		char *p;

		nseg = 0;
		seg[nseg++] = s;
		for (p = s; *p; p++) {
			if (*p == '"')
				q = !q;
			else if (*p == '|' && !q && nseg < 8) {
				*p = '\0';
				seg[nseg++] = p + 1;
			}
		}
	}
	if (nseg > 1) {
		rc = pipe_find(b, seg, nseg);
		route(b, file, append, err_nul);
	} else if (strncasecmp(s, "echo ", 5) == 0 ||
	    strncasecmp(s, "echo.", 5) == 0) {
		out_printf(b->h, "%s\r\n", s + 5);
		route(b, file, append, err_nul);
		free(file);
		return;	/* echo leaves errorlevel as it was */
	} else {
		rc = run_cmd(b, s);
		route(b, file, append, err_nul);
	}
	b->errorlevel = (int32_t)rc;
	free(file);
}

uint32_t
batch_run(struct host *h, const char *winpath)
{
	struct batch b;
	struct buf text;
	char *path, *p, *line, *x;
	size_t pc, steps = 0, i;

	memset(&b, 0, sizeof(b));
	b.h = h;
	if (winpath_valid(winpath) == -1) {
		err_printf(h, "%s\r\n", err_msg());
		return WS_FAIL;
	}
	path = winpath_to_host(h, winpath);
	buf_init(&text, 1 << 20);
	if (file_read(path, text.max, &text) == -1) {
		err_printf(h, "The system cannot find the file specified.\r\n");
		free(path);
		buf_release(&text);
		return WS_FILE_NOT_FOUND;
	}
	free(path);
	b.dp0 = xstrndup(winpath, (size_t)(strrchr(winpath, '\\') - winpath +
	    1));
	buf_addc(&text, '\0');
	for (p = text.data; *p; ) {
		line = p;
		p += strcspn(p, "\n");
		if (*p == '\n')
			*p++ = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		b.lines = xreallocarray(b.lines, b.nlines + 1, sizeof(char *));
		b.lines[b.nlines++] = xstrdup(line);
	}
	event_log(h, "batch %s", winpath);
	cur_pc = &pc;
	for (pc = 0; pc < b.nlines && !b.done && steps++ < BATCH_STEPS_MAX;
	    pc++) {
		x = expand(&b, b.lines[pc]);
		run_stmt(&b, x);
		free(x);
	}
	if (!b.done)
		b.exit_code = (uint32_t)b.errorlevel;
	event_log(h, "batch-exit %lu %s", (unsigned long)b.exit_code, winpath);
	for (i = 0; i < b.nlines; i++)
		free(b.lines[i]);
	for (i = 0; i < b.nvars; i++) {
		free(b.names[i]);
		free(b.vals[i]);
	}
	free(b.lines);
	free(b.names);
	free(b.vals);
	free(b.dp0);
	buf_release(&text);
	return b.exit_code;
}

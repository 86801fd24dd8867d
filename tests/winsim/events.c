/*
 * wevtutil qe LOG /q:XPATH /f:xml /c:N /rd:true over the host's event
 * store, STATE/winevents: one event a line,
 *
 *   EPOCH_S <TAB> KIND <TAB> A <TAB> B
 *
 *   bugcheck CODE [P1,P2,P3,P4]  System 1001, WER-SystemErrorReporting
 *   kp41 CODE [P1,P2,P3,P4]      System 41, Kernel-Power (CODE 0: power loss)
 *   afd                          System 16002, AFD
 *   scm ID SERVICE               System, Service Control Manager (7011:
 *                                the timeout is param1, the service param2)
 *   appcrash MODULE APP          Application 1000, Application Error
 *
 * The record id is the line number; the log's order is by time.  Each event is printed in the shape
 * of a real capture (tests/fixtures/windows/events, SOURCES.md there):
 * 1001, 41 and 1000 as the bOps records, Service Control Manager as the
 * datadog-agent 7036 record; AFD 16002 has no public capture and is
 * printed in the classic-source shape (Provider without Guid, EventID
 * with Qualifiers).  Events follow one another with no separator and no
 * root element.
 *
 * The XPath subset kbfix sends: *[System[TERM and TERM ...]] with TERM
 * one of EventID=N, (EventID=N or EventID=M ...), Provider[@Name='X'],
 * TimeCreated[timediff(@SystemTime) <= MS].  Anything else is "The
 * specified query is invalid" (ERROR_EVT_INVALID_QUERY, 15001).
 * Fault "wevtutil-denied": access denied (5) for every query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tests/winsim/winsim.h"

#define EVT_INVALID_QUERY	15001u
#define EVT_CHANNEL_NOT_FOUND	15007u
#define NS "http://schemas.microsoft.com/win/2004/08/events/event"
#define IDS_MAX	32

struct wevent {
	int64_t		 t;		/* seconds */
	char		*kind, *a, *b;
	unsigned	 rec;
	const char	*log;		/* System, Application */
	const char	*provider;
	uint32_t	 id;
};

struct query {
	int		 nids;
	uint32_t	 ids[IDS_MAX];
	char		*provider;	/* NULL: any */
	int64_t		 within_ms;	/* -1: any time */
};

static void
system_time(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
}

/* The event's log, provider and id from its kind; -1 for an unknown kind. */
static int
classify(struct wevent *e)
{
	uint32_t id;

	e->log = "System";
	if (strcmp(e->kind, "bugcheck") == 0) {
		e->provider = "Microsoft-Windows-WER-SystemErrorReporting";
		e->id = 1001;
	} else if (strcmp(e->kind, "kp41") == 0) {
		e->provider = "Microsoft-Windows-Kernel-Power";
		e->id = 41;
	} else if (strcmp(e->kind, "afd") == 0) {
		e->provider = "AFD";
		e->id = 16002;
	} else if (strcmp(e->kind, "scm") == 0 && parse_u32(e->a, &id) == 0) {
		e->provider = "Service Control Manager";
		e->id = id;
	} else if (strcmp(e->kind, "appcrash") == 0) {
		e->log = "Application";
		e->provider = "Application Error";
		e->id = 1000;
	} else
		return -1;
	return 0;
}

static void
params(const char *s, unsigned long long p[4])
{
	memset(p, 0, 4 * sizeof(p[0]));
	if (s != NULL && strcmp(s, "-") != 0)
		sscanf(s, "%llx,%llx,%llx,%llx", &p[0], &p[1], &p[2], &p[3]);
}

/* Hex text of a bug check code ("0xD1"), or 0. */
static unsigned long
code_of(const char *s)
{
	return s ? strtoul(s, NULL, 16) : 0;
}

static void
head(struct host *h, const struct wevent *e, const char *provider_attrs,
    const char *qualifiers, int level, int task, const char *keywords)
{
	char tc[40];

	system_time(e->t, tc);
	out_printf(h, "<Event xmlns='" NS "'><System><Provider Name='%s'%s/>"
	    "<EventID%s>%u</EventID><Version>0</Version><Level>%d</Level>"
	    "<Task>%d</Task><Opcode>0</Opcode><Keywords>%s</Keywords>"
	    "<TimeCreated SystemTime='%s'/><EventRecordID>%u</EventRecordID>"
	    "<Correlation/><Execution ProcessID='0' ThreadID='0'/>"
	    "<Channel>%s</Channel><Computer>%s</Computer><Security/>"
	    "</System>", e->provider, provider_attrs, qualifiers, e->id, level,
	    task, keywords, tc, e->rec, e->log, h->name);
}

static void
print_bugcheck(struct host *h, const struct wevent *e)
{
	unsigned long long p[4];
	char day[40];
	time_t tt = (time_t)e->t;
	struct tm tm;

	params(e->b, p);
	gmtime_r(&tt, &tm);
	snprintf(day, sizeof(day), "%02d%02d%02d", tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_year % 100);
	head(h, e, " Guid='{abce23e7-de45-4366-8631-84fa6c525952}' "
	    "EventSourceName='BugCheck'", " Qualifiers='16384'", 2, 0,
	    "0x80000000000000");
	out_printf(h, "<EventData><Data Name='param1'>0x%08lx (0x%016llx, "
	    "0x%016llx, 0x%016llx, 0x%016llx)</Data><Data Name='param2'>"
	    "C:\\WINDOWS\\Minidump\\%s-%05u-01.dmp</Data><Data Name='param3'>"
	    "00000000-0000-4000-8000-%012x</Data></EventData></Event>",
	    code_of(e->a), p[0], p[1], p[2], p[3], day, e->rec, e->rec);
}

static void
print_kp41(struct host *h, const struct wevent *e)
{
	unsigned long long p[4];

	params(e->b, p);
	head(h, e, " Guid='{331c3b3a-2005-44c2-ac5e-77220c37d6b4}'", "", 1, 63,
	    "0x8000400000000002");
	out_printf(h, "<EventData><Data Name='BugcheckCode'>%lu</Data>"
	    "<Data Name='BugcheckParameter1'>0x%llx</Data>"
	    "<Data Name='BugcheckParameter2'>0x%llx</Data>"
	    "<Data Name='BugcheckParameter3'>0x%llx</Data>"
	    "<Data Name='BugcheckParameter4'>0x%llx</Data>"
	    "<Data Name='SleepInProgress'>0</Data>"
	    "<Data Name='PowerButtonTimestamp'>0</Data></EventData></Event>",
	    code_of(e->a), p[0], p[1], p[2], p[3]);
}

static void
print_event(struct host *h, const struct wevent *e)
{
	if (strcmp(e->kind, "bugcheck") == 0)
		print_bugcheck(h, e);
	else if (strcmp(e->kind, "kp41") == 0)
		print_kp41(h, e);
	else if (strcmp(e->kind, "afd") == 0) {
		head(h, e, "", " Qualifiers='32772'", 3, 0, "0x80000000000000");
		out_printf(h, "<EventData></EventData></Event>");
	} else if (strcmp(e->kind, "scm") == 0) {
		head(h, e, " Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' "
		    "EventSourceName='Service Control Manager'",
		    " Qualifiers='49152'", 2, 0, "0x8080000000000000");
		if (e->id == 7009 || e->id == 7011)
			out_printf(h, "<EventData><Data Name='param1'>30000"
			    "</Data><Data Name='param2'>%s</Data></EventData>"
			    "</Event>", e->b);
		else
			out_printf(h, "<EventData><Data Name='param1'>%s"
			    "</Data></EventData></Event>", e->b);
	} else {
		head(h, e, " Guid='{a0e9b465-b939-57d7-b27d-95d8e925ff57}'", "",
		    2, 100, "0x8000000000000000");
		out_printf(h, "<EventData><Data Name='AppName'>%s</Data>"
		    "<Data Name='AppVersion'>10.0.14393.0</Data>"
		    "<Data Name='ModuleName'>%s</Data>"
		    "<Data Name='ExceptionCode'>c0000005</Data>"
		    "<Data Name='ModulePath'>C:\\Windows\\System32\\%s</Data>"
		    "</EventData></Event>", e->b, e->a, e->a);
	}
}

/* "EventID=1001" */
static int
term_id(struct query *q, const char *s)
{
	uint32_t id;

	if (strncmp(s, "EventID=", 8) != 0 || parse_u32(s + 8, &id) == -1 ||
	    q->nids == IDS_MAX)
		return -1;
	q->ids[q->nids++] = id;
	return 0;
}

static int
term(struct query *q, char *s)
{
	char *p, *save = NULL;
	size_t n = strlen(s);
	int64_t ms;

	if (s[0] == '(' && s[n - 1] == ')') {
		s[n - 1] = '\0';
		for (p = strtok_r(s + 1, " ", &save); p != NULL;
		    p = strtok_r(NULL, " ", &save))
			if (strcmp(p, "or") != 0 && term_id(q, p) == -1)
				return -1;
		return 0;
	}
	if (strncmp(s, "EventID=", 8) == 0)
		return term_id(q, s);
	if (strncmp(s, "Provider[@Name='", 16) == 0 && n > 18 &&
	    strcmp(s + n - 2, "']") == 0) {
		q->provider = xstrndup(s + 16, n - 18);
		return 0;
	}
	if (sscanf(s, "TimeCreated[timediff(@SystemTime) <= %lld]",
	    (long long *)&ms) == 1 && ms >= 0 && s[n - 1] == ']') {
		q->within_ms = ms;
		return 0;
	}
	return -1;
}

/* *[System[A and B and C]]: the terms, split at " and " outside (). */
static int
query_parse(struct query *q, const char *xpath)
{
	char *s, *t;
	size_t n = strlen(xpath), i, depth = 0, start;
	int rc = 0;

	memset(q, 0, sizeof(*q));
	q->within_ms = -1;
	if (n < 12 || strncmp(xpath, "*[System[", 9) != 0 ||
	    strcmp(xpath + n - 2, "]]") != 0)
		return -1;
	s = xstrndup(xpath + 9, n - 11);
	for (i = start = 0; rc == 0; i++) {
		if (s[i] == '(' || s[i] == '[')
			depth++;
		else if (s[i] == ')' || s[i] == ']')
			depth--;
		if (s[i] != '\0' && (depth != 0 || strncmp(s + i, " and ", 5)))
			continue;
		t = xstrndup(s + start, i - start);
		rc = term(q, t);
		free(t);
		if (s[i] == '\0')
			break;
		start = i + 5;
		i += 4;
	}
	free(s);
	return rc;
}

static int
matches(const struct query *q, const struct wevent *e, const char *log,
    int64_t now)
{
	int i;

	if (strcasecmp(e->log, log) != 0 ||
	    (q->provider && strcmp(q->provider, e->provider) != 0) ||
	    (q->within_ms >= 0 && now - e->t * 1000 > q->within_ms))
		return 0;
	for (i = 0; i < q->nids; i++)
		if (q->ids[i] == e->id)
			return 1;
	return q->nids == 0;
}

/* The log's order: by time (a test may append an older event last). */
static int
by_time(const void *a, const void *b)
{
	const struct wevent *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static size_t
load(struct host *h, struct wevent **out)
{
	struct buf b;
	struct wevent *v = NULL, e;
	char *line, *save = NULL, *f[4], *fs;
	size_t n = 0, i;
	unsigned rec = 0;

	if (state_read(h, "winevents", &b) == -1)
		return 0;
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		rec++;
		memset(&e, 0, sizeof(e));
		for (i = 0, fs = line; i < 4; i++)
			f[i] = fs ? strsep(&fs, "\t") : NULL;
		if (f[0] == NULL || f[1] == NULL)
			continue;
		e.t = strtoll(f[0], NULL, 10);
		e.kind = xstrdup(f[1]);
		e.a = xstrdup(f[2] ? f[2] : "-");
		e.b = xstrdup(f[3] ? f[3] : "-");
		e.rec = rec;
		if (classify(&e) == -1) {
			free(e.kind);
			free(e.a);
			free(e.b);
			continue;
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = e;
	}
	buf_release(&b);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_time);
	*out = v;
	return n;
}

static void
events_free(struct wevent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].kind);
		free(v[i].a);
		free(v[i].b);
	}
	free(v);
}

struct qargs {
	const char	*log, *xpath;
	uint32_t	 count;		/* 0: all */
	int		 reverse;
};

static int
qargs_parse(int argc, char **argv, struct qargs *a)
{
	const char *v;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 2; i < argc; i++) {
		if (arg_prefix(argv[i], "/q:", &v) ||
		    arg_prefix(argv[i], "/query:", &v))
			a->xpath = v;
		else if (arg_prefix(argv[i], "/c:", &v) ||
		    arg_prefix(argv[i], "/count:", &v)) {
			if (parse_u32(v, &a->count) == -1)
				return -1;
		} else if (arg_prefix(argv[i], "/rd:", &v) ||
		    arg_prefix(argv[i], "/reversedirection:", &v))
			a->reverse = strcasecmp(v, "true") == 0;
		else if (arg_prefix(argv[i], "/f:", &v) ||
		    arg_prefix(argv[i], "/format:", &v)) {
			if (strcasecmp(v, "xml") != 0)
				return -1;	/* winsim prints XML only */
		} else if (argv[i][0] != '/' && a->log == NULL)
			a->log = argv[i];
		else
			return -1;
	}
	return a->log ? 0 : -1;
}

static uint32_t
query(struct host *h, int argc, char **argv)
{
	struct qargs a;
	struct query q;
	struct wevent *v = NULL;
	size_t n, i, k, shown = 0;
	int64_t now = now_ms();

	if (qargs_parse(argc, argv, &a) == -1) {
		err_printf(h, "The parameter is incorrect.\r\n");
		return WS_BAD_PARAMETER;
	}
	if (strcasecmp(a.log, "System") != 0 &&
	    strcasecmp(a.log, "Application") != 0) {
		err_printf(h, "Failed to read events. The specified channel "
		    "could not be found.\r\n");
		return EVT_CHANNEL_NOT_FOUND;
	}
	if (a.xpath && query_parse(&q, a.xpath) == -1) {
		free(q.provider);
		err_printf(h, "Failed to read events. The specified query is "
		    "invalid.\r\n");
		return EVT_INVALID_QUERY;
	}
	if (a.xpath == NULL) {
		memset(&q, 0, sizeof(q));
		q.within_ms = -1;
	}
	n = load(h, &v);
	for (k = 0; k < n && (a.count == 0 || shown < a.count); k++) {
		i = a.reverse ? n - 1 - k : k;
		if (matches(&q, &v[i], a.log, now)) {
			print_event(h, &v[i]);
			shown++;
		}
	}
	events_free(v, n);
	free(q.provider);
	return WS_OK;
}

uint32_t
cmd_wevtutil(struct host *h, int argc, char **argv)
{
	char *f;

	if (argc < 2 || (strcasecmp(argv[1], "qe") != 0 &&
	    strcasecmp(argv[1], "query-events") != 0)) {
		err_printf(h, "The parameter is incorrect.\r\n");
		return WS_BAD_PARAMETER;
	}
	if ((f = fault_read(h, "wevtutil-denied")) != NULL) {
		free(f);
		err_printf(h, "Failed to read events. Access is denied.\r\n");
		return WS_ACCESS_DENIED;
	}
	return query(h, argc, argv);
}

/*
 * The run journal: formatting, appending with fsync, and reading back a
 * journal that a crash may have cut in the middle of its last line.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rollback/rollback.h"
#include "util/util.h"

#define JOURNAL_NAME	"journal.jsonl"
#define JOURNAL_MAX	((size_t)256 << 20)
#define REC_MAX		((size_t)64 << 10)

static const char *const ev_names[RB_EV_N] = {
	"begin", "end", "intent", "done", "fail", "prior", "state", "lease"
};

static const char *const kind_names[] = {
	"", "registry", "multicast", "package"
};

struct rollback_journal {
	int		 fd;
	uint64_t	 seq;
	char		*path;
};

static const char *
ev_name(enum rollback_ev ev)
{
	return ev < RB_EV_N ? ev_names[ev] : "?";
}

void
rollback_rec_init(struct rollback_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->action = -1;
	r->existed = -1;
	r->enabled = -1;
	r->installed = -1;
}

static void
add_str(struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	buf_addf(b, ",\"%s\":", name);
	buf_add_json_str(b, v);
}

static void
add_bool(struct buf *b, const char *name, int v)
{
	if (v >= 0)
		buf_addf(b, ",\"%s\":%s", name, v ? "true" : "false");
}

/* One record as a JSON line (with the newline). */
static int
rec_format(const struct rollback_rec *r, struct buf *b)
{
	size_t start = b->len;

	buf_addf(b, "{\"seq\":%llu", (unsigned long long)r->seq);
	add_str(b, "ts", r->ts);
	if (r->at_ms > 0)
		buf_addf(b, ",\"ms\":%lld", (long long)r->at_ms);
	add_str(b, "ev", ev_name(r->ev));
	add_str(b, "op", r->op);
	add_str(b, "intent", r->intent);
	add_str(b, "host", r->host);
	add_str(b, "step", r->step);
	if (r->action >= 0)
		buf_addf(b, ",\"action\":%d", r->action);
	add_str(b, "state", r->state);
	add_str(b, "group", r->group);
	if (r->kind != RB_KIND_NONE)
		add_str(b, "kind", kind_names[r->kind]);
	add_str(b, "key", r->key);
	add_str(b, "value", r->value);
	add_bool(b, "existed", r->existed);
	add_str(b, "type", r->type);
	add_str(b, "data", r->data);
	add_str(b, "family", r->family);
	add_bool(b, "enabled", r->enabled);
	add_str(b, "kb", r->kb);
	add_bool(b, "installed", r->installed);
	add_str(b, "identity", r->identity);
	add_str(b, "boot", r->boot);
	add_str(b, "boot_after", r->boot_after);
	add_str(b, "clock", r->clock);
	add_str(b, "error", r->error);
	buf_adds(b, "}\n");
	if (b->failed) {
		b->len = start;
		err_set("journal record: too long");
		return -1;
	}
	return 0;
}

/* What the reader refuses is never written: the same check both ways. */
static int
rec_check(const struct rollback_rec *r)
{
	if (r->ev == RB_EV_PRIOR && rollback_prior_check(r) == -1)
		return -1;
	if (r->identity != NULL && !rollback_identity_valid(r->identity)) {
		err_set("field 'identity': must be a dism package identity");
		return -1;
	}
	return 0;
}

/* Cut a torn last line (no newline): it was never fsync'd as a whole. */
static int
journal_trim(int fd, const char *path, uint64_t *nlines)
{
	struct buf b;
	size_t keep, i;
	int rc = -1;

	buf_init(&b, JOURNAL_MAX);
	if (file_read(path, JOURNAL_MAX, &b) == -1)
		goto out;
	keep = b.len;
	while (keep > 0 && b.data[keep - 1] != '\n')
		keep--;
	*nlines = 0;
	for (i = 0; i < keep; i++)
		if (b.data[i] == '\n')
			(*nlines)++;
	if (keep != b.len && (ftruncate(fd, (off_t)keep) == -1 ||
	    fsync(fd) == -1)) {
		err_setx_errno("%s: cutting a torn last record", path);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

struct rollback_journal *
rollback_journal_open(const char *run_dir)
{
	struct rollback_journal *j;
	uint64_t n = 0;

	j = xcalloc(1, sizeof(*j));
	j->path = xasprintf("%s/%s", run_dir, JOURNAL_NAME);
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (j->fd == -1) {
		err_setx_errno("%s", j->path);
		goto fail;
	}
	if (journal_trim(j->fd, j->path, &n) == -1 || fsync_dir(j->path) == -1)
		goto fail;
	j->seq = n;
	return j;
fail:
	rollback_journal_close(j);
	return NULL;
}

/*
 * One record on the O_APPEND descriptor (one kbfix per run directory: the
 * lock).  A short write (a full disk) is followed by the write that says
 * why; on failure the part written is cut, so no torn record stays
 * behind, and the message carries the errno of the failing write.
 */
static int
journal_write(struct rollback_journal *j, const char *p, size_t n)
{
	struct stat st;
	ssize_t w;
	int saved;

	if (fstat(j->fd, &st) == -1) {
		err_setx_errno("%s", j->path);
		return -1;
	}
	while (n > 0) {
		if ((w = write(j->fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (n == 0)
		return 0;
	saved = w == 0 ? ENOSPC : errno;
	if (ftruncate(j->fd, st.st_size) == -1 || fsync(j->fd) == -1)
		err_setx_errno("%s: cutting a partly written record", j->path);
	else {
		errno = saved;
		err_setx_errno("%s: write", j->path);
	}
	return -1;
}

int
rollback_journal_append(struct rollback_journal *j, struct rollback_rec *r)
{
	struct buf b;
	struct timespec now;
	char ts[21];
	int rc = -1;

	buf_init(&b, REC_MAX);
	clock_gettime(CLOCK_REALTIME, &now);
	time_iso8601((int64_t)now.tv_sec, ts);
	r->at_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	r->seq = j->seq + 1;
	r->ts = ts;
	if (rec_check(r) == -1) {
		err_prefix("%s: record not written: ", j->path);
		goto out;
	}
	if (rec_format(r, &b) == -1)
		goto out;
	if (journal_write(j, b.data, b.len) == -1)
		goto out;
	if (fdatasync(j->fd) == -1) {
		err_setx_errno("%s: fsync", j->path);
		goto out;
	}
	j->seq++;
	rc = 0;
out:
	r->ts = NULL;
	buf_release(&b);
	return rc;
}

uint64_t
rollback_journal_count(const struct rollback_journal *j)
{
	return j->seq;
}

void
rollback_journal_close(struct rollback_journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	free(j->path);
	free(j);
}

/* Reading. */

enum ftype { F_STR, F_BOOL, F_WHOLE, F_EV, F_KIND };

/* Sorted by name (bsearch): one pass over a record's members. */
#define F(n, t, f)	{ n, t, offsetof(struct rollback_rec, f) }
static const struct field {
	const char	*name;
	enum ftype	 type;
	size_t		 off;
} fields[] = {
	F("action", F_WHOLE, action), F("boot", F_STR, boot),
	F("boot_after", F_STR, boot_after), F("clock", F_STR, clock),
	F("data", F_STR, data),
	F("enabled", F_BOOL, enabled), F("error", F_STR, error),
	F("ev", F_EV, ev), F("existed", F_BOOL, existed),
	F("family", F_STR, family), F("group", F_STR, group),
	F("host", F_STR, host), F("identity", F_STR, identity),
	F("installed", F_BOOL, installed), F("intent", F_STR, intent),
	F("kb", F_STR, kb), F("key", F_STR, key), F("kind", F_KIND, kind),
	F("ms", F_WHOLE, at_ms), F("op", F_STR, op), F("seq", F_WHOLE, seq),
	F("state", F_STR, state), F("step", F_STR, step),
	F("ts", F_STR, ts), F("type", F_STR, type), F("value", F_STR, value)
};
#undef F

static int
field_cmp(const void *key, const void *f)
{
	return strcmp(key, ((const struct field *)f)->name);
}

/* The index of s in names (empty names never match), or -1. */
static int
name_index(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i][0] != '\0' && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* A whole number in [0, 2^53] (what a JSON double holds exactly). */
static int
whole(const cJSON *v, int64_t max, int64_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > (double)max ||
	    v->valuedouble != (double)(int64_t)v->valuedouble)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int
field_set(const struct field *f, const cJSON *v, struct rollback_rec *r)
{
	char *p = (char *)r + f->off;
	int64_t n;
	int i;

	switch (f->type) {
	case F_STR:
		if (!cJSON_IsString(v))
			return -1;
		*(const char **)(void *)p = xstrdup(v->valuestring);
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(v))
			return -1;
		*(int *)(void *)p = cJSON_IsTrue(v);
		return 0;
	case F_WHOLE:
		if (whole(v, f->off == offsetof(struct rollback_rec, action) ?
		    INT_MAX : (int64_t)1 << 53, &n) == -1)
			return -1;
		if (f->off == offsetof(struct rollback_rec, action))
			r->action = (int)n;
		else if (f->off == offsetof(struct rollback_rec, at_ms))
			r->at_ms = n;
		else
			r->seq = (uint64_t)n;
		return 0;
	case F_EV:
	case F_KIND:
		i = !cJSON_IsString(v) ? -1 : f->type == F_EV ?
		    name_index(v->valuestring, ev_names, RB_EV_N) :
		    name_index(v->valuestring, kind_names, 4);
		if (i == -1)
			return -1;
		if (f->type == F_EV)
			r->ev = (enum rollback_ev)i;
		else
			r->kind = (enum rollback_kind)i;
		return 0;
	}
	return -1;
}

static const char *const ftype_what[] = {
	"a string", "true or false", "a whole number from 0",
	"one of begin, end, intent, done, fail, prior, state, lease",
	"registry, multicast or package"
};

/* Members the reader does not know are left (a newer writer's). */
static int
rec_from_json(const cJSON *o, struct rollback_rec *r)
{
	const struct field *f;
	const cJSON *v;
	uint32_t seen = 0;

	rollback_rec_init(r);
	r->ev = RB_EV_N;
	for (v = o->child; v != NULL; v = v->next) {
		f = bsearch(v->string, fields, sizeof(fields) /
		    sizeof(fields[0]), sizeof(fields[0]), field_cmp);
		if (f == NULL)
			continue;
		if (seen & (1u << (f - fields))) {
			err_set("field '%s': given twice", f->name);
			return -1;
		}
		seen |= 1u << (f - fields);
		if (field_set(f, v, r) == -1) {
			err_set("field '%s': not %s", f->name,
			    ftype_what[f->type]);
			return -1;
		}
	}
	if (r->seq == 0 || r->ev == RB_EV_N) {
		err_set("field '%s': missing%s", r->seq == 0 ? "seq" : "ev",
		    r->seq == 0 ? " or 0" : "");
		return -1;
	}
	return rec_check(r);
}

/* Read records own their strings (the writer only borrows). */
static void
cfree(const char *s)
{
	free((void *)(uintptr_t)s);
}

static void
rec_release(struct rollback_rec *r)
{
	cfree(r->ts); cfree(r->op); cfree(r->host); cfree(r->step);
	cfree(r->state); cfree(r->error); cfree(r->key); cfree(r->value);
	cfree(r->type); cfree(r->data); cfree(r->family); cfree(r->kb);
	cfree(r->identity); cfree(r->boot); cfree(r->boot_after);
	cfree(r->clock); cfree(r->intent); cfree(r->group);
}

/* One line, appended to log->recs (room made by the caller). */
static int
parse_line(const char *line, size_t len, struct rollback_log *log)
{
	cJSON *o;
	struct rollback_rec r;
	int rc = -1;

	rollback_rec_init(&r);
	o = cJSON_ParseWithLength(line, len);
	if (o == NULL || !cJSON_IsObject(o)) {
		err_set("not a journal record (a JSON object a line)");
		goto out;
	}
	if (rec_from_json(o, &r) == -1) {
		rec_release(&r);
		goto out;
	}
	log->recs[log->nrecs++] = r;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

/* A line without its newline that starts as the writer starts a record:
 * a write cut by a crash or a full disk. */
static int
torn_write(const char *line, size_t len)
{
	static const char start[] = "{\"seq\":";

	return len >= sizeof(start) - 1 &&
	    memcmp(line, start, sizeof(start) - 1) == 0;
}

int
rollback_log_parse(const char *name, const char *text, size_t len,
    struct rollback_log *log)
{
	size_t pos = 0, lineno = 0, end, n = 1;
	const char *nl;

	memset(log, 0, sizeof(*log));
	/* one allocation: reading stays linear in the journal's size */
	for (nl = text; (nl = memchr(nl, '\n', len - (size_t)(nl - text)));
	    nl++)
		n++;
	log->recs = xreallocarray(NULL, n, sizeof(*log->recs));
	while (pos < len) {
		lineno++;
		nl = memchr(text + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - text) : len;
		if (nl == NULL && torn_write(text + pos, end - pos)) {
			log->torn = 1;
			break;
		}
		if (end > pos && parse_line(text + pos, end - pos, log) == -1) {
			err_prefix("%s: line %zu: ", name, lineno);
			rollback_log_release(log);
			return -1;
		}
		if (nl == NULL && end > pos) {
			/* a whole record without its newline: not fsync'd */
			rec_release(&log->recs[--log->nrecs]);
			log->torn = 1;
		}
		pos = end + 1;
	}
	return 0;
}

int
rollback_log_read(const char *run_dir, struct rollback_log *log)
{
	struct buf b;
	char *path;
	int rc = -1;

	memset(log, 0, sizeof(*log));
	buf_init(&b, JOURNAL_MAX);
	path = xasprintf("%s/%s", run_dir, JOURNAL_NAME);
	if (file_read(path, JOURNAL_MAX, &b) == -1)
		goto out;
	rc = rollback_log_parse(path, buf_str(&b), b.len, log);
out:
	free(path);
	buf_release(&b);
	return rc;
}

void
rollback_log_release(struct rollback_log *log)
{
	size_t i;

	for (i = 0; i < log->nrecs; i++)
		rec_release(&log->recs[i]);
	free(log->recs);
	memset(log, 0, sizeof(*log));
}

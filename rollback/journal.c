/*
 * The run journal: formatting, appending with fsync, and reading back a
 * journal that a crash may have cut in the middle of its last line.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <fcntl.h>
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
	"begin", "end", "intent", "done", "fail", "prior", "state"
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
	add_str(b, "host", r->host);
	add_str(b, "step", r->step);
	if (r->action >= 0)
		buf_addf(b, ",\"action\":%d", r->action);
	add_str(b, "state", r->state);
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
	add_str(b, "error", r->error);
	buf_adds(b, "}\n");
	if (b->failed) {
		b->len = start;
		err_set("journal record: too long");
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

#define RF(f)	{ #f, offsetof(struct rollback_rec, f) }
static const struct { const char *name; size_t off; } str_fields[] = {
	RF(ts), RF(op), RF(host), RF(step), RF(state), RF(error), RF(key),
	RF(value), RF(type), RF(data), RF(family), RF(kb), RF(identity),
	RF(boot), RF(boot_after)
};
static const struct { const char *name; size_t off; } bool_fields[] = {
	RF(existed), RF(enabled), RF(installed)
};
#undef RF

/* An absent field leaves *out; a present one is a whole number in
 * [min, max] (2^53: what a JSON double holds exactly). */
static int
get_whole(const cJSON *o, const char *name, double min, double max,
    double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)
	    v->valuedouble || v->valuedouble < min || v->valuedouble > max) {
		err_set("field '%s': not a whole number from %.0f to %.0f",
		    name, min, max);
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

/* An absent field is NULL (or -1); a present one has the right type. */
static int
get_fields(const cJSON *o, struct rollback_rec *r)
{
	const cJSON *v;
	size_t i;

	for (i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(o, str_fields[i].name);
		if (v != NULL && !cJSON_IsString(v)) {
			err_set("field '%s': not a string", str_fields[i].name);
			return -1;
		}
		if (v != NULL)
			*(const char **)(void *)((char *)r + str_fields[i].off) =
			    xstrdup(v->valuestring);
	}
	for (i = 0; i < sizeof(bool_fields) / sizeof(bool_fields[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(o, bool_fields[i].name);
		if (v != NULL && !cJSON_IsBool(v)) {
			err_set("field '%s': not true or false",
			    bool_fields[i].name);
			return -1;
		}
		if (v != NULL)
			*(int *)(void *)((char *)r + bool_fields[i].off) =
			    cJSON_IsTrue(v);
	}
	return 0;
}

/* The index of s in names[0..n), or -1 (also for NULL and non-strings). */
static int
get_enum(const cJSON *o, const char *name, const char *const *names,
    size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	size_t i;

	for (i = 0; cJSON_IsString(v) && i < n; i++)
		if (names[i][0] != '\0' && strcmp(v->valuestring, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
rec_from_json(const cJSON *o, struct rollback_rec *r)
{
	double seq = 0, ms = 0, action = -1;
	int ev, kind;

	rollback_rec_init(r);
	if (get_whole(o, "seq", 1, 9007199254740992.0, &seq) == -1 ||
	    get_whole(o, "ms", 0, 9007199254740992.0, &ms) == -1 ||
	    get_whole(o, "action", 0, INT_MAX, &action) == -1)
		return -1;
	if (seq < 1) {
		err_set("field 'seq': missing");
		return -1;
	}
	if ((ev = get_enum(o, "ev", ev_names, RB_EV_N)) == -1) {
		err_set("field 'ev': missing or unknown");
		return -1;
	}
	kind = get_enum(o, "kind", kind_names, 4);
	if (kind == -1 && cJSON_GetObjectItemCaseSensitive(o, "kind")) {
		err_set("field 'kind': must be registry, multicast or package");
		return -1;
	}
	r->seq = (uint64_t)seq;
	r->at_ms = (int64_t)ms;
	r->action = (int)action;
	r->ev = (enum rollback_ev)ev;
	r->kind = kind == -1 ? RB_KIND_NONE : (enum rollback_kind)kind;
	if (get_fields(o, r) == -1)
		return -1;
	if (r->ev == RB_EV_PRIOR && rollback_prior_check(r) == -1)
		return -1;
	if (r->identity != NULL && !rollback_identity_valid(r->identity)) {
		err_set("field 'identity': must be a dism package identity");
		return -1;
	}
	return 0;
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

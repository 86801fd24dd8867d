/*
 * The run journal: formatting, appending with fsync, and reading back a
 * journal that a crash may have cut in the middle of its last line.
 */
#include <errno.h>
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

int
rollback_journal_append(struct rollback_journal *j, struct rollback_rec *r)
{
	struct buf b;
	struct timespec now;
	char ts[21];
	ssize_t w;
	int rc = -1;

	buf_init(&b, REC_MAX);
	clock_gettime(CLOCK_REALTIME, &now);
	time_iso8601((int64_t)now.tv_sec, ts);
	r->at_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	r->seq = j->seq + 1;
	r->ts = ts;
	if (rec_format(r, &b) == -1)
		goto out;
	/* One write on O_APPEND: the record lands whole or not at all. */
	w = write(j->fd, b.data, b.len);
	if (w != (ssize_t)b.len) {
		err_setx_errno("%s: write", j->path);
		goto out;
	}
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

static char *
get_s(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static int
get_b(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static int
rec_from_json(const cJSON *o, struct rollback_rec *r)
{
	const cJSON *v;
	char *ev, *kind;
	size_t i;

	rollback_rec_init(r);
	v = cJSON_GetObjectItemCaseSensitive(o, "seq");
	if (!cJSON_IsNumber(v) || v->valuedouble < 1) {
		err_set("field 'seq': missing or not a positive number");
		return -1;
	}
	r->seq = (uint64_t)v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(o, "ms");
	if (cJSON_IsNumber(v))
		r->at_ms = (int64_t)v->valuedouble;
	ev = get_s(o, "ev");
	r->ev = RB_EV_N;
	for (i = 0; ev != NULL && i < RB_EV_N; i++)
		if (strcmp(ev, ev_names[i]) == 0)
			r->ev = (enum rollback_ev)i;
	free(ev);
	if (r->ev == RB_EV_N) {
		err_set("field 'ev': missing or unknown");
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "action");
	if (cJSON_IsNumber(v))
		r->action = v->valueint;
	kind = get_s(o, "kind");
	for (i = 1; kind != NULL && i < 4; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			r->kind = (enum rollback_kind)i;
	free(kind);
	r->ts = get_s(o, "ts");
	r->op = get_s(o, "op");
	r->host = get_s(o, "host");
	r->step = get_s(o, "step");
	r->state = get_s(o, "state");
	r->error = get_s(o, "error");
	r->key = get_s(o, "key");
	r->value = get_s(o, "value");
	r->type = get_s(o, "type");
	r->data = get_s(o, "data");
	r->family = get_s(o, "family");
	r->kb = get_s(o, "kb");
	r->identity = get_s(o, "identity");
	r->boot = get_s(o, "boot");
	r->boot_after = get_s(o, "boot_after");
	r->existed = get_b(o, "existed");
	r->enabled = get_b(o, "enabled");
	r->installed = get_b(o, "installed");
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

/* One line; *bad set when it is not a journal record. */
static int
parse_line(const char *line, size_t len, struct rollback_log *log)
{
	cJSON *o;
	struct rollback_rec r;
	int rc = -1;

	o = cJSON_ParseWithLength(line, len);
	if (o == NULL || !cJSON_IsObject(o)) {
		err_set("not a JSON object");
		goto out;
	}
	if (rec_from_json(o, &r) == -1)
		goto out;
	log->recs = xreallocarray(log->recs, log->nrecs + 1, sizeof(r));
	log->recs[log->nrecs++] = r;
	rc = 0;
out:
	cJSON_Delete(o);
	return rc;
}

int
rollback_log_parse(const char *name, const char *text, size_t len,
    struct rollback_log *log)
{
	size_t pos = 0, lineno = 0, end;
	const char *nl;

	memset(log, 0, sizeof(*log));
	while (pos < len) {
		lineno++;
		nl = memchr(text + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - text) : len;
		if (end > pos && parse_line(text + pos, end - pos, log) == -1) {
			/* The last line may be torn by a crash: ignore it. */
			if (nl == NULL || end + 1 == len) {
				log->torn = 1;
				return 0;
			}
			err_prefix("%s: line %zu: ", name, lineno);
			rollback_log_release(log);
			return -1;
		}
		if (nl == NULL && end > pos) {
			/* Complete JSON but no newline: written, not fsync'd. */
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

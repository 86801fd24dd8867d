/*
 * Downloads on one curl_multi loop on the calling thread, in the shape of
 * the curl tool's parallel mode (tool_operate.c) and rpki-client's
 * http.c: a queue, a connection cap, one state per transfer.  Each
 * transfer's bytes are hashed and written by its sink in the write
 * callback as they arrive (sink.c).  The loop waits in curl_multi_poll
 * with a timeout: it never spins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define MAX_REDIRECTS	5
#define PROGRESS_MS	200
#define DL_BUFFER	(512 * 1024)

/* DL_ENDED: every byte is in, the file is to be finished (fsync) once
 * the next transfers are under way */
enum dl_step { DL_WAIT, DL_RUNNING, DL_ENDED, DL_DONE };

struct dl_item {
	struct catalog_dl *req;
	enum dl_step	 step;
	char		*url;		/* current, after redirects */
	struct catalog_sink *sink;	/* the part file, from the first start */
	uint64_t	 have;		/* its bytes, once it is closed */
	uint64_t	 expect;	/* whole size, once a response says */
	uint64_t	 cap;		/* most bytes the file may have */
	int		 attempts, redirects;
	int64_t		 not_before;
	int64_t		 deadline;	/* attempts and redirects included */
	int		 too_big;
	int		 checked, discard, restart;
	int64_t		 range_start;	/* from Content-Range, -1: none */
	int64_t		 range_total;	/* its "/SIZE", -1: none or "*" */
	int		 write_errno;
	CURL		*easy;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct dl_run {
	struct catalog_client *c;
	CURLM		*multi;
	struct dl_item	*items;
	size_t		 n, running, cap;
	const struct catalog_dl_hooks *hooks;
	struct catalog_progress prog;
	int64_t		 last_progress;
	uint64_t	 shown;		/* done as last reported */
};

static void
fail(struct dl_item *it, const char *fmt, const char *detail)
{
	free(it->req->error);
	it->req->error = xasprintf(fmt, it->req->name, detail);
	it->step = DL_DONE;
}

static uint64_t
item_have(const struct dl_item *it)
{
	return it->sink ? catalog_sink_size(it->sink) : it->have;
}

/* Decimal digits at p (at most n bytes): their count, 0 when none or
 * too many. */
static size_t
digits(const char *p, size_t n, uint64_t *v)
{
	char num[24];
	size_t d;

	for (d = 0; d < n && p[d] >= '0' && p[d] <= '9'; d++)
		;
	if (d == 0 || d >= sizeof(num))
		return 0;
	memcpy(num, p, d);
	num[d] = '\0';
	return parse_u64(num, INT64_MAX, v) == 0 ? d : 0;
}

/* "Content-Range: bytes START-END/SIZE" (206) or "bytes *\/SIZE" (416):
 * START and SIZE, strictly parsed. */
static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	static const char key[] = "Content-Range: bytes ";
	struct dl_item *it = arg;
	size_t len = size * n, k = sizeof(key) - 1, d;
	uint64_t v;
	const char *slash;

	if (len <= k || strncasecmp(p, key, k) != 0)
		return len;
	if (p[k] != '*') {
		if ((d = digits(p + k, len - k, &v)) == 0 || k + d >= len ||
		    p[k + d] != '-')
			return len;
		it->range_start = (int64_t)v;
	}
	if ((slash = memchr(p + k, '/', len - k)) != NULL &&
	    digits(slash + 1, len - (size_t)(slash + 1 - p), &v) > 0)
		it->range_total = (int64_t)v;
	return len;
}

/* First bytes of a response: decide keep, restart or discard. */
static int
response_start(struct dl_item *it)
{
	curl_off_t len = -1;
	long code = 0;
	uint64_t have = item_have(it);

	it->checked = 1;
	curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(it->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (code == 206 && it->range_start != (int64_t)have) {
		/* a range we did not ask for (the Content-Range says where
		 * the bytes start): start the file over */
		it->discard = it->restart = 1;
		return 0;
	}
	if ((code == 200 || code == 206) && len >= 0)
		it->expect = (uint64_t)len + (code == 206 ? have : 0);
	if (it->expect > it->cap) {
		it->too_big = 1;
		return -1;
	}
	if (code == 206)
		return 0;
	if (code == 200) {
		/* a full answer to a Range request starts the file over */
		if (have > 0 && catalog_sink_truncate(it->sink) == -1) {
			it->write_errno = errno;
			return -1;
		}
		it->req->resumed = 0;
		return 0;
	}
	it->discard = 1;	/* 3xx, 4xx, 5xx bodies */
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct dl_item *it = arg;
	size_t n = size * nmemb;

	if (!it->checked && response_start(it) == -1)
		return 0;
	if (it->discard)
		return n;
	if (item_have(it) + n > it->cap) {
		it->too_big = 1;
		return 0;
	}
	if (catalog_sink_write(it->sink, p, n) == -1) {
		it->write_errno = errno;
		return 0;
	}
	it->req->bytes += n;
	return n;
}

/* The deadline has passed: the request fails, naming url and deadline. */
static void
item_late(struct dl_run *r, struct dl_item *it)
{
	char *m = xasprintf("%s: not downloaded within %d s "
	    "(--download-timeout)", it->url,
	    catalog_http_download_timeout(r->c));

	fail(it, "%s: %s", m);
	free(m);
}

static void
item_too_big(struct dl_item *it)
{
	it->req->bad_bytes = 1;
	char *m = xasprintf("%s: larger than %llu bytes (%s); refused",
	    it->url, (unsigned long long)it->cap, it->req->max_size ?
	    "the Catalog's size for it" : "the limit for a file of unknown "
	    "size");

	fail(it, "%s: %s", m);
	free(m);
}

static int
item_start(struct dl_run *r, struct dl_item *it)
{
	CURL *e;
	int64_t now = time_now_ms();
	char range[32];

	if (it->sink == NULL && (it->sink = catalog_sink_open(
	    it->req->part_path, it->req->resume)) == NULL) {
		fail(it, "%s: %s", err_msg());
		return -1;
	}
	if (it->deadline == 0)		/* from its first start */
		it->deadline = now +
		    (int64_t)catalog_http_download_timeout(r->c) * 1000;
	if (now >= it->deadline) {
		item_late(r, it);
		return -1;
	}
	if ((e = curl_easy_init()) == NULL) {
		fail(it, "%s: %s", "libcurl cannot make a handle");
		return -1;
	}
	it->easy = e;
	it->checked = it->discard = it->restart = 0;
	it->range_start = it->range_total = -1;
	it->errbuf[0] = '\0';
	catalog_http_setup(r->c, e);
	curl_easy_setopt(e, CURLOPT_URL, it->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, it);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, it);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, it);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, it->errbuf);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)DL_BUFFER);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(it->deadline - now));
	/* curl refuses a Content-Length past it (a 200 to a Range request
	 * is the whole file); write_cb counts the bytes */
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)it->cap);
	/* the Range header itself, not CURLOPT_RESUME_FROM: libcurl fails a
	 * 200 to that, where response_start() starts the file over */
	if (item_have(it) > 0) {
		snprintf(range, sizeof(range), "%llu-",
		    (unsigned long long)item_have(it));
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	}
	curl_multi_add_handle(r->multi, e);
	it->step = DL_RUNNING;
	r->running++;
	return 0;
}

static void
item_finish_ok(struct dl_item *it)
{
	if (catalog_sink_finish(it->sink, it->req->sha1,
	    it->req->sha256) == -1) {
		fail(it, "%s: writing the download: %s", strerror(errno));
		return;
	}
	it->req->ok = 1;
	it->step = DL_DONE;
}

static void
item_retry(struct dl_run *r, struct dl_item *it, const char *why)
{
	char *msg;

	if (catalog_http_backoff(r->c, it->attempts, &it->not_before) == -1) {
		msg = xasprintf("gave up after %d attempts: %s",
		    it->attempts + 1, why);
		fail(it, "%s: %s", msg);
		free(msg);
		return;
	}
	it->attempts++;
	/* a retry due after the deadline fails at it */
	if (it->not_before > it->deadline)
		it->not_before = it->deadline;
	it->step = DL_WAIT;
}

static void
item_redirect(struct dl_run *r, struct dl_item *it)
{
	char *loc = NULL, *m;

	curl_easy_getinfo(it->easy, CURLINFO_REDIRECT_URL, &loc);
	if (loc == NULL) {
		fail(it, "%s: %s", "redirect without a Location");
		return;
	}
	if (catalog_url_allowed(r->c, loc, it->url) == -1) {
		m = xasprintf("%s: redirect refused: %s", it->url, err_msg());
		fail(it, "%s: %s", m);
		free(m);
		return;
	}
	if (++it->redirects > MAX_REDIRECTS) {
		fail(it, "%s: %s", "too many redirects");
		return;
	}
	free(it->url);
	it->url = xstrdup(loc);
	it->step = DL_WAIT;
	it->not_before = 0;
}

/* A request has ended, well or not: its part file is closed and the
 * caller hears of it. */
static void
item_close(struct dl_run *r, struct dl_item *it)
{
	it->have = item_have(it);
	catalog_sink_free(it->sink);	/* writes what it gathered */
	it->sink = NULL;
	it->req->have = it->have;
	r->prog.files_done += !it->req->interrupted;
	if (r->hooks->done)
		r->hooks->done(it->req, r->hooks->arg);
}

/* What the answer means: done, retried, redirected or failed. */
static void
item_outcome(struct dl_run *r, struct dl_item *it, CURLcode cc)
{
	long code = 0;
	char why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &code);
	if (it->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		item_too_big(it);
	} else if (cc == CURLE_OPERATION_TIMEDOUT &&
	    time_now_ms() >= it->deadline) {
		item_late(r, it);
	} else if (it->write_errno != 0) {
		fail(it, "%s: writing the download: %s",
		    strerror(it->write_errno));
	} else if (cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CONNECT_ERROR) {
		fail(it, "%s: TLS: %s", it->errbuf[0] ? it->errbuf :
		    curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", it->errbuf[0] ? it->errbuf :
		    curl_easy_strerror(cc));
		item_retry(r, it, why);
	} else if (code >= 300 && code < 400) {
		item_redirect(r, it);
	} else if (code == 416 && item_have(it) > 0 &&
	    it->range_total == (int64_t)item_have(it)) {
		/* the part file was complete: nothing was left to send */
		it->expect = item_have(it);
		it->step = DL_ENDED;
	} else if (code == 416 || it->restart) {
		it->req->resumed = 0;
		if (catalog_sink_truncate(it->sink) == -1)
			fail(it, "%s: writing the download: %s",
			    strerror(errno));
		else
			item_retry(r, it, "the server refused the range");
	} else if (code >= 500 || code == 429 || code == 408) {
		snprintf(why, sizeof(why), "HTTP %ld from %s", code, it->url);
		item_retry(r, it, why);
	} else if (code != 200 && code != 206) {
		snprintf(why, sizeof(why), "HTTP %ld from %s", code, it->url);
		fail(it, "%s: %s", why);
	} else
		it->step = DL_ENDED;
}

static void
item_done(struct dl_run *r, struct dl_item *it, CURLcode cc)
{
	item_outcome(r, it, cc);
	curl_multi_remove_handle(r->multi, it->easy);
	curl_easy_cleanup(it->easy);
	it->easy = NULL;
	r->running--;
	if (it->step == DL_DONE)
		item_close(r, it);
}

/*
 * Bytes in part files against the whole: the Catalog's size of a file
 * until a response gives its real one.  A file that starts over (a 200 to
 * a Range request) would take done down: it stays at its highest.
 */
static void
progress_report(struct dl_run *r, int final)
{
	int64_t now = time_now_ms();
	const struct dl_item *it;
	uint64_t done = 0, total = 0;
	size_t i;

	if (r->hooks->progress == NULL ||
	    (!final && now - r->last_progress < PROGRESS_MS))
		return;
	r->last_progress = now;
	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		done += item_have(it);
		total += it->expect ? it->expect : it->req->size;
	}
	if (done > r->shown)
		r->shown = done;
	r->prog.phase = CATALOG_DOWNLOAD;
	r->prog.done = r->shown;
	r->prog.total = total > r->shown ? total : r->shown;
	r->prog.final = final;
	r->hooks->progress(&r->prog, r->hooks->progress_arg);
}

/*
 * The stop flag is set: transfers in flight end where they are (their
 * sinks write what they gathered), those not started do not start.
 * Files with all their bytes are finished as usual.
 */
static void
interrupt_all(struct dl_run *r)
{
	struct dl_item *it;
	char *m;
	size_t i;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (it->step == DL_DONE || it->step == DL_ENDED)
			continue;
		if (it->easy != NULL) {
			curl_multi_remove_handle(r->multi, it->easy);
			curl_easy_cleanup(it->easy);
			it->easy = NULL;
			r->running--;
		}
		it->req->interrupted = 1;
		m = xasprintf("interrupted after %llu of %llu bytes",
		    (unsigned long long)item_have(it), (unsigned long long)
		    (it->expect ? it->expect : it->req->size));
		fail(it, "%s: %s", m);
		free(m);
		item_close(r, it);
	}
}

/* Starts what may start, in queue order; returns the ms until the next
 * retry is due, or -1 when every request has ended. */
static long
schedule(struct dl_run *r)
{
	int64_t now = time_now_ms(), next = -1;
	struct dl_item *it;
	size_t i, left = 0;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		if (it->step == DL_DONE)
			continue;
		left++;
		if (it->step != DL_WAIT || r->running >= r->cap)
			continue;
		if (it->not_before > now) {
			if (next == -1 || it->not_before < next)
				next = it->not_before;
			continue;
		}
		if (item_start(r, it) == -1)
			item_close(r, it);
	}
	if (left == 0)
		return -1;
	next = next == -1 ? PROGRESS_MS : next - now;
	return next < 1 ? 1 : next > PROGRESS_MS ? PROGRESS_MS : (long)next;
}

/* The transfers that have ended; returns how many ended well. */
static size_t
reap(struct dl_run *r)
{
	CURLMsg *m;
	struct dl_item *it;
	size_t ended = 0;
	int left;

	while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&it);
		item_done(r, it, m->data.result);
		ended += it->step == DL_ENDED;
	}
	return ended;
}

/* Files whose bytes are all in: synced, digests out, the caller told.
 * The fsyncs block (a journal commit each), so the next transfers are
 * started and their requests sent first. */
static void
finish_ended(struct dl_run *r)
{
	size_t i;
	int still;

	schedule(r);
	curl_multi_perform(r->multi, &still);
	for (i = 0; i < r->n; i++)
		if (r->items[i].step == DL_ENDED) {
			item_finish_ok(&r->items[i]);
			item_close(r, &r->items[i]);
		}
}

static void
loop_run(struct dl_run *r)
{
	long wait;
	int still;

	/* a handle just added has its timer due: the poll returns at once;
	 * a signal cuts it short (EINTR) and wait is at most PROGRESS_MS */
	while ((wait = schedule(r)) != -1) {
		curl_multi_poll(r->multi, NULL, 0, (int)wait, NULL);
		curl_multi_perform(r->multi, &still);
		if (catalog_client_stopped(r->c)) {
			reap(r);
			interrupt_all(r);
			finish_ended(r);
			break;
		}
		if (reap(r) > 0)
			finish_ended(r);
		progress_report(r, 0);
	}
}

static void
items_init(struct dl_run *r, struct catalog_dl *reqs)
{
	struct dl_item *it;
	struct stat st;
	size_t i;

	for (i = 0; i < r->n; i++) {
		it = &r->items[i];
		it->req = &reqs[i];
		it->url = xstrdup(reqs[i].url);
		reqs[i].ok = reqs[i].bad_bytes = reqs[i].interrupted = 0;
		reqs[i].error = NULL;
		reqs[i].resumed = reqs[i].have = 0;
		if (reqs[i].resume && stat(reqs[i].part_path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			it->have = reqs[i].resumed = (uint64_t)st.st_size;
		/* the Catalog's size, but never past the hard limit: a page
		 * cannot lift the cap by claiming a huge size */
		it->cap = reqs[i].max_size && reqs[i].max_size <
		    CATALOG_DL_HARD_MAX ? reqs[i].max_size : CATALOG_DL_HARD_MAX;
		if (catalog_url_allowed(r->c, reqs[i].url, NULL) == -1) {
			fail(it, "%s: %s", err_msg());
			item_close(r, it);
		}
	}
}

int
catalog_dl_run(struct catalog_client *c, struct catalog_dl *reqs, size_t n,
    int parallel, const struct catalog_dl_hooks *hooks)
{
	struct dl_run r;
	size_t i;
	int bad = 0;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.multi = catalog_http_multi(c);
	r.n = n;
	r.cap = parallel < 1 ? 1 : (size_t)parallel;
	r.items = xcalloc(n ? n : 1, sizeof(*r.items));
	r.hooks = hooks;
	r.prog.files = n;
	curl_multi_setopt(r.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)r.cap);
	items_init(&r, reqs);
	loop_run(&r);
	progress_report(&r, 1);
	for (i = 0; i < n; i++) {
		bad += !reqs[i].ok;
		free(r.items[i].url);
	}
	free(r.items);
	return bad ? -1 : 0;
}

/*
 * Downloads on one curl_multi loop (the curl tool's parallel mode, and
 * rpki-client's http.c: a queue, a connection cap, one state per transfer).
 * Hashing and writing happen off this loop, in each transfer's sink
 * (sink.c), and the structure check in fetch.c's verification threads, so
 * the loop only moves bytes: TLS and a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "catalog.h"
#include "update_int.h"

#define MAX_REDIRECTS	5
#define BACKOFF_CAP_MS	8000
#define PROGRESS_MS	200
#define DL_BUFFER	(512 * 1024)

enum dl_state { DL_WAIT, DL_RUNNING, DL_DONE };

struct dl_item {
	struct dl_request *req;
	enum dl_state	 state;
	char		*url;		/* current, after redirects */
	struct dl_sink	*sink;		/* owns the part file */
	uint64_t	 have;		/* bytes in the part file */
	uint64_t	 expect;	/* whole size, once a response says */
	int		 attempts, redirects;
	int64_t		 not_before;
	int		 checked, discard, restart;
	int64_t		 range_start;	/* from Content-Range, -1: none */
	int		 write_errno;
	CURL		*easy;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct dl_loop {
	struct catalog_client *c;
	CURLM		*multi;
	struct dl_item	*items;
	size_t		 n, running, left;
	struct catalog_progress prog;
	const struct dl_hooks *hooks;
	int64_t		 last_progress;
};

static void
fail(struct dl_item *it, const char *fmt, const char *detail)
{
	free(it->req->error);
	it->req->error = xasprintf(fmt, it->req->name, detail);
	it->state = DL_DONE;
}

/* Opens the part file for appending; what it holds is resumed. */
static int
part_open(struct dl_item *it)
{
	off_t end = -1;
	int fd;

	fd = open(it->req->part_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1 || (end = lseek(fd, 0, SEEK_END)) == -1 ||
	    (it->sink = dl_sink_new(fd, (uint64_t)end)) == NULL) {
		fail(it, "%s: %s", strerror(errno));
		if (fd != -1)
			close(fd);	/* no sink took it */
		return -1;
	}
	it->have = (uint64_t)end;
	return 0;
}

/* Starts the file over (the sink truncates it and its digests, in order
 * with the bytes before). */
static int
part_truncate(struct dl_item *it)
{
	if (dl_sink_truncate(it->sink) == -1) {
		it->write_errno = errno;
		return -1;
	}
	it->have = 0;
	return 0;
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct dl_item *it = arg;
	long long start;

	if (size * n > 15 && strncasecmp(p, "Content-Range:", 14) == 0 &&
	    sscanf(p + 14, " bytes %lld-", &start) == 1)
		it->range_start = start;
	return size * n;
}

/* First bytes of a response: decide keep, restart or discard. */
static int
response_start(struct dl_item *it)
{
	curl_off_t len = -1;
	long code = 0;

	it->checked = 1;
	curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(it->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if ((code == 200 || code == 206) && len >= 0)
		it->expect = (uint64_t)len + (code == 206 ? it->have : 0);
	if (code == 206 && it->range_start == (int64_t)it->have)
		return 0;
	if (code == 200 || code == 206) {
		/* a full answer to a Range request, or a range we did not
		 * ask for: start the file over */
		if (code == 206) {
			it->discard = it->restart = 1;
			return 0;
		}
		return it->have > 0 ? part_truncate(it) : 0;
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
	if (dl_sink_write(it->sink, p, n) == -1) {
		it->write_errno = errno;
		return 0;
	}
	it->have += n;
	it->req->bytes += n;
	return n;
}

static int
item_start(struct dl_loop *l, struct dl_item *it)
{
	CURL *e = curl_easy_init();

	if (e == NULL) {
		fail(it, "%s: %s", "libcurl cannot make a handle");
		return -1;
	}
	if (it->sink == NULL && part_open(it) == -1) {
		curl_easy_cleanup(e);
		return -1;
	}
	it->easy = e;
	it->checked = it->discard = it->restart = 0;
	it->range_start = -1;
	it->errbuf[0] = '\0';
	catalog_http_setup(l->c, e);
	curl_easy_setopt(e, CURLOPT_URL, it->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, it);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, it);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, it);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, it->errbuf);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)DL_BUFFER);
	if (it->have > 0)
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
		    (curl_off_t)it->have);
	curl_multi_add_handle(l->multi, e);
	it->state = DL_RUNNING;
	l->running++;
	return 0;
}

static void
item_finish_ok(struct dl_item *it)
{
	it->req->ok = 1;
	it->state = DL_DONE;
}

static void
item_retry(struct dl_loop *l, struct dl_item *it, const char *why)
{
	int wait = catalog_http_backoff_ms(l->c);
	int i;

	if (it->attempts >= catalog_http_retries(l->c)) {
		char *msg = xasprintf("gave up after %d attempts: %s",
		    it->attempts + 1, why);
		fail(it, "%s: %s", msg);
		free(msg);
		return;
	}
	for (i = 0; i < it->attempts && wait < BACKOFF_CAP_MS; i++)
		wait *= 2;
	it->attempts++;
	it->not_before = time_now_ms() + (wait > BACKOFF_CAP_MS ?
	    BACKOFF_CAP_MS : wait);
	it->state = DL_WAIT;
}

static void
item_redirect(struct dl_loop *l, struct dl_item *it)
{
	char *loc = NULL;

	curl_easy_getinfo(it->easy, CURLINFO_REDIRECT_URL, &loc);
	if (loc == NULL) {
		fail(it, "%s: %s", "redirect without a Location");
		return;
	}
	if (!catalog_host_allowed(l->c, loc)) {
		char *m = xasprintf("redirected to %s, whose host is not on "
		    "the download allow list (add it with --allow-host)", loc);
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
	it->state = DL_WAIT;
	it->not_before = 0;
}

/* A request has ended, well or not: a good one hands its sink over to
 * be finished in the verification thread; a failed one's is drained. */
static void
item_close(struct dl_loop *l, struct dl_item *it)
{
	if (it->sink != NULL && it->req->ok) {
		dl_sink_close(it->sink);
		it->req->sink = it->sink;
	} else
		dl_sink_free(it->sink);
	it->sink = NULL;
	l->left--;
	l->prog.files_done++;
	if (l->hooks->done)
		l->hooks->done(it->req, l->hooks->arg);
}

static void
item_done(struct dl_loop *l, struct dl_item *it, CURLcode cc)
{
	long code = 0;
	char why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &code);
	if (it->write_errno != 0) {
		fail(it, "%s: writing the download: %s",
		    strerror(it->write_errno));
	} else if (cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_CONNECT_ERROR) {
		fail(it, "%s: TLS: %s", it->errbuf[0] ? it->errbuf :
		    curl_easy_strerror(cc));
	} else if (cc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", it->errbuf[0] ? it->errbuf :
		    curl_easy_strerror(cc));
		item_retry(l, it, why);
	} else if (code >= 300 && code < 400) {
		item_redirect(l, it);
	} else if (code == 416 || it->restart) {
		if (part_truncate(it) == -1)
			fail(it, "%s: %s", strerror(it->write_errno));
		else
			item_retry(l, it, "the server refused the range");
	} else if (code >= 500 || code == 429 || code == 408) {
		snprintf(why, sizeof(why), "HTTP %ld from %s", code, it->url);
		item_retry(l, it, why);
	} else if (code != 200 && code != 206) {
		snprintf(why, sizeof(why), "HTTP %ld from %s", code, it->url);
		fail(it, "%s: %s", why);
	} else
		item_finish_ok(it);
	curl_multi_remove_handle(l->multi, it->easy);
	curl_easy_cleanup(it->easy);
	it->easy = NULL;
	l->running--;
	if (it->state == DL_DONE)
		item_close(l, it);
}

static void
progress_tick(struct dl_loop *l, int final)
{
	int64_t now = time_now_ms();
	uint64_t done = 0, total = 0;
	size_t i;

	if (l->hooks->progress == NULL || (!final && now - l->last_progress <
	    PROGRESS_MS))
		return;
	l->last_progress = now;
	for (i = 0; i < l->n; i++) {
		const struct dl_item *it = &l->items[i];
		done += it->have;
		total += it->expect ? it->expect : it->req->size;
	}
	l->prog.done = done;
	l->prog.total = total;
	l->prog.final = final;
	l->hooks->progress(&l->prog, l->hooks->arg);
}

/* Starts what may start; returns the ms until the next retry is due. */
static long
schedule(struct dl_loop *l, int parallel)
{
	int64_t now = time_now_ms(), next = -1;
	size_t i;

	for (i = 0; i < l->n && l->running < (size_t)parallel; i++) {
		struct dl_item *it = &l->items[i];
		if (it->state != DL_WAIT)
			continue;
		if (it->not_before > now) {
			if (next == -1 || it->not_before < next)
				next = it->not_before;
			continue;
		}
		if (item_start(l, it) == -1)
			item_close(l, it);
	}
	return next == -1 ? 500 : (long)(next - now < 1 ? 1 : next - now);
}

static void
loop_run(struct dl_loop *l, int parallel)
{
	CURLMsg *m;
	int still, left;
	long wait;

	while (l->left > 0) {
		wait = schedule(l, parallel);
		if (l->left == 0)
			break;
		curl_multi_perform(l->multi, &still);
		while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
			struct dl_item *it;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&it);
			item_done(l, it, m->data.result);
		}
		progress_tick(l, 0);
		if (l->running > 0 || l->left > 0)
			curl_multi_poll(l->multi, NULL, 0,
			    (int)(wait > 200 ? 200 : wait), NULL);
	}
}

static void
items_init(struct dl_loop *l, struct catalog_client *c,
    struct dl_request *reqs)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct dl_item *it = &l->items[i];
		it->req = &reqs[i];
		it->url = xstrdup(reqs[i].url);
		reqs[i].ok = 0;
		reqs[i].error = NULL;
		reqs[i].sink = NULL;
		if (!catalog_host_allowed(c, reqs[i].url)) {
			fail(it, "%s: %s", "the URL's host is not on the "
			    "download allow list (add it with --allow-host)");
			item_close(l, it);
		}
	}
}

int
catalog_dl_run(struct catalog_client *c, struct dl_request *reqs, size_t n,
    int parallel, const struct dl_hooks *hooks)
{
	struct dl_loop l;
	size_t i;
	int bad = 0;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.n = l.left = n;
	l.items = xcalloc(n ? n : 1, sizeof(*l.items));
	l.hooks = hooks;
	l.prog.files = n;
	if ((l.multi = curl_multi_init()) == NULL) {
		err_set("libcurl: cannot make a multi handle");
		free(l.items);
		return -1;
	}
	curl_multi_setopt(l.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)parallel);
	items_init(&l, c, reqs);
	loop_run(&l, parallel < 1 ? 1 : parallel);
	progress_tick(&l, 1);
	for (i = 0; i < n; i++) {
		struct dl_item *it = &l.items[i];
		dl_sink_free(it->sink);
		free(it->url);
		bad += !reqs[i].ok;
	}
	curl_multi_cleanup(l.multi);
	free(l.items);
	return bad ? -1 : 0;
}

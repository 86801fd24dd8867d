/*
 * Downloads on curl_multi loops (the curl tool's parallel mode, and
 * rpki-client's http.c: a queue, a connection cap, one state per transfer).
 * Hashing and writing happen off the loops, in each transfer's sink
 * (sink.c), and the structure check in fetch.c's verification threads, so
 * a loop only moves bytes: TLS and a copy.
 *
 * There is one loop per CPU, at most one per connection: on a fast link
 * TLS decryption and the socket reads of four transfers fill one core
 * (curl's own --parallel is one thread and stops there), so the
 * connections are shared out between loops on threads of their own.  Each
 * loop takes the next file from a shared queue when it has a free
 * connection, and keeps that file through its retries and redirects.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#define MAX_LOOPS	8

enum dl_state { DL_WAIT, DL_RUNNING, DL_DONE };

struct dl_loop;

struct dl_item {
	struct dl_request *req;
	struct dl_loop	*owner;		/* NULL until a loop takes it */
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

/* What the loops share; mu guards next, prog, last_progress, the
 * owner of items, and each loop's done and total. */
struct dl_shared {
	struct catalog_client *c;
	struct dl_item	*items;
	size_t		 n;
	const struct dl_hooks *hooks;
	pthread_mutex_t	 mu;
	size_t		 next;		/* first item no loop has taken */
	struct catalog_progress prog;
	int64_t		 last_progress;
	struct dl_loop	*loops;
	size_t		 nloops;
};

struct dl_loop {
	struct dl_shared *sh;
	CURLM		*multi;
	size_t		 cap;		/* its connections */
	size_t		 running;	/* transfers on its multi */
	size_t		 owned;		/* taken and not ended */
	struct dl_item	**mine;		/* every item it has taken */
	size_t		 nmine;
	uint64_t	 done, total;	/* bytes of its items, for progress */
	pthread_t	 thread;
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
	catalog_http_setup(l->sh->c, e);
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
	int wait = catalog_http_backoff_ms(l->sh->c);
	int i;

	if (it->attempts >= catalog_http_retries(l->sh->c)) {
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
	if (!catalog_host_allowed(l->sh->c, loc)) {
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
 * be finished in the verification thread; a failed one's is drained.
 * The done hook runs under the lock, one request at a time. */
static void
item_close(struct dl_shared *sh, struct dl_item *it)
{
	if (it->sink != NULL && it->req->ok) {
		dl_sink_close(it->sink);
		it->req->sink = it->sink;
	} else
		dl_sink_free(it->sink);
	it->sink = NULL;
	if (it->owner != NULL)
		it->owner->owned--;
	pthread_mutex_lock(&sh->mu);
	sh->prog.files_done++;
	if (sh->hooks->done)
		sh->hooks->done(it->req, sh->hooks->arg);
	pthread_mutex_unlock(&sh->mu);
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
		item_close(l->sh, it);
}

static uint64_t
item_total(const struct dl_item *it)
{
	return it->expect ? it->expect : it->req->size;
}

/* Publishes this loop's bytes and, every PROGRESS_MS, reports them all:
 * a loop reads only its own items' counts, the others' come from their
 * last publication. */
static void
progress_tick(struct dl_loop *l)
{
	struct dl_shared *sh = l->sh;
	int64_t now = time_now_ms();
	uint64_t done = 0, total = 0;
	size_t i;

	if (sh->hooks->progress == NULL)
		return;
	pthread_mutex_lock(&sh->mu);
	if (now - sh->last_progress < PROGRESS_MS) {
		pthread_mutex_unlock(&sh->mu);
		return;
	}
	sh->last_progress = now;
	l->done = l->total = 0;
	for (i = 0; i < l->nmine; i++) {
		l->done += l->mine[i]->have;
		l->total += item_total(l->mine[i]);
	}
	for (i = 0; i < sh->n; i++)
		if (sh->items[i].owner == NULL)
			total += item_total(&sh->items[i]);
	for (i = 0; i < sh->nloops; i++) {
		done += sh->loops[i].done;
		total += sh->loops[i].total;
	}
	sh->prog.done = done;
	sh->prog.total = total;
	sh->prog.final = 0;
	sh->hooks->progress(&sh->prog, sh->hooks->progress_arg);
	pthread_mutex_unlock(&sh->mu);
}

/* The last report, once every loop has stopped. */
static void
progress_final(struct dl_shared *sh)
{
	size_t i;

	if (sh->hooks->progress == NULL)
		return;
	sh->prog.done = sh->prog.total = 0;
	for (i = 0; i < sh->n; i++) {
		sh->prog.done += sh->items[i].have;
		sh->prog.total += item_total(&sh->items[i]);
	}
	sh->prog.final = 1;
	sh->hooks->progress(&sh->prog, sh->hooks->progress_arg);
}

/* The next file nobody has taken, now this loop's; NULL when none is
 * left. */
static struct dl_item *
item_take(struct dl_loop *l)
{
	struct dl_shared *sh = l->sh;
	struct dl_item *it = NULL;

	pthread_mutex_lock(&sh->mu);
	while (sh->next < sh->n && sh->items[sh->next].state == DL_DONE)
		sh->next++;
	if (sh->next < sh->n) {
		it = &sh->items[sh->next++];
		it->owner = l;
		l->mine[l->nmine++] = it;
		l->owned++;
	}
	pthread_mutex_unlock(&sh->mu);
	return it;
}

static void
start_or_close(struct dl_loop *l, struct dl_item *it)
{
	if (item_start(l, it) == -1)
		item_close(l->sh, it);
}

/* Starts what may start: this loop's files that wait for a retry or a
 * redirect first, then new ones from the queue.  Returns the ms until
 * the next retry is due. */
static long
schedule(struct dl_loop *l)
{
	int64_t now = time_now_ms(), next = -1;
	struct dl_item *it;
	size_t i;

	for (i = 0; i < l->nmine && l->running < l->cap; i++) {
		it = l->mine[i];
		if (it->state != DL_WAIT)
			continue;
		if (it->not_before > now) {
			if (next == -1 || it->not_before < next)
				next = it->not_before;
			continue;
		}
		start_or_close(l, it);
	}
	while (l->running < l->cap && (it = item_take(l)) != NULL)
		start_or_close(l, it);
	return next == -1 ? 500 : (long)(next - now < 1 ? 1 : next - now);
}

static void *
loop_run(void *arg)
{
	struct dl_loop *l = arg;
	CURLMsg *m;
	int still, left;
	long wait;

	for (;;) {
		wait = schedule(l);
		if (l->owned == 0)
			break;		/* the queue is empty too */
		curl_multi_perform(l->multi, &still);
		while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
			struct dl_item *it;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&it);
			item_done(l, it, m->data.result);
		}
		progress_tick(l);
		if (l->owned > 0)
			curl_multi_poll(l->multi, NULL, 0,
			    (int)(wait > 200 ? 200 : wait), NULL);
	}
	return NULL;
}

static void
items_init(struct dl_shared *sh, struct dl_request *reqs)
{
	size_t i;

	for (i = 0; i < sh->n; i++) {
		struct dl_item *it = &sh->items[i];
		it->req = &reqs[i];
		it->url = xstrdup(reqs[i].url);
		reqs[i].ok = 0;
		reqs[i].error = NULL;
		reqs[i].sink = NULL;
		if (!catalog_host_allowed(sh->c, reqs[i].url)) {
			fail(it, "%s: %s", "the URL's host is not on the "
			    "download allow list (add it with --allow-host)");
			item_close(sh, it);
		}
	}
}

/* One loop per CPU, no more than connections or files. */
static size_t
loops_count(int parallel, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t k = cpus > 1 ? (size_t)cpus : 1;

	if (k > (size_t)parallel)
		k = (size_t)parallel;
	if (k > n)
		k = n;
	if (k > MAX_LOOPS)
		k = MAX_LOOPS;
	return k ? k : 1;
}

/* Makes the loops and shares the connections out; -1 when libcurl has
 * no multi handle to give. */
static int
loops_new(struct dl_shared *sh, int parallel)
{
	size_t i, k = loops_count(parallel, sh->n);

	sh->loops = xcalloc(k, sizeof(*sh->loops));
	for (i = 0; i < k; i++) {
		struct dl_loop *l = &sh->loops[i];
		if ((l->multi = curl_multi_init()) == NULL) {
			err_set("libcurl: cannot make a multi handle");
			return -1;
		}
		l->sh = sh;
		l->mine = xcalloc(sh->n ? sh->n : 1, sizeof(*l->mine));
		l->cap = (size_t)parallel / k + (i < (size_t)parallel % k);
		sh->nloops++;
		curl_multi_setopt(l->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
		    (long)l->cap);
	}
	return 0;
}

/* Runs loop 0 here and the others on threads; a loop whose thread cannot
 * start leaves the files to the rest. */
static void
loops_run(struct dl_shared *sh)
{
	size_t i;
	int *started = xcalloc(sh->nloops, sizeof(*started));

	for (i = 1; i < sh->nloops; i++)
		started[i] = pthread_create(&sh->loops[i].thread, NULL,
		    loop_run, &sh->loops[i]) == 0;
	loop_run(&sh->loops[0]);
	for (i = 1; i < sh->nloops; i++)
		if (started[i])
			pthread_join(sh->loops[i].thread, NULL);
	free(started);
}

int
catalog_dl_run(struct catalog_client *c, struct dl_request *reqs, size_t n,
    int parallel, const struct dl_hooks *hooks)
{
	struct dl_shared sh;
	size_t i;
	int bad = 0, rc = -1;

	memset(&sh, 0, sizeof(sh));
	sh.c = c;
	sh.n = n;
	sh.items = xcalloc(n ? n : 1, sizeof(*sh.items));
	sh.hooks = hooks;
	sh.prog.files = n;
	pthread_mutex_init(&sh.mu, NULL);
	if (loops_new(&sh, parallel < 1 ? 1 : parallel) == -1)
		goto out;
	items_init(&sh, reqs);
	loops_run(&sh);
	progress_final(&sh);
	for (i = 0; i < n; i++)
		bad += !reqs[i].ok;
	rc = bad ? -1 : 0;
out:
	for (i = 0; i < n; i++) {
		dl_sink_free(sh.items[i].sink);
		free(sh.items[i].url);
	}
	for (i = 0; i < sh.nloops; i++) {
		curl_multi_cleanup(sh.loops[i].multi);
		free(sh.loops[i].mine);
	}
	free(sh.loops);
	free(sh.items);
	pthread_mutex_destroy(&sh.mu);
	return rc;
}

/*
 * The Catalog client: base URL, trusted CAs, the download host allow list,
 * one curl_multi handle for every transfer, and page requests with
 * retries.  TLS is always verified; --cacert adds a
 * CA to the system ones (CAINFO plus the system CAPATH).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define SYSTEM_CAPATH	"/etc/ssl/certs"
#define DEFAULT_RETRIES	4
#define DEFAULT_BACKOFF	500	/* ms, doubled each attempt, capped */
#define BACKOFF_CAP	8000

/* Download hosts over the years (FACTS.md section 2). */
static const char *const microsoft_hosts[] = {
	"download.windowsupdate.com",
	"catalog.s.download.windowsupdate.com",
	"catalog.sf.dl.delivery.mp.microsoft.com",
};

/* Where a URL points: scheme, host (lower case) and port. */
struct origin {
	char		 scheme[6];	/* "http" or "https" */
	char		*host;
	long		 port;
};

/* An extra download host: port 0 is the default port of either scheme. */
struct allow {
	char		*host;
	long		 port;
};

struct catalog_client {
	char		*base;
	struct origin	 base_origin;
	char		*cacert;
	struct allow	*hosts;
	size_t		 nhosts;
	int		 retries;
	int		 backoff_ms;
	int		 request_timeout, download_timeout;	/* s */
	int		 global;
	CURLM		*multi;		/* its connections, kept alive */
	const volatile sig_atomic_t *stop;	/* set: loops end */
};

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Fills o from an absolute http:// or https:// URL; 0 or -1. */
static int
url_origin(const char *url, struct origin *o)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	lower(scheme);
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	snprintf(o->scheme, sizeof(o->scheme), "%s", scheme);
	o->host = xstrdup(host);
	lower(o->host);
	o->port = strtol(port, NULL, 10);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* HOST or HOST:PORT (a bracketed IPv6 address takes its port after "]"). */
static int
allow_parse(const char *s, struct allow *a)
{
	const char *colon = strrchr(s, ':'), *rb = strrchr(s, ']');
	int port;

	a->port = 0;
	if (colon != NULL && (s[0] != '[' || (rb != NULL && colon > rb))) {
		if (parse_int(colon + 1, 1, 65535, &port) == -1) {
			err_set("--allow-host '%s': the port must be 1-65535",
			    s);
			return -1;
		}
		a->port = port;
		a->host = xstrndup(s, (size_t)(colon - s));
	} else
		a->host = xstrdup(s);
	lower(a->host);
	if (a->host[0] == '\0') {
		err_set("--allow-host '%s': no host", s);
		return -1;
	}
	return 0;
}

static char *
base_resolve(const char *opt)
{
	const char *env = getenv("KBFIX_CATALOG_URL");
	const char *b = opt ? opt : env && *env ? env : CATALOG_DEFAULT_URL;
	size_t n = strlen(b);

	while (n > 0 && b[n - 1] == '/')
		n--;
	return xstrndup(b, n);
}

static int
timeout_or(int v, int def)
{
	return v > 0 ? v : def;
}

struct catalog_client *
catalog_client_new(const struct catalog_options *o)
{
	struct catalog_client *c = xcalloc(1, sizeof(*c));
	size_t i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->global = 1;
	c->base = base_resolve(o->base_url);
	if (strncasecmp(c->base, "http://", 7) != 0 &&
	    strncasecmp(c->base, "https://", 8) != 0) {
		err_set("Catalog URL '%s' must start with http:// or https://",
		    c->base);
		goto fail;
	}
	if (url_origin(c->base, &c->base_origin) == -1) {
		err_set("Catalog URL '%s' has no host", c->base);
		goto fail;
	}
	c->cacert = o->cacert ? xstrdup(o->cacert) : NULL;
	c->hosts = xcalloc(o->nallow_hosts + 1, sizeof(*c->hosts));
	for (i = 0; i < o->nallow_hosts; i++) {
		c->nhosts++;	/* freed with the client, parsed or not */
		if (allow_parse(o->allow_hosts[i], &c->hosts[i]) == -1)
			goto fail;
	}
	c->retries = o->retries > 0 ? o->retries : DEFAULT_RETRIES;
	c->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF;
	c->request_timeout = timeout_or(o->request_timeout,
	    CATALOG_REQUEST_TIMEOUT);
	c->download_timeout = timeout_or(o->download_timeout,
	    CATALOG_DOWNLOAD_TIMEOUT);
	if ((c->multi = curl_multi_init()) == NULL) {
		err_set("libcurl: cannot make a multi handle");
		goto fail;
	}
	return c;
fail:
	catalog_client_free(c);
	return NULL;
}

void
catalog_client_free(struct catalog_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nhosts; i++)
		free(c->hosts[i].host);
	free(c->hosts);
	free(c->base);
	free(c->base_origin.host);
	free(c->cacert);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->global)
		curl_global_cleanup();
	free(c);
}

void
catalog_client_stop_on(struct catalog_client *c,
    const volatile sig_atomic_t *flag)
{
	c->stop = flag;
}

int
catalog_client_stopped(const struct catalog_client *c)
{
	return c->stop != NULL && *c->stop != 0;
}

const char *
catalog_client_base(const struct catalog_client *c)
{
	return c->base;
}

int
catalog_http_backoff(const struct catalog_client *c, int attempts,
    int64_t *not_before)
{
	int i, wait = c->backoff_ms;

	if (attempts >= c->retries)
		return -1;
	for (i = 0; i < attempts && wait < BACKOFF_CAP; i++)
		wait *= 2;
	*not_before = time_now_ms() + (wait > BACKOFF_CAP ? BACKOFF_CAP : wait);
	return 0;
}

CURLM *
catalog_http_multi(struct catalog_client *c)
{
	return c->multi;
}

int
catalog_http_request_timeout(const struct catalog_client *c)
{
	return c->request_timeout;
}

int
catalog_http_download_timeout(const struct catalog_client *c)
{
	return c->download_timeout;
}

static int
origin_allowed(const struct catalog_client *c, const struct origin *o)
{
	const struct origin *b = &c->base_origin;
	long def = strcmp(o->scheme, "https") == 0 ? 443 : 80;
	size_t i;

	if (strcmp(o->scheme, b->scheme) == 0 &&
	    strcmp(o->host, b->host) == 0 && o->port == b->port)
		return 1;
	for (i = 0; i < sizeof(microsoft_hosts) / sizeof(microsoft_hosts[0]);
	    i++)
		if (strcmp(o->host, microsoft_hosts[i]) == 0 &&
		    o->port == def)
			return 1;
	for (i = 0; i < c->nhosts; i++)
		if (strcmp(o->host, c->hosts[i].host) == 0 &&
		    o->port == (c->hosts[i].port ? c->hosts[i].port : def))
			return 1;
	return 0;
}

int
catalog_url_allowed(const struct catalog_client *c, const char *url,
    const char *from)
{
	struct origin o, f;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	if (url_origin(url, &o) == -1) {
		err_set("%s is not an http:// or https:// URL with a host",
		    url);
		return -1;
	}
	if (from != NULL && url_origin(from, &f) == 0 &&
	    strcmp(f.scheme, "https") == 0 && strcmp(o.scheme, "http") == 0)
		err_set("%s: a redirect from https to http is refused", url);
	else if (!origin_allowed(c, &o))
		err_set("%s: %s://%s:%ld is not on the download allow list "
		    "(add it with --allow-host HOST:PORT)", url, o.scheme,
		    o.host, o.port);
	else
		rc = 0;
	free(o.host);
	free(f.host);
	return rc;
}

void
catalog_http_setup(const struct catalog_client *c, CURL *curl)
{
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
		curl_easy_setopt(curl, CURLOPT_CAPATH, SYSTEM_CAPATH);
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "kbfix/0.1");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
}

char *
catalog_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			buf_addc(&b, ch);
		else
			buf_addf(&b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
	return buf_detach(&b, NULL);
}

/*
 * Catalog pages on the client's curl_multi handle, the lookups of a fetch
 * side by side (rpki-client's http.c: one state per request, a cap).  The
 * real Catalog takes most of a second for a page, so once a page has
 * taken SLOW_MS the ops run `parallel` at a time; against a fast server (a
 * mirror, the tests) new connections would cost more than they save and
 * one keep-alive connection does it all.
 */
#define SLOW_MS		150
/* the longest a loop waits before it looks at the stop flag */
#define STOP_MS		200
#define PAGE_MAX	(64 << 20)

enum page_step { PAGE_WAIT, PAGE_RUNNING, PAGE_DONE };

struct page {
	struct catalog_op *op;
	enum page_step	 step;
	CURL		*easy;
	struct curl_slist *hdr;
	struct buf	 body;
	int		 attempts;
	int64_t		 not_before, started;
	int64_t		 deadline;	/* of this url, attempts included */
	char		 errbuf[CURL_ERROR_SIZE];
};

struct page_run {
	struct catalog_client *c;
	struct page	*v;
	size_t		 n, running, cap, max;
	size_t		 ended;
	const struct catalog_http_hooks *hooks;
};

static size_t
body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) == -1)
		return 0;
	return size * n;
}

static void
page_end(struct page_run *r, struct page *pg, int rc)
{
	pg->op->rc = rc;
	if (rc == -1) {
		free(pg->op->error);
		pg->op->error = xstrdup(err_msg());
	}
	pg->step = PAGE_DONE;
	r->ended++;
	if (r->hooks && r->hooks->each)
		r->hooks->each(r->ended, r->n, r->hooks->arg);
}

/* The request's deadline has passed: it fails, naming url and deadline. */
static void
page_late(struct page_run *r, struct page *pg)
{
	err_set("%s: no complete answer within %d s (--request-timeout)",
	    pg->op->url, r->c->request_timeout);
	page_end(r, pg, -1);
}

static int
page_start(struct page_run *r, struct page *pg)
{
	CURL *e;
	int64_t now = time_now_ms();

	if (pg->deadline == 0)
		pg->deadline = now + (int64_t)r->c->request_timeout * 1000;
	if (now >= pg->deadline) {
		page_late(r, pg);
		return -1;
	}
	if ((e = curl_easy_init()) == NULL) {
		err_set("libcurl: cannot make a handle");
		page_end(r, pg, -1);
		return -1;
	}
	buf_reset(&pg->body);
	pg->errbuf[0] = '\0';
	pg->easy = e;
	catalog_http_setup(r->c, e);
	curl_easy_setopt(e, CURLOPT_URL, pg->op->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, pg->hdr);
	curl_easy_setopt(e, CURLOPT_PRIVATE, pg);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, pg->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &pg->body);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(pg->deadline - now));
	if (pg->op->post)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, pg->op->post);
	curl_multi_add_handle(r->c->multi, e);
	pg->started = time_now_ms();
	pg->step = PAGE_RUNNING;
	r->running++;
	return 0;
}

/* Whether a transport error may pass on a second attempt. */
static int
transient(CURLcode cc)
{
	return cc != CURLE_PEER_FAILED_VERIFICATION &&
	    cc != CURLE_SSL_CACERT_BADFILE && cc != CURLE_UNSUPPORTED_PROTOCOL &&
	    cc != CURLE_URL_MALFORMAT && cc != CURLE_WRITE_ERROR;
}

/* The answer to one attempt.  Returns 0 with *loc set for a redirect
 * (absolute) or NULL for a page; or -1 with *retry set when trying again
 * may help (transport errors, 5xx, 429, the 8DDD0010 error page). */
static int
page_answer(struct page *pg, CURLcode cc, char **loc, int *retry)
{
	const char *url = pg->op->url, *b;
	long code = 0;

	*loc = NULL;
	*retry = 0;
	if (cc != CURLE_OK) {
		err_set("%s: %s", url, pg->errbuf[0] ? pg->errbuf :
		    curl_easy_strerror(cc));
		*retry = transient(cc);
		return -1;
	}
	curl_easy_getinfo(pg->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400) {
		curl_easy_getinfo(pg->easy, CURLINFO_REDIRECT_URL, loc);
		if (*loc != NULL)
			return 0;
		err_set("%s: HTTP %ld without a Location", url, code);
		return -1;
	}
	if (code != 200) {
		err_set("%s: HTTP %ld", url, code);
		*retry = code >= 500 || code == 429;
		return -1;
	}
	b = pg->body.data;
	if (catalog_html_strstr(b, b + pg->body.len,
	    "errorPageDisplayedError") != NULL &&
	    catalog_html_strstr(b, b + pg->body.len, "8DDD0010") != NULL) {
		/* the Catalog's "try again" error page (FACTS.md section 2) */
		err_set("%s: the Catalog answered with error 8DDD0010", url);
		*retry = 1;
		return -1;
	}
	return 0;
}

/* A transfer has ended: the op reads the page and asks for another, or
 * the attempt is retried, or the op has failed. */
static void
page_done(struct page_run *r, struct page *pg, CURLcode cc)
{
	char *loc;
	int retry, rc;

	if (time_now_ms() - pg->started >= SLOW_MS)
		r->cap = r->max;
	if (pg->body.data == NULL)
		buf_add(&pg->body, "", 0);	/* never NULL for the parsers */
	if (cc == CURLE_OPERATION_TIMEDOUT && time_now_ms() >= pg->deadline)
		page_late(r, pg);
	else if (page_answer(pg, cc, &loc, &retry) == -1) {
		if (!retry)
			page_end(r, pg, -1);
		else if (catalog_http_backoff(r->c, pg->attempts++,
		    &pg->not_before) == -1) {
			err_prefix("gave up after %d attempts: ", pg->attempts);
			page_end(r, pg, -1);
		} else {
			/* a retry due after the deadline fails at it */
			if (pg->not_before > pg->deadline)
				pg->not_before = pg->deadline;
			pg->step = PAGE_WAIT;
		}
	} else {
		if (loc != NULL)
			buf_reset(&pg->body);
		rc = pg->op->answer(pg->op, &pg->body, loc);
		if (rc == 1) {		/* the op has set its next url */
			pg->attempts = 0;
			pg->not_before = 0;
			pg->deadline = 0;
			pg->step = PAGE_WAIT;
		} else
			page_end(r, pg, rc);
	}
	curl_multi_remove_handle(r->c->multi, pg->easy);
	curl_easy_cleanup(pg->easy);
	pg->easy = NULL;
	r->running--;
}

/* Starts what may start; returns the ms until the next retry is due, or
 * -1 when every op is done. */
static long
page_schedule(struct page_run *r)
{
	int64_t now = time_now_ms(), next = -1;
	size_t i, left = 0;

	for (i = 0; i < r->n; i++) {
		struct page *pg = &r->v[i];
		if (pg->step == PAGE_DONE)
			continue;
		left++;
		if (pg->step != PAGE_WAIT || r->running >= r->cap)
			continue;
		if (pg->not_before > now) {
			if (next == -1 || pg->not_before < next)
				next = pg->not_before;
			continue;
		}
		page_start(r, pg);
	}
	if (left == 0)
		return -1;
	return next == -1 ? 1000 : (long)(next - now < 1 ? 1 : next - now);
}

/* Stopped (a signal): transfers in flight are dropped, every op that
 * has not ended fails as interrupted. */
static void
page_interrupt(struct page_run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct page *pg = &r->v[i];
		if (pg->step == PAGE_DONE)
			continue;
		if (pg->easy != NULL) {
			curl_multi_remove_handle(r->c->multi, pg->easy);
			curl_easy_cleanup(pg->easy);
			pg->easy = NULL;
			r->running--;
		}
		err_set("%s: interrupted", pg->op->url);
		page_end(r, pg, -1);
	}
}

static void
page_loop(struct page_run *r)
{
	CURLM *m = r->c->multi;
	CURLMsg *msg;
	struct page *pg;
	long wait;
	int still, left;

	/* a handle just added has its timer due: the poll returns at once */
	while ((wait = page_schedule(r)) != -1) {
		if (catalog_client_stopped(r->c)) {
			page_interrupt(r);
			break;
		}
		/* a signal cuts the poll short (EINTR); STOP_MS bounds it */
		curl_multi_poll(m, NULL, 0, (int)(wait < STOP_MS ? wait :
		    STOP_MS), NULL);
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&pg);
			page_done(r, pg, msg->data.result);
		}
	}
}

int
catalog_http_run(struct catalog_client *c, struct catalog_op **ops,
    size_t n, int parallel)
{
	return catalog_http_run_hooked(c, ops, n, parallel, NULL);
}

int
catalog_http_run_hooked(struct catalog_client *c, struct catalog_op **ops,
    size_t n, int parallel, const struct catalog_http_hooks *hooks)
{
	struct page_run r = { c, NULL, n, 0, 1, parallel > 1 ?
	    (size_t)parallel : 1, 0, hooks };
	size_t i;
	int rc = 0;

	r.v = xcalloc(n ? n : 1, sizeof(*r.v));
	for (i = 0; i < n; i++) {
		r.v[i].op = ops[i];
		ops[i]->rc = -1;
		buf_init(&r.v[i].body, PAGE_MAX);
		/* dates follow the locale */
		r.v[i].hdr = curl_slist_append(NULL, "Accept-Language: en-US");
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)r.max);
	page_loop(&r);
	for (i = 0; i < n; i++) {
		if (ops[i]->rc == -1 && rc == 0) {
			err_set("%s", ops[i]->error);
			rc = -1;
		}
		buf_release(&r.v[i].body);
		curl_slist_free_all(r.v[i].hdr);
	}
	free(r.v);
	return rc;
}

void
catalog_op_free(struct catalog_op *op)
{
	if (op == NULL)
		return;
	if (op->release)
		op->release(op);
	free(op->url);
	free(op->post);
	free(op->error);
	free(op);
}

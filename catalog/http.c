/*
 * The Catalog client: base URL, trusted CAs, the download host allow list,
 * and page requests with retries.  TLS is always verified; --cacert adds a
 * CA to the system ones (CAINFO plus the system CAPATH).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "catalog.h"
#include "update_int.h"

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

struct catalog_client {
	char		*base;
	char		*base_host;
	char		*cacert;
	char		**hosts;
	size_t		 nhosts;
	int		 retries;
	int		 backoff_ms;
	int		 global;
	CURL		*curl;
};

static char *
url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *copy = NULL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		copy = xstrdup(host);
		for (char *p = copy; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return copy;
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
	if ((c->base_host = url_host(c->base)) == NULL) {
		err_set("Catalog URL '%s' has no host", c->base);
		goto fail;
	}
	c->cacert = o->cacert ? xstrdup(o->cacert) : NULL;
	c->hosts = xcalloc(o->nallow_hosts + 1, sizeof(*c->hosts));
	for (i = 0; i < o->nallow_hosts; i++) {
		c->hosts[i] = xstrdup(o->allow_hosts[i]);
		for (char *p = c->hosts[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	c->nhosts = o->nallow_hosts;
	c->retries = o->retries > 0 ? o->retries : DEFAULT_RETRIES;
	c->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF;
	if ((c->curl = curl_easy_init()) == NULL) {
		err_set("libcurl: cannot make a handle");
		goto fail;
	}
	return c;
fail:
	catalog_client_free(c);
	return NULL;
}

struct catalog_client *
catalog_client_clone(const struct catalog_client *o)
{
	struct catalog_client *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->base = xstrdup(o->base);
	c->base_host = xstrdup(o->base_host);
	c->cacert = o->cacert ? xstrdup(o->cacert) : NULL;
	c->hosts = xcalloc(o->nhosts + 1, sizeof(*c->hosts));
	for (i = 0; i < o->nhosts; i++)
		c->hosts[i] = xstrdup(o->hosts[i]);
	c->nhosts = o->nhosts;
	c->retries = o->retries;
	c->backoff_ms = o->backoff_ms;
	if ((c->curl = curl_easy_init()) == NULL) {
		err_set("libcurl: cannot make a handle");
		catalog_client_free(c);
		return NULL;
	}
	return c;
}

void
catalog_client_free(struct catalog_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nhosts; i++)
		free(c->hosts[i]);
	free(c->hosts);
	free(c->base);
	free(c->base_host);
	free(c->cacert);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->global)
		curl_global_cleanup();
	free(c);
}

const char *
catalog_client_base(const struct catalog_client *c)
{
	return c->base;
}

const char *
catalog_http_ca_file(const struct catalog_client *c)
{
	return c->cacert;
}

int
catalog_http_retries(const struct catalog_client *c)
{
	return c->retries;
}

int
catalog_http_backoff_ms(const struct catalog_client *c)
{
	return c->backoff_ms;
}

int
catalog_host_allowed(const struct catalog_client *c, const char *url)
{
	char *host = url_host(url);
	size_t i;
	int ok = 0;

	if (host == NULL)
		return 0;
	if (strcmp(host, c->base_host) == 0)
		ok = 1;
	for (i = 0; !ok && i < sizeof(microsoft_hosts) /
	    sizeof(microsoft_hosts[0]); i++)
		ok = strcmp(host, microsoft_hosts[i]) == 0;
	for (i = 0; !ok && i < c->nhosts; i++)
		ok = strcmp(host, c->hosts[i]) == 0;
	free(host);
	return ok;
}

void
catalog_http_setup(const struct catalog_client *c, void *h)
{
	CURL *curl = h;

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

void
catalog_http_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
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

static size_t
body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) == -1)
		return 0;
	return size * n;
}

/* The answer to one attempt: a redirect, an error, or a page. */
static int
page_answer(struct catalog_client *c, const char *url, struct buf *body,
    char **redirect, int *retry)
{
	char *loc = NULL;
	long code = 0;

	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400) {
		curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc);
		if (loc == NULL) {
			err_set("%s: HTTP %ld without a Location", url, code);
			return -1;
		}
		*redirect = xstrdup(loc);
		buf_reset(body);
		return 0;
	}
	if (code != 200) {
		err_set("%s: HTTP %ld", url, code);
		*retry = code >= 500 || code == 429;
		return -1;
	}
	if (body->data == NULL)
		buf_add(body, "", 0);
	if (catalog_html_strstr(body->data, body->data + body->len,
	    "errorPageDisplayedError") != NULL &&
	    catalog_html_strstr(body->data, body->data + body->len, "8DDD0010")) {
		/* the Catalog's "try again" error page (FACTS.md section 2) */
		err_set("%s: the Catalog answered with error 8DDD0010", url);
		*retry = 1;
		return -1;
	}
	return 0;
}

/* One attempt.  Returns 0, or -1 with *retry set when trying again may
 * help (transport errors, 5xx, the 8DDD0010 error page). */
static int
page_once(struct catalog_client *c, const char *url, const char *post,
    struct buf *body, char **redirect, int *retry)
{
	struct curl_slist *hdr = curl_slist_append(NULL,
	    "Accept-Language: en-US");	/* dates follow the locale */
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	int rc;

	*retry = 0;
	buf_reset(body);
	curl_easy_reset(c->curl);
	catalog_http_setup(c, c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	if (post)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, post);
	cc = curl_easy_perform(c->curl);
	if (cc == CURLE_OK)
		rc = page_answer(c, url, body, redirect, retry);
	else {
		err_set("%s: %s", url, errbuf[0] ? errbuf :
		    curl_easy_strerror(cc));
		*retry = cc != CURLE_PEER_FAILED_VERIFICATION &&
		    cc != CURLE_SSL_CACERT_BADFILE &&
		    cc != CURLE_UNSUPPORTED_PROTOCOL &&
		    cc != CURLE_URL_MALFORMAT && cc != CURLE_WRITE_ERROR;
		rc = -1;
	}
	curl_slist_free_all(hdr);
	return rc;
}

int
catalog_http_page(struct catalog_client *c, const char *url, const char *post,
    struct buf *body, char **redirect)
{
	int attempt, retry, wait = c->backoff_ms;

	*redirect = NULL;
	for (attempt = 0; ; attempt++) {
		if (page_once(c, url, post, body, redirect, &retry) == 0)
			return 0;
		if (!retry || attempt >= c->retries)
			break;
		catalog_http_sleep_ms(wait);
		wait = wait * 2 > BACKOFF_CAP ? BACKOFF_CAP : wait * 2;
	}
	if (retry)
		err_prefix("gave up after %d attempts: ", attempt + 1);
	return -1;
}

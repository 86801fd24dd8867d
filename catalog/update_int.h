/*
 * Private to the Update Catalog part of catalog/: the HTML helpers the page
 * parsers share, and the HTTP helpers of http.c.  Not a public header.
 */
#ifndef KBFIX_CATALOG_UPDATE_INT_H
#define KBFIX_CATALOG_UPDATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "util/util.h"

struct catalog_client;
struct catalog_update_list;
struct catalog_download_list;

/*
 * A view of a page: [p, end).  catalog_html_index() reads every id="..."
 * attribute of the page once, so that catalog_html_find_id() is a binary
 * search, not a scan of the page (a search page has thousands of cells);
 * catalog_html_release() frees the index.  Views made by hand or by
 * catalog_html_inner() have no index and are scanned.
 */
struct html_id {
	const char	*id;		/* into the page, not terminated */
	size_t		 len;
	const char	*tag;		/* its start tag, "<td ..." */
};
struct html {
	const char	*p;
	const char	*end;
	struct html_id	*ids;		/* sorted by id, then position */
	size_t		 nids;
};
void	 catalog_html_index(struct html *);
void	 catalog_html_release(struct html *);

/* The start tag ("<td ...") of the element whose id is exactly id. */
const char *catalog_html_find_id(const struct html *, const char *id);
/* The content of the element starting at tag, up to its closing tag. */
int	 catalog_html_inner(const struct html *, const char *tag, struct html *out);
/* Text of markup: tags dropped, entities decoded, blanks collapsed. */
char	*catalog_html_text(const struct html *);
/* Text of the element with that id, or NULL when absent. */
char	*catalog_html_id_text(const struct html *, const char *id);
/* The value="" attribute of the start tag with that id, or NULL. */
char	*catalog_html_id_value(const struct html *, const char *id);
/* Finds needle in [p, end). */
const char *catalog_html_strstr(const char *p, const char *end,
	    const char *needle);
/* Strict scanning of page text at a cursor: scan_uint takes 1 to 9
 * decimal digits (no sign, no blank), scan_lit the exact text; each
 * returns 0 and moves *p past what it took, or -1 and leaves *p. */
int	 catalog_scan_uint(const char **p, unsigned *out);
int	 catalog_scan_lit(const char **p, const char *lit);

/* select.c: a Search.aspx row's products hold product exactly; its title
 * names kb (KB4345459, not KB43454590). */
int	 catalog_products_have(const char *list, const char *product);
int	 catalog_title_has_kb(const char *title, const char *kb);

/*
 * http.c: the client's curl_multi handle carries every transfer, pages and
 * downloads, so connections are kept alive from one to the next.
 *
 * A struct catalog_op is one lookup (a search that follows pages, one
 * dialog, one details page).  It sets url (and post for a POST form) and
 * answer() is called with each page: it returns 1 when it has set the
 * next url (and post), 0 when it is done, -1 with err_set() when it
 * failed.  A 3xx answer is not followed: answer() gets its Location
 * (absolute) and an empty body.  Transport errors, 5xx, 429 and the
 * Catalog's 8DDD0010 error page are retried with back-off.
 *
 * catalog_http_run() runs n ops on the calling thread, one page at a time
 * until a page is slow, then `parallel` at a time; after it each op has
 * rc 0, or -1 and error (malloc'd).  Returns -1 with the first failed
 * op's message when any failed.  catalog_op_free() calls release() (for
 * the op's own fields; the op is the first member of its struct), frees
 * url, post, error and the op; NULL does nothing.
 */
struct catalog_op {
	char	*url;
	char	*post;
	int	(*answer)(struct catalog_op *, const struct buf *body,
		    const char *redirect);
	void	(*release)(struct catalog_op *);
	int	 rc;
	char	*error;
};
int	 catalog_http_run(struct catalog_client *, struct catalog_op **,
	    size_t n, int parallel);
/* The same, with each() called as each op ends (done of n ended). */
struct catalog_http_hooks {
	void	(*each)(size_t done, size_t n, void *arg);
	void	*arg;
};
int	 catalog_http_run_hooked(struct catalog_client *,
	    struct catalog_op **, size_t n, int parallel,
	    const struct catalog_http_hooks *);
void	 catalog_op_free(struct catalog_op *);
/* The lookups as ops; out is filled when the op has rc 0. */
struct catalog_op *catalog_search_op(const struct catalog_client *,
	    const char *query, size_t limit, struct catalog_update_list *out);
struct catalog_op *catalog_dialog_op(const struct catalog_client *,
	    const char *update_id, struct catalog_download_list *out);
char	*catalog_http_escape(const char *);
/* After `attempts` failed attempts: 0 and the time of the next one
 * (time_now_ms() clock, back-off doubled each time, capped), or -1 when
 * the client's retries are used up. */
int	 catalog_http_backoff(const struct catalog_client *, int attempts,
	    int64_t *not_before);
CURLM	*catalog_http_multi(struct catalog_client *);
/* The client's deadlines, in seconds: a page, a download. */
int	 catalog_http_request_timeout(const struct catalog_client *);
int	 catalog_http_download_timeout(const struct catalog_client *);
/* Sets TLS, protocol and timeout options on a CURL easy handle. */
void	 catalog_http_setup(const struct catalog_client *, CURL *);


/*
 * cabinet.c: a Cabinet's file table, and one member's bytes read from a
 * stored folder without the others.  open returns 0, or -1 (damaged, or
 * refused: more than CATALOG_CAB_MEMBERS_MAX members or folders, a
 * multi-cabinet set) with a message.  read_member returns 0, -1, or 1
 * when the member's folder is compressed (libarchive reads it).
 * expansion_check walks the CFDATA headers of the compressed folders and
 * refuses (-1) a Cabinet whose compressed bytes would expand to more than
 * CATALOG_CAB_RATIO_MAX times their size plus CATALOG_CAB_EXPAND_SLACK,
 * or to more than CATALOG_CAB_EXPAND_MAX in all (a decompression bomb),
 * before anything is decompressed; the walk stops as soon as either is
 * passed.  Refusals end in CATALOG_NOT_PACKAGE.
 */
#define CATALOG_CAB_MEMBERS_MAX	256	/* a real .msu has 4 to 6 (FACTS.md 3) */
#define CATALOG_CAB_RATIO_MAX	32	/* MSZIP on real files: 2 to 10 */
#define CATALOG_CAB_EXPAND_SLACK	((uint64_t)1 << 20)
#define CATALOG_CAB_EXPAND_MAX	((uint64_t)2 << 30)
struct catalog_cab_file {
	char		*name;
	uint32_t	 size;
	uint32_t	 uoff;		/* offset in its folder's bytes */
	uint16_t	 folder;
};
struct catalog_cab_folder {
	uint32_t	 start;		/* first CFDATA */
	uint16_t	 ndata;
	uint16_t	 comp;		/* 0: stored */
};
struct catalog_cab {
	struct catalog_cab_file *files;
	size_t		 nfiles;
	struct catalog_cab_folder *folders;
	size_t		 nfolders;
	unsigned	 data_reserve;	/* bytes after each CFDATA header */
	uint64_t	 size;
};
int	 catalog_cab_open(int fd, const char *path, struct catalog_cab *);
int	 catalog_cab_read_member(int fd, const char *path,
	    const struct catalog_cab *, size_t i, size_t max, struct buf *);
int	 catalog_cab_expansion_check(int fd, const char *path,
	    const struct catalog_cab *);
void	 catalog_cab_release(struct catalog_cab *);

/*
 * sink.c: SHA-1 and SHA-256 of one stream (OpenSSL's EVP); final writes
 * both in lowercase hex and releases, release alone is for a stream given
 * up before its end.
 */
struct catalog_hash {
	struct evp_md_ctx_st *c1, *c256;
};
void	 catalog_hash_init(struct catalog_hash *);
void	 catalog_hash_update(struct catalog_hash *, const void *, size_t);
void	 catalog_hash_final(struct catalog_hash *, char sha1[41],
	    char sha256[65]);
void	 catalog_hash_release(struct catalog_hash *);

/*
 * A transfer's bytes are hashed and written to its part file as they
 * arrive, on the thread of the loop.  open creates path (truncated), or
 * with resume keeps its bytes (hashed again, so the digests are the whole
 * file's), holding an exclusive lock on it; NULL with err_set().  write
 * and truncate return -1 with errno once a write has failed.  finish
 * writes what is gathered, fsyncs the file and gives the digests of every
 * byte written since the open or the last truncate (once).  size: bytes
 * written so far.  free writes what is gathered first.
 */
struct catalog_sink;
struct catalog_sink *catalog_sink_open(const char *path, int resume);
int	 catalog_sink_write(struct catalog_sink *, const void *, size_t);
int	 catalog_sink_truncate(struct catalog_sink *);
uint64_t catalog_sink_size(const struct catalog_sink *);
int	 catalog_sink_finish(struct catalog_sink *, char sha1[41],
	    char sha256[65]);
void	 catalog_sink_free(struct catalog_sink *);

/*
 * download.c: downloads on the client's curl_multi handle, on the calling
 * thread, `parallel` transfers at once.  Each request's URL is fetched
 * into part_path through a sink; with resume, a part file left by an
 * earlier fetch is continued with a Range request (its bytes are counted
 * as received); a transfer cut short is resumed the same way.  A 206 must
 * carry the Content-Range asked for (else the file starts over); a 200
 * starts it over; a 416 whose Content-Range says the file has the size
 * the part already has ends it as complete.  Redirects are followed by
 * hand and each target re-checked against the allow list (scheme, host,
 * port).  A request ends within the client's download timeout (attempts
 * and back-off included) and holds at most max_size bytes
 * (Content-Length and the bytes written are both checked); past either it
 * fails at once.  As each request ends, done() is called (from the loop),
 * with ok set and sha1/sha256 filled, or with error (malloc'd) saying why
 * it failed; bad_bytes when the bytes themselves were refused (too big),
 * interrupted when the client's stop flag ended it.  part_path is left
 * for the caller to verify and rename (or remove or keep); a good one is
 * synced.
 */
struct catalog_dl {
	const char	*url;
	char		*part_path;
	const char	*name;		/* for messages */
	uint64_t	 size;		/* expected, 0 when unknown */
	uint64_t	 max_size;	/* cap; 0: CATALOG_DL_HARD_MAX */
	int		 resume;	/* continue part_path's bytes */
	int		 ok;
	int		 bad_bytes, interrupted;
	uint64_t	 bytes;		/* bytes received from the network */
	uint64_t	 resumed;	/* bytes the part file had at the start */
	uint64_t	 have;		/* bytes in the part file at the end */
	char		*error;
	char		 sha1[41], sha256[65];
};

struct catalog_progress;
struct catalog_dl_hooks {
	void	(*progress)(const struct catalog_progress *, void *);
	void	*progress_arg;
	void	(*done)(struct catalog_dl *, void *);
	void	*arg;
};
int	 catalog_dl_run(struct catalog_client *, struct catalog_dl *, size_t n,
	    int parallel, const struct catalog_dl_hooks *);

/* bundle.c: writes manifest.json, UpdateIDs.txt, SHA1SUMS, SHA256SUMS,
 * Import-ToWsus.ps1, Install-Offline.cmd and README.txt into dir. */
struct catalog_bundle;
int	 catalog_bundle_write_meta(const char *dir, const struct catalog_bundle *);

#endif

/*
 * Private to the Update Catalog part of catalog/: the HTML helpers the page
 * parsers share, and the HTTP helpers of http.c.  Not a public header.
 */
#ifndef KBFIX_CATALOG_UPDATE_INT_H
#define KBFIX_CATALOG_UPDATE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct catalog_client;

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

/*
 * http.c
 * GET (post NULL) or POST a form to url; retries transport errors, 5xx and
 * the Catalog's 8DDD0010 error page with back-off.  A 3xx answer is not
 * followed: *redirect gets its Location (absolute) and body is empty.
 */
int	 catalog_http_page(struct catalog_client *, const char *url,
	    const char *post, struct buf *body, char **redirect);
char	*catalog_http_escape(const char *);
const char *catalog_http_ca_file(const struct catalog_client *);
int	 catalog_http_retries(const struct catalog_client *);
int	 catalog_http_backoff_ms(const struct catalog_client *);
void	 catalog_http_sleep_ms(int);
/* A client with the same base, CAs and allow list and a connection of its
 * own, for another thread (curl_global_init has run already). */
struct catalog_client *catalog_client_clone(const struct catalog_client *);
/* Sets TLS, protocol and timeout options on a CURL easy handle. */
void	 catalog_http_setup(const struct catalog_client *, void *curl);


/*
 * cabinet.c: a Cabinet's file table, and one member's bytes read from a
 * stored folder without the others.  open and read_member return 0, -1
 * (damaged, with a message), or 1 when the Cabinet needs libarchive (a
 * compressed folder, a multi-cabinet set).
 */
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
void	 catalog_cab_release(struct catalog_cab *);

/*
 * digest.c: SHA-1 and SHA-256 of one stream in one pass (x86 SHA
 * extensions when the CPU has them, OpenSSL's EVP otherwise).  final
 * writes both in lowercase hex and releases; release alone is for a
 * stream given up before its end.
 */
struct hashpair {
	uint32_t	 h1[5];
	uint32_t	 h256[8];
	unsigned char	 buf[64];
	size_t		 nbuf;
	uint64_t	 total;
	int		 ni;
	struct evp_md_ctx_st *c1, *c256;	/* without the extensions */
};
void	 hashpair_init(struct hashpair *);
/* OpenSSL's EVP whatever the CPU has: the tests compare the two paths. */
void	 hashpair_init_evp(struct hashpair *);
void	 hashpair_update(struct hashpair *, const void *, size_t);
void	 hashpair_final(struct hashpair *, char sha1[41], char sha256[65]);
void	 hashpair_release(struct hashpair *);

/*
 * sink.c: one transfer's bytes are hashed (SHA-1, SHA-256) and written to
 * its part file (fd, owned by the sink from then on) by a thread of its
 * own.  have: bytes the file already holds (hashed first).  write and
 * truncate return -1 with errno once a write has failed; wait finishes
 * the file (fsync included), joins the thread and gives the digests, or
 * -1 with errno.
 */
struct dl_sink;
struct dl_sink *dl_sink_new(int fd, uint64_t have);
int	 dl_sink_write(struct dl_sink *, const void *, size_t);
int	 dl_sink_truncate(struct dl_sink *);
void	 dl_sink_close(struct dl_sink *);
int	 dl_sink_wait(struct dl_sink *, char sha1[41], char sha256[65]);
void	 dl_sink_free(struct dl_sink *);
/* Frees the slot buffers kept for the next sinks. */
void	 dl_sink_pool_release(void);

/*
 * download.c: downloads on libcurl multi loops, one per CPU.  Each request's URL is
 * fetched into part_path (resumed with Range when it holds bytes already)
 * through a sink that hashes it while it arrives; redirects are followed
 * by hand and each target host re-checked against the allow list.  On
 * return every request has ok set, or error (malloc'd) saying why it
 * failed.  A request that is ok hands over its sink (closed: the caller
 * calls dl_sink_wait for the digests and dl_sink_free); part_path is left
 * for the caller to verify and rename (or remove).
 */
struct dl_request {
	const char	*url;
	char		*part_path;
	const char	*name;		/* for messages */
	uint64_t	 size;		/* expected, 0 when unknown */
	int		 ok;
	uint64_t	 bytes;		/* bytes received from the network */
	char		*error;
	struct dl_sink	*sink;
};

struct catalog_progress;
struct dl_hooks {
	void	(*progress)(const struct catalog_progress *, void *);
	void	*progress_arg;
	/* called by a loop as each request ends, so that verification of
	 * one file overlaps the transfer of the others; the loops call
	 * both hooks one at a time, from any of their threads */
	void	(*done)(struct dl_request *, void *);
	void	*arg;
};
int	 catalog_dl_run(struct catalog_client *, struct dl_request *, size_t n,
	    int parallel, const struct dl_hooks *);

/* bundle.c: writes manifest.json, UpdateIDs.txt, SHA1SUMS, SHA256SUMS,
 * Import-ToWsus.ps1, Install-Offline.cmd and README.txt into dir. */
struct catalog_bundle;
int	 catalog_bundle_write_meta(const char *dir, const struct catalog_bundle *);

#endif

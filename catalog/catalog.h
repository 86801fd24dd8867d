/*
 * catalog: the Microsoft Update Catalog client.
 * One module, one header, prefix catalog_.
 */
#ifndef KBFIX_CATALOG_H
#define KBFIX_CATALOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;

/* ---------------------------------------------------------------------
 * Update Catalog
 *
 * Parsers of the Catalog's pages (FACTS.md section 2), keyed on element ids
 * so that the 2019, 2023 and 2025 markups read the same; the HTTP client
 * (libcurl, TLS always verified); the choice of a Catalog entry for a plan
 * package; the downloader (libcurl multi), verification (SHA-1, SHA-256,
 * MSU structure through libarchive) and the bundle writer and reader.
 *
 * Ownership: every struct filled by a _parse/_get/_read function owns its
 * strings; release it with the matching _release/_free (NULL-safe).
 * --------------------------------------------------------------------- */

#define CATALOG_DEFAULT_URL	"https://www.catalog.update.microsoft.com"
#define CATALOG_MAX_RESULTS	1000	/* the Catalog never returns more */
#define CATALOG_BUNDLE_FORMAT	"kbfix-bundle/1"
#define CATALOG_REQUEST_TIMEOUT	120	/* s, a Catalog page, retries included */
#define CATALOG_DOWNLOAD_TIMEOUT 3600	/* s, a file, retries included */
#define CATALOG_TIMEOUT_MAX	604800	/* s, a week */
#define CATALOG_SUPERSEDE_MAX	2000	/* details pages per product */
/* the most any download may be (and the cap when the Catalog gives no
 * size): a page claiming a larger size cannot lift it */
#define CATALOG_DL_HARD_MAX	((uint64_t)8 << 30)

/* One row of Search.aspx. */
struct catalog_update {
	char		*update_id;	/* GUID, lower case */
	char		*title;
	char		*products;	/* as the Catalog shows them, one string */
	char		*classification;
	char		*date;		/* ISO 8601 date, "2018-07-16" */
	char		*version;	/* "n/a" when the Catalog has none */
	uint64_t	 size;		/* bytes, from the hidden originalSize */
};

struct catalog_update_list {
	struct catalog_update *v;
	size_t		 n;
};

/* One Search.aspx page. */
struct catalog_search_page {
	struct catalog_update_list rows;
	int		 no_results;	/* ctl00_catalogBody_noResultText */
	unsigned	 first, last, total, page, pages;	/* the banner */
	int		 has_next;
	/* 2025 markup pages with Search.aspx?q=..&p=INDEX (handlePageChange) */
	int		 query_paging;
	/* 2019/2023 markup pages with an ASP.NET postback of these fields */
	char		*form_action;
	char		*viewstate;
	char		*viewstate_generator;
	char		*event_validation;
};

/*
 * Parses one Search.aspx page.  Returns 0; or -1 with err_set(), also for
 * the Catalog's error page ("Catalog error 8DDD0010"), after which
 * *retryable says whether trying again may help (may be NULL).
 */
int	catalog_search_page_parse(const char *buf, size_t len,
	    struct catalog_search_page *out, int *retryable);
void	catalog_search_page_release(struct catalog_search_page *);
void	catalog_update_list_release(struct catalog_update_list *);

/* ScopedViewInline.aspx: details of one update. */
struct catalog_ref {
	char		*update_id;	/* NULL when the page gives only a title */
	char		*title;
};

struct catalog_details {
	int		 found;		/* 0: the id redirected to Thanks.aspx */
	char		*update_id;
	char		*title;
	char		*date;		/* ISO 8601 */
	char		*description;
	char		*kb;		/* "KB5026372", or NULL */
	char		*products;
	char		*architecture;
	char		*classification;
	char		*reboot;	/* "Can request restart" */
	char		*user_input;
	char		*msrc_number;
	char		*msrc_severity;
	struct catalog_ref *superseded_by;
	size_t		 nsuperseded_by;
	struct catalog_ref *supersedes;
	size_t		 nsupersedes;
};

int	catalog_details_parse(const char *buf, size_t len,
	    struct catalog_details *out);
void	catalog_details_release(struct catalog_details *);
/* Whether a page is the Thanks.aspx page an unknown id lands on. */
int	catalog_page_is_thanks(const char *buf, size_t len);

/* DownloadDialog.aspx: every file of every entry. */
struct catalog_file {
	char		*url;
	char		*name;		/* validated: plain, no '/', no ".." */
	char		*sha1;		/* hex from the base64 digest, or NULL */
	char		*sha256;	/* hex, or NULL when not given */
	char		*languages;
	char		*architectures;
};

struct catalog_download {
	char		*update_id;
	char		*title;
	struct catalog_file *files;
	size_t		 nfiles;
};

struct catalog_download_list {
	struct catalog_download *v;
	size_t		 n;
};

int	catalog_dialog_parse(const char *buf, size_t len,
	    struct catalog_download_list *out);
void	catalog_download_list_release(struct catalog_download_list *);

/* Small helpers shared with the tests. */
int	catalog_valid_file_name(const char *);	/* [A-Za-z0-9._-+], no ".." */
int	catalog_valid_update_id(const char *);	/* GUID */
int	catalog_name_sha1(const char *name, char hex[41]); /* "_<40hex>.ext" */
int	catalog_base64_hex(const char *b64, char *hex, size_t hexsize);
int	catalog_date_iso(const char *mdy, char out[11]);	/* M/d/yyyy */
/* "x64", "x86", "arm64", "ia64" from a Catalog title, or NULL. */
const char *catalog_title_arch(const char *title);

/*
 * Choosing the Catalog entry for a plan package: the row whose title names
 * the KB, whose products list holds the product exactly and whose title's
 * architecture is arch; Delta, Express and Dynamic variants never match.
 * Returns the row index, or -1 with a message listing the candidates.
 */
int	catalog_select(const struct catalog_update_list *, const char *kb,
	    const char *product, const char *arch, size_t *index);

/* The client. */
struct catalog_options {
	const char	*base_url;	/* NULL: $KBFIX_CATALOG_URL or default */
	const char	*cacert;	/* extra trusted CA file, or NULL */
	const char	**allow_hosts;	/* extra download hosts, HOST[:PORT] */
	size_t		 nallow_hosts;
	int		 retries;	/* attempts after the first; 0: default */
	int		 backoff_ms;	/* first back-off; 0: default */
	int		 request_timeout;  /* s; 0: CATALOG_REQUEST_TIMEOUT */
	int		 download_timeout; /* s; 0: CATALOG_DOWNLOAD_TIMEOUT */
};

struct catalog_client;

struct catalog_client *catalog_client_new(const struct catalog_options *);
void	catalog_client_free(struct catalog_client *);
const char *catalog_client_base(const struct catalog_client *);
/*
 * A flag (set by a signal handler) that ends the client's loops: page
 * requests in flight fail as interrupted, downloads stop with their part
 * files kept (catalog_fetch).  Each loop looks at it at least every
 * 200 ms.  stopped: whether it is set.
 */
void	catalog_client_stop_on(struct catalog_client *,
	    const volatile sig_atomic_t *flag);
int	catalog_client_stopped(const struct catalog_client *);
/*
 * Whether url may be downloaded from, as the first URL (from NULL) or as
 * a redirect from `from`.  Allowed: the Catalog base's scheme, host and
 * port; the FACTS.md section 2 hosts over https on 443 or http on 80 (as
 * the Catalog's dialogs give them); an extra HOST on the default port of
 * either scheme, HOST:PORT on that port.  A redirect from https to http is
 * refused whatever the host.  Returns 0, or -1 with err_set() saying why.
 */
int	catalog_url_allowed(const struct catalog_client *, const char *url,
	    const char *from);

/* Search.aspx, following pages until limit (at most 1000) rows. */
int	catalog_search(struct catalog_client *, const char *query,
	    size_t limit, struct catalog_update_list *out);
/* ScopedViewInline.aspx; out->found is 0 for an unknown id. */
int	catalog_details_get(struct catalog_client *, const char *update_id,
	    struct catalog_details *out);
/* DownloadDialog.aspx (POST) for one id. */
int	catalog_dialog_get(struct catalog_client *, const char *update_id,
	    struct catalog_download_list *out);

/*
 * kbfix supersede --refresh (catalog/supersede.c): for every product of
 * the update-table advisories of set, the updates the Catalog says
 * supersede each fix a row names (fix, minimal, latest), transitively, as
 * one plan_supersede_file per product dated refreshed.  progress gets a
 * line per fix.  The files are the caller's (plan_supersede_file_free()),
 * also after -1 (err_set()).
 */
struct advisory_set;
struct plan_supersede_file;
int	catalog_supersede_refresh(struct catalog_client *,
	    const struct advisory_set *set, const char *refreshed,
	    void (*progress)(const char *, void *), void *arg,
	    struct plan_supersede_file ***out, size_t *nout);

/* Hashes and MSU inspection. */
int	catalog_file_hashes(const char *path, char sha1[41], char sha256[65]);

struct catalog_msu_info {
	char		*kb;		/* "KB4345459" */
	char		*arch;		/* x64 (from amd64), x86, arm64, ia64 */
	char		*package_cab;	/* "Windows6.1-KB4345459-x64.cab" */
	char		*package_identity; /* from its update.mum:
					   "Package_for_RollupFix~31bf3856ad364e35~amd64~~7601.24168.1.5" */
};

/*
 * The file is a Cabinet whose pkgProperties.txt names KB and architecture
 * and which holds the package .cab it names, whose update.mum gives the
 * package identity (refused when it cannot be read, saying why).  A
 * Cabinet past the limits (at most 256 members; compressed members that
 * would expand more than 32 times their size, plus 1 MiB, or past 2 GiB in
 * all; a multi-cabinet set) is refused before it is decompressed, with a
 * message ending in CATALOG_NOT_PACKAGE.
 */
#define CATALOG_NOT_PACKAGE	"not an update package"
int	catalog_msu_inspect(const char *path, struct catalog_msu_info *out);
void	catalog_msu_info_release(struct catalog_msu_info *);

/*
 * catalog/identity.c: the package identity DISM lists, from the first
 * <assemblyIdentity> of update.mum (name~publicKeyToken~arch~language~
 * version, language empty for neutral).  catalog_msu_identity() reads
 * update.mum out of package_cab inside the .msu at path;
 * catalog_mum_identity() parses its (ASCII) text.  0, or -1 (err_set:
 * no update.mum, no assemblyIdentity, an attribute missing or not of
 * an identity's shape).
 */
int	catalog_msu_identity(const char *path, const char *package_cab,
	    char **identity);
int	catalog_mum_identity(const char *text, char **identity);
/* 1 when id has that shape (five ~ parts, a 4-field version). */
int	catalog_valid_identity(const char *id);

/*
 * Full check of one downloaded file: SHA-1 against the name's 40 hex and
 * against want_sha1 (the dialog digest, may be NULL), SHA-256 against
 * want_sha256 when given; then the MSU structure against kb and arch.
 * Fills sha1/sha256 (computed) and info.  The message names expected and
 * actual values.
 */
struct catalog_check {
	const char	*name;
	const char	*want_sha1;
	const char	*want_sha256;
	const char	*kb;
	const char	*arch;
	/* when the caller hashed while downloading */
	const char	*have_sha1;
	const char	*have_sha256;
};

int	catalog_file_check(const char *path, const struct catalog_check *,
	    char sha1[41], char sha256[65], struct catalog_msu_info *info);

/*
 * Fetch: plan -> verified bundle.  Progress: first the lookups (phase
 * LOOKUP_SEARCH, then LOOKUP_DIALOG: done and total count pages' ops),
 * then the downloads (done and total in bytes: total is the Catalog's
 * sizes before the first byte, a file's real size once a response gives
 * it; done counts the bytes of part files kept from an interrupted fetch
 * and never goes down).
 */
enum catalog_phase { CATALOG_LOOKUP_SEARCH, CATALOG_LOOKUP_DIALOG,
	CATALOG_DOWNLOAD };

struct catalog_progress {
	enum catalog_phase phase;
	uint64_t	 done;
	uint64_t	 total;		/* 0 when unknown */
	size_t		 files_done, files;
	int		 final;		/* last call of the phase */
};

struct catalog_fetch_options {
	const char	*out_dir;
	const char	*archive;	/* FILE.tar.gz | FILE.zip, or NULL */
	const char	*cache_dir;	/* NULL: no cache */
	int		 parallel;	/* 0: 4 */
	void		(*progress)(const struct catalog_progress *, void *);
	void		*progress_arg;
	/* each problem is reported here, the fetch goes on where it can */
	void		(*problem)(const char *msg, void *);
	void		*problem_arg;
	/* what is not a problem: a download resumed, the temporary folder
	 * removed (problem_arg is its argument) */
	void		(*note)(const char *msg, void *);
	/* set (by a signal handler): the fetch stops within 200 ms, keeps
	 * what it verified in the cache and its part files there, removes
	 * its temporary folder and fails with stats->interrupted set */
	const volatile sig_atomic_t *stop;
};

/*
 * interrupted: the stop flag ended the fetch; kept: files verified in
 * this fetch and kept in the cache; partial, partial_bytes: part files
 * kept in the cache for the next fetch to resume (--no-cache: none).
 */
struct catalog_fetch_stats {
	size_t		 updates, files, downloaded, cached, failed;
	uint64_t	 bytes_downloaded;
	uint64_t	 bytes_resumed;	/* taken from earlier part files */
	int		 interrupted;
	size_t		 kept, partial;
	uint64_t	 partial_bytes;
};

int	catalog_fetch(struct catalog_client *, const struct plan *,
	    const struct catalog_fetch_options *, struct catalog_fetch_stats *);

/* Archive a bundle directory as FILE.tar.gz or FILE.zip. */
int	catalog_archive_write(const char *dir, const char *archive);

/* The bundle reader (manifest.json), for apply. */
struct catalog_bundle_file {
	char		*name;
	char		*path;		/* relative to the bundle, "files/NAME" */
	char		*url;
	uint64_t	 size;
	char		*sha1;
	char		*sha256;
	char		*package_cab;	/* the .cab inside, for dism */
	char		*package_identity; /* from its update.mum: what dism
					   lists once installed, or NULL
					   (a bundle fetched before 0.x) */
};

struct catalog_bundle_update {
	char		*update_id;
	char		*kb;
	char		*title;
	char		*product;
	char		*arch;
	char		*classification;
	char		**hosts;
	size_t		 nhosts;
	struct catalog_bundle_file *files;
	size_t		 nfiles;
};

struct catalog_bundle {
	char		*dir;
	char		*created;
	char		*catalog;
	struct catalog_bundle_update *updates;
	size_t		 nupdates;
};

/* Reads DIR/manifest.json (catalog_bundle_parse: its bytes, for a bundle
 * in DIR); NULL with err_set() naming the field. */
struct catalog_bundle *catalog_bundle_read(const char *dir);
struct catalog_bundle *catalog_bundle_parse(const char *dir, const char *buf,
	    size_t len);
void	catalog_bundle_free(struct catalog_bundle *);
/*
 * The bundle file lookup, for apply and the Ansible export alike: the
 * update of kb (case-insensitive) with a file that lists host, else the
 * first one of the host's architecture (arch NULL, or an update without
 * one, matches any), or NULL.
 */
const struct catalog_bundle_update *catalog_bundle_find(
	    const struct catalog_bundle *, const char *kb, const char *host,
	    const char *arch);
/* Absolute path of a file of the bundle; the caller frees. */
char	*catalog_bundle_path(const struct catalog_bundle *,
	    const struct catalog_bundle_file *);

/* Re-checks every file of a bundle; each mismatch goes to problem().
 * Returns the number of bad files, or -1 when the bundle is unreadable. */
int	catalog_bundle_verify(const char *dir,
	    void (*problem)(const char *msg, void *), void *arg,
	    size_t *nchecked);

#endif

/*
 * fetch: plan -> verified bundle.  Steps: choose the Catalog entry of each
 * plan package, list its files, take each unique file from the cache or
 * download it once into <cache>/<name>.part (without a cache:
 * <bundle>.kbfix-tmp.XXXXXX/.part/), verify it, and only then rename it to
 * <cache>/<name> and link it to files/<name>; write the bundle's documents
 * and rename the temporary folder into place.  A failure anywhere removes
 * the temporary folder: no partial bundle and nothing unverified under a
 * final name.  A part file in the cache outlives a failed or interrupted
 * fetch (unless its bytes were refused): the next fetch resumes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "plan/plan.h"
#include "catalog/update_int.h"

#define SEARCH_LIMIT	200

struct ufile {				/* one unique file */
	char		*name;
	const char	*url;
	const char	*want_sha1;
	const char	*want_sha256;
	const char	*kb;
	const char	*arch;
	char		 sha1[41];
	char		 sha256[65];
	char		*package_cab;
	char		*package_identity;	/* update.mum's */
	uint64_t	 size;
	uint64_t	 most;		/* the largest Catalog size of its entries */
	uint64_t	 hint;		/* its Catalog size (an entry's share) */
	int		 ok;
	int		 synced;	/* fsynced as its download ended */
};

struct searched {
	char		*kb;
	struct catalog_update_list rows;
	char		*error;		/* the search failed */
};

struct lookup {				/* one plan package's answers */
	size_t		 search;	/* its KB's search */
	size_t		 row;		/* the chosen entry */
	char		*error;		/* reported in plan order */
};

struct fetch {
	struct catalog_client *c;
	const struct catalog_fetch_options *o;
	struct catalog_fetch_stats *st;
	struct catalog_bundle bd;
	struct catalog_download_list *dialogs;
	size_t		 ndialogs;
	struct searched *searches;
	size_t		 nsearches;
	struct lookup	*lookups;
	struct ufile	*files;
	size_t		 nfiles;
	char		*tmp, *parts, *filesdir;
	int		 tmp_lock;	/* fd holding a lock on tmp, or -1 */
	int		 cache;		/* o->cache_dir is there to use */
	enum catalog_phase phase;	/* of the lookups, for progress */
	int		 problems;
};

static void
problem(struct fetch *f, const char *msg)
{
	f->problems++;
	if (f->o->problem)
		f->o->problem(msg, f->o->problem_arg);
}

/* A message that is not a problem (m is freed). */
static void
note(struct fetch *f, char *m)
{
	if (f->o->note)
		f->o->note(m, f->o->problem_arg);
	free(m);
}

static int
stopped(const struct fetch *f)
{
	return catalog_client_stopped(f->c);
}

/* One lookup has ended: progress in ops of the phase. */
static void
lookup_each(size_t done, size_t n, void *arg)
{
	struct fetch *f = arg;
	struct catalog_progress pr;

	if (f->o->progress == NULL)
		return;
	memset(&pr, 0, sizeof(pr));
	pr.phase = f->phase;
	pr.done = done;
	pr.total = n;
	pr.final = done == n;
	f->o->progress(&pr, f->o->progress_arg);
}

/* The index of kb's search, added when new: one search a KB. */
static size_t
search_slot(struct fetch *f, const char *kb)
{
	size_t i;

	for (i = 0; i < f->nsearches; i++)
		if (strcasecmp(f->searches[i].kb, kb) == 0)
			return i;
	f->searches = xreallocarray(f->searches, f->nsearches + 1,
	    sizeof(*f->searches));
	memset(&f->searches[f->nsearches], 0, sizeof(f->searches[0]));
	f->searches[f->nsearches].kb = xstrdup(kb);
	return f->nsearches++;
}

/* entry_size: the Catalog's size of the entry (its files together, the
 * search row's originalSize), so no file of it may be larger. */
static size_t
ufile_add(struct fetch *f, const struct catalog_file *cf, const char *kb,
    const char *arch, uint64_t entry_size, size_t nfiles)
{
	size_t i;

	for (i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i].name, cf->name) == 0) {
			/* one download however many need it */
			if (entry_size > f->files[i].most)
				f->files[i].most = entry_size;
			return i;
		}
	f->files = xreallocarray(f->files, f->nfiles + 1, sizeof(*f->files));
	memset(&f->files[f->nfiles], 0, sizeof(f->files[0]));
	f->files[f->nfiles].name = xstrdup(cf->name);
	f->files[f->nfiles].url = cf->url;
	f->files[f->nfiles].want_sha1 = cf->sha1;
	f->files[f->nfiles].want_sha256 = cf->sha256;
	/* a file that does not name the KB (a servicing stack bundled in
	 * the same entry) is held to its architecture and structure only */
	f->files[f->nfiles].kb = strcasestr(cf->name, kb + 2) ? kb : NULL;
	f->files[f->nfiles].arch = arch;
	f->files[f->nfiles].most = entry_size;
	/* the Catalog gives one size an entry: exact for one file, a share
	 * for the progress total otherwise */
	f->files[f->nfiles].hint = entry_size / (nfiles ? nfiles : 1);
	return f->nfiles++;
}

static void
update_fill(struct fetch *f, const struct plan_package *pk,
    const struct catalog_update *row, const struct catalog_download *d)
{
	struct catalog_bundle_update *u = &f->bd.updates[f->bd.nupdates++];
	size_t i;

	u->update_id = xstrdup(row->update_id);
	u->kb = xstrdup(pk->kb);
	u->title = xstrdup(row->title);
	u->product = xstrdup(pk->product);
	u->arch = xstrdup(pk->arch);
	u->classification = xstrdup(row->classification);
	u->hosts = xcalloc(pk->nhosts + 1, sizeof(*u->hosts));
	for (i = 0; i < pk->nhosts; i++)
		u->hosts[u->nhosts++] = xstrdup(pk->hosts[i]);
	u->files = xcalloc(d->nfiles + 1, sizeof(*u->files));
	for (i = 0; i < d->nfiles; i++) {
		u->files[i].name = xstrdup(d->files[i].name);
		u->files[i].path = xasprintf("files/%s", d->files[i].name);
		u->files[i].url = xstrdup(d->files[i].url);
		ufile_add(f, &d->files[i], u->kb, u->arch, row->size,
		    d->nfiles);
	}
	u->nfiles = d->nfiles;
}

static const struct catalog_download *
dialog_entry(const struct catalog_download_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].update_id, id) == 0)
			return &l->v[i];
	return NULL;
}

/*
 * The Catalog lookups: one search per KB, then one download dialog per
 * package, each batch on the client's curl_multi loop (http.c: a page at
 * a time until the Catalog proves slow, then LOOKUP_PARALLEL at once).
 * Choosing entries and reporting happen after each batch, in plan order,
 * so the messages do not depend on timing.
 */
#define LOOKUP_PARALLEL	4

static void
searches_run(struct fetch *f)
{
	struct catalog_op **ops = xcalloc(f->nsearches + 1, sizeof(*ops));
	size_t i;

	struct catalog_http_hooks hooks = { lookup_each, f };

	for (i = 0; i < f->nsearches; i++)
		ops[i] = catalog_search_op(f->c, f->searches[i].kb,
		    SEARCH_LIMIT, &f->searches[i].rows);
	f->phase = CATALOG_LOOKUP_SEARCH;
	lookup_each(0, f->nsearches, f);
	(void)catalog_http_run_hooked(f->c, ops, f->nsearches,
	    LOOKUP_PARALLEL, &hooks);
	for (i = 0; i < f->nsearches; i++) {
		if (ops[i]->rc == -1)
			f->searches[i].error = xstrdup(ops[i]->error);
		catalog_op_free(ops[i]);
	}
	free(ops);
}

/* One dialog for each package whose entry was chosen. */
static void
dialogs_run(struct fetch *f, size_t n)
{
	struct catalog_op **ops = xcalloc(n + 1, sizeof(*ops));
	size_t i, k = 0, *which = xcalloc(n + 1, sizeof(*which));
	const char *id;
	struct catalog_http_hooks hooks = { lookup_each, f };

	for (i = 0; i < n; i++) {
		if (f->lookups[i].error != NULL)
			continue;
		id = f->searches[f->lookups[i].search].rows.v[
		    f->lookups[i].row].update_id;
		if (!catalog_valid_update_id(id)) {
			f->lookups[i].error = xasprintf("'%s' is not an "
			    "update id", id);
			continue;
		}
		which[k] = i;
		ops[k++] = catalog_dialog_op(f->c, id, &f->dialogs[i]);
	}
	f->phase = CATALOG_LOOKUP_DIALOG;
	lookup_each(0, k, f);
	(void)catalog_http_run_hooked(f->c, ops, k, LOOKUP_PARALLEL, &hooks);
	for (i = 0; i < k; i++) {
		if (ops[i]->rc == -1)
			f->lookups[which[i]].error = xstrdup(ops[i]->error);
		catalog_op_free(ops[i]);
	}
	free(which);
	free(ops);
}

/* Chooses the package's entry in its KB's search; NULL: chosen. */
static char *
choose(struct fetch *f, const struct plan_package *pk, struct lookup *lk)
{
	const struct searched *s = &f->searches[lk->search];

	if (s->error != NULL)
		return xstrdup(s->error);
	if (catalog_select(&s->rows, pk->kb, pk->product, pk->arch,
	    &lk->row) == -1)
		return xstrdup(err_msg());
	return NULL;
}

static void
resolve_one(struct fetch *f, const struct plan_package *pk, size_t k)
{
	const struct lookup *lk = &f->lookups[k];
	const struct catalog_update *row;
	const struct catalog_download *d;
	char *m;

	if (lk->error != NULL) {
		problem(f, lk->error);
		return;
	}
	row = &f->searches[lk->search].rows.v[lk->row];
	d = dialog_entry(&f->dialogs[k], row->update_id);
	if (d == NULL || d->nfiles == 0) {
		m = xasprintf("%s %s %s: DownloadDialog.aspx lists no file for "
		    "update %s", pk->kb, pk->product, pk->arch,
		    row->update_id);
		problem(f, m);
		free(m);
		return;
	}
	update_fill(f, pk, row, d);
}

static int
resolve(struct fetch *f, const struct plan *p)
{
	size_t i;

	f->bd.updates = xcalloc(p->npackages + 1, sizeof(*f->bd.updates));
	f->dialogs = xcalloc(p->npackages + 1, sizeof(*f->dialogs));
	f->ndialogs = p->npackages;
	f->lookups = xcalloc(p->npackages + 1, sizeof(*f->lookups));
	for (i = 0; i < p->npackages; i++)
		f->lookups[i].search = search_slot(f, p->packages[i].kb);
	searches_run(f);
	if (stopped(f))
		goto interrupted;
	for (i = 0; i < p->npackages; i++)
		f->lookups[i].error = choose(f, &p->packages[i],
		    &f->lookups[i]);
	dialogs_run(f, p->npackages);
	if (stopped(f))
		goto interrupted;
	for (i = 0; i < p->npackages; i++)
		resolve_one(f, &p->packages[i], i);
	if (f->problems) {
		err_set("%d plan package(s) could not be matched to the "
		    "Catalog; nothing was downloaded", f->problems);
		return -1;
	}
	return 0;
interrupted:
	f->st->interrupted = 1;
	err_set("interrupted while looking up the Catalog; nothing was "
	    "downloaded");
	return -1;
}

static int
copy_file(const char *from, const char *to)
{
	struct buf b;
	int rc;

	/* only for a cache on another file system; files are at most a few
	 * hundred MB */
	if (file_read(from, (size_t)1 << 32, &b) == -1)
		return -1;
	rc = file_write_atomic(to, b.data, b.len, 0644);
	buf_release(&b);
	return rc;
}

static int
place(const char *from, const char *to)
{
	if (link(from, to) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
		err_setx_errno("%s", to);
		return -1;
	}
	return copy_file(from, to);
}

static int
verify_into(struct fetch *f, struct ufile *u, const char *path,
    const char *have1, const char *have256)
{
	struct catalog_check ck = { u->name, u->want_sha1, u->want_sha256,
	    u->kb, u->arch, have1, have256 };
	struct catalog_msu_info info;
	struct stat st;

	if (catalog_file_check(path, &ck, u->sha1, u->sha256, &info) == -1)
		return -1;
	u->package_cab = info.package_cab;
	info.package_cab = NULL;
	free(u->package_identity);
	u->package_identity = info.package_identity;
	info.package_identity = NULL;
	catalog_msu_info_release(&info);
	if (stat(path, &st) == 0)
		u->size = (uint64_t)st.st_size;
	(void)f;
	return 0;
}

/* A cached copy is used only after the same checks as a download. */
static int
from_cache(struct fetch *f, struct ufile *u)
{
	char *c, *dst;
	int rc = -1;

	if (f->o->cache_dir == NULL)
		return -1;
	c = xasprintf("%s/%s", f->o->cache_dir, u->name);
	dst = xasprintf("%s/%s", f->filesdir, u->name);
	if (access(c, R_OK) == 0) {
		if (verify_into(f, u, c, NULL, NULL) == -1)
			unlink(c);	/* damaged: download again */
		else if (place(c, dst) == 0)
			rc = 0;
	}
	free(c);
	free(dst);
	return rc;
}

/*
 * As each download ends, on the loop: its digests were computed while the
 * bytes arrived (sink.c); they are compared and the MSU structure checked
 * (the Cabinet's file table, not the payload).  Renames, the cache and
 * messages wait for the end of the loop.
 */
struct landing {
	struct fetch	*f;
	struct catalog_dl *reqs;
	size_t		*which;		/* request -> unique file */
	char		**refused;	/* request -> why it was refused */
};

static void
landed_hook(struct catalog_dl *r, void *arg)
{
	struct landing *ld = arg;
	size_t i = (size_t)(r - ld->reqs);
	struct ufile *u = &ld->f->files[ld->which[i]];

	if (r->ok && verify_into(ld->f, u, r->part_path, r->sha1,
	    r->sha256) == -1)
		ld->refused[i] = xasprintf("%s: refused: %s", u->name,
		    err_msg());
}

/* A verified download: into the cache (its part file is there), then
 * linked into files/; without a cache, renamed into files/. */
static int
land_file(struct fetch *f, const char *part, const char *name)
{
	char *dst = xasprintf("%s/%s", f->filesdir, name), *c = NULL;
	int rc = -1;

	if (f->cache) {
		c = xasprintf("%s/%s", f->o->cache_dir, name);
		if (rename(part, c) == -1)
			err_setx_errno("%s", c);
		else
			rc = place(c, dst);
	} else if (rename(part, dst) == -1)
		err_setx_errno("%s", dst);
	else
		rc = 0;
	free(c);
	free(dst);
	return rc;
}

/* Whether a download that did not finish leaves its part file for the
 * next fetch: only in the cache, only bytes not refused. */
static int
part_keep(const struct fetch *f, const struct catalog_dl *r)
{
	return f->cache && !r->bad_bytes && r->have > 0;
}

static void
landed(struct fetch *f, struct ufile *u, struct catalog_dl *r,
    const char *refused)
{
	f->st->bytes_downloaded += r->bytes;
	if (r->ok && refused == NULL) {
		if (land_file(f, r->part_path, u->name) == -1) {
			problem(f, err_msg());
			return;
		}
		u->ok = 1;
		u->synced = 1;
		f->st->downloaded++;
		f->st->bytes_resumed += r->resumed;
		f->st->kept += f->cache;
	} else if (refused != NULL || !part_keep(f, r)) {
		if (!r->interrupted || refused != NULL)
			problem(f, refused ? refused : r->error);
		unlink(r->part_path);
	} else {
		if (!r->interrupted)
			problem(f, r->error);
		f->st->partial++;
		f->st->partial_bytes += r->have;
		note(f, xasprintf("%s: %llu of %llu bytes kept in %s for the "
		    "next fetch", u->name, (unsigned long long)r->have,
		    (unsigned long long)(r->size ? r->size : r->have),
		    r->part_path));
	}
}

/* Where a file is downloaded: its part file in the cache, continued
 * from where an earlier fetch left it, or in the temporary folder. */
static void
request_fill(struct fetch *f, const struct ufile *u, struct catalog_dl *r)
{
	struct stat st;

	r->url = u->url;
	r->name = u->name;
	r->max_size = u->most;
	r->size = u->hint;
	if (!f->cache) {
		r->part_path = xasprintf("%s/%s.part", f->parts, u->name);
		return;
	}
	r->part_path = xasprintf("%s/%s.part", f->o->cache_dir, u->name);
	r->resume = 1;
	if (lstat(r->part_path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0)
		note(f, xasprintf("%s: continuing from byte %llu (a part file "
		    "an earlier fetch left in %s)", u->name,
		    (unsigned long long)st.st_size, f->o->cache_dir));
}

/* The requests for what the cache does not have. */
static size_t
requests_make(struct fetch *f, struct catalog_dl *reqs, size_t *which)
{
	size_t i, n = 0;

	f->cache = f->o->cache_dir != NULL &&
	    mkdir_p(f->o->cache_dir, 0755) == 0;
	for (i = 0; i < f->nfiles && !stopped(f); i++) {
		if (from_cache(f, &f->files[i]) == 0) {
			f->files[i].ok = 1;
			f->st->cached++;
			continue;
		}
		request_fill(f, &f->files[i], &reqs[n]);
		which[n++] = i;
	}
	return n;
}

static int
download(struct fetch *f)
{
	struct catalog_dl *reqs = xcalloc(f->nfiles + 1, sizeof(*reqs));
	size_t i, n, *which = xcalloc(f->nfiles + 1, sizeof(*which));
	char **refused = xcalloc(f->nfiles + 1, sizeof(*refused));
	struct landing ld = { f, reqs, which, refused };
	struct catalog_dl_hooks hooks = { f->o->progress, f->o->progress_arg,
	    landed_hook, &ld };

	n = requests_make(f, reqs, which);
	if (n > 0 && !stopped(f))
		catalog_dl_run(f->c, reqs, n, f->o->parallel > 0 ?
		    f->o->parallel : 4, &hooks);
	for (i = 0; i < n; i++) {
		landed(f, &f->files[which[i]], &reqs[i], refused[i]);
		free(refused[i]);
		free(reqs[i].part_path);
		free(reqs[i].error);
	}
	free(refused);
	free(reqs);
	free(which);
	f->st->failed = (size_t)f->problems;
	if (stopped(f)) {
		f->st->interrupted = 1;
		err_set("interrupted; no bundle was written");
		return -1;
	}
	if (f->problems) {
		err_set("%d file(s) failed; no bundle was written",
		    f->problems);
		return -1;
	}
	return 0;
}

/* Downloads were synced by their sinks as each one ended; files taken
 * from the cache are synced here, and the folder, before the bundle is
 * renamed into place, so after a crash it is either absent or complete. */
static int
files_sync(struct fetch *f)
{
	size_t i;
	int fd;

	for (i = 0; i < f->nfiles; i++) {
		if (f->files[i].synced)
			continue;
		char *p = xasprintf("%s/%s", f->filesdir, f->files[i].name);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd == -1 || fsync(fd) == -1) {
			err_setx_errno("%s", p);
			if (fd != -1)
				close(fd);
			free(p);
			return -1;
		}
		close(fd);
		free(p);
	}
	return fsync_dir(f->filesdir);
}

static void
files_fill(struct fetch *f)
{
	size_t i, j, k;

	for (i = 0; i < f->bd.nupdates; i++)
		for (j = 0; j < f->bd.updates[i].nfiles; j++) {
			struct catalog_bundle_file *bf =
			    &f->bd.updates[i].files[j];
			for (k = 0; k < f->nfiles; k++)
				if (strcmp(f->files[k].name, bf->name) == 0)
					break;
			bf->size = f->files[k].size;
			bf->sha1 = xstrdup(f->files[k].sha1);
			bf->sha256 = xstrdup(f->files[k].sha256);
			bf->package_cab = f->files[k].package_cab ?
			    xstrdup(f->files[k].package_cab) : NULL;
			bf->package_identity = f->files[k].package_identity ?
			    xstrdup(f->files[k].package_identity) : NULL;
		}
}

#define TMP_INFIX	".kbfix-tmp."	/* dir_tmp_beside()'s names */

/*
 * Temporary folders beside the bundle that no fetch holds (a fetch killed
 * with SIGKILL, a machine that went down): each running fetch holds a lock
 * on its own (flock on the folder, which follows it through the rename).
 */
static void
tmp_reap(struct fetch *f)
{
	char *pat = xasprintf("%s" TMP_INFIX, f->o->out_dir), *slash, *path;
	const char *dir = ".", *prefix = pat;
	struct dirent *de;
	DIR *d;
	int fd;

	if ((slash = strrchr(pat, '/')) != NULL) {
		*slash = '\0';
		dir = slash == pat ? "/" : pat;
		prefix = slash + 1;
	}
	if ((d = opendir(dir)) == NULL) {
		free(pat);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    strlen(de->d_name) != strlen(prefix) + 6)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    dir_remove_tree(path, 2) == 0)
			note(f, xasprintf("removed %s, left by an earlier fetch "
			    "that did not finish", path));
		if (fd != -1)
			close(fd);
		free(path);
	}
	closedir(d);
	free(pat);
}

static int
tmp_make(struct fetch *f)
{
	tmp_reap(f);
	if ((f->tmp = dir_tmp_beside(f->o->out_dir)) == NULL)
		return -1;
	f->tmp_lock = open(f->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->tmp_lock == -1 || flock(f->tmp_lock, LOCK_EX | LOCK_NB) == -1) {
		err_setx_errno("%s", f->tmp);
		return -1;
	}
	f->parts = xasprintf("%s/.part", f->tmp);
	f->filesdir = xasprintf("%s/files", f->tmp);
	if (mkdir(f->parts, 0700) == -1 || mkdir(f->filesdir, 0755) == -1) {
		err_setx_errno("%s", f->tmp);
		return -1;
	}
	return 0;
}

static int
finish(struct fetch *f)
{
	char created[21];

	time_iso8601((int64_t)time(NULL), created);
	f->bd.created = xstrdup(created);
	f->bd.catalog = xstrdup(catalog_client_base(f->c));
	files_fill(f);
	if (rmdir(f->parts) == -1) {
		err_setx_errno("%s", f->parts);
		return -1;
	}
	if (files_sync(f) == -1 || catalog_bundle_write_meta(f->tmp, &f->bd) == -1 ||
	    dir_commit(f->tmp, f->o->out_dir) == -1)
		return -1;
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

/* A fetch that did not finish removes its temporary folder, and says
 * so; the fetch's error message is kept. */
static void
tmp_remove(struct fetch *f)
{
	char *e;

	if (f->tmp == NULL)
		return;
	e = xstrdup(err_msg());
	if (dir_remove_tree(f->tmp, 2) == 0)
		note(f, xasprintf("removed the temporary folder %s", f->tmp));
	else
		note(f, xasprintf("could not remove the temporary folder %s: "
		    "%s", f->tmp, err_msg()));
	err_set("%s", e);
	free(e);
	free(f->tmp);
	f->tmp = NULL;
}

static void
fetch_release(struct fetch *f)
{
	size_t i;

	if (f->tmp_lock != -1)
		close(f->tmp_lock);
	for (i = 0; i < f->nsearches; i++) {
		free(f->searches[i].kb);
		free(f->searches[i].error);
		catalog_update_list_release(&f->searches[i].rows);
	}
	free(f->searches);
	for (i = 0; f->lookups && i < f->ndialogs; i++)
		free(f->lookups[i].error);
	free(f->lookups);
	for (i = 0; i < f->nfiles; i++) {
		free(f->files[i].name);
		free(f->files[i].package_cab);
		free(f->files[i].package_identity);
	}
	free(f->files);
	for (i = 0; i < f->ndialogs; i++)
		catalog_download_list_release(&f->dialogs[i]);
	free(f->dialogs);
	free(f->tmp);
	free(f->parts);
	free(f->filesdir);
}

int
catalog_fetch(struct catalog_client *c, const struct plan *p,
    const struct catalog_fetch_options *o, struct catalog_fetch_stats *st)
{
	struct fetch f;
	struct catalog_bundle *bd;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	memset(st, 0, sizeof(*st));
	f.tmp_lock = -1;
	catalog_client_stop_on(c, o->stop);
	f.c = c;
	f.o = o;
	f.st = st;
	if (dir_check_free(o->out_dir, 0) == -1 || resolve(&f, p) == -1)
		goto out;
	st->updates = f.bd.nupdates;
	st->files = f.nfiles;
	if (tmp_make(&f) == -1 || download(&f) == -1 || finish(&f) == -1)
		goto out;
	if (o->archive && catalog_archive_write(o->out_dir, o->archive) == -1)
		goto out;
	rc = 0;
out:
	tmp_remove(&f);
	bd = xcalloc(1, sizeof(*bd));
	*bd = f.bd;
	fetch_release(&f);
	catalog_bundle_free(bd);
	return rc;
}

/*
 * The packages of a fetch bundle (DESIGN.md "Bundle") for apply: read with
 * catalog_bundle_read(), every file checked before anything is uploaded
 * (a regular file, not a link, of the manifest's size and SHA-256), and
 * found for a host by the one bundle lookup, catalog_bundle_find().
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "deploy/deploy_int.h"

/* A file kbfix fetch verified, as it is now: a link to elsewhere (a key,
 * say) or a changed file is refused before it can reach a host. */
static int
file_check_stat(const struct catalog_bundle_file *f, const char *path,
    struct stat *st)
{
	char sha1[41], sha256[65];

	if (lstat(path, st) == -1) {
		err_setx_errno("%s", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		err_set("%s: not a regular file (a link or another kind): "
		    "refused", path);
		return -1;
	}
	if ((uint64_t)st->st_size != f->size) {
		err_set("%s: %lld bytes, the manifest says %llu: run kbfix "
		    "verify", path, (long long)st->st_size,
		    (unsigned long long)f->size);
		return -1;
	}
	if (catalog_file_hashes(path, sha1, sha256) == -1)
		return -1;
	if (strcasecmp(sha256, f->sha256) != 0) {
		err_set("%s: SHA-256 %s, the manifest says %s: run kbfix verify",
		    path, sha256, f->sha256);
		return -1;
	}
	return 0;
}

static int
file_check_path(const struct catalog_bundle_file *f, const char *path)
{
	struct stat st;

	return file_check_stat(f, path, &st);
}

static int
file_check(const struct catalog_bundle *cb, const struct catalog_bundle_file *f,
    struct bundle_file *bf)
{
	struct stat st;

	bf->src = f;
	bf->path = catalog_bundle_path(cb, f);
	if (file_check_stat(f, bf->path, &st) == -1)
		return -1;
	bf->name = f->name;
	bf->package_cab = f->package_cab;
	bf->size = f->size;
	bf->dev = (uint64_t)st.st_dev;
	bf->ino = (uint64_t)st.st_ino;
	bf->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
	    st.st_mtim.tv_nsec;
	return 0;
}

/*
 * Before each upload: a file replaced or rewritten since the run checked
 * it is hashed again, so the transport's read-back (which compares the
 * host's copy with the local file) never blesses a swapped package.
 */
int
bundle_file_unchanged(const struct bundle_file *bf)
{
	struct stat st;
	int rc;

	if (lstat(bf->path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_dev == bf->dev && (uint64_t)st.st_ino == bf->ino &&
	    (uint64_t)st.st_size == bf->size &&
	    (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
	    bf->mtime_ns)
		return 0;
	rc = file_check_path(bf->src, bf->path);
	if (rc == -1)
		err_prefix("changed since the run checked it: ");
	return rc;
}

int
bundle_read(const char *dir, struct bundle *b)
{
	const struct catalog_bundle_update *u;
	size_t i, k, n = 0;

	memset(b, 0, sizeof(*b));
	if ((b->cb = catalog_bundle_read(dir)) == NULL)
		return -1;
	for (i = 0; i < b->cb->nupdates; i++)
		n += b->cb->updates[i].nfiles;
	b->files = xcalloc(n + 1, sizeof(*b->files));
	for (i = 0; i < b->cb->nupdates; i++) {
		u = &b->cb->updates[i];
		for (k = 0; k < u->nfiles; k++)
			if (file_check(b->cb, &u->files[k],
			    &b->files[b->nfiles++]) == -1) {
				bundle_release(b);
				return -1;
			}
	}
	return 0;
}

void
bundle_release(struct bundle *b)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++)
		free(b->files[i].path);
	free(b->files);
	catalog_bundle_free(b->cb);
	memset(b, 0, sizeof(*b));
}

/* The package of kb for a host: catalog_bundle_find()'s update, its file. */
const struct bundle_file *
bundle_find(const struct bundle *b, const char *kb, const char *host,
    const char *arch)
{
	const struct catalog_bundle_update *u;
	size_t i;

	if (b->cb == NULL ||
	    (u = catalog_bundle_find(b->cb, kb, host, arch)) == NULL)
		return NULL;
	for (i = 0; i < b->nfiles; i++)
		if (b->files[i].src == &u->files[0])
			return &b->files[i];
	return NULL;
}

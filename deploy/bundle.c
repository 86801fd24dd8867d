/*
 * The packages of a fetch bundle (DESIGN.md "Bundle"), read with
 * catalog_bundle_read(): which file carries a KB for a host, where it is,
 * and the .cab inside it that dism installs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/catalog.h"
#include "deploy/deploy_int.h"

static int
add_file(struct bundle *b, const struct catalog_bundle *cb,
    const struct catalog_bundle_update *u,
    const struct catalog_bundle_file *f)
{
	struct bundle_file bf;
	struct stat st;
	size_t k;

	if (strchr(f->name, '/') != NULL || strchr(f->name, '\\') != NULL ||
	    (f->path != NULL && strstr(f->path, "..") != NULL)) {
		err_set("%s/manifest.json: %s: not a plain file name", cb->dir,
		    f->name);
		return -1;
	}
	memset(&bf, 0, sizeof(bf));
	bf.path = catalog_bundle_path(cb, f);
	if (stat(bf.path, &st) == -1) {
		err_setx_errno("%s", bf.path);
		free(bf.path);
		return -1;
	}
	bf.kb = xstrdup(u->kb);
	bf.arch = xstrdup(u->arch);
	bf.name = xstrdup(f->name);
	bf.package_cab = f->package_cab ? xstrdup(f->package_cab) : NULL;
	bf.size = (uint64_t)st.st_size;
	bf.hosts = xcalloc(u->nhosts + 1, sizeof(char *));
	for (k = 0; k < u->nhosts; k++)
		bf.hosts[bf.nhosts++] = xstrdup(u->hosts[k]);
	b->files = xreallocarray(b->files, b->nfiles + 1, sizeof(bf));
	b->files[b->nfiles++] = bf;
	return 0;
}

int
bundle_read(const char *dir, struct bundle *b)
{
	struct catalog_bundle *cb;
	size_t i, k;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if ((cb = catalog_bundle_read(dir)) == NULL)
		return -1;
	for (i = 0; i < cb->nupdates && rc == 0; i++)
		for (k = 0; k < cb->updates[i].nfiles && rc == 0; k++)
			rc = add_file(b, cb, &cb->updates[i],
			    &cb->updates[i].files[k]);
	catalog_bundle_free(cb);
	if (rc == -1)
		bundle_release(b);
	return rc;
}

void
bundle_release(struct bundle *b)
{
	size_t i, k;

	for (i = 0; i < b->nfiles; i++) {
		free(b->files[i].kb); free(b->files[i].arch);
		free(b->files[i].name); free(b->files[i].path);
		free(b->files[i].package_cab);
		for (k = 0; k < b->files[i].nhosts; k++)
			free(b->files[i].hosts[k]);
		free(b->files[i].hosts);
	}
	free(b->files);
	memset(b, 0, sizeof(*b));
}

/* The file listing the host, else the one of its architecture. */
const struct bundle_file *
bundle_find(const struct bundle *b, const char *kb, const char *host,
    const char *arch)
{
	const struct bundle_file *by_arch = NULL, *f;
	size_t i, k;

	for (i = 0; i < b->nfiles; i++) {
		f = &b->files[i];
		if (strcasecmp(f->kb, kb) != 0)
			continue;
		for (k = 0; k < f->nhosts; k++)
			if (strcmp(f->hosts[k], host) == 0)
				return f;
		if (by_arch == NULL && (arch == NULL || f->arch == NULL ||
		    strcasecmp(f->arch, arch) == 0))
			by_arch = f;
	}
	return by_arch;
}

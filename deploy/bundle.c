/*
 * A minimal reader of a fetch bundle's manifest.json (format
 * kbfix-bundle/1, DESIGN.md "Bundle"): which file carries a KB for a host,
 * and the .cab inside it that dism installs.  Stands in until catalog/
 * exports its reader.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "deploy/deploy_int.h"

static char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static int
add_file(struct bundle *b, const char *dir, const cJSON *u, const cJSON *f,
    const char *mpath)
{
	struct bundle_file bf;
	const cJSON *hosts, *h;
	char *rel;
	struct stat st;

	memset(&bf, 0, sizeof(bf));
	bf.kb = jstr(u, "kb");
	bf.arch = jstr(u, "arch");
	bf.name = jstr(f, "name");
	bf.package_cab = jstr(f, "package_cab");
	rel = jstr(f, "path");
	if (bf.kb == NULL || bf.name == NULL || strchr(bf.name, '/') ||
	    (rel && strstr(rel, ".."))) {
		err_set("%s: an update without kb, or a file without a plain "
		    "name", mpath);
		free(rel);
		goto fail;
	}
	bf.path = rel ? xasprintf("%s/%s", dir, rel) :
	    xasprintf("%s/files/%s", dir, bf.name);
	free(rel);
	if (stat(bf.path, &st) == -1) {
		err_setx_errno("%s: %s", mpath, bf.path);
		goto fail;
	}
	bf.size = (uint64_t)st.st_size;
	hosts = cJSON_GetObjectItemCaseSensitive(u, "hosts");
	cJSON_ArrayForEach(h, hosts) {
		if (!cJSON_IsString(h))
			continue;
		bf.hosts = xreallocarray(bf.hosts, bf.nhosts + 1, sizeof(char *));
		bf.hosts[bf.nhosts++] = xstrdup(h->valuestring);
	}
	b->files = xreallocarray(b->files, b->nfiles + 1, sizeof(bf));
	b->files[b->nfiles++] = bf;
	return 0;
fail:
	free(bf.kb); free(bf.arch); free(bf.name); free(bf.package_cab);
	free(bf.path);
	return -1;
}

int
bundle_read(const char *dir, struct bundle *b)
{
	struct buf text;
	cJSON *root = NULL;
	const cJSON *u, *f, *fmt;
	char *mpath;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	buf_init(&text, (size_t)64 << 20);
	mpath = xasprintf("%s/manifest.json", dir);
	if (file_read(mpath, text.max, &text) == -1)
		goto out;
	root = cJSON_Parse(buf_str(&text));
	fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (root == NULL || !cJSON_IsString(fmt) ||
	    strcmp(fmt->valuestring, "kbfix-bundle/1") != 0) {
		err_set("%s: not a kbfix-bundle/1 manifest", mpath);
		goto out;
	}
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(root,
	    "updates")) {
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(u,
		    "files"))
			if (add_file(b, dir, u, f, mpath) == -1)
				goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		bundle_release(b);
	cJSON_Delete(root);
	free(mpath);
	buf_release(&text);
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

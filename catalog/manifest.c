/*
 * The bundle reader (manifest.json, format kbfix-bundle/1) for apply and
 * verify, and `verify`'s re-check of every file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "catalog.h"
#include "update_int.h"

#define MANIFEST_MAX	(64 << 20)

static void
bfile_release(struct catalog_bundle_file *f)
{
	free(f->name);
	free(f->path);
	free(f->url);
	free(f->sha1);
	free(f->sha256);
	free(f->package_cab);
}

static void
bupdate_release(struct catalog_bundle_update *u)
{
	size_t i;

	free(u->update_id);
	free(u->kb);
	free(u->title);
	free(u->product);
	free(u->arch);
	free(u->classification);
	for (i = 0; i < u->nhosts; i++)
		free(u->hosts[i]);
	free(u->hosts);
	for (i = 0; i < u->nfiles; i++)
		bfile_release(&u->files[i]);
	free(u->files);
}

void
catalog_bundle_free(struct catalog_bundle *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nupdates; i++)
		bupdate_release(&b->updates[i]);
	free(b->updates);
	free(b->dir);
	free(b->created);
	free(b->catalog);
	free(b);
}

/* A string member; on error the message names the JSON path. */
static int
str_get(const cJSON *o, const char *key, const char *path, int need,
    char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (!need)
			return 0;
		err_set("manifest.json: %s.%s: missing", path, key);
		return -1;
	}
	if (!cJSON_IsString(v)) {
		err_set("manifest.json: %s.%s: not a string", path, key);
		return -1;
	}
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
file_get(const cJSON *o, const char *path, struct catalog_bundle_file *f)
{
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	char *want;

	if (!cJSON_IsObject(o)) {
		err_set("manifest.json: %s: not an object", path);
		return -1;
	}
	if (str_get(o, "name", path, 1, &f->name) == -1 ||
	    str_get(o, "path", path, 1, &f->path) == -1 ||
	    str_get(o, "url", path, 0, &f->url) == -1 ||
	    str_get(o, "sha1", path, 1, &f->sha1) == -1 ||
	    str_get(o, "sha256", path, 1, &f->sha256) == -1 ||
	    str_get(o, "package_cab", path, 0, &f->package_cab) == -1)
		return -1;
	if (!catalog_valid_file_name(f->name)) {
		err_set("manifest.json: %s.name: '%s' is not a plain file "
		    "name", path, f->name);
		return -1;
	}
	want = xasprintf("files/%s", f->name);
	if (strcmp(want, f->path) != 0) {
		err_set("manifest.json: %s.path: '%s' should be '%s'", path,
		    f->path, want);
		free(want);
		return -1;
	}
	free(want);
	if (!cJSON_IsNumber(size) || size->valuedouble < 0) {
		err_set("manifest.json: %s.size: not a byte count", path);
		return -1;
	}
	f->size = (uint64_t)size->valuedouble;
	return 0;
}

static int
hosts_get(const cJSON *o, const char *path, struct catalog_bundle_update *u)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "hosts"), *h;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a)) {
		err_set("manifest.json: %s.hosts: not an array", path);
		return -1;
	}
	u->hosts = xcalloc((size_t)cJSON_GetArraySize(a) + 1,
	    sizeof(*u->hosts));
	cJSON_ArrayForEach(h, a) {
		if (!cJSON_IsString(h)) {
			err_set("manifest.json: %s.hosts[%zu]: not a string",
			    path, u->nhosts);
			return -1;
		}
		u->hosts[u->nhosts++] = xstrdup(h->valuestring);
	}
	return 0;
}

static int
update_get(const cJSON *o, const char *path, struct catalog_bundle_update *u)
{
	const cJSON *files, *f;
	char sub[96];

	if (!cJSON_IsObject(o)) {
		err_set("manifest.json: %s: not an object", path);
		return -1;
	}
	if (str_get(o, "update_id", path, 1, &u->update_id) == -1 ||
	    str_get(o, "kb", path, 1, &u->kb) == -1 ||
	    str_get(o, "title", path, 0, &u->title) == -1 ||
	    str_get(o, "product", path, 1, &u->product) == -1 ||
	    str_get(o, "arch", path, 1, &u->arch) == -1 ||
	    str_get(o, "classification", path, 0, &u->classification) == -1 ||
	    hosts_get(o, path, u) == -1)
		return -1;
	files = cJSON_GetObjectItemCaseSensitive(o, "files");
	if (!cJSON_IsArray(files)) {
		err_set("manifest.json: %s.files: missing or not an array",
		    path);
		return -1;
	}
	u->files = xcalloc((size_t)cJSON_GetArraySize(files) + 1,
	    sizeof(*u->files));
	cJSON_ArrayForEach(f, files) {
		snprintf(sub, sizeof(sub), "%s.files[%zu]", path, u->nfiles);
		if (file_get(f, sub, &u->files[u->nfiles++]) == -1)
			return -1;
	}
	return 0;
}

static int
bundle_get(const cJSON *root, struct catalog_bundle *b)
{
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(root, "updates");
	const cJSON *u;
	char path[32];

	if (!cJSON_IsString(fmt) ||
	    strcmp(fmt->valuestring, CATALOG_BUNDLE_FORMAT) != 0) {
		err_set("manifest.json: format: expected \"%s\"",
		    CATALOG_BUNDLE_FORMAT);
		return -1;
	}
	if (str_get(root, "created", "$", 0, &b->created) == -1 ||
	    str_get(root, "catalog", "$", 0, &b->catalog) == -1)
		return -1;
	if (!cJSON_IsArray(ups)) {
		err_set("manifest.json: updates: missing or not an array");
		return -1;
	}
	b->updates = xcalloc((size_t)cJSON_GetArraySize(ups) + 1,
	    sizeof(*b->updates));
	cJSON_ArrayForEach(u, ups) {
		snprintf(path, sizeof(path), "updates[%zu]", b->nupdates);
		if (update_get(u, path, &b->updates[b->nupdates++]) == -1)
			return -1;
	}
	return 0;
}

struct catalog_bundle *
catalog_bundle_read(const char *dir)
{
	struct catalog_bundle *b = xcalloc(1, sizeof(*b));
	char *path = xasprintf("%s/manifest.json", dir);
	cJSON *root = NULL;
	struct buf raw;

	b->dir = xstrdup(dir);
	if (file_read(path, MANIFEST_MAX, &raw) == -1)
		goto fail;
	root = cJSON_ParseWithLength(raw.data, raw.len);
	buf_release(&raw);
	if (root == NULL || !cJSON_IsObject(root)) {
		err_set("%s: not a JSON object", path);
		goto fail;
	}
	if (bundle_get(root, b) == -1) {
		err_prefix("%s: ", dir);
		goto fail;
	}
	cJSON_Delete(root);
	free(path);
	return b;
fail:
	cJSON_Delete(root);
	free(path);
	catalog_bundle_free(b);
	return NULL;
}

char *
catalog_bundle_path(const struct catalog_bundle *b,
    const struct catalog_bundle_file *f)
{
	return xasprintf("%s/%s", b->dir, f->path);
}

static void
say(void (*problem)(const char *, void *), void *arg, const char *fmt,
    const char *a, const char *b)
{
	char *m = xasprintf(fmt, a, b);

	if (problem)
		problem(m, arg);
	free(m);
}

static int
file_verify(const struct catalog_bundle *b,
    const struct catalog_bundle_update *u,
    const struct catalog_bundle_file *f,
    void (*problem)(const char *, void *), void *arg)
{
	/* as fetch: the KB is checked in files whose name carries it */
	struct catalog_check ck = { f->name, f->sha1, f->sha256,
	    strcasestr(f->name, u->kb + 2) ? u->kb : NULL, u->arch, NULL,
	    NULL };
	struct catalog_msu_info info;
	char *path = catalog_bundle_path(b, f), sha1[41], sha256[65];
	struct stat st;
	int bad = 0;

	if (stat(path, &st) == -1) {
		say(problem, arg, "%s: missing (%s)", f->path, "not found");
		bad = 1;
	} else if ((uint64_t)st.st_size != f->size) {
		char sz[64];
		snprintf(sz, sizeof(sz), "expected %llu bytes, found %lld",
		    (unsigned long long)f->size, (long long)st.st_size);
		say(problem, arg, "%s: size mismatch: %s", f->path, sz);
		bad = 1;
	} else if (catalog_file_check(path, &ck, sha1, sha256, &info) == -1) {
		say(problem, arg, "%s: %s", f->path, err_msg());
		bad = 1;
	} else {
		if (f->package_cab && strcmp(f->package_cab,
		    info.package_cab) != 0) {
			say(problem, arg, "%s: the package inside is %s, not "
			    "the manifest's", f->path, info.package_cab);
			bad = 1;
		}
		catalog_msu_info_release(&info);
	}
	free(path);
	return bad;
}

/* Files under files/ that the manifest does not name. */
static int
extras(const struct catalog_bundle *b, void (*problem)(const char *, void *),
    void *arg)
{
	char *dir = xasprintf("%s/files", b->dir);
	struct dirent *de;
	size_t i, j;
	DIR *d;
	int bad = 0, known;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		known = 0;
		for (i = 0; i < b->nupdates && !known; i++)
			for (j = 0; j < b->updates[i].nfiles; j++)
				known |= strcmp(b->updates[i].files[j].name,
				    de->d_name) == 0;
		if (!known) {
			say(problem, arg, "files/%s: %s", de->d_name,
			    "not in the manifest");
			bad++;
		}
	}
	closedir(d);
	free(dir);
	return bad;
}

int
catalog_bundle_verify(const char *dir,
    void (*problem)(const char *, void *), void *arg, size_t *nchecked)
{
	struct catalog_bundle *b = catalog_bundle_read(dir);
	size_t i, j, k;
	int bad = 0, seen;

	*nchecked = 0;
	if (b == NULL)
		return -1;
	for (i = 0; i < b->nupdates; i++)
		for (j = 0; j < b->updates[i].nfiles; j++) {
			seen = 0;
			for (k = 0; k < i && !seen; k++)
				for (size_t m = 0; m < b->updates[k].nfiles;
				    m++)
					seen |= strcmp(b->updates[k].files[m].
					    name, b->updates[i].files[j].name)
					    == 0;
			if (seen)
				continue;
			(*nchecked)++;
			bad += file_verify(b, &b->updates[i],
			    &b->updates[i].files[j], problem, arg);
		}
	bad += extras(b, problem, arg);
	catalog_bundle_free(b);
	return bad;
}

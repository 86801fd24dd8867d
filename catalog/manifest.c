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

#include "catalog/catalog.h"
#include "catalog/update_int.h"

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
	free(f->package_identity);
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
str_get(const cJSON *o, const char *key, const struct jpath *jp, int need,
    char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return need ? jpath_fail(jp, key, "missing") : 0;
	if (!cJSON_IsString(v))
		return jpath_fail(jp, key, "not a string");
	*out = xstrdup(v->valuestring);
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdefABCDEF") == n;
}

/* Text a script or a report may show: no control characters. */
static int
is_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
update_check(const struct jpath *jp, const struct catalog_bundle_update *u)
{
	static const char *const arches[] = { "x86", "x64", "ia64", "arm64" };
	size_t i;

	if (!catalog_valid_update_id(u->update_id))
		return jpath_fail(jp, "update_id", "'%s' is not a GUID",
		    u->update_id);
	if (!str_is_kb(u->kb))
		return jpath_fail(jp, "kb", "'%s' is not a KB id like KB4345459",
		    u->kb);
	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(u->arch, arches[i]) == 0)
			break;
	if (i == sizeof(arches) / sizeof(arches[0]))
		return jpath_fail(jp, "arch", "'%s' is not x86, x64, ia64 or "
		    "arm64", u->arch);
	if (!is_text(u->product) || (u->title && !is_text(u->title)) ||
	    (u->classification && !is_text(u->classification)))
		return jpath_fail(jp, NULL, "product, title or classification "
		    "holds a control character");
	return 0;
}

static int
file_get(const cJSON *o, const struct jpath *jp, struct catalog_bundle_file *f)
{
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	char *want;
	int rc;

	if (!cJSON_IsObject(o))
		return jpath_fail(jp, NULL, "not an object");
	if (str_get(o, "name", jp, 1, &f->name) == -1 ||
	    str_get(o, "path", jp, 1, &f->path) == -1 ||
	    str_get(o, "url", jp, 0, &f->url) == -1 ||
	    str_get(o, "sha1", jp, 1, &f->sha1) == -1 ||
	    str_get(o, "sha256", jp, 1, &f->sha256) == -1 ||
	    str_get(o, "package_cab", jp, 0, &f->package_cab) == -1 ||
	    str_get(o, "package_identity", jp, 0, &f->package_identity) == -1)
		return -1;
	if (!catalog_valid_file_name(f->name))
		return jpath_fail(jp, "name", "'%s' is not a plain file name",
		    f->name);
	if (f->package_cab != NULL && (!catalog_valid_file_name(f->package_cab) ||
	    !str_endswith(f->package_cab, ".cab")))
		return jpath_fail(jp, "package_cab", "'%s' is not a plain .cab "
		    "file name", f->package_cab);
	/* it reaches dism /packagename: and the journal: the shape
	 * catalog/identity.c writes */
	if (f->package_identity != NULL &&
	    !catalog_valid_identity(f->package_identity))
		return jpath_fail(jp, "package_identity", "'%s' is not a "
		    "package identity like Package_for_RollupFix~"
		    "31bf3856ad364e35~amd64~~7601.24168.1.5",
		    f->package_identity);
	want = xasprintf("files/%s", f->name);
	rc = strcmp(want, f->path) == 0 ? 0 : jpath_fail(jp, "path",
	    "'%s' should be '%s'", f->path, want);
	free(want);
	if (rc == -1)
		return -1;
	if (!is_hex(f->sha1, 40))
		return jpath_fail(jp, "sha1", "not 40 hexadecimal digits");
	if (!is_hex(f->sha256, 64))
		return jpath_fail(jp, "sha256", "not 64 hexadecimal digits");
	/* whole bytes, exact in a double: up to 2^53 */
	if (!cJSON_IsNumber(size) || size->valuedouble < 0 ||
	    size->valuedouble > 9007199254740992.0 ||
	    size->valuedouble != (double)(uint64_t)size->valuedouble)
		return jpath_fail(jp, "size", "not a byte count");
	f->size = (uint64_t)size->valuedouble;
	return 0;
}

static int
hosts_get(const cJSON *o, struct jpath *jp, struct catalog_bundle_update *u)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "hosts"), *h;
	size_t mark;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a))
		return jpath_fail(jp, "hosts", "not an array");
	u->hosts = xcalloc((size_t)cJSON_GetArraySize(a) + 1,
	    sizeof(*u->hosts));
	mark = jpath_key(jp, "hosts");
	cJSON_ArrayForEach(h, a) {
		if (!cJSON_IsString(h)) {
			jpath_index(jp, u->nhosts, NULL);
			return jpath_fail(jp, NULL, "not a string");
		}
		u->hosts[u->nhosts++] = xstrdup(h->valuestring);
	}
	jpath_back(jp, mark);
	return 0;
}

static int
update_get(const cJSON *o, struct jpath *jp, struct catalog_bundle_update *u)
{
	const cJSON *files, *f;
	size_t mark;

	if (!cJSON_IsObject(o))
		return jpath_fail(jp, NULL, "not an object");
	if (str_get(o, "update_id", jp, 1, &u->update_id) == -1 ||
	    str_get(o, "kb", jp, 1, &u->kb) == -1 ||
	    str_get(o, "title", jp, 0, &u->title) == -1 ||
	    str_get(o, "product", jp, 1, &u->product) == -1 ||
	    str_get(o, "arch", jp, 1, &u->arch) == -1 ||
	    str_get(o, "classification", jp, 0, &u->classification) == -1 ||
	    hosts_get(o, jp, u) == -1 || update_check(jp, u) == -1)
		return -1;
	files = cJSON_GetObjectItemCaseSensitive(o, "files");
	if (!cJSON_IsArray(files))
		return jpath_fail(jp, "files", "missing or not an array");
	u->files = xcalloc((size_t)cJSON_GetArraySize(files) + 1,
	    sizeof(*u->files));
	cJSON_ArrayForEach(f, files) {
		mark = jpath_key(jp, "files");
		jpath_index(jp, u->nfiles, NULL);
		if (file_get(f, jp, &u->files[u->nfiles++]) == -1)
			return -1;
		jpath_back(jp, mark);
	}
	return 0;
}

static int
bundle_get(const cJSON *root, struct jpath *jp, struct catalog_bundle *b)
{
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(root, "updates");
	const cJSON *u;
	size_t mark;

	if (!cJSON_IsString(fmt) ||
	    strcmp(fmt->valuestring, CATALOG_BUNDLE_FORMAT) != 0)
		return jpath_fail(jp, "format", "expected \"%s\"",
		    CATALOG_BUNDLE_FORMAT);
	if (str_get(root, "created", jp, 0, &b->created) == -1 ||
	    str_get(root, "catalog", jp, 0, &b->catalog) == -1)
		return -1;
	if (!cJSON_IsArray(ups))
		return jpath_fail(jp, "updates", "missing or not an array");
	b->updates = xcalloc((size_t)cJSON_GetArraySize(ups) + 1,
	    sizeof(*b->updates));
	cJSON_ArrayForEach(u, ups) {
		mark = jpath_key(jp, "updates");
		jpath_index(jp, b->nupdates, NULL);
		if (update_get(u, jp, &b->updates[b->nupdates++]) == -1)
			return -1;
		jpath_back(jp, mark);
	}
	return 0;
}

struct catalog_bundle *
catalog_bundle_parse(const char *dir, const char *buf, size_t len)
{
	struct catalog_bundle *b = xcalloc(1, sizeof(*b));
	char *path = xasprintf("%s/manifest.json", dir);
	cJSON *root = cJSON_ParseWithLength(buf, len);
	struct jpath jp;

	b->dir = xstrdup(dir);
	jpath_init(&jp, path);
	if (root == NULL || !cJSON_IsObject(root)) {
		jpath_fail(&jp, NULL, "not a JSON object");
		goto fail;
	}
	if (bundle_get(root, &jp, b) == -1)
		goto fail;
	cJSON_Delete(root);
	free(path);
	return b;
fail:
	cJSON_Delete(root);
	free(path);
	catalog_bundle_free(b);
	return NULL;
}

struct catalog_bundle *
catalog_bundle_read(const char *dir)
{
	struct catalog_bundle *b;
	char *path = xasprintf("%s/manifest.json", dir);
	struct buf raw;

	b = file_read(path, MANIFEST_MAX, &raw) == -1 ? NULL :
	    catalog_bundle_parse(dir, raw.data, raw.len);
	buf_release(&raw);
	free(path);
	return b;
}

static int
update_lists(const struct catalog_bundle_update *u, const char *host)
{
	size_t k;

	for (k = 0; k < u->nhosts; k++)
		if (strcmp(u->hosts[k], host) == 0)
			return 1;
	return 0;
}

const struct catalog_bundle_update *
catalog_bundle_find(const struct catalog_bundle *b, const char *kb,
    const char *host, const char *arch)
{
	const struct catalog_bundle_update *u, *by_arch = NULL;
	size_t i;

	for (i = 0; i < b->nupdates; i++) {
		u = &b->updates[i];
		if (strcasecmp(u->kb, kb) != 0 || u->nfiles == 0)
			continue;
		if (update_lists(u, host))
			return u;
		if (by_arch == NULL && (arch == NULL || u->arch == NULL ||
		    strcasecmp(u->arch, arch) == 0))
			by_arch = u;
	}
	return by_arch;
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
		} else if (f->package_identity && strcmp(f->package_identity,
		    info.package_identity) != 0) {
			say(problem, arg, "%s: the package's update.mum says "
			    "%s, not the manifest's package_identity",
			    f->path, info.package_identity);
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

/*
 * Verification of a package file before it lands in a bundle: SHA-1
 * against the name's 40 hex digits and the dialog digest, SHA-256, and
 * the MSU structure (FACTS.md section 3): a Cabinet (MSCF) holding
 * <Pkg>-pkgProperties.txt (UTF-16LE `Key="Value"` lines naming "KB Article
 * Number" and "Processor Architecture") and the package <Pkg>.cab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define PROPS_MAX	(256 * 1024)
#define PROPS_SUFFIX	"-pkgProperties.txt"

int
catalog_file_hashes(const char *path, char sha1[41], char sha256[65])
{
	struct catalog_hash hp;
	unsigned char chunk[1 << 16];
	ssize_t n;
	int fd, rc = -1;

	catalog_hash_init(&hp);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_setx_errno("%s", path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_setx_errno("%s", path);
			goto out;
		}
		catalog_hash_update(&hp, chunk, (size_t)n);
	}
	catalog_hash_final(&hp, sha1, sha256);
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	catalog_hash_release(&hp);
	return rc;
}

void
catalog_msu_info_release(struct catalog_msu_info *m)
{
	if (m == NULL)
		return;
	free(m->kb);
	free(m->arch);
	free(m->package_cab);
	free(m->package_identity);
	memset(m, 0, sizeof(*m));
}

/* UTF-16LE (BOM optional) to ASCII; other characters become '?'. */
static char *
utf16le_ascii(const unsigned char *p, size_t n)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b, 0);
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		i = 2;
	for (; i + 1 < n; i += 2) {
		unsigned v = p[i] | (unsigned)p[i + 1] << 8;
		buf_addc(&b, v < 0x80 ? (int)v : '?');
	}
	return buf_detach(&b, NULL);
}

/* The value of `Key="Value"` in the properties text, or NULL. */
static char *
prop_value(const char *text, const char *key)
{
	const char *p = text, *q;
	size_t n = strlen(key);

	while (p && *p) {
		while (*p == '\r' || *p == '\n' || *p == ' ')
			p++;
		if (strncasecmp(p, key, n) == 0 && p[n] == '=' &&
		    p[n + 1] == '"' && (q = strchr(p + n + 2, '"')) != NULL)
			return xstrndup(p + n + 2, (size_t)(q - p - n - 2));
		p = strchr(p, '\n');
	}
	return NULL;
}

static char *
arch_name(const char *a)
{
	/* pkgProperties says amd64 where the Catalog and plans say x64 */
	if (strcasecmp(a, "amd64") == 0 || strcasecmp(a, "x64") == 0)
		return xstrdup("x64");
	if (strcasecmp(a, "x86") == 0 || strcasecmp(a, "i386") == 0)
		return xstrdup("x86");
	if (strcasecmp(a, "arm64") == 0)
		return xstrdup("arm64");
	if (strcasecmp(a, "ia64") == 0)
		return xstrdup("ia64");
	return xasprintf("%s", a);
}

static int
props_parse(const char *path, const unsigned char *raw, size_t n,
    struct catalog_msu_info *m)
{
	char *text = utf16le_ascii(raw, n), *kb, *arch;
	int rc = -1;

	kb = prop_value(text, "KB Article Number");
	arch = prop_value(text, "Processor Architecture");
	if (kb == NULL || arch == NULL) {
		err_set("%s: pkgProperties.txt lacks \"%s\"", path,
		    kb == NULL ? "KB Article Number" :
		    "Processor Architecture");
		goto out;
	}
	m->kb = str_casecmp_prefix(kb, "KB") == 0 ? xstrdup(kb) :
	    xasprintf("KB%s", kb);
	m->arch = arch_name(arch);
	rc = 0;
out:
	free(text);
	free(kb);
	free(arch);
	return rc;
}

static int
magic_check(const char *path)
{
	unsigned char m[4];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_setx_errno("%s", path);
		return -1;
	}
	n = read(fd, m, sizeof(m));
	close(fd);
	if (n != 4 || memcmp(m, "MSCF", 4) != 0) {
		err_set("%s: not a Cabinet file (expected magic MSCF, found "
		    "%s)", path, n == 4 && memcmp(m, "MSWI", 4) == 0 ?
		    "MSWIM, a WIM-based package kbfix does not handle" :
		    "something else");
		return -1;
	}
	return 0;
}

/* Reads the entry's data (at most PROPS_MAX) into b. */
static int
entry_read(struct archive *a, const char *path, struct buf *b)
{
	char chunk[8192];
	la_ssize_t n;

	buf_init(b, PROPS_MAX);
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_add(b, chunk, (size_t)n) == -1) {
			err_set("%s: pkgProperties.txt is larger than %d bytes",
			    path, PROPS_MAX);
			return -1;
		}
	if (n < 0) {
		err_set("%s: %s", path, archive_error_string(a));
		return -1;
	}
	return 0;
}

struct msu_scan {
	char		*props_prefix;	/* "Windows6.1-KB4345459-x64" */
	char		**cabs;
	size_t		 ncabs;
};

/*
 * Every member name may end up in a command line (the package .cab in
 * dism /PackagePath, Install-Offline.cmd, a runbook): plain names only.
 * Their number is bounded by cabinet.c (CATALOG_CAB_MEMBERS_MAX).
 */
static int
member_check(const char *path, const char *name)
{
	if (!catalog_valid_file_name(name)) {
		err_set("%s: member '%s' is not a plain file name", path, name);
		return -1;
	}
	return 0;
}

static void
scan_free(struct msu_scan *s)
{
	size_t i;

	for (i = 0; i < s->ncabs; i++)
		free(s->cabs[i]);
	free(s->cabs);
	free(s->props_prefix);
	memset(s, 0, sizeof(*s));
}

static void
note_cab(struct msu_scan *s, const char *name)
{
	size_t n = strlen(name);

	if (n > 4 && strcasecmp(name + n - 4, ".cab") == 0) {
		s->cabs = xreallocarray(s->cabs, s->ncabs + 1,
		    sizeof(*s->cabs));
		s->cabs[s->ncabs++] = xstrdup(name);
	}
}

static int
props_take(struct msu_scan *s, const char *path, const char *name,
    const struct buf *b, struct catalog_msu_info *m)
{
	s->props_prefix = xstrndup(name, strlen(name) - strlen(PROPS_SUFFIX));
	return props_parse(path, (const unsigned char *)b->data, b->len, m);
}

/*
 * pkgProperties.txt from a compressed folder, through libarchive, after
 * catalog_cab_expansion_check(): the members before it are decompressed
 * to reach it (MSZIP and LZX blocks depend on the ones before), none
 * after it.
 */
static int
archive_props(const char *path, const char *name, struct buf *b)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *n;
	int r, rc = -1;

	archive_read_support_format_cab(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		err_set("%s: %s", path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if ((n = archive_entry_pathname(e)) != NULL &&
		    strcmp(n, name) == 0) {
			rc = entry_read(a, path, b);
			if (rc == -1)
				buf_release(b);
			goto out;
		}
	err_set("%s: damaged Cabinet: %s", path, r == ARCHIVE_EOF ?
	    "libarchive does not find pkgProperties.txt" :
	    archive_error_string(a));
out:
	archive_read_free(a);
	return rc;
}

/* Member i (pkgProperties.txt) read: directly from a stored folder,
 * through libarchive from a compressed one whose expansion is bounded. */
static int
props_read(int fd, const char *path, const struct catalog_cab *c, size_t i,
    struct buf *b)
{
	int r = catalog_cab_read_member(fd, path, c, i, PROPS_MAX, b);

	if (r != 1)
		return r;
	if (catalog_cab_expansion_check(fd, path, c) == -1)
		return -1;
	return archive_props(path, c->files[i].name, b);
}

/* The Cabinet's file table (cabinet.c) and pkgProperties.txt, not the
 * payload.  Returns 0 or -1. */
static int
table_scan(int fd, const char *path, struct msu_scan *s,
    struct catalog_msu_info *m)
{
	struct catalog_cab c;
	struct buf b;
	size_t i, props = SIZE_MAX;
	int r = 0;

	if (catalog_cab_open(fd, path, &c) == -1)
		return -1;
	for (i = 0; i < c.nfiles && r == 0; i++) {
		const char *name = c.files[i].name;
		if ((r = member_check(path, name)) == -1)
			break;
		if (props == SIZE_MAX && str_endswith(name, PROPS_SUFFIX))
			props = i;
		else
			note_cab(s, name);
	}
	if (r == 0 && props != SIZE_MAX &&
	    (r = props_read(fd, path, &c, props, &b)) == 0) {
		r = props_take(s, path, c.files[props].name, &b, m);
		buf_release(&b);
	}
	catalog_cab_release(&c);
	return r;
}

/* The package .cab is the one pkgProperties.txt is named after. */
static int
cab_pick(const char *path, struct msu_scan *s, struct catalog_msu_info *m)
{
	size_t i, n;

	if (s->props_prefix == NULL) {
		err_set("%s: no *%s inside", path, PROPS_SUFFIX);
		return -1;
	}
	n = strlen(s->props_prefix);
	for (i = 0; i < s->ncabs; i++)
		if (strncasecmp(s->cabs[i], s->props_prefix, n) == 0 &&
		    strcasecmp(s->cabs[i] + n, ".cab") == 0) {
			m->package_cab = xstrdup(s->cabs[i]);
			return 0;
		}
	err_set("%s: the package %s.cab named by %s%s is not inside", path,
	    s->props_prefix, s->props_prefix, PROPS_SUFFIX);
	return -1;
}

int
catalog_msu_inspect(const char *path, struct catalog_msu_info *m)
{
	struct msu_scan s = { NULL, NULL, 0 };
	int fd, r, rc = -1;

	memset(m, 0, sizeof(*m));
	if (magic_check(path) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_setx_errno("%s", path);
		return -1;
	}
	r = table_scan(fd, path, &s, m);
	close(fd);
	if (r == 0)
		rc = cab_pick(path, &s, m);
	/* the identity from the package itself (catalog/identity.c) */
	if (rc == 0 && catalog_msu_identity(path, m->package_cab,
	    &m->package_identity) == -1)
		rc = -1;
	if (rc == -1)
		catalog_msu_info_release(m);
	scan_free(&s);
	return rc;
}

static int
hash_compare(const char *path, const char *what, const char *want,
    const char *have)
{
	if (want == NULL || strcasecmp(want, have) == 0)
		return 0;
	err_set("%s: SHA-%s mismatch: expected %s, got %s", path, what, want,
	    have);
	return -1;
}

static int
msu_compare(const char *path, const struct catalog_check *ck,
    const struct catalog_msu_info *m)
{
	if (ck->kb && strcasecmp(ck->kb, m->kb) != 0) {
		err_set("%s: wrong KB: expected %s, pkgProperties.txt says %s",
		    path, ck->kb, m->kb);
		return -1;
	}
	if (ck->arch && strcasecmp(ck->arch, m->arch) != 0) {
		err_set("%s: wrong architecture: expected %s, "
		    "pkgProperties.txt says %s", path, ck->arch, m->arch);
		return -1;
	}
	return 0;
}

int
catalog_file_check(const char *path, const struct catalog_check *ck,
    char sha1[41], char sha256[65], struct catalog_msu_info *info)
{
	char want[41];

	memset(info, 0, sizeof(*info));
	if (catalog_name_sha1(ck->name, want) == -1)
		return -1;
	if (ck->have_sha1 && ck->have_sha256) {
		memcpy(sha1, ck->have_sha1, 41);
		memcpy(sha256, ck->have_sha256, 65);
	} else if (catalog_file_hashes(path, sha1, sha256) == -1)
		return -1;
	if (hash_compare(ck->name, "1 (from the file name)", want, sha1) ==
	    -1 || hash_compare(ck->name, "1 (Catalog digest)", ck->want_sha1,
	    sha1) == -1 || hash_compare(ck->name, "256 (Catalog)",
	    ck->want_sha256, sha256) == -1)
		return -1;
	if (catalog_msu_inspect(path, info) == -1)
		return -1;
	if (msu_compare(ck->name, ck, info) == -1) {
		catalog_msu_info_release(info);
		return -1;
	}
	return 0;
}

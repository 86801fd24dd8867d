/*
 * A Cabinet's file table, and one member's bytes read from a stored
 * (uncompressed) folder without reading the other members ([MS-CAB]:
 * CFHEADER, CFFOLDER, CFFILE, CFDATA).  An .msu keeps its package .cab
 * (nearly all of its size) stored in front of the small
 * pkgProperties.txt; libarchive would read and checksum every byte of it
 * to reach the text.  Here the CFDATA headers are walked with 8-byte
 * reads instead: the file was hashed against the Catalog's digest as it
 * arrived, so the block checksums add nothing.  Compressed folders are
 * left to libarchive (catalog_cab_read_member answers 1), once
 * catalog_cab_expansion_check() has bounded what they expand to.  A
 * Cabinet with more members than an .msu has, or one of a multi-cabinet
 * set, is refused from its header.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define HDR_SIZE	36
#define FLAG_PREV	0x0001
#define FLAG_NEXT	0x0002
#define FLAG_RESERVE	0x0004
#define COMP_MASK	0x000f
#define FILE_FIXED	16
#define NAME_MAX_CAB	256
#define TABLE_MAX	(1 << 20)
#define BLOCK_MAX	32768	/* uncompressed bytes of a CFDATA block */

static uint32_t
le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, p, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

void
catalog_cab_release(struct catalog_cab *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i].name);
	free(c->files);
	free(c->folders);
	memset(c, 0, sizeof(*c));
}

static int
bad(const char *path, const char *what)
{
	err_set("%s: damaged Cabinet: %s", path, what);
	return -1;
}

static int
refuse(const char *path, const char *what)
{
	err_set("%s: %s: " CATALOG_NOT_PACKAGE, path, what);
	return -1;
}

/* CFFOLDER entries start after the header and its optional reserve. */
static int
folders_parse(struct catalog_cab *c, const char *path, const unsigned char *t,
    size_t tlen, size_t off, unsigned nfold, unsigned fres)
{
	unsigned i;

	c->folders = xcalloc(nfold + 1, sizeof(*c->folders));
	for (i = 0; i < nfold; i++, off += 8 + fres) {
		if (off + 8 > tlen)
			return bad(path, "folder table past the end");
		c->folders[i].start = le32(t + off);
		c->folders[i].ndata = le16(t + off + 4);
		c->folders[i].comp = le16(t + off + 6) & COMP_MASK;
	}
	c->nfolders = nfold;
	return 0;
}

static int
files_parse(struct catalog_cab *c, const char *path, const unsigned char *t,
    size_t tlen, size_t off, unsigned nfiles)
{
	unsigned i;
	const unsigned char *nul;

	c->files = xcalloc(nfiles + 1, sizeof(*c->files));
	for (i = 0; i < nfiles; i++) {
		struct catalog_cab_file *f = &c->files[i];
		if (off + FILE_FIXED >= tlen)
			return bad(path, "file table past the end");
		f->size = le32(t + off);
		f->uoff = le32(t + off + 4);
		f->folder = le16(t + off + 8);
		off += FILE_FIXED;
		nul = memchr(t + off, '\0', tlen - off < NAME_MAX_CAB + 1 ?
		    tlen - off : NAME_MAX_CAB + 1);
		if (nul == NULL)
			return bad(path, "file name not terminated");
		f->name = xstrndup((const char *)t + off,
		    (size_t)(nul - (t + off)));
		c->nfiles++;
		off += (size_t)(nul - (t + off)) + 1;
		if (f->folder >= c->nfolders)	/* 0xfffd-0xffff: continued */
			return refuse(path, "a member continued from or in "
			    "another Cabinet");
	}
	return 0;
}

/* The header's counts against what an .msu can have, before any table
 * is read. */
static int
counts_check(const char *path, unsigned nfold, unsigned nfiles,
    unsigned flags)
{
	char what[96];

	if (flags & (FLAG_PREV | FLAG_NEXT))
		return refuse(path, "one Cabinet of a multi-cabinet set");
	if (nfiles > CATALOG_CAB_MEMBERS_MAX || nfold > CATALOG_CAB_MEMBERS_MAX) {
		snprintf(what, sizeof(what), "%u %s, more than %d", nfiles >
		    CATALOG_CAB_MEMBERS_MAX ? nfiles : nfold, nfiles >
		    CATALOG_CAB_MEMBERS_MAX ? "members" : "folders",
		    CATALOG_CAB_MEMBERS_MAX);
		return refuse(path, what);
	}
	return 0;
}

int
catalog_cab_open(int fd, const char *path, struct catalog_cab *c)
{
	unsigned char h[HDR_SIZE + 4], *t = NULL;
	unsigned flags, nfold, nfiles, fres = 0, hres = 0;
	uint32_t coff;
	struct stat st;
	size_t tlen, off = HDR_SIZE;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (fstat(fd, &st) == -1 || pread_all(fd, h, sizeof(h), 0) == -1)
		return bad(path, "shorter than its header");
	c->size = (uint64_t)st.st_size;
	flags = le16(h + 30);
	nfold = le16(h + 26);
	nfiles = le16(h + 28);
	coff = le32(h + 16);
	if (memcmp(h, "MSCF", 4) != 0 || nfold == 0)
		return bad(path, "no folder");
	if (counts_check(path, nfold, nfiles, flags) == -1)
		return -1;
	if (flags & FLAG_RESERVE) {
		hres = le16(h + 36);
		fres = h[38];
		c->data_reserve = h[39];
		off += 4 + hres;
	}
	tlen = (size_t)coff + (size_t)nfiles * (FILE_FIXED + NAME_MAX_CAB + 1);
	if (tlen > c->size)
		tlen = (size_t)c->size;
	/* 256 members' entries take at most 70 KB: a table further on is
	 * not a Cabinet's */
	if (tlen > TABLE_MAX || coff >= tlen)
		return bad(path, tlen > TABLE_MAX ? "file table past 1 MiB" :
		    "no file table");
	t = xmalloc(tlen);
	if (pread_all(fd, t, tlen, 0) == -1) {
		bad(path, "cannot read its tables");
		goto out;
	}
	if (folders_parse(c, path, t, tlen, off, nfold, fres) == -1)
		goto out;
	rc = files_parse(c, path, t, tlen, coff, nfiles);
out:
	free(t);
	if (rc != 0)
		catalog_cab_release(c);
	return rc;
}

/* Copies the part of one CFDATA block [u, u + n) of uncompressed folder
 * bytes, at file offset pos, that falls inside the member. */
static int
block_take(int fd, const struct catalog_cab_file *f, uint64_t pos, uint64_t u,
    uint64_t n, unsigned char *out)
{
	uint64_t lo = u > f->uoff ? u : f->uoff;
	uint64_t hi = u + n < (uint64_t)f->uoff + f->size ? u + n :
	    (uint64_t)f->uoff + f->size;

	if (lo >= hi)
		return 0;
	return pread_all(fd, out + (lo - f->uoff), (size_t)(hi - lo),
	    pos + (lo - u));
}

/*
 * Walks every CFDATA header of member i's folder (which also checks that
 * the folder lies inside the file and holds all its members) and copies
 * the member's bytes.  Returns 0, 1 when the folder is compressed, -1.
 */
int
catalog_cab_read_member(int fd, const char *path, const struct catalog_cab *c, size_t i,
    size_t max, struct buf *out)
{
	const struct catalog_cab_file *f = &c->files[i];
	const struct catalog_cab_folder *fo = &c->folders[f->folder];
	unsigned char dh[8], *data;
	uint64_t pos = fo->start, u = 0, need = 0;
	size_t k;
	unsigned b;

	if (fo->comp != 0)
		return 1;
	if (f->size > max) {
		err_set("%s: %s is larger than %zu bytes", path, f->name, max);
		return -1;
	}
	for (k = 0; k < c->nfiles; k++)
		if (c->files[k].folder == f->folder &&
		    (uint64_t)c->files[k].uoff + c->files[k].size > need)
			need = (uint64_t)c->files[k].uoff + c->files[k].size;
	data = xcalloc(1, f->size + 1);
	for (b = 0; b < fo->ndata; b++) {
		uint16_t cb, ucb;
		if (pos + 8 + c->data_reserve > c->size ||
		    pread_all(fd, dh, sizeof(dh), pos) == -1)
			goto damaged;
		cb = le16(dh + 4);
		ucb = le16(dh + 6);
		pos += 8 + c->data_reserve;
		if (cb != ucb || pos + cb > c->size ||
		    block_take(fd, f, pos, u, ucb, data) == -1)
			goto damaged;
		pos += cb;
		u += ucb;
	}
	if (u < need)
		goto damaged;
	buf_init(out, 0);
	buf_add(out, data, f->size);
	free(data);
	return 0;
damaged:
	free(data);
	return bad(path, "a data block lies past the end of the file");
}

/*
 * The compressed folders' CFDATA headers: cb bytes in the file that
 * expand to ucb (at most 32 KiB a block).  Every decompressor, libarchive
 * included, expands ucb bytes a block: the sum is what reading the
 * folders costs, known before any of it is done.
 */
int
catalog_cab_expansion_check(int fd, const char *path,
    const struct catalog_cab *c)
{
	uint64_t packed = 0, out = 0, limit, pos;
	unsigned char dh[8];
	char what[160];
	size_t k;
	unsigned b;

	/* the walk stops where the file could not pay for more */
	limit = c->size * CATALOG_CAB_RATIO_MAX + CATALOG_CAB_EXPAND_SLACK;
	if (limit > CATALOG_CAB_EXPAND_MAX)
		limit = CATALOG_CAB_EXPAND_MAX;
	for (k = 0; k < c->nfolders && out <= limit; k++) {
		if (c->folders[k].comp == 0)
			continue;
		pos = c->folders[k].start;
		for (b = 0; b < c->folders[k].ndata && out <= limit; b++) {
			if (pos + 8 + c->data_reserve > c->size ||
			    pread_all(fd, dh, sizeof(dh), pos) == -1)
				return bad(path, "a data block lies past the "
				    "end of the file");
			if (le16(dh + 6) > BLOCK_MAX)
				return bad(path, "a data block expands past "
				    "32 KiB");
			packed += le16(dh + 4);
			out += le16(dh + 6);
			pos += 8 + c->data_reserve + le16(dh + 4);
		}
	}
	if (out > CATALOG_CAB_EXPAND_MAX || out > packed *
	    CATALOG_CAB_RATIO_MAX + CATALOG_CAB_EXPAND_SLACK) {
		snprintf(what, sizeof(what), "compressed members that expand "
		    "to %s%llu bytes from %llu (at most %d times, and %llu "
		    "bytes in all)", out > limit ? "more than " : "",
		    (unsigned long long)out, (unsigned long long)packed,
		    CATALOG_CAB_RATIO_MAX,
		    (unsigned long long)CATALOG_CAB_EXPAND_MAX);
		return refuse(path, what);
	}
	return 0;
}

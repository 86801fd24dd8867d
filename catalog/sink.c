/*
 * A download's sink: the bytes of one transfer are hashed (SHA-1 and
 * SHA-256, OpenSSL's EVP, which uses the CPU's SHA instructions where
 * there are any) and written to the part file as they arrive, on the
 * thread of the curl_multi loop, like the curl tool's write callback.  The
 * file is never read back to be hashed.  Writes are gathered into
 * SINK_BUF pieces: curl hands over one TLS record (16 KiB) at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "catalog/update_int.h"

#define SINK_BUF	(256 * 1024)
/* writeback is started every this many bytes so that the fsync at the
 * end of the file has little left to wait for */
#define KICK_BYTES	(8 << 20)

struct catalog_sink {
	int		 fd;
	struct catalog_hash hash;
	unsigned char	*buf;
	size_t		 nbuf;
	uint64_t	 written;	/* file offset after the last write */
	uint64_t	 kicked;	/* writeback started up to here */
	int		 err;		/* errno of a failed write, or 0 */
};

void
catalog_hash_init(struct catalog_hash *h)
{
	h->c1 = EVP_MD_CTX_new();
	h->c256 = EVP_MD_CTX_new();
	if (h->c1 == NULL || h->c256 == NULL ||
	    EVP_DigestInit_ex(h->c1, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestInit_ex(h->c256, EVP_sha256(), NULL) != 1)
		xalloc_failed();	/* EVP fails here only without memory */
}

void
catalog_hash_update(struct catalog_hash *h, const void *p, size_t n)
{
	/* SHA-1 and SHA-256 updates cannot fail on a started context */
	EVP_DigestUpdate(h->c1, p, n);
	EVP_DigestUpdate(h->c256, p, n);
}

void
catalog_hash_final(struct catalog_hash *h, char sha1[41], char sha256[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n;

	EVP_DigestFinal_ex(h->c1, d, &n);
	hex_encode(d, n, sha1);
	EVP_DigestFinal_ex(h->c256, d, &n);
	hex_encode(d, n, sha256);
	catalog_hash_release(h);
}

void
catalog_hash_release(struct catalog_hash *h)
{
	EVP_MD_CTX_free(h->c1);
	EVP_MD_CTX_free(h->c256);
	h->c1 = h->c256 = NULL;
}

/* The bytes a part file already holds go through the hash first, so
 * that the digests at the end are the whole file's. */
static int
sink_rehash(struct catalog_sink *s, const char *path)
{
	ssize_t n;

	while ((n = read(s->fd, s->buf, SINK_BUF)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_setx_errno("%s", path);
			return -1;
		}
		catalog_hash_update(&s->hash, s->buf, (size_t)n);
		s->written += (uint64_t)n;
	}
	s->kicked = s->written;
	return 0;
}

struct catalog_sink *
catalog_sink_open(const char *path, int resume)
{
	struct catalog_sink *s;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    (resume ? 0 : O_TRUNC), 0644);
	if (fd == -1) {
		err_setx_errno("%s", path);
		return NULL;
	}
	/* a part file in the cache is one fetch's at a time */
	if (resume && flock(fd, LOCK_EX | LOCK_NB) == -1) {
		err_set("%s: %s", path, errno == EWOULDBLOCK ? "another kbfix "
		    "fetch is downloading this file" : strerror(errno));
		close(fd);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->buf = xmalloc(SINK_BUF);
	catalog_hash_init(&s->hash);
	if (resume && sink_rehash(s, path) == -1) {
		catalog_sink_free(s);
		return NULL;
	}
	return s;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes what is gathered.  -1 with errno, then and ever after. */
static int
sink_flush(struct catalog_sink *s)
{
	if (s->err == 0 && s->nbuf > 0 &&
	    write_all(s->fd, s->buf, s->nbuf) == -1)
		s->err = errno;
	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	s->written += s->nbuf;
	s->nbuf = 0;
	if (s->written - s->kicked >= KICK_BYTES) {
		/* asynchronous: queues the pages, waits for nothing */
		(void)sync_file_range(s->fd, (off_t)s->kicked,
		    (off_t)(s->written - s->kicked), SYNC_FILE_RANGE_WRITE);
		s->kicked = s->written;
	}
	return 0;
}

int
catalog_sink_write(struct catalog_sink *s, const void *p, size_t n)
{
	const unsigned char *q = p;
	size_t k;

	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	catalog_hash_update(&s->hash, p, n);
	while (n > 0) {
		k = SINK_BUF - s->nbuf < n ? SINK_BUF - s->nbuf : n;
		memcpy(s->buf + s->nbuf, q, k);
		s->nbuf += k;
		q += k;
		n -= k;
		if (s->nbuf == SINK_BUF && sink_flush(s) == -1)
			return -1;
	}
	return 0;
}

int
catalog_sink_truncate(struct catalog_sink *s)
{
	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	s->nbuf = 0;
	if (ftruncate(s->fd, 0) == -1 || lseek(s->fd, 0, SEEK_SET) == -1) {
		s->err = errno;
		return -1;
	}
	s->written = s->kicked = 0;
	catalog_hash_release(&s->hash);
	catalog_hash_init(&s->hash);
	return 0;
}

uint64_t
catalog_sink_size(const struct catalog_sink *s)
{
	return s->written + s->nbuf;
}

int
catalog_sink_finish(struct catalog_sink *s, char sha1[41], char sha256[65])
{
	if (sink_flush(s) == -1)
		return -1;
	/* synced as each file ends, beside the other transfers, rather than
	 * all at the end: ext4 commits its journal once per fsync, 10-30 ms
	 * each on our test VM, and the writeback started every KICK_BYTES
	 * leaves little data to wait for */
	if (fsync(s->fd) == -1) {
		s->err = errno;
		return -1;
	}
	catalog_hash_final(&s->hash, sha1, sha256);
	return 0;
}

void
catalog_sink_free(struct catalog_sink *s)
{
	if (s == NULL)
		return;
	/* what is gathered goes to the file: an interrupted download is
	 * resumed from the file's size */
	(void)sink_flush(s);
	close(s->fd);
	catalog_hash_release(&s->hash);
	free(s->buf);
	free(s);
}

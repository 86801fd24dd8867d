/*
 * A download's sink: a thread that hashes (SHA-1 and SHA-256) and writes
 * the bytes of one transfer as they arrive.  The curl loop only copies
 * each piece into a 1 MiB slot of a small ring and goes back to the
 * network, so TLS, hashing and the page-cache writes of four transfers
 * run on both cores at once, the file is never read back to be hashed,
 * and the part file is written in 1 MiB writes instead of one per TLS
 * record (16 KiB).  The ring bounds memory (SINK_SLOTS MiB a transfer):
 * when the hashing falls behind, the loop waits for a slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "update_int.h"

#define SINK_CHUNK	(1 << 20)
#define SINK_SLOTS	8
/* hashed in pieces that stay in the L2 cache for the write */
#define HASH_STEP	(128 * 1024)
/* writeback is started every this many bytes so that the fsync at the
 * end of the file has little left to wait for */
#define KICK_BYTES	(8 << 20)

/* Slot buffers are kept for the next transfer's sink: a fresh 1 MiB
 * malloc is an mmap whose first touch faults in and zeroes every page,
 * which for 16 x 4 slots cost more than the copies themselves. */
#define POOL_MAX	64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *pool[POOL_MAX];
static size_t npool;

enum slot_kind { SLOT_DATA, SLOT_TRUNCATE, SLOT_FINISH };

struct slot {
	unsigned char	*data;
	size_t		 len;
	enum slot_kind	 kind;
};

struct dl_sink {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct slot	 ring[SINK_SLOTS];
	uint64_t	 head;		/* slots published by the loop */
	uint64_t	 tail;		/* slots the thread has finished */
	int		 fd;
	uint64_t	 written;	/* file offset after the last write */
	uint64_t	 kicked;	/* writeback started up to here */
	uint64_t	 preload;	/* bytes in the file before we began */
	int		 err;		/* errno of a failed write, or 0 */
	int		 closed;	/* FINISH published */
	int		 joined;
	pthread_t	 thread;
	struct hashpair	 hash;
	char		 sha1[41], sha256[65];
};

static unsigned char *
pool_get(void)
{
	unsigned char *p = NULL;

	pthread_mutex_lock(&pool_mu);
	if (npool > 0)
		p = pool[--npool];
	pthread_mutex_unlock(&pool_mu);
	return p ? p : xmalloc(SINK_CHUNK);
}

static void
pool_put(unsigned char *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&pool_mu);
	if (npool < POOL_MAX) {
		pool[npool++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	free(p);
}

void
dl_sink_pool_release(void)
{
	pthread_mutex_lock(&pool_mu);
	while (npool > 0)
		free(pool[--npool]);
	pthread_mutex_unlock(&pool_mu);
}

static void
hash_reset(struct dl_sink *s)
{
	hashpair_release(&s->hash);
	hashpair_init(&s->hash);
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

/* Bytes a resumed part file already held are hashed first.  Returns 0
 * or an errno. */
static int
preload_hash(struct dl_sink *s)
{
	unsigned char *buf = xmalloc(SINK_CHUNK);
	uint64_t off = 0;
	ssize_t n;
	int e = 0;

	while (off < s->preload) {
		n = pread(s->fd, buf, SINK_CHUNK, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n == 0 ? EIO : errno;
			break;
		}
		hashpair_update(&s->hash, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	return e;
}

/* Runs one slot; returns 0 or an errno.  After a failed write the
 * thread keeps draining (hashing nothing useful) so the loop never
 * waits on it forever. */
static int
slot_run(struct dl_sink *s, struct slot *sl, int failed)
{
	size_t off, k;

	if (failed)
		return 0;
	switch (sl->kind) {
	case SLOT_DATA:
		/* each piece is hashed and written while it is still in
		 * the cache: a whole slot would be read back from memory by
		 * the write, at a cost like the hashing's on a busy host */
		for (off = 0; off < sl->len; off += k) {
			k = sl->len - off < HASH_STEP ? sl->len - off : HASH_STEP;
			hashpair_update(&s->hash, sl->data + off, k);
			if (write_all(s->fd, sl->data + off, k) == -1)
				return errno;
		}
		s->written += sl->len;
		if (s->written - s->kicked >= KICK_BYTES) {
			/* asynchronous: queues the pages, waits for nothing */
			(void)sync_file_range(s->fd, (off_t)s->kicked,
			    (off_t)(s->written - s->kicked),
			    SYNC_FILE_RANGE_WRITE);
			s->kicked = s->written;
		}
		break;
	case SLOT_TRUNCATE:
		if (ftruncate(s->fd, 0) == -1 || lseek(s->fd, 0, SEEK_SET) == -1)
			return errno;
		s->written = s->kicked = 0;
		hash_reset(s);
		break;
	case SLOT_FINISH:
		hashpair_final(&s->hash, s->sha1, s->sha256);
		/* synced here, beside the other transfers, rather than all
		 * at the end: the bundle is renamed into place only after
		 * every file is on disk */
		if (fsync(s->fd) == -1)
			return errno;
		break;
	}
	return 0;
}

static void *
sink_main(void *arg)
{
	struct dl_sink *s = arg;
	struct slot *sl;
	int last, e = 0, failed;

	if (s->preload > 0 && (e = preload_hash(s)) != 0) {
		pthread_mutex_lock(&s->mu);
		s->err = e;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	failed = e != 0;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->tail == s->head)
			pthread_cond_wait(&s->cv, &s->mu);
		sl = &s->ring[s->tail % SINK_SLOTS];
		pthread_mutex_unlock(&s->mu);
		e = slot_run(s, sl, failed);
		last = sl->kind == SLOT_FINISH;
		pthread_mutex_lock(&s->mu);
		if (e != 0 && !failed) {
			s->err = e;
			failed = 1;
		}
		sl->len = 0;
		s->tail++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (last)
			return NULL;
	}
}

struct dl_sink *
dl_sink_new(int fd, uint64_t have)
{
	struct dl_sink *s = xcalloc(1, sizeof(*s));
	int e;

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->fd = fd;
	s->preload = s->written = s->kicked = have;
	hashpair_init(&s->hash);
	if ((e = pthread_create(&s->thread, NULL, sink_main, s)) != 0) {
		s->joined = 1;
		s->fd = -1;	/* the caller keeps its file */
		dl_sink_free(s);
		errno = e;
		return NULL;
	}
	return s;
}

/* The slot the loop fills next, waiting while the ring is full; NULL
 * once the thread has failed a write. */
static struct slot *
slot_open(struct dl_sink *s)
{
	struct slot *sl;

	pthread_mutex_lock(&s->mu);
	while (s->head - s->tail >= SINK_SLOTS && s->err == 0)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->err != 0) {
		errno = s->err;
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	pthread_mutex_unlock(&s->mu);
	sl = &s->ring[s->head % SINK_SLOTS];
	if (sl->data == NULL)
		sl->data = pool_get();
	return sl;
}

static void
slot_publish(struct dl_sink *s, struct slot *sl, enum slot_kind kind)
{
	sl->kind = kind;
	pthread_mutex_lock(&s->mu);
	s->head++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
dl_sink_write(struct dl_sink *s, const void *p, size_t n)
{
	const unsigned char *q = p;
	struct slot *sl;
	size_t k;

	while (n > 0) {
		if ((sl = slot_open(s)) == NULL)
			return -1;
		k = SINK_CHUNK - sl->len < n ? SINK_CHUNK - sl->len : n;
		memcpy(sl->data + sl->len, q, k);
		sl->len += k;
		q += k;
		n -= k;
		if (sl->len == SINK_CHUNK)
			slot_publish(s, sl, SLOT_DATA);
	}
	return 0;
}

/* Publishes a marker after the bytes copied so far. */
static int
sink_mark(struct dl_sink *s, enum slot_kind kind)
{
	struct slot *sl;

	if ((sl = slot_open(s)) == NULL)
		return -1;
	if (sl->len > 0) {
		slot_publish(s, sl, SLOT_DATA);
		if ((sl = slot_open(s)) == NULL)
			return -1;
	}
	slot_publish(s, sl, kind);
	return 0;
}

int
dl_sink_truncate(struct dl_sink *s)
{
	return sink_mark(s, SLOT_TRUNCATE);
}

void
dl_sink_close(struct dl_sink *s)
{
	struct slot *sl;

	if (s->closed)
		return;
	s->closed = 1;
	/* after a failed write the thread still drains to FINISH */
	pthread_mutex_lock(&s->mu);
	while (s->head - s->tail >= SINK_SLOTS)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
	sl = &s->ring[s->head % SINK_SLOTS];
	if (sl->len > 0) {
		slot_publish(s, sl, SLOT_DATA);
		pthread_mutex_lock(&s->mu);
		while (s->head - s->tail >= SINK_SLOTS)
			pthread_cond_wait(&s->cv, &s->mu);
		pthread_mutex_unlock(&s->mu);
		sl = &s->ring[s->head % SINK_SLOTS];
	}
	slot_publish(s, sl, SLOT_FINISH);
}

int
dl_sink_wait(struct dl_sink *s, char sha1[41], char sha256[65])
{
	dl_sink_close(s);
	if (!s->joined) {
		pthread_join(s->thread, NULL);
		s->joined = 1;
	}
	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	memcpy(sha1, s->sha1, 41);
	memcpy(sha256, s->sha256, 65);
	return 0;
}

void
dl_sink_free(struct dl_sink *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (!s->joined) {
		dl_sink_close(s);
		pthread_join(s->thread, NULL);
	}
	if (s->fd != -1)
		close(s->fd);
	for (i = 0; i < SINK_SLOTS; i++)
		pool_put(s->ring[i].data);
	hashpair_release(&s->hash);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/*
 * The download write path (catalog/sink.c): the bytes a transfer hands
 * over in pieces land in the part file, and the SHA-1 and SHA-256 computed
 * on the way match OpenSSL's one-shot digests and the FIPS 180 examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "catalog/update_int.h"

/* FIPS 180-2 appendix examples, "abc"; sha1sum / sha256sum of "xyz" */
#define ABC1 "a9993e364706816aba3e25717850c26c9cd0d89d"
#define ABC256 \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define XYZ1 "66b27417d37e024c46526c2f6d358a754fc552f3"
#define XYZ256 \
	"3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"

static char *
tmp_path(void)
{
	char *path = xstrdup("/tmp/kbfix-sink-test.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd != -1);
	close(fd);
	return path;
}

static void
openssl_hex(const EVP_MD *md, const unsigned char *p, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len;

	assert_true(EVP_Digest(p, n, d, &len, md, NULL));
	hex_encode(d, len, out);
}

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = xmalloc(n);
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static void
contents_equal(const char *path, const void *want, size_t n)
{
	struct buf b;

	assert_int_equal(file_read(path, 16 << 20, &b), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, want, n);
	buf_release(&b);
}

static void
test_catalog_hash_final_fips_example(void **state)
{
	struct catalog_hash h;
	char h1[41], h256[65];

	(void)state;
	catalog_hash_init(&h);
	catalog_hash_update(&h, "a", 1);
	catalog_hash_update(&h, "bc", 2);
	catalog_hash_final(&h, h1, h256);
	assert_string_equal(h1, ABC1);
	assert_string_equal(h256, ABC256);
}

/* Pieces of uneven sizes, TLS records and more than the sink gathers. */
static void
test_catalog_sink_write_matches_openssl(void **state)
{
	static const size_t steps[] = { 1, 16384, 7, 300000, 64, 1 << 20 };
	const size_t n = (3 << 20) + 12345;
	unsigned char *data = pattern(n);
	char *path = tmp_path(), h1[41], h256[65], w1[41], w256[65];
	struct catalog_sink *s = catalog_sink_open(path, 0);
	size_t off = 0, k, i = 0;

	(void)state;
	assert_non_null(s);
	while (off < n) {
		k = steps[i++ % 6];
		k = k > n - off ? n - off : k;
		assert_int_equal(catalog_sink_write(s, data + off, k), 0);
		off += k;
	}
	assert_int_equal(catalog_sink_size(s), n);
	assert_int_equal(catalog_sink_finish(s, h1, h256), 0);
	catalog_sink_free(s);
	openssl_hex(EVP_sha1(), data, n, w1);
	openssl_hex(EVP_sha256(), data, n, w256);
	assert_string_equal(h1, w1);
	assert_string_equal(h256, w256);
	contents_equal(path, data, n);
	unlink(path);
	free(path);
	free(data);
}

static void
test_catalog_sink_truncate_starts_over(void **state)
{
	char *path = tmp_path(), h1[41], h256[65];
	struct catalog_sink *s = catalog_sink_open(path, 0);
	static char piece[16384];
	size_t i;

	(void)state;
	assert_non_null(s);
	memset(piece, 'a', sizeof(piece));
	/* more than the sink gathers before a write, then a restart */
	for (i = 0; i < 400; i++)
		assert_int_equal(catalog_sink_write(s, piece, sizeof(piece)), 0);
	assert_int_equal(catalog_sink_truncate(s), 0);
	assert_int_equal(catalog_sink_write(s, "xyz", 3), 0);
	assert_int_equal(catalog_sink_finish(s, h1, h256), 0);
	assert_string_equal(h1, XYZ1);
	assert_string_equal(h256, XYZ256);
	catalog_sink_free(s);
	contents_equal(path, "xyz", 3);
	unlink(path);
	free(path);
}

/* The file an open truncates: a part file is never appended to. */
static void
test_catalog_sink_open_truncates(void **state)
{
	char *path = tmp_path(), h1[41], h256[65];
	struct catalog_sink *s;

	(void)state;
	assert_int_equal(file_write_atomic(path, "old bytes", 9, 0644), 0);
	s = catalog_sink_open(path, 0);
	assert_non_null(s);
	assert_int_equal(catalog_sink_write(s, "abc", 3), 0);
	assert_int_equal(catalog_sink_finish(s, h1, h256), 0);
	assert_string_equal(h256, ABC256);
	catalog_sink_free(s);
	contents_equal(path, "abc", 3);
	unlink(path);
	free(path);
}

/* A part file continued (an interrupted fetch): its bytes stay, the
 * digests are the whole file's, and a second sink on it is refused. */
static void
test_catalog_sink_open_resume_keeps_bytes(void **state)
{
	const size_t n = (1 << 20) + 777, cut = 300001;
	unsigned char *data = pattern(n);
	char *path = tmp_path(), h1[41], h256[65], w1[41], w256[65];
	struct catalog_sink *s, *other;

	(void)state;
	s = catalog_sink_open(path, 1);
	assert_non_null(s);
	assert_int_equal(catalog_sink_write(s, data, cut), 0);
	catalog_sink_free(s);		/* writes what it gathered */
	contents_equal(path, data, cut);
	s = catalog_sink_open(path, 1);
	assert_non_null(s);
	assert_int_equal(catalog_sink_size(s), cut);
	other = catalog_sink_open(path, 1);
	assert_null(other);
	assert_non_null(strstr(err_msg(), "another kbfix fetch"));
	assert_int_equal(catalog_sink_write(s, data + cut, n - cut), 0);
	assert_int_equal(catalog_sink_finish(s, h1, h256), 0);
	catalog_sink_free(s);
	openssl_hex(EVP_sha1(), data, n, w1);
	openssl_hex(EVP_sha256(), data, n, w256);
	assert_string_equal(h1, w1);
	assert_string_equal(h256, w256);
	contents_equal(path, data, n);
	unlink(path);
	free(path);
	free(data);
}

static void
test_catalog_sink_write_reports_error(void **state)
{
	struct catalog_sink *s = catalog_sink_open("/dev/full", 0);
	static char big[1 << 20];
	char h1[41], h256[65];

	(void)state;
	assert_non_null(s);
	errno = 0;
	assert_int_equal(catalog_sink_write(s, big, sizeof(big)), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(catalog_sink_write(s, "x", 1), -1);
	assert_int_equal(catalog_sink_finish(s, h1, h256), -1);
	assert_int_equal(errno, ENOSPC);
	catalog_sink_free(s);
}

static void
test_catalog_sink_open_names_the_file(void **state)
{
	(void)state;
	assert_null(catalog_sink_open("/nonexistent/dir/x.part", 0));
	assert_non_null(strstr(err_msg(), "/nonexistent/dir/x.part"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_hash_final_fips_example),
		cmocka_unit_test(test_catalog_sink_write_matches_openssl),
		cmocka_unit_test(test_catalog_sink_truncate_starts_over),
		cmocka_unit_test(test_catalog_sink_open_truncates),
		cmocka_unit_test(test_catalog_sink_open_resume_keeps_bytes),
		cmocka_unit_test(test_catalog_sink_write_reports_error),
		cmocka_unit_test(test_catalog_sink_open_names_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The download sink (catalog/sink.c): digests and file contents. */
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

#include "catalog/update_int.h"

/* sha1sum / sha256sum of "abcdef" and of "xyz" */
#define ABCDEF1 "1f8ac10f23c5b5bc1167bda84b833e5c057a77d2"
#define ABCDEF256 \
	"bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721"
#define XYZ1 "66b27417d37e024c46526c2f6d358a754fc552f3"
#define XYZ256 \
	"3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"

static char *
tmpfile_with(const char *text)
{
	char *path = xstrdup("/tmp/kbfix-sink-test.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
contents_equal(const char *path, const char *want)
{
	struct buf b;

	assert_int_equal(file_read(path, 1 << 20, &b), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_release(&b);
}

static void
test_dl_sink_wait_hashes_resumed_file(void **state)
{
	char *path = tmpfile_with("abc"), h1[41], h256[65];
	int fd = open(path, O_RDWR);
	struct dl_sink *s;

	(void)state;
	assert_true(lseek(fd, 0, SEEK_END) == 3);
	s = dl_sink_new(fd, 3);
	assert_non_null(s);
	assert_int_equal(dl_sink_write(s, "d", 1), 0);
	assert_int_equal(dl_sink_write(s, "ef", 2), 0);
	assert_int_equal(dl_sink_wait(s, h1, h256), 0);
	assert_string_equal(h1, ABCDEF1);
	assert_string_equal(h256, ABCDEF256);
	dl_sink_free(s);
	contents_equal(path, "abcdef");
	unlink(path);
	free(path);
}

static void
test_dl_sink_truncate_starts_over(void **state)
{
	char *path = tmpfile_with(""), h1[41], h256[65];
	struct dl_sink *s = dl_sink_new(open(path, O_RDWR), 0);
	static char piece[16384];
	size_t i;

	(void)state;
	assert_non_null(s);
	memset(piece, 'a', sizeof(piece));
	/* more than the ring holds (4 x 1 MiB) before the truncate, in
	 * pieces the size of TLS records */
	for (i = 0; i < 400; i++)
		assert_int_equal(dl_sink_write(s, piece, sizeof(piece)), 0);
	assert_int_equal(dl_sink_truncate(s), 0);
	assert_int_equal(dl_sink_write(s, "xyz", 3), 0);
	assert_int_equal(dl_sink_wait(s, h1, h256), 0);
	assert_string_equal(h1, XYZ1);
	assert_string_equal(h256, XYZ256);
	dl_sink_free(s);
	contents_equal(path, "xyz");
	unlink(path);
	free(path);
}

static void
test_dl_sink_wait_reports_write_error(void **state)
{
	char *path = tmpfile_with(""), h1[41], h256[65];
	struct dl_sink *s = dl_sink_new(open(path, O_RDONLY), 0);
	static char big[3 << 20];
	int rc = 0;

	(void)state;
	assert_non_null(s);
	/* the first full slot fails to write; later writes see it */
	rc |= dl_sink_write(s, big, sizeof(big));
	rc |= dl_sink_write(s, big, sizeof(big));
	rc |= dl_sink_write(s, big, sizeof(big));
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dl_sink_wait(s, h1, h256), -1);
	assert_int_equal(errno, EBADF);
	dl_sink_free(s);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dl_sink_wait_hashes_resumed_file),
		cmocka_unit_test(test_dl_sink_truncate_starts_over),
		cmocka_unit_test(test_dl_sink_wait_reports_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Cabinet file tables and stored members (catalog/cabinet.c), from
 * Cabinets built byte by byte here and from the fixture .msu. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

#define FIX "tests/fixtures/catalog/"
#define W7 "windows6.1-kb4345459-x64_7674f1b622aff391e5140b70416d7f1fbd4dd22b.msu"
#define PROPS "Windows6.1-KB4345459-x64-pkgProperties.txt"

static void
put16(struct buf *b, unsigned v)
{
	buf_addc(b, (int)(v & 0xff));
	buf_addc(b, (int)(v >> 8 & 0xff));
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/*
 * One folder (compression comp) holding "big.cab" (25 x 'A') then
 * "x-pkgProperties.txt" ("0123456789ab"), its 37 bytes in CFDATA blocks
 * of 10: the second member spans the last two blocks.
 */
static void
cab_build_named(struct buf *b, unsigned flags, unsigned comp,
    const char *first)
{
	static const char body[] = "AAAAAAAAAAAAAAAAAAAAAAAAA0123456789ab";
	const uint32_t files = 36 + 8;
	const uint32_t data = files + 16 + (uint32_t)strlen(first) + 1 + 16 + 20;
	size_t off;

	buf_init(b, 0);
	buf_adds(b, "MSCF");
	put32(b, 0);
	put32(b, 0);			/* cbCabinet, not read */
	put32(b, 0);
	put32(b, files);		/* coffFiles */
	put32(b, 0);
	buf_addc(b, 3);
	buf_addc(b, 1);
	put16(b, 1);			/* cFolders */
	put16(b, 2);			/* cFiles */
	put16(b, flags);
	put16(b, 0);
	put16(b, 0);
	put32(b, data);			/* CFFOLDER: coffCabStart */
	put16(b, 4);			/* cCFData */
	put16(b, comp);
	put32(b, 25);			/* CFFILE big.cab */
	put32(b, 0);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0x20);
	buf_add(b, first, strlen(first) + 1);
	put32(b, 12);			/* CFFILE x-pkgProperties.txt */
	put32(b, 25);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0x20);
	buf_add(b, "x-pkgProperties.txt", 20);
	assert_int_equal(b->len, data);
	for (off = 0; off < 37; off += 10) {
		unsigned n = 37 - off < 10 ? (unsigned)(37 - off) : 10;
		put32(b, 0);
		put16(b, n);
		put16(b, n);
		buf_add(b, body + off, n);
	}
}

static void
cab_build(struct buf *b, unsigned flags, unsigned comp)
{
	cab_build_named(b, flags, comp, "big.cab");
}

static int
fd_of(const struct buf *b, size_t len)
{
	char path[] = "/tmp/kbfix-cab-test.XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd != -1);
	unlink(path);
	assert_int_equal(write(fd, b->data, len), (ssize_t)len);
	return fd;
}

static void
test_catalog_cab_read_member_spans_blocks(void **state)
{
	struct catalog_cab c;
	struct buf b, m;
	int fd;

	(void)state;
	cab_build(&b, 0, 0);
	fd = fd_of(&b, b.len);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), 0);
	assert_int_equal(c.nfiles, 2);
	assert_string_equal(c.files[0].name, "big.cab");
	assert_int_equal(c.files[0].size, 25);
	assert_string_equal(c.files[1].name, "x-pkgProperties.txt");
	assert_int_equal(c.files[1].uoff, 25);
	assert_int_equal(catalog_cab_read_member(fd, "t.cab", &c, 1, 100, &m),
	    0);
	assert_int_equal(m.len, 12);
	assert_memory_equal(m.data, "0123456789ab", 12);
	buf_release(&m);
	assert_int_equal(catalog_cab_read_member(fd, "t.cab", &c, 1, 11, &m),
	    -1);
	assert_non_null(strstr(err_msg(), "larger than 11 bytes"));
	catalog_cab_release(&c);
	close(fd);
	buf_release(&b);
}

static void
test_catalog_cab_read_member_truncated(void **state)
{
	struct catalog_cab c;
	struct buf b, m;
	int fd;

	(void)state;
	cab_build(&b, 0, 0);
	fd = fd_of(&b, b.len - 3);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), 0);
	assert_int_equal(catalog_cab_read_member(fd, "t.cab", &c, 1, 100, &m),
	    -1);
	assert_string_equal(err_msg(), "t.cab: damaged Cabinet: a data block "
	    "lies past the end of the file");
	catalog_cab_release(&c);
	close(fd);
	fd = fd_of(&b, 50);		/* inside the file table */
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), -1);
	assert_string_equal(err_msg(),
	    "t.cab: damaged Cabinet: file table past the end");
	close(fd);
	buf_release(&b);
}

static void
test_catalog_cab_open_leaves_others_to_libarchive(void **state)
{
	struct catalog_cab c;
	struct buf b, m;
	int fd;

	(void)state;
	cab_build(&b, 0x0002, 0);	/* continued in a next cabinet */
	fd = fd_of(&b, b.len);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), -1);
	assert_string_equal(err_msg(), "t.cab: one Cabinet of a multi-cabinet "
	    "set: " CATALOG_NOT_PACKAGE);
	close(fd);
	buf_release(&b);
	cab_build(&b, 0, 1);		/* MSZIP */
	fd = fd_of(&b, b.len);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), 0);
	assert_int_equal(catalog_cab_read_member(fd, "t.cab", &c, 1, 100, &m),
	    1);
	/* 37 bytes from 37: well inside the ratio */
	assert_int_equal(catalog_cab_expansion_check(fd, "t.cab", &c), 0);
	catalog_cab_release(&c);
	close(fd);
	buf_release(&b);
}

static void
test_catalog_cab_read_member_fixture(void **state)
{
	struct catalog_cab c;
	struct buf m;
	size_t i;
	int fd = open(FIX W7, O_RDONLY);

	(void)state;
	assert_true(fd != -1);
	assert_int_equal(catalog_cab_open(fd, W7, &c), 0);
	assert_int_equal(c.nfiles, 4);
	for (i = 0; i < c.nfiles; i++)
		if (strcmp(c.files[i].name, PROPS) == 0)
			break;
	assert_true(i < c.nfiles);
	assert_int_equal(catalog_cab_read_member(fd, W7, &c, i, 4096, &m), 0);
	assert_int_equal(m.len, 876);	/* gcab -l */
	assert_memory_equal(m.data, "\xff\xfe" "A\0p\0p\0", 8);
	buf_release(&m);
	catalog_cab_release(&c);
	close(fd);
}

/* The header's member count: 257 is refused before the table is read. */
static void
test_catalog_cab_open_refuses_many_members(void **state)
{
	struct catalog_cab c;
	struct buf b;
	int fd;

	(void)state;
	cab_build(&b, 0, 0);
	b.data[28] = 1;			/* cFiles = 257 */
	b.data[29] = 1;
	fd = fd_of(&b, b.len);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), -1);
	assert_string_equal(err_msg(), "t.cab: 257 members, more than 256: "
	    CATALOG_NOT_PACKAGE);
	close(fd);
	buf_release(&b);
}

/*
 * An MSZIP folder whose blocks claim 32 KiB each from 10 bytes: refused
 * from the CFDATA headers alone (the bytes are no deflate stream at all,
 * so nothing was decompressed), past the ratio.
 */
static void
test_catalog_cab_expansion_check_ratio(void **state)
{
	struct catalog_cab c;
	struct buf b;
	size_t i, data;
	int fd;

	(void)state;
	cab_build(&b, 0, 1);
	data = b.len - 37 - 4 * 8;
	b.len = data;
	b.data[40] = 60;		/* cCFData = 60 */
	for (i = 0; i < 60; i++) {
		put32(&b, 0);
		put16(&b, 10);
		put16(&b, 32768);
		buf_add(&b, "CKxxxxxxxx", 10);
	}
	fd = fd_of(&b, b.len);
	assert_int_equal(catalog_cab_open(fd, "t.cab", &c), 0);
	assert_int_equal(catalog_cab_expansion_check(fd, "t.cab", &c), -1);
	assert_non_null(strstr(err_msg(), "t.cab: compressed members that "
	    "expand to more than "));
	assert_non_null(strstr(err_msg(), "(at most 32 times, and 2147483648 "
	    "bytes in all): " CATALOG_NOT_PACKAGE));
	catalog_cab_release(&c);
	close(fd);
	buf_release(&b);
}

/* A member named "..\\..\\x.cab" could reach a command line: refused. */
static void
test_catalog_msu_inspect_refuses_path_members(void **state)
{
	char path[] = "/tmp/kbfix-cab-test.XXXXXX";
	struct catalog_msu_info m;
	struct buf b;
	int fd;

	(void)state;
	cab_build_named(&b, 0, 0, "..\\..\\x.cab");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
	close(fd);
	assert_int_equal(catalog_msu_inspect(path, &m), -1);
	assert_non_null(strstr(err_msg(), "is not a plain file name"));
	unlink(path);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_msu_inspect_refuses_path_members),
		cmocka_unit_test(test_catalog_cab_read_member_spans_blocks),
		cmocka_unit_test(test_catalog_cab_read_member_truncated),
		cmocka_unit_test(test_catalog_cab_open_leaves_others_to_libarchive),
		cmocka_unit_test(test_catalog_cab_read_member_fixture),
		cmocka_unit_test(test_catalog_cab_open_refuses_many_members),
		cmocka_unit_test(test_catalog_cab_expansion_check_ratio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

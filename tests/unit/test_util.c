#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"

static void
test_buf_add_refuses_past_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addc(&b, 'x'), -1);
	assert_string_equal(buf_str(&b), "12345678");
	assert_non_null(strstr(err_msg(), "limit"));
	buf_release(&b);
}

static void
test_buf_addf_formats(void **state)
{
	struct buf b;
	char *s;
	size_t len;

	(void)state;
	buf_init(&b, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addf(&b, "%s=%d", "a", 42), 0);
	s = buf_detach(&b, &len);
	assert_string_equal(s, "a=42");
	assert_int_equal(len, 4);
	free(s);
}

static void
test_parse_u64_strict(void **state)
{
	uint64_t v;
	uint32_t u;
	int i;

	(void)state;
	assert_int_equal(parse_u64("123", 1000, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(parse_u64("1001", 1000, &v), -1);
	assert_int_equal(parse_u64("12a", 1000, &v), -1);
	assert_int_equal(parse_u64("", 1000, &v), -1);
	assert_int_equal(parse_u64("-1", 1000, &v), -1);
	assert_int_equal(parse_u32("4294967295", &u), 0);
	assert_int_equal(u, 4294967295u);
	assert_int_equal(parse_u32("4294967296", &u), -1);
	assert_int_equal(parse_int("-5", -10, 10, &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(parse_int("-11", -10, 10, &i), -1);
	assert_int_equal(parse_int("-1", 0, 10, &i), -1);
}

static void
test_err_prefix_adds_context(void **state)
{
	(void)state;
	err_set("field 'os': unknown");
	err_prefix("%s: ", "inv.json");
	assert_string_equal(err_msg(), "inv.json: field 'os': unknown");
}

static void
test_file_write_atomic_replaces(void **state)
{
	char dir[] = "/tmp/kbfix-util.XXXXXX";
	char *path;
	struct buf b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/out.txt", dir);
	assert_int_equal(file_write_atomic(path, "one", 3, 0644), 0);
	assert_int_equal(file_write_atomic(path, "second", 6, 0644), 0);
	assert_int_equal(file_read(path, 100, &b), 0);
	assert_string_equal(buf_str(&b), "second");
	buf_release(&b);
	assert_int_equal(file_read(path, 3, &b), -1);
	assert_non_null(strstr(err_msg(), "too large"));
	unlink(path);
	rmdir(dir);
	free(path);
}

static void
test_time_iso8601_roundtrip(void **state)
{
	char s[21];
	int64_t t;

	(void)state;
	time_iso8601(1795262400, s);
	assert_string_equal(s, "2026-11-21T12:00:00Z");
	assert_int_equal(time_parse_iso8601(s, &t), 0);
	assert_int_equal(t, 1795262400);
	assert_int_equal(time_parse_iso8601("tomorrow", &t), -1);
}

static void
test_time_iso8601_off_offsets(void **state)
{
	char s[26];
	int64_t t;
	int off;

	(void)state;
	assert_int_equal(time_parse_iso8601_off("2026-11-21T23:00:00+01:00",
	    &t, &off), 0);
	assert_int_equal(t, 1795262400 + 10 * 3600);
	assert_int_equal(off, 3600);
	time_iso8601_off(t, off, s);
	assert_string_equal(s, "2026-11-21T23:00:00+01:00");
	assert_int_equal(time_parse_iso8601_off("2026-11-21T17:30:00-04:30",
	    &t, &off), 0);
	assert_int_equal(off, -(4 * 3600 + 30 * 60));
	time_iso8601_off(t, off, s);
	assert_string_equal(s, "2026-11-21T17:30:00-04:30");
	time_iso8601_off(t, 0, s);
	assert_string_equal(s, "2026-11-21T22:00:00Z");
	assert_int_equal(time_parse_iso8601_off("2026-11-21T23:00:00+1",
	    &t, &off), -1);
	assert_int_equal(time_parse_iso8601_off("2026-11-21T23:00:00+15:00",
	    &t, &off), -1);
	assert_int_equal(time_parse_iso8601("2026-11-21T23:00:00Zx", &t), -1);
}

static void
test_hex_encode_lowercase(void **state)
{
	static const unsigned char d[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];
	char **v;

	(void)state;
	hex_encode(d, sizeof(d), out);
	assert_string_equal(out, "000fa5ff");
	v = xcalloc(2, sizeof(*v));
	v[0] = xstrdup("a");
	v[1] = xstrdup("b");
	strv_free(v, 2);	/* valgrind and asan check nothing leaks */
	strv_free(NULL, 0);
}

static void
put(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(file_write_atomic(p, "x", 1, 0644), 0);
	free(p);
}

static void
test_dir_commit_whole_or_refused(void **state)
{
	char base[] = "/tmp/kbfix-dir-test.XXXXXX";
	char *dst, *tmp, *sub, *p;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(base));
	dst = xasprintf("%s/out", base);
	/* absent: the temporary folder becomes dst */
	assert_non_null(tmp = dir_tmp_beside(dst));
	assert_int_equal(strncmp(tmp, dst, strlen(dst)), 0);
	put(tmp, "a.txt");
	assert_int_equal(dir_commit(tmp, dst), 0);
	p = xasprintf("%s/a.txt", dst);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	free(tmp);
	/* not empty: refused, and the new tree stays where it was */
	assert_non_null(tmp = dir_tmp_beside(dst));
	assert_int_equal(dir_check_free(dst, 0), -1);
	assert_non_null(strstr(err_msg(), "not an empty folder"));
	assert_int_equal(dir_commit(tmp, dst), -1);
	assert_int_equal(stat(tmp, &st), 0);
	/* a tree two levels deep goes in one call */
	sub = xasprintf("%s/sub", tmp);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(sub, "b.txt");
	assert_int_equal(dir_remove_tree(tmp, 1), 0);
	assert_int_equal(stat(tmp, &st), -1);
	free(sub);
	free(tmp);
	/* empty: replaced */
	assert_int_equal(dir_remove_tree(dst, 1), 0);
	assert_int_equal(mkdir(dst, 0755), 0);
	assert_int_equal(dir_is_empty(dst), 1);
	assert_non_null(tmp = dir_tmp_beside(dst));
	assert_int_equal(dir_commit(tmp, dst), 0);
	free(tmp);
	assert_int_equal(dir_remove_tree(base, 1), 0);
	free(dst);
}

static char *
scratch(void)
{
	char tmpl[] = "/tmp/kbfix-unit.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static int
count_entries(const char *dir)
{
	char *cmd = xasprintf("ls -A '%s' | wc -l", dir);
	FILE *f = popen(cmd, "r");
	int n = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	free(cmd);
	return n;
}

/* -o onto a copy of the null device writes through: it stays a device. */
static void
test_file_write_atomic_device_written_through(void **state)
{
	char *dir = scratch(), *null = xasprintf("%s/null", dir);
	struct stat st;

	(void)state;
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3)) == -1)
		skip();		/* not root */
	assert_int_equal(file_write_atomic(null, "plan\n", 5, 0644), 0);
	assert_int_equal(stat(null, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(count_entries(dir), 1);	/* no temporary left */
	unlink(null);
	rmdir(dir);
	free(null);
	free(dir);
}

/* A FIFO gets the bytes and stays a FIFO. */
static void
test_file_write_atomic_fifo_written_through(void **state)
{
	char *dir = scratch(), *fifo = xasprintf("%s/fifo", dir), got[16];
	struct stat st;
	pid_t pid;
	int fd, status;
	ssize_t n;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	if ((pid = fork()) == 0) {
		int rc = file_write_atomic(fifo, "hello", 5, 0644);

		free(fifo);	/* the child's copies: valgrind checks it too */
		free(dir);
		_exit(rc == 0 ? 0 : 1);
	}
	fd = open(fifo, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, got, sizeof(got));
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(got, "hello", 5);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	unlink(fifo);
	rmdir(dir);
	free(fifo);
	free(dir);
}

/* A link is resolved: its target is replaced, the link stays a link. */
static void
test_file_write_atomic_symlink_resolved(void **state)
{
	char *dir = scratch(), *target = xasprintf("%s/target", dir);
	char *link = xasprintf("%s/link", dir), *sub = xasprintf("%s/d", dir);
	struct buf b;
	struct stat st;

	(void)state;
	assert_int_equal(file_write_atomic(target, "old", 3, 0644), 0);
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(file_write_atomic(link, "new", 3, 0644), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(file_read(target, 64, &b), 0);
	assert_string_equal(buf_str(&b), "new");
	buf_release(&b);
	/* a directory is refused and left alone */
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(file_write_atomic(sub, "x", 1, 0644), -1);
	assert_non_null(strstr(err_msg(), "directory"));
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(dir), 3);
	rmdir(sub);
	unlink(link);
	unlink(target);
	rmdir(dir);
	free(sub);
	free(link);
	free(target);
	free(dir);
}

static void
test_escapes_keep_hostile_values_one_value(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	/* PowerShell: ' and U+2018..U+201B double; control characters go */
	buf_add_ps_str(&b, "a'b\xe2\x80\x99; calc.exe; \xe2\x80\x98" "c\r\nd");
	assert_string_equal(buf_str(&b), "'a''b\xe2\x80\x99\xe2\x80\x99; "
	    "calc.exe; \xe2\x80\x98\xe2\x80\x98" "c  d'");
	buf_reset(&b);
	buf_add_yaml_unsafe(&b, "{{ lookup('pipe', 'id') }}\n");
	assert_string_equal(buf_str(&b),
	    "!unsafe \"{{ lookup('pipe', 'id') }}\\n\"");
	buf_reset(&b);
	buf_add_comment(&b, "Windows 7\nansible_ssh_common_args: x\xc3\xa9");
	assert_string_equal(buf_str(&b),
	    "Windows 7?ansible_ssh_common_args: x??");
	buf_reset(&b);
	buf_add_md_cell(&b, "v\r</td><h2>Approved</h2>|*x*");
	assert_string_equal(buf_str(&b),
	    "v &lt;/td&gt;&lt;h2&gt;Approved&lt;/h2&gt;\\|\\*x\\*");
	buf_reset(&b);
	buf_add_html(&b, "a\"><script>x('&')</script>\x1b\r\n");
	assert_string_equal(buf_str(&b), "a&quot;&gt;&lt;script&gt;x(&#39;"
	    "&amp;&#39;)&lt;/script&gt;  \n");
	buf_reset(&b);
	buf_add_term(&b, "title\x1b]0;pwn\x07\xc2\x9b" "2J\tend");
	assert_string_equal(buf_str(&b), "title?]0;pwn??2J\tend");
	buf_release(&b);
}

static void
test_utf8_char_len_strict(void **state)
{
	(void)state;
	assert_int_equal(utf8_char_len("a", 1), 1);
	assert_int_equal(utf8_char_len("\xc3\xa9", 2), 2);
	assert_int_equal(utf8_char_len("\xe2\x80\x99", 3), 3);
	assert_int_equal(utf8_char_len("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(utf8_char_len("\xc3", 1), 0);		/* cut */
	assert_int_equal(utf8_char_len("\xc0\xaf", 2), 0);	/* overlong */
	assert_int_equal(utf8_char_len("\xed\xa0\x80", 3), 0);	/* surrogate */
	assert_int_equal(utf8_char_len("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(utf8_char_len("\xff", 1), 0);
}

static void
test_jpath_fail_names_the_path(void **state)
{
	struct jpath j;
	size_t m, m2;

	(void)state;
	jpath_init(&j, "inv.json");
	assert_int_equal(jpath_fail(&j, NULL, "not a JSON object"), -1);
	assert_string_equal(err_msg(), "inv.json: not a JSON object");
	m = jpath_key(&j, "hosts");
	m2 = jpath_index(&j, 2, "web01");
	assert_int_equal(jpath_fail(&j, "port", "must be %d to %d", 1, 65535),
	    -1);
	assert_string_equal(err_msg(),
	    "inv.json: hosts[2] (web01).port: must be 1 to 65535");
	jpath_key(&j, "registry");
	jpath_fail(&j, NULL, "must be an object");
	assert_string_equal(err_msg(),
	    "inv.json: hosts[2] (web01).registry: must be an object");
	jpath_back(&j, m2);
	jpath_index(&j, 3, NULL);
	jpath_fail(&j, "name", "missing");
	assert_string_equal(err_msg(), "inv.json: hosts[3].name: missing");
	jpath_back(&j, m);
	jpath_fail(&j, "hosts", "must be an array");
	assert_string_equal(err_msg(), "inv.json: hosts: must be an array");
}

/* FNV-1a 64 (the published test vectors), chained, and case-folded. */
static void
test_str_hash_fnv1a(void **state)
{
	(void)state;
	assert_true(str_hash(STR_HASH_INIT, "") == 0xcbf29ce484222325ULL);
	assert_true(str_hash(STR_HASH_INIT, "a") == 0xaf63dc4c8601ec8cULL);
	assert_true(str_hash(STR_HASH_INIT, "foobar") ==
	    0x85944171f73967e8ULL);
	assert_true(str_hash(str_hash(STR_HASH_INIT, "foo"), "bar") ==
	    str_hash(STR_HASH_INIT, "foobar"));
	assert_true(str_casehash(STR_HASH_INIT, "FooBAR") ==
	    str_hash(STR_HASH_INIT, "foobar"));
	assert_true(str_hash(STR_HASH_INIT, "FooBAR") !=
	    str_hash(STR_HASH_INIT, "foobar"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpath_fail_names_the_path),
		cmocka_unit_test(test_utf8_char_len_strict),
		cmocka_unit_test(test_escapes_keep_hostile_values_one_value),
		cmocka_unit_test(test_file_write_atomic_device_written_through),
		cmocka_unit_test(test_file_write_atomic_fifo_written_through),
		cmocka_unit_test(test_file_write_atomic_symlink_resolved),
		cmocka_unit_test(test_buf_add_refuses_past_max),
		cmocka_unit_test(test_buf_addf_formats),
		cmocka_unit_test(test_parse_u64_strict),
		cmocka_unit_test(test_err_prefix_adds_context),
		cmocka_unit_test(test_file_write_atomic_replaces),
		cmocka_unit_test(test_time_iso8601_roundtrip),
		cmocka_unit_test(test_time_iso8601_off_offsets),
		cmocka_unit_test(test_hex_encode_lowercase),
		cmocka_unit_test(test_dir_commit_whole_or_refused),
		cmocka_unit_test(test_str_hash_fnv1a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

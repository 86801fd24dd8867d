#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define ERR_MAX	1024

static _Thread_local char errbuf[ERR_MAX];

void
xalloc_failed(void)
{
	fputs("kbfix: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		xalloc_failed();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		xalloc_failed();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		xalloc_failed();
	p = realloc(p, n != 0 && size != 0 ? n * size : 1);
	if (p == NULL)
		xalloc_failed();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		xalloc_failed();
	va_end(ap);
	return p;
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : BUF_MAX_DEFAULT;
	b->failed = 0;
}

static int
buf_grow(struct buf *b, size_t more)
{
	size_t need, cap;

	if (b->failed || more > b->max || b->len > b->max - more) {
		b->failed = 1;
		err_set("buffer limit of %zu bytes exceeded", b->max);
		return -1;
	}
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		err_set("bad format");
		return -1;
	}
	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void
err_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

/* errbuf = a + b, truncated to fit. */
static void
err_join(const char *a, const char *b)
{
	size_t la = strnlen(a, ERR_MAX - 1), lb;

	lb = strnlen(b, ERR_MAX - 1 - la);
	memmove(errbuf + la, b, lb);
	memmove(errbuf, a, la);
	errbuf[la + lb] = '\0';
}

void
err_setx_errno(const char *fmt, ...)
{
	char tmp[ERR_MAX], *p = tmp;
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp) - 2, fmt, ap);
	va_end(ap);
	p += strlen(tmp);
	memcpy(p, ": ", 3);
	err_join(tmp, strerror(saved));
}

void
err_prefix(const char *fmt, ...)
{
	char tmp[ERR_MAX], old[ERR_MAX];
	va_list ap;

	memcpy(old, errbuf, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	err_join(tmp, old);
}

const char *
err_msg(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void
jpath_init(struct jpath *j, const char *file)
{
	j->file = file;
	j->path[0] = '\0';
	j->len = 0;
}

/* Appends what fits: a path cut short still names the place. */
static size_t
jpath_add(struct jpath *j, const char *fmt, const char *a, size_t i)
{
	size_t mark = j->len;
	int n;

	if (j->len < sizeof(j->path) - 1) {
		n = snprintf(j->path + j->len, sizeof(j->path) - j->len, fmt,
		    a, i);
		if (n > 0)
			j->len += (size_t)n;
		if (j->len > sizeof(j->path) - 1)
			j->len = sizeof(j->path) - 1;
	}
	return mark;
}

size_t
jpath_key(struct jpath *j, const char *key)
{
	return jpath_add(j, j->len ? ".%s" : "%s", key, 0);
}

size_t
jpath_index(struct jpath *j, size_t i, const char *label)
{
	size_t mark = jpath_add(j, "%s[%zu]", "", i);

	if (label != NULL)
		jpath_add(j, " (%s)", label, 0);
	return mark;
}

void
jpath_back(struct jpath *j, size_t mark)
{
	if (mark <= j->len) {
		j->len = mark;
		j->path[mark] = '\0';
	}
}

int
jpath_fail(const struct jpath *j, const char *field, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (j->len == 0 && field == NULL)
		err_set("%s: %s", j->file, msg);
	else
		err_set("%s: %s%s%s: %s", j->file, j->path,
		    j->len && field ? "." : "", field ? field : "", msg);
	return -1;
}

int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0') {
		err_set("empty number");
		return -1;
	}
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p)) {
			err_set("'%s' is not a number", s);
			return -1;
		}
		if (v > (max - (uint64_t)(*p - '0')) / 10) {
			err_set("'%s' is out of range (at most %llu)", s,
			    (unsigned long long)max);
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int
parse_hex(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	int d;

	if (str_casecmp_prefix(p, "0x") == 0)
		p += 2;
	if (*p == '\0' || strlen(p) > 16)
		goto bad;
	for (; *p; p++) {
		if (!isxdigit((unsigned char)*p))
			goto bad;
		d = isdigit((unsigned char)*p) ? *p - '0' :
		    tolower((unsigned char)*p) - 'a' + 10;
		v = v << 4 | (uint64_t)d;
	}
	if (v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	err_set("'%s' is not a hexadecimal number of at most %#llx", s,
	    (unsigned long long)max);
	return -1;
}

int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, UINT32_MAX, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
parse_int(const char *s, int min, int max, int *out)
{
	int neg = s != NULL && *s == '-';
	uint64_t v, lim = neg ? (uint64_t)-(int64_t)min : (uint64_t)max;

	if (neg && min >= 0) {
		err_set("'%s' must not be negative", s);
		return -1;
	}
	if (parse_u64(neg ? s + 1 : s, lim, &v) == -1)
		return -1;
	*out = neg ? (int)-(int64_t)v : (int)v;
	if (*out < min || *out > max) {
		err_set("'%s' is out of range (%d to %d)", s, min, max);
		return -1;
	}
	return 0;
}

int
file_read(const char *path, size_t max, struct buf *out)
{
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	buf_init(out, max);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_setx_errno("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		err_set("%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err_set("%s: file is too large (%lld bytes, at most %zu)",
		    path, (long long)st.st_size, max);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_setx_errno("%s", path);
			goto out;
		}
		if (buf_add(out, chunk, (size_t)n) == -1) {
			err_prefix("%s: ", path);
			goto out;
		}
	}
	if (out->data == NULL)
		buf_add(out, "", 0);
	rc = 0;
out:
	if (rc == -1)
		buf_release(out);
	close(fd);
	return rc;
}

int
fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = -1;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		err_setx_errno("%s", path);
		goto out;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		err_setx_errno("%s: fsync", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(copy);
	return rc;
}

int
dir_is_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int empty = 1;

	if (d == NULL)
		return 0;
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

int
dir_check_free(const char *dir, int replace)
{
	struct stat st;

	if (stat(dir, &st) == -1)
		return 0;
	if (!S_ISDIR(st.st_mode) || !dir_is_empty(dir) ||
	    (replace && rmdir(dir) == -1)) {
		err_set("%s: already exists and is not an empty folder; "
		    "choose another -o or remove it", dir);
		return -1;
	}
	return 0;
}

char *
dir_tmp_beside(const char *dir)
{
	char *tmp = xasprintf("%s.kbfix-tmp.XXXXXX", dir);

	if (mkdtemp(tmp) == NULL) {
		err_setx_errno("%s: cannot create a temporary folder beside it",
		    dir);
		free(tmp);
		return NULL;
	}
	chmod(tmp, 0755);	/* mkdtemp makes it 0700 */
	return tmp;
}

int
dir_commit(const char *tmp, const char *dir)
{
	if (dir_check_free(dir, 1) == -1)
		return -1;
	if (rename(tmp, dir) == -1) {
		err_setx_errno("%s", dir);
		return -1;
	}
	return fsync_dir(dir);
}

static int
remove_files(const char *dir, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth > 0)
			rc |= remove_files(p, depth - 1);
		else if (unlink(p) == -1)
			rc = -1;
		free(p);
	}
	closedir(d);
	if (rmdir(dir) == -1)
		rc = -1;
	return rc;
}

int
dir_remove_tree(const char *dir, int depth)
{
	if (remove_files(dir, depth) == -1) {
		err_setx_errno("%s: cannot remove", dir);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* path itself, or the target of the link it is (which may not exist yet) */
static char *
out_resolve(const char *path)
{
	char *real = realpath(path, NULL), *dir, *copy, *res;

	if (real != NULL || errno != ENOENT)
		return real;
	/* a dangling link or a new file: resolve its folder */
	copy = xstrdup(path);
	if ((dir = realpath(dirname(copy), NULL)) == NULL) {
		free(copy);
		return NULL;
	}
	free(copy);
	copy = xstrdup(path);
	res = xasprintf("%s/%s", dir, basename(copy));
	free(copy);
	free(dir);
	return res;
}

static int
out_through(struct file_out *o, const char *path, const struct stat *st)
{
	if (S_ISDIR(st->st_mode) || S_ISSOCK(st->st_mode)) {
		err_set("%s: not a file (a %s): give a file name", path,
		    S_ISDIR(st->st_mode) ? "directory" : "socket");
		return -1;
	}
	o->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (o->fd == -1) {
		err_setx_errno("%s", path);
		return -1;
	}
	o->path = xstrdup(path);
	return 0;
}

int
file_out_open(struct file_out *o, const char *path, int mode)
{
	struct stat st;
	char *real = NULL;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->mode = mode;
	if (strcmp(path, "-") == 0) {
		o->fd = dup(STDOUT_FILENO);
		o->path = xstrdup("standard output");
		return o->fd == -1 ? (err_setx_errno("standard output"), -1) : 0;
	}
	if ((real = out_resolve(path)) == NULL) {
		err_setx_errno("%s", path);
		return -1;
	}
	if (stat(real, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = out_through(o, real, &st);
		goto out;
	}
	o->path = real;
	real = NULL;
	o->tmp = xasprintf("%s.kbfix-tmp.XXXXXX", o->path);
	/* mkostemp: O_CREAT | O_EXCL under a random name, no link followed */
	if ((o->fd = mkostemp(o->tmp, O_CLOEXEC)) == -1) {
		err_setx_errno("%s", path);
		free(o->tmp);
		o->tmp = NULL;
		goto out;
	}
	rc = 0;
out:
	free(real);
	return rc;
}

static void
out_release(struct file_out *o)
{
	if (o->fd != -1)
		close(o->fd);
	o->fd = -1;
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
}

void
file_out_abort(struct file_out *o)
{
	if (o->tmp != NULL)
		unlink(o->tmp);
	out_release(o);
}

int
file_out_commit(struct file_out *o)
{
	int rc = -1;

	if (o->path == NULL) {
		err_set("output file not open");
		return -1;
	}
	if (o->tmp == NULL) {
		if (close(o->fd) == -1)
			err_setx_errno("%s", o->path);
		else
			rc = 0;
		o->fd = -1;
		goto out;
	}
	if (fsync(o->fd) == -1 || fchmod(o->fd, (mode_t)o->mode) == -1) {
		err_setx_errno("%s", o->path);
		goto out;
	}
	if (close(o->fd) == -1) {
		o->fd = -1;
		err_setx_errno("%s", o->path);
		goto out;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) == -1) {
		err_setx_errno("%s", o->path);
		goto out;
	}
	free(o->tmp);
	o->tmp = NULL;
	rc = fsync_dir(o->path);
out:
	if (rc == -1)
		file_out_abort(o);
	else
		out_release(o);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	struct file_out o;

	if (file_out_open(&o, path, mode) == -1)
		return -1;
	if (write_all(o.fd, data, len) == -1) {
		err_setx_errno("%s", o.path);
		file_out_abort(&o);
		return -1;
	}
	return file_out_commit(&o);
}

int
mkdir_p(const char *path, int mode)
{
	char *p, *copy = xstrdup(path);
	int rc = -1;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, (mode_t)mode) == -1 && errno != EEXIST) {
			err_setx_errno("%s", copy);
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

void
time_iso8601(int64_t epoch, char out[21])
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "Z", nothing, or a "+HH:MM" / "-HH:MM" offset east of UTC. */
static int
time_offset(const char *s, int *off_s)
{
	unsigned hh, mm;

	*off_s = 0;
	if (*s == '\0' || (s[0] == 'Z' && s[1] == '\0'))
		return 0;
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
	    !isdigit((unsigned char)s[4]) || !isdigit((unsigned char)s[5]))
		return -1;
	hh = (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
	mm = (unsigned)(s[4] - '0') * 10 + (unsigned)(s[5] - '0');
	if (hh > 14 || mm > 59)
		return -1;
	*off_s = (int)(hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

int
time_parse_iso8601_off(const char *s, int64_t *epoch, int *off_s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || time_offset(end, off_s) == -1) {
		err_set("'%s' is not a time like 2026-11-21T22:00:00Z or "
		    "2026-11-21T23:00:00+01:00", s);
		return -1;
	}
	*epoch = (int64_t)timegm(&tm) - *off_s;
	return 0;
}

int
time_parse_iso8601(const char *s, int64_t *epoch)
{
	int off;

	return time_parse_iso8601_off(s, epoch, &off);
}

void
time_iso8601_off(int64_t epoch, int off_s, char out[26])
{
	time_t t = (time_t)(epoch + off_s);
	unsigned a = (unsigned)(off_s < 0 ? -off_s : off_s);
	struct tm tm;

	if (off_s == 0) {
		time_iso8601(epoch, out);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 7, "%c%02u:%02u", off_s < 0 ? '-' : '+',
	    (a / 3600) % 100, (a / 60) % 60);
}

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
str_casecmp_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix));
}

char *
str_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
str_is_kb(const char *s)
{
	size_t n;

	if (strncmp(s, "KB", 2) != 0)
		return 0;
	for (n = 2; s[n]; n++)
		if (!isdigit((unsigned char)s[n]))
			return 0;
	return n >= 8 && n <= 9;	/* six or seven digits */
}

int
str_endswith(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
buf_add_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;
	char esc[7];

	if (buf_addc(b, '"') == -1)
		return -1;
	for (; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		if (buf_add(b, run, (size_t)(p - run)) == -1)
			return -1;
		run = p + 1;
		esc[0] = '\\';
		switch (*p) {
		case '"':  esc[1] = '"'; esc[2] = '\0'; break;
		case '\\': esc[1] = '\\'; esc[2] = '\0'; break;
		case '\n': esc[1] = 'n'; esc[2] = '\0'; break;
		case '\r': esc[1] = 'r'; esc[2] = '\0'; break;
		case '\t': esc[1] = 't'; esc[2] = '\0'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[*p >> 4]; esc[5] = hex[*p & 15];
			esc[6] = '\0';
		}
		if (buf_adds(b, esc) == -1)
			return -1;
	}
	if (buf_add(b, run, (size_t)(p - run)) == -1)
		return -1;
	return buf_addc(b, '"');
}

size_t
utf8_char_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

void
hex_encode(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

uint64_t
str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * STR_HASH_PRIME;
	return h;
}

uint64_t
str_casehash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint64_t)tolower((unsigned char)*s)) * STR_HASH_PRIME;
	return h;
}

int
strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

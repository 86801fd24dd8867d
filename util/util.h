/*
 * util: memory wrappers, a bounded growable buffer, error messages, strict
 * number parsing and atomic file writes.  Shared by every module.
 *
 * Errors: a failing function returns -1 or NULL and leaves a message with
 * err_set(); callers may add context in front with err_prefix(); only cmd/
 * prints it (err_msg()).  The message buffer is per thread.
 */
#ifndef KBFIX_UTIL_H
#define KBFIX_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Out of memory is fatal: these never return NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
/* What they do when memory runs out: a message and abort(). */
void	 xalloc_failed(void) __attribute__((noreturn));

/*
 * struct buf: a NUL-terminated byte buffer that refuses to grow past max.
 * Invariants: data is NULL or holds len bytes followed by a NUL; len < cap.
 * buf_add* return 0, or -1 with err_set() when max would be exceeded: the
 * buffer is left unchanged and `failed` is set, after which every add fails
 * too, so a writer may check once at the end (buf_reset() clears it).  buf_release() frees data and resets the buffer
 * (max kept); buf_detach() hands data (never NULL) to the caller, who frees.
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 failed;
};

#define BUF_MAX_DEFAULT	((size_t)1 << 30)

void	 buf_init(struct buf *, size_t max);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_adds(struct buf *, const char *);
int	 buf_addc(struct buf *, int);
int	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vaddf(struct buf *, const char *, va_list);
void	 buf_reset(struct buf *);
void	 buf_release(struct buf *);
char	*buf_detach(struct buf *, size_t *len);
const char *buf_str(const struct buf *);	/* "" when empty */
/*
 * One escaping function per output language: each appends s so that the
 * language reads back that one value and nothing else.  JSON: a string
 * literal, quotes included (UTF-8 passed on).  PowerShell: a single-quoted
 * string, each of its quotes (' and U+2018..U+201B) doubled, control
 * characters as spaces.  YAML: "!unsafe" and a double-quoted scalar
 * (Ansible never templates it).  Comments (YAML, cmd.exe, PowerShell):
 * one line of printable ASCII.  Markdown: a table cell, one line, markup
 * escaped.  HTML: text or a quoted attribute, &<>"' as entities.
 * Terminal: control characters as "?".  (cmd.exe command lines:
 * transport_cmdline().)
 */
int	 buf_add_json_str(struct buf *, const char *s);
int	 buf_add_ps_str(struct buf *, const char *s);
int	 buf_add_yaml_unsafe(struct buf *, const char *s);
int	 buf_add_comment(struct buf *, const char *s);
int	 buf_add_md_cell(struct buf *, const char *s);
int	 buf_add_html(struct buf *, const char *s);
int	 buf_add_term(struct buf *, const char *s);

/* Errors. */
void	 err_set(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 err_prefix(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 err_setx_errno(const char *, ...)	/* appends ": strerror(errno)" */
	    __attribute__((format(printf, 1, 2)));
const char *err_msg(void);

/*
 * JSON paths in messages, the one helper of every JSON reader: "inv.json:
 * hosts[2] (web01).port: must be 1 to 65535".  A struct jpath holds the
 * file name and the path of the value being read; jpath_key() and
 * jpath_index() descend and return a mark that jpath_back() returns to.
 * jpath_fail() sets the message for a field of the current object (field
 * NULL: the object itself) and returns -1.
 */
struct jpath {
	const char	*file;
	char		 path[512];
	size_t		 len;
};
void	 jpath_init(struct jpath *, const char *file);
size_t	 jpath_key(struct jpath *, const char *key);
size_t	 jpath_index(struct jpath *, size_t i, const char *label);
void	 jpath_back(struct jpath *, size_t mark);
int	 jpath_fail(const struct jpath *, const char *field, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Strict parsing: the whole string, no sign tricks, no overflow. */
int	 parse_u64(const char *, uint64_t max, uint64_t *out);
int	 parse_u32(const char *, uint32_t *out);
/* 1 to 16 hexadecimal digits, "0x" before them or not. */
int	 parse_hex(const char *, uint64_t max, uint64_t *out);
int	 parse_int(const char *, int min, int max, int *out);

/*
 * Files.  file_read() reads a whole regular file of at most max bytes into
 * out (NUL-terminated).  fsync_dir() syncs the directory holding path.
 *
 * Output files replace only regular files.  file_out_open() readies path
 * for writing: "-" is standard output; a device or FIFO (/dev/null, a
 * pipe) is opened and written through; a symbolic link is resolved and
 * its target written as below; a directory or socket is refused;
 * otherwise a temporary file is created beside path, exclusively and
 * under a random name (never following a link), mode `mode`.
 * file_out_commit() fsyncs it, renames it over path and fsyncs the
 * directory: readers see the old file or the new one, never a part.
 * file_out_abort() removes the temporary file.  Both close fd and free
 * what open allocated; each is safe after the other.
 * file_write_atomic() is the three for one buffer.
 */
struct file_out {
	int		 fd;		/* write here */
	char		*path;		/* the file replaced (link resolved) */
	char		*tmp;		/* NULL: written through */
	int		 mode;
};
int	 file_read(const char *path, size_t max, struct buf *out);
int	 file_out_open(struct file_out *, const char *path, int mode);
int	 file_out_commit(struct file_out *);
void	 file_out_abort(struct file_out *);
int	 file_write_atomic(const char *path, const void *, size_t, int mode);
int	 fsync_dir(const char *path);
int	 mkdir_p(const char *path, int mode);

/*
 * Output folders that appear whole or not at all (fetch's bundle, export's
 * project): dir_tmp_beside() makes "<dir>.kbfix-tmp.XXXXXX" (0755) next to
 * dir; the files go there; dir_commit() renames it to dir, which must not
 * exist or be an empty folder (removed first), and syncs the parent.
 * dir_check_free() is that check alone (replace: remove the empty folder).
 * dir_remove_tree() removes a folder with its files and folders down to
 * depth levels (symbolic links are removed, not followed).
 */
int	 dir_is_empty(const char *);
int	 dir_check_free(const char *dir, int replace);
char	*dir_tmp_beside(const char *dir);
int	 dir_commit(const char *tmp, const char *dir);
int	 dir_remove_tree(const char *dir, int depth);

/* Time as ISO 8601 UTC, "2026-11-21T12:00:00Z"; buf holds 21 bytes. */
void	 time_iso8601(int64_t epoch, char out[21]);
int	 time_parse_iso8601(const char *, int64_t *epoch);
/*
 * The same with an offset east of UTC ("+01:00", "-05:00"; "Z" or none:
 * 0) in *off_s; the epoch is UTC.  time_iso8601_off() writes the local
 * time and offset ("2026-11-21T23:00:00+01:00", "...Z" for offset 0).
 */
int	 time_parse_iso8601_off(const char *, int64_t *epoch, int *off_s);
void	 time_iso8601_off(int64_t epoch, int off_s, char out[26]);
int64_t	 time_now_ms(void);	/* monotonic, milliseconds */

/* Strings. */
/* The length of the valid UTF-8 character at s (of n bytes), or 0. */
size_t	 utf8_char_len(const char *s, size_t n);
void	 hex_encode(const unsigned char *, size_t, char *out); /* 2n+1 bytes */
/* SHA-256 of data as 64 lower-case hex digits (the plan's identity). */
void	 sha256_hex(const void *data, size_t len, char out[65]);
void	 strv_free(char **, size_t);	/* frees n strings and the array */
int	 strv_has(char *const *, size_t, const char *);	/* 1: s is one of n */
/*
 * FNV-1a of s for hash tables, continuing from h: STR_HASH_INIT to start,
 * or the hash of the parts before, to hash several strings as one key.
 * str_casehash() folds ASCII case, for keys compared with strcasecmp().
 */
#define STR_HASH_INIT	14695981039346656037ULL
#define STR_HASH_PRIME	1099511628211ULL
uint64_t str_hash(uint64_t h, const char *s);
uint64_t str_casehash(uint64_t h, const char *s);
int	 str_casecmp_prefix(const char *s, const char *prefix);
char	*str_trim(char *);	/* in place; returns s advanced past spaces */
int	 str_endswith(const char *, const char *);
int	 str_is_kb(const char *);	/* KB[0-9]{6,7}: a KB article id */

#endif

/*
 * --archive: the bundle as FILE.tar.gz or FILE.zip (libarchive), to carry
 * it into an air-gapped network.  Entries sit under the bundle's folder
 * name; the archive is written beside its final name and renamed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

static int
entry_add(struct archive *a, const char *path, const char *name,
    const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	char chunk[1 << 16];
	ssize_t n;
	int fd = -1, rc = -1;

	archive_entry_set_pathname(e, name);
	archive_entry_set_mtime(e, st->st_mtime, 0);
	if (S_ISDIR(st->st_mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, st->st_mode & 0111 ? 0755 : 0644);
		archive_entry_set_size(e, st->st_size);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			err_setx_errno("%s", path);
			goto out;
		}
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		err_set("%s: %s", name, archive_error_string(a));
		goto out;
	}
	while (fd != -1 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		if (archive_write_data(a, chunk, (size_t)n) != n) {
			err_set("%s: %s", name, archive_error_string(a));
			goto out;
		}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	archive_entry_free(e);
	return rc;
}

static int
tree_add(struct archive *a, const char *dir, const char *prefix, int depth)
{
	struct dirent **names;
	struct stat st;
	int i, n, rc = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1) {
		err_setx_errno("%s", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *d = names[i]->d_name;
		char *path, *name;
		if (rc == -1 || d[0] == '.') {
			free(names[i]);
			continue;
		}
		path = xasprintf("%s/%s", dir, d);
		name = xasprintf("%s/%s", prefix, d);
		if (lstat(path, &st) == -1) {
			err_setx_errno("%s", path);
			rc = -1;
		} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			rc = entry_add(a, path, name, &st);
			if (rc == 0 && S_ISDIR(st.st_mode) && depth > 0)
				rc = tree_add(a, path, name, depth - 1);
		}
		free(path);
		free(name);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
format_set(struct archive *a, const char *file)
{
	if (str_endswith(file, ".tar.gz") || str_endswith(file, ".tgz")) {
		archive_write_set_format_pax_restricted(a);
		archive_write_add_filter_gzip(a);
		return 0;
	}
	if (str_endswith(file, ".zip")) {
		archive_write_set_format_zip(a);
		return 0;
	}
	err_set("%s: the archive name must end in .tar.gz or .zip", file);
	return -1;
}

int
catalog_archive_write(const char *dir, const char *file)
{
	struct archive *a = archive_write_new();
	char *copy = xstrdup(dir);
	const char *prefix = basename(copy);
	struct file_out out = { .fd = -1 };
	struct stat st;
	int rc = -1;

	if (format_set(a, file) == -1 || file_out_open(&out, file, 0644) == -1)
		goto out;
	if (archive_write_open_fd(a, out.fd) != ARCHIVE_OK) {
		err_set("%s: %s", file, archive_error_string(a));
		goto out;
	}
	if (stat(dir, &st) == -1 || entry_add(a, dir, prefix, &st) == -1 ||
	    tree_add(a, dir, prefix, 1) == -1)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err_set("%s: %s", file, archive_error_string(a));
		goto out;
	}
	rc = file_out_commit(&out);
out:
	archive_write_free(a);
	if (rc == -1)
		file_out_abort(&out);
	free(copy);
	return rc;
}

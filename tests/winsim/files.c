/*
 * type, del, mkdir and rmdir on the host's C:\ (STATE/C).  Messages and
 * exit codes as cmd.exe's built-ins print them; del returns 0 even when
 * it finds nothing, as cmd.exe does.  Prompts (del *, rmdir /s without
 * /q) fail loudly instead of waiting.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/winsim/winsim.h"

static char *
resolve(struct host *h, const char *winpath)
{
	if (winpath_valid(winpath) == -1) {
		err_printf(h, "%s\r\n", err_msg());
		return NULL;
	}
	return winpath_to_host(h, winpath);
}

uint32_t
cmd_type(struct host *h, int argc, char **argv)
{
	struct stat st;
	struct buf b;
	char *p;
	int i;
	uint32_t rc = WS_OK;

	if (argc < 2) {
		err_printf(h, "The syntax of the command is incorrect.\r\n");
		return WS_FAIL;
	}
	for (i = 1; i < argc; i++) {
		if ((p = resolve(h, argv[i])) == NULL)
			return WS_FAIL;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			err_printf(h, "Access is denied.\r\n");
			rc = WS_FAIL;
		} else if (file_read(p, (size_t)64 << 20, &b) == -1) {
			err_printf(h, "The system cannot find the file "
			    "specified.\r\n");
			rc = WS_FAIL;
		} else {
			buf_add(&h->out, b.data, b.len);
			buf_release(&b);
		}
		free(p);
	}
	return rc;
}

/* Deletes files in dir matching pat (case-insensitive); count of them. */
static int
del_match(const char *dir, const char *pat)
{
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (fnmatch(pat, de->d_name, FNM_CASEFOLD) != 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && unlink(p) == 0)
			n++;
		free(p);
	}
	closedir(d);
	return n;
}

static void
del_one(struct host *h, const char *winpath, int quiet, uint32_t *rc)
{
	char *p, *slash;
	const char *base = strrchr(winpath, '\\');
	int n;

	base = base ? base + 1 : winpath;
	if (!quiet && (strcmp(base, "*") == 0 || strcmp(base, "*.*") == 0)) {
		err_printf(h, "winsim: without /q del would wait at the prompt "
		    "\"%s, Are you sure (Y/N)?\" for ever; pass /q.\r\n",
		    winpath);
		*rc = WS_FAIL;
		return;
	}
	if ((p = resolve(h, winpath)) == NULL) {
		*rc = WS_FAIL;
		return;
	}
	slash = strrchr(p, '/');
	*slash = '\0';
	n = del_match(p, base);
	if (n == 0)
		err_printf(h, "Could Not Find %s\r\n", winpath);
	free(p);
}

uint32_t
cmd_del(struct host *h, int argc, char **argv)
{
	uint32_t rc = WS_OK;
	int i, quiet = 0, any = 0;

	for (i = 1; i < argc; i++)
		if (arg_is(argv[i], "/q"))
			quiet = 1;
	for (i = 1; i < argc; i++) {
		if (arg_is(argv[i], "/q") || arg_is(argv[i], "/f"))
			continue;
		any = 1;
		del_one(h, argv[i], quiet, &rc);
	}
	if (!any) {
		err_printf(h, "The syntax of the command is incorrect.\r\n");
		return WS_FAIL;
	}
	return rc;
}

uint32_t
cmd_mkdir(struct host *h, int argc, char **argv)
{
	uint32_t rc = WS_OK;
	char *p;
	int i;

	if (argc < 2) {
		err_printf(h, "The syntax of the command is incorrect.\r\n");
		return WS_FAIL;
	}
	for (i = 1; i < argc; i++) {
		if ((p = resolve(h, argv[i])) == NULL)
			return WS_FAIL;
		if (access(p, F_OK) == 0) {
			err_printf(h, "A subdirectory or file %s already "
			    "exists.\r\n", argv[i]);
			rc = WS_FAIL;
		} else if (mkdir_p(p, 0755) == -1) {
			err_printf(h, "The system cannot find the path "
			    "specified.\r\n");
			rc = WS_FAIL;
		}
		free(p);
	}
	return rc;
}

static int
rm_tree(const char *path)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(path)) == NULL)
		return unlink(path);
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		if (rm_tree(p) == -1)
			rc = -1;
		free(p);
	}
	closedir(d);
	return rmdir(path) == -1 ? -1 : rc;
}

uint32_t
cmd_rmdir(struct host *h, int argc, char **argv)
{
	const char *target = NULL;
	struct stat st;
	int i, sub = 0, quiet = 0;
	uint32_t rc = WS_OK;
	char *p;

	for (i = 1; i < argc; i++) {
		if (arg_is(argv[i], "/s"))
			sub = 1;
		else if (arg_is(argv[i], "/q"))
			quiet = 1;
		else
			target = argv[i];
	}
	if (target == NULL) {
		err_printf(h, "The syntax of the command is incorrect.\r\n");
		return WS_FAIL;
	}
	if (sub && !quiet) {
		err_printf(h, "winsim: without /q rmdir /s would wait at the "
		    "prompt \"%s, Are you sure (Y/N)?\" for ever; pass /q.\r\n",
		    target);
		return WS_FAIL;
	}
	if ((p = resolve(h, target)) == NULL)
		return WS_FAIL;
	if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_printf(h, "The system cannot find the file specified.\r\n");
		rc = WS_FILE_NOT_FOUND;
	} else if (sub ? rm_tree(p) == -1 : rmdir(p) == -1) {
		err_printf(h, "The directory is not empty.\r\n");
		rc = 145;
	}
	free(p);
	return rc;
}

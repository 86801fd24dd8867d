/*
 * The one builder of cmd.exe command lines.  Win32-OpenSSH runs
 * `cmd.exe /c "<command>"` (FACTS.md section 4), so whatever cmd.exe
 * interprets must never come from data: & | < > chain and redirect, ^
 * escapes, % expands variables even inside quotes, " ends the quoting, !
 * expands under delayed expansion.  Those are refused rather than escaped:
 * kbfix never needs them inside an argument, and a refusal cannot be
 * escaped wrongly.  The one exception: < and > (the comparisons of a
 * wevtutil XPath query, "timediff(@SystemTime) <= N") are allowed and
 * force the quotes, inside which cmd.exe does not redirect; an argument
 * can never close the quotes early, " being refused.
 */
#include <string.h>

#include "util/util.h"
#include "transport/transport.h"

static int
is_bare(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || strchr("_.:/\\=+,@{}~-", ch) != NULL;
}

/* 1 bare, 0 needs quotes, -1 refused (err_set). */
static int
check_arg(const char *arg, size_t i)
{
	const unsigned char *p;
	int bare = 1;

	if (*arg == '\0') {
		err_set("command argument %zu is empty", i);
		return -1;
	}
	for (p = (const unsigned char *)arg; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f) {
			err_set("command argument %zu \"%s\": control or "
			    "non-ASCII character 0x%02x refused", i, arg, *p);
			return -1;
		}
		if (strchr("&|^%\"!", *p) != NULL) {
			err_set("command argument %zu \"%s\": '%c' would be "
			    "interpreted by cmd.exe; refused", i, arg, *p);
			return -1;
		}
		if (!is_bare(*p))	/* < and > too: quoted */
			bare = 0;
	}
	/* A trailing backslash before our closing quote would escape it. */
	if (!bare && p[-1] == '\\') {
		err_set("command argument %zu \"%s\": a quoted argument may not "
		    "end with a backslash", i, arg);
		return -1;
	}
	return bare;
}

int
transport_cmdline(struct buf *out, const char *const argv[])
{
	size_t i, start = out->len;
	int bare;

	if (argv == NULL || argv[0] == NULL) {
		err_set("empty command");
		return -1;
	}
	for (i = 0; argv[i] != NULL; i++) {
		if ((bare = check_arg(argv[i], i)) == -1)
			goto fail;
		if ((i > 0 && buf_addc(out, ' ') == -1) ||
		    (!bare && buf_addc(out, '"') == -1) ||
		    buf_adds(out, argv[i]) == -1 ||
		    (!bare && buf_addc(out, '"') == -1))
			goto fail;
	}
	return 0;
fail:
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

int
transport_cmdline_join(struct buf *out, const char *const argv[])
{
	size_t start = out->len;

	if (out->len > 0 && buf_adds(out, " & ") == -1)
		return -1;
	if (transport_cmdline(out, argv) == -1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}

/*
 * One escaping function per output language (JSON is buf_add_json_str in
 * util.c; cmd.exe command lines are transport_cmdline's).  Each takes any
 * string, hostile ones included, and appends text that the language reads
 * back as that one value and nothing else: tests/unit/test_util.c holds
 * the hostile values.
 */
#include <string.h>

#include "util/util.h"

/* U+2018..U+201B: PowerShell ends a single-quoted string at these too. */
static int
ps_quote_at(const unsigned char *p)
{
	if (*p == '\'')
		return 1;
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x98 && p[2] <= 0x9b)
		return 3;
	return 0;
}

/* A quote doubled is one literal quote, for each of PowerShell's quotes. */
int
buf_add_ps_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	buf_addc(b, '\'');
	while (*p) {
		if ((n = ps_quote_at(p)) > 0) {
			buf_add(b, p, (size_t)n);
			buf_add(b, p, (size_t)n);
			p += n;
			continue;
		}
		buf_addc(b, *p < 0x20 || *p == 0x7f ? ' ' : *p);
		p++;
	}
	return buf_addc(b, '\'');
}

/* A YAML double-quoted scalar that Ansible never templates. */
int
buf_add_yaml_unsafe(struct buf *b, const char *s)
{
	buf_adds(b, "!unsafe ");
	return buf_add_json_str(b, s);
}

/* Comment text: one line, printable ASCII ("?" for anything else). */
int
buf_add_comment(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++)
		buf_addc(b, *p >= 0x20 && *p < 0x7f ? *p : '?');
	return b->failed ? -1 : 0;
}

/*
 * A Markdown table cell: one line; the characters Markdown or HTML give a
 * meaning to are backslash-escaped or written as entities.
 */
int
buf_add_md_cell(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		switch (*p) {
		case '<': buf_adds(b, "&lt;"); continue;
		case '>': buf_adds(b, "&gt;"); continue;
		case '&': buf_adds(b, "&amp;"); continue;
		case '|': case '\\': case '`': case '*': case '_': case '[':
		case ']': case '#':
			buf_addc(b, '\\');
			buf_addc(b, *p);
			continue;
		}
		buf_addc(b, *p < 0x20 || *p == 0x7f ? ' ' : *p);
	}
	return b->failed ? -1 : 0;
}

/*
 * HTML text or a quoted attribute value: the five characters HTML gives a
 * meaning to as entities, control characters (but tab and newline) as
 * spaces.
 */
int
buf_add_html(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); continue;
		case '<': buf_adds(b, "&lt;"); continue;
		case '>': buf_adds(b, "&gt;"); continue;
		case '"': buf_adds(b, "&quot;"); continue;
		case '\'': buf_adds(b, "&#39;"); continue;
		}
		buf_addc(b, (*p < 0x20 && *p != '\t' && *p != '\n') ||
		    *p == 0x7f ? ' ' : *p);
	}
	return b->failed ? -1 : 0;
}

/*
 * Text for a terminal: control characters (C0, DEL, and C1 as UTF-8
 * U+0080..U+009F) become "?", so no escape sequence reaches it.
 */
int
buf_add_term(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_addc(b, '?');
			p++;
			continue;
		}
		buf_addc(b, (*p < 0x20 && *p != '\t') || *p == 0x7f ? '?' : *p);
	}
	return b->failed ? -1 : 0;
}

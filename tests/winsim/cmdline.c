/*
 * cmd.exe command lines: `a & b`, `a && b`, `a || b`, quotes; and the
 * argument splitting a Microsoft C runtime program (reg.exe, dism.exe)
 * applies to its own command line.
 *
 * What winsim will not simulate it refuses loudly: `%` (cmd expands it even
 * inside quotes), `^`, `|`, `<`, `>` outside quotes, control characters.
 * kbfix must never send them (FACTS.md section 4: "no ^ or %").
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tests/winsim/winsim.h"

static int
refuse(const char *line, size_t i, const char *what)
{
	err_set("winsim: refusing to simulate %s at column %zu of: %s",
	    what, i + 1, line);
	return -1;
}

static int
check_char(const char *line, size_t i, int quoted)
{
	unsigned char c = (unsigned char)line[i];

	if (c == '%')
		return refuse(line, i, "'%' (cmd.exe expands variables, even "
		    "inside quotes)");
	if (c < 0x20 && c != '\t')
		return refuse(line, i, "a control character");
	if (quoted)
		return 0;
	if (c == '^')
		return refuse(line, i, "'^' (cmd.exe escape character)");
	if (c == '<' || c == '>')
		return refuse(line, i, "a redirection");
	if (c == '|' && line[i + 1] != '|')
		return refuse(line, i, "a pipe '|'");
	return 0;
}

static int
push(const char *line, size_t start, size_t end, enum join join,
    struct simple **v, size_t *n)
{
	while (start < end && isspace((unsigned char)line[start]))
		start++;
	while (end > start && isspace((unsigned char)line[end - 1]))
		end--;
	if (start == end) {
		err_set("%s was unexpected at this time.",
		    join == JOIN_AND ? "&&" : join == JOIN_OR ? "||" : "&");
		return -1;
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].text = xstrndup(line + start, end - start);
	(*v)[*n].join = join;
	(*n)++;
	return 0;
}

/*
 * Split a cmd.exe line at &, && and || outside quotes.  Each part records
 * how it joins the one before.  Returns -1 with err_set() on anything
 * refused; *out is then freed.
 */
int
cmdline_split(const char *line, struct simple **out, size_t *n)
{
	enum join join = JOIN_FIRST, next;
	size_t i, start = 0;
	int quoted = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; line[i] != '\0'; i++) {
		if (check_char(line, i, quoted) == -1)
			goto fail;
		if (line[i] == '"')
			quoted = !quoted;
		if (quoted || (line[i] != '&' && line[i] != '|'))
			continue;
		if (line[i] == '&' && line[i + 1] == '&')
			next = JOIN_AND;
		else if (line[i] == '|')
			next = JOIN_OR;
		else
			next = JOIN_ALWAYS;
		if (push(line, start, i, join, out, n) == -1)
			goto fail;
		if (next != JOIN_ALWAYS)
			i++;
		start = i + 1;
		join = next;
	}
	if (push(line, start, i, join, out, n) == -1)
		goto fail;
	return 0;
fail:
	cmdline_free(*out, *n);
	*out = NULL;
	*n = 0;
	return -1;
}

void
cmdline_free(struct simple *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/*
 * Microsoft C runtime rules: whitespace separates arguments, quotes group;
 * 2n backslashes before a quote are n backslashes and the quote toggles,
 * 2n+1 are n backslashes and a literal quote; other backslashes are
 * literal (so "HKLM\Software" stays as typed).
 */
static size_t
one_arg(const char *s, struct buf *b)
{
	size_t i = 0, bs;
	int quoted = 0;

	for (;;) {
		if (s[i] == '\0' || (!quoted && (s[i] == ' ' || s[i] == '\t')))
			return i;
		for (bs = 0; s[i] == '\\'; i++)
			bs++;
		if (s[i] != '"') {
			while (bs-- > 0)
				buf_addc(b, '\\');
			if (s[i] != '\0' && s[i] != '\\')
				buf_addc(b, s[i++]);
			continue;
		}
		for (size_t k = 0; k < bs / 2; k++)
			buf_addc(b, '\\');
		if (bs % 2 == 1)
			buf_addc(b, '"');
		else
			quoted = !quoted;
		i++;
	}
}

int
argv_split(const char *text, char ***argv, int *argc)
{
	struct buf b;
	size_t i = 0;

	*argv = NULL;
	*argc = 0;
	for (;;) {
		while (text[i] == ' ' || text[i] == '\t')
			i++;
		if (text[i] == '\0')
			break;
		buf_init(&b, 1 << 20);
		buf_add(&b, "", 0);
		i += one_arg(text + i, &b);
		*argv = xreallocarray(*argv, (size_t)*argc + 2, sizeof(char *));
		(*argv)[(*argc)++] = buf_detach(&b, NULL);
		(*argv)[*argc] = NULL;
	}
	return *argc > 0 ? 0 : -1;
}

void
argv_free(char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

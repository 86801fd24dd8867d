/*
 * Parsers of Windows command output, from bytes (FACTS.md sections 4-5;
 * tests/fixtures/windows).  Everything is first decoded by
 * transport_win_text(): wmic through a pipe writes ANSI with CR CR LF line
 * ends, UTF-16LE with a BOM and CRLF when redirected to a file; reg, dism,
 * netsh and systeminfo write the OEM code page with CRLF.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/util.h"
#include "transport/transport.h"

#define TEXT_MAX	((size_t)64 << 20)
#define WMIC_FIRST_RUN	"Please wait while WMIC is being installed."

static int
looks_utf16le(const unsigned char *p, size_t len)
{
	size_t i, zeros = 0;

	if (len >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return 1;
	if (len < 4 || len % 2 != 0)
		return 0;
	/* No BOM: ASCII text in UTF-16LE has a NUL at every odd offset. */
	for (i = 1; i < len && i < 64; i += 2)
		zeros += p[i] == 0;
	return zeros * 2 >= (i / 2) * 2 && p[1] == 0;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_addc(b, (int)cp);
	else if (cp < 0x800) {
		buf_addc(b, (int)(0xc0 | cp >> 6));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (int)(0xe0 | cp >> 12));
		buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (int)(0xf0 | cp >> 18));
		buf_addc(b, (int)(0x80 | (cp >> 12 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * UTF-16LE from p[*i] until the end or until a pair that is two printable
 * ASCII bytes: the next command's ANSI output when outputs of several
 * commands share one stream (`a & b`).
 */
static void
decode_utf16le(const unsigned char *p, size_t len, size_t *i, struct buf *b)
{
	unsigned cp, lo;

	for (; *i + 1 < len; *i += 2) {
		if (p[*i + 1] != 0 && p[*i] >= 0x0a && p[*i] < 0x7f &&
		    p[*i + 1] >= 0x0a && p[*i + 1] < 0x7f)
			return;
		cp = (unsigned)p[*i] | (unsigned)p[*i + 1] << 8;
		if (cp >= 0xd800 && cp < 0xdc00 && *i + 3 < len) {
			lo = (unsigned)p[*i + 2] | (unsigned)p[*i + 3] << 8;
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				*i += 2;
			}
		}
		if (cp != 0 && cp != 0xfeff)
			put_utf8(b, cp);
	}
	*i = len;
}

/* ANSI text, switching to UTF-16LE at each BOM (wmic inside `a & b`). */
static void
decode_mixed(const unsigned char *p, size_t len, struct buf *b)
{
	size_t i = 0;

	if (looks_utf16le(p, len))
		decode_utf16le(p, len, &i, b);
	while (i < len) {
		if (i + 1 < len && p[i] == 0xff && p[i + 1] == 0xfe) {
			i += 2;
			decode_utf16le(p, len, &i, b);
			continue;
		}
		buf_addc(b, p[i++]);
	}
}

/* CRLF, CR CR LF and a lone CR all end one line. */
static void
normalise_eol(struct buf *in, struct buf *out)
{
	size_t i;
	char ch;

	for (i = 0; i < in->len; i++) {
		ch = in->data[i];
		if (ch == '\0')
			continue;
		if (ch != '\r') {
			buf_addc(out, ch);
			continue;
		}
		while (i + 1 < in->len && in->data[i + 1] == '\r')
			i++;
		if (i + 1 < in->len && in->data[i + 1] == '\n')
			i++;
		buf_addc(out, '\n');
	}
}

char *
transport_win_text(const char *p, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)p;
	struct buf raw, out;
	char *s;

	buf_init(&raw, TEXT_MAX);
	buf_init(&out, TEXT_MAX);
	if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		buf_add(&raw, p + 3, len - 3);
	else
		decode_mixed(u, len, &raw);
	normalise_eol(&raw, &out);
	buf_release(&raw);
	s = buf_detach(&out, outlen);
	return s;
}

/* Next line of decoded text, NUL-terminated in place; NULL at the end. */
static char *
next_line(char **cur)
{
	char *line = *cur, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	if ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		*cur = nl + 1;
	} else
		*cur = line + strlen(line);
	return line;
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* A "KB" followed by 4 to 8 digits at p, not inside a longer word. */
static size_t
kb_at(const char *s, const char *p)
{
	size_t n = 0;

	if ((p[0] != 'K' && p[0] != 'k') || (p[1] != 'B' && p[1] != 'b'))
		return 0;
	if (p > s && isalnum((unsigned char)p[-1]))
		return 0;
	while (isdigit((unsigned char)p[2 + n]))
		n++;
	if (n < 4 || n > 8 || isalnum((unsigned char)p[2 + n]))
		return 0;
	return n + 2;
}

static int
kb_add(char ***kbs, size_t *n, const char *p, size_t len)
{
	char *kb = xstrndup(p, len);
	size_t i;

	kb[0] = 'K';
	kb[1] = 'B';
	for (i = 0; i < *n; i++)
		if (strcmp((*kbs)[i], kb) == 0) {
			free(kb);
			return 0;
		}
	*kbs = xreallocarray(*kbs, *n + 1, sizeof(**kbs));
	(*kbs)[(*n)++] = kb;
	return 1;
}

static void
kb_scan(const char *s, char ***kbs, size_t *n)
{
	const char *p;
	size_t len;

	for (p = s; *p != '\0'; p++)
		if ((len = kb_at(s, p)) != 0) {
			kb_add(kbs, n, p, len);
			p += len - 1;
		}
}

/* reg query */

static const struct {
	const char	*name;
	enum winreg_type type;
} regtypes[] = {
	{ "REG_SZ", WINREG_SZ }, { "REG_EXPAND_SZ", WINREG_EXPAND_SZ },
	{ "REG_MULTI_SZ", WINREG_MULTI_SZ }, { "REG_DWORD", WINREG_DWORD },
	{ "REG_QWORD", WINREG_QWORD }, { "REG_BINARY", WINREG_BINARY },
	{ "REG_NONE", WINREG_NONE },
};

const char *
transport_winreg_type_name(enum winreg_type t)
{
	size_t i;

	for (i = 0; i < sizeof(regtypes) / sizeof(regtypes[0]); i++)
		if (regtypes[i].type == t)
			return regtypes[i].name;
	return "REG_UNKNOWN";
}

static enum winreg_type
reg_type(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(regtypes) / sizeof(regtypes[0]); i++)
		if (strcmp(regtypes[i].name, s) == 0)
			return regtypes[i].type;
	return WINREG_OTHER;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
reg_number(struct winreg_value *v)
{
	const char *p = v->data;
	uint64_t n = 0;
	int d;

	if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X') || p[2] == '\0')
		return -1;
	for (p += 2; *p != '\0'; p++) {
		if ((d = hexval((unsigned char)*p)) == -1 ||
		    n > (UINT64_MAX >> 4))
			return -1;
		n = n << 4 | (uint64_t)d;
	}
	if (v->type == WINREG_DWORD && n > UINT32_MAX)
		return -1;
	v->num = n;
	return 0;
}

static int
reg_binary(struct winreg_value *v)
{
	size_t len = strlen(v->data), i;
	int hi, lo;

	if (len % 2 != 0)
		return -1;
	v->bin = xmalloc(len / 2 + 1);
	for (i = 0; i < len / 2; i++) {
		hi = hexval((unsigned char)v->data[2 * i]);
		lo = hexval((unsigned char)v->data[2 * i + 1]);
		if (hi == -1 || lo == -1)
			return -1;
		v->bin[i] = (unsigned char)(hi << 4 | lo);
	}
	v->binlen = len / 2;
	return 0;
}

/* reg.exe shows REG_MULTI_SZ items separated by the two characters \0. */
static void
reg_multi(struct winreg_value *v)
{
	const char *p = v->data, *sep;

	while (*p != '\0') {
		sep = strstr(p, "\\0");
		v->items = xreallocarray(v->items, v->nitems + 1,
		    sizeof(*v->items));
		if (sep == NULL) {
			v->items[v->nitems++] = xstrdup(p);
			break;
		}
		v->items[v->nitems++] = xstrndup(p, (size_t)(sep - p));
		p = sep + 2;
	}
}

static int
reg_convert(struct winreg_value *v)
{
	switch (v->type) {
	case WINREG_DWORD:
	case WINREG_QWORD:
		return reg_number(v);
	case WINREG_BINARY:
	case WINREG_NONE:
		return reg_binary(v);
	case WINREG_MULTI_SZ:
		reg_multi(v);
		return 0;
	default:
		return 0;
	}
}

/* "    NAME    REG_TYPE    DATA" (DATA may be empty). */
static int
reg_value_line(char *line, const char *key, struct winreg_list *l)
{
	struct winreg_value *v;
	char *sep, *type, *data;

	if ((sep = strstr(line + 4, "    REG_")) == NULL)
		return -1;
	*sep = '\0';
	type = sep + 4;
	if ((data = strstr(type, "    ")) != NULL) {
		*data = '\0';
		data += 4;
	} else {
		rtrim(type);
		data = type + strlen(type);
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	v->key = xstrdup(key != NULL ? key : "");
	v->name = xstrdup(line + 4);
	v->type = reg_type(type);
	v->data = xstrdup(data);
	return reg_convert(v);
}

static void
push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* The last key line had no values under it: a listed subkey. */
static void
close_key(struct winreg_list *l, size_t nvals_at_key)
{
	if (l->nkeys > 0 && l->n == nvals_at_key)
		push(&l->subkeys, &l->nsubkeys, l->keys[l->nkeys - 1]);
}

static int
reg_line(char *line, size_t *mark, struct winreg_list *l)
{
	rtrim(line);
	if (*line == '\0' || strncmp(line, "End of search:", 14) == 0 ||
	    strncmp(line, "ERROR:", 6) == 0)
		return 0;
	if (strncmp(line, "HKEY_", 5) == 0) {
		close_key(l, *mark);
		push(&l->keys, &l->nkeys, line);
		*mark = l->n;
		l->key_found = 1;
		return 0;
	}
	if (strncmp(line, "    ", 4) == 0 && l->nkeys > 0)
		return reg_value_line(line, l->keys[l->nkeys - 1], l);
	return -1;
}

int
transport_win_reg_query(const char *p, size_t len, struct winreg_list *l)
{
	char *text, *cur, *line;
	size_t mark = 0;
	int lineno = 0, rc = 0;

	memset(l, 0, sizeof(*l));
	text = cur = transport_win_text(p, len, NULL);
	while ((line = next_line(&cur)) != NULL) {
		lineno++;
		if (reg_line(line, &mark, l) == -1) {
			err_set("reg query output, line %d: not a registry "
			    "key or value line", lineno);
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		close_key(l, mark);
	free(text);
	if (rc == -1)
		transport_winreg_list_release(l);
	return rc;
}

/* "HKLM\X" and "HKEY_LOCAL_MACHINE\X" name the same key. */
static const char *
long_root(const char *path, char *buf, size_t len)
{
	static const char *const roots[][2] = {
		{ "HKLM\\", "HKEY_LOCAL_MACHINE\\" },
		{ "HKCU\\", "HKEY_CURRENT_USER\\" },
		{ "HKU\\", "HKEY_USERS\\" },
		{ "HKCR\\", "HKEY_CLASSES_ROOT\\" },
		{ "HKCC\\", "HKEY_CURRENT_CONFIG\\" },
	};
	size_t i, n;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		n = strlen(roots[i][0]);
		if (strncasecmp(path, roots[i][0], n) == 0) {
			snprintf(buf, len, "%s%s", roots[i][1], path + n);
			return buf;
		}
	}
	return path;
}

int
transport_winreg_has_key(const struct winreg_list *l, const char *path)
{
	char buf[1024];
	size_t i;

	path = long_root(path, buf, sizeof(buf));
	for (i = 0; i < l->nkeys; i++)
		if (strcasecmp(l->keys[i], path) == 0)
			return 1;
	return 0;
}

const struct winreg_value *
transport_winreg_find(const struct winreg_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

void
transport_winreg_list_release(struct winreg_list *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].name);
		free(l->v[i].data);
		free(l->v[i].bin);
		for (j = 0; j < l->v[i].nitems; j++)
			free(l->v[i].items[j]);
		free(l->v[i].items);
	}
	for (i = 0; i < l->nsubkeys; i++)
		free(l->subkeys[i]);
	free(l->subkeys);
	for (i = 0; i < l->nkeys; i++)
		free(l->keys[i]);
	free(l->keys);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* dism /get-packages */

static enum dism_state
dism_state(const char *s)
{
	if (strcasecmp(s, "Installed") == 0)
		return DISM_INSTALLED;
	if (strcasecmp(s, "Install Pending") == 0)
		return DISM_INSTALL_PENDING;
	if (strcasecmp(s, "Uninstall Pending") == 0)
		return DISM_UNINSTALL_PENDING;
	if (strcasecmp(s, "Staged") == 0)
		return DISM_STAGED;
	if (strcasecmp(s, "Superseded") == 0)
		return DISM_SUPERSEDED;
	return DISM_OTHER;
}

/* "Name : value" with any spacing around the colon. */
static int
split_colon(char *line, char **name, char **value)
{
	char *colon = strchr(line, ':');

	if (colon == NULL)
		return -1;
	*colon = '\0';
	*value = colon + 1;
	while (**value == ' ')
		(*value)++;
	rtrim(*value);
	rtrim(line);
	while (*line == ' ')
		line++;
	*name = line;
	return 0;
}

/*
 * A hotfix's sub-package: "Package_<N>_for_KB<n>" or
 * "Package_for_KB<n>_<suffix>" (FACTS.md 5).  The package itself is
 * "Package_for_KB<n>", or a name without a KB (Package_for_RollupFix).
 */
static int
dism_sub(const char *name)
{
	const char *p;
	size_t n;

	if (strncasecmp(name, "Package_", 8) != 0)
		return 0;
	p = name + 8;
	if (isdigit((unsigned char)*p)) {
		while (isdigit((unsigned char)*p))
			p++;
		return strncasecmp(p, "_for_KB", 7) == 0;
	}
	if (strncasecmp(p, "for_", 4) != 0 || (n = kb_at(name, p + 4)) == 0)
		return 0;
	return p[4 + n] != '\0';
}

static void
dism_identity(struct dism_list *l, const char *id)
{
	struct dism_package *pk;
	const char *p, *t[5];
	size_t n, k = 0;

	l->p = xreallocarray(l->p, l->n + 1, sizeof(*l->p));
	pk = &l->p[l->n++];
	memset(pk, 0, sizeof(*pk));
	pk->identity = xstrdup(id);
	pk->state = DISM_OTHER;
	/* name~publicKeyToken~arch~language~version */
	for (p = id, t[k++] = id; *p != '\0'; p++)
		if (*p == '~' && k < 5)
			t[k++] = p + 1;
		else if (*p == '~')
			k = 6;
	if (k == 5) {
		pk->name = xstrndup(id, (size_t)(t[1] - 1 - id));
		pk->arch = xstrndup(t[2], (size_t)(t[3] - 1 - t[2]));
		pk->version = xstrdup(t[4]);
	} else
		pk->name = xstrdup(id);
	for (p = pk->name; *p != '\0'; p++)
		if ((n = kb_at(pk->name, p)) != 0) {
			snprintf(pk->kb, sizeof(pk->kb), "KB%.*s",
			    (int)(n - 2), p + 2);
			break;
		}
	pk->sub = dism_sub(pk->name);
}

static void
dism_field(struct dism_package *pk, const char *name, const char *value)
{
	if (strcasecmp(name, "State") == 0 && pk->state_text == NULL) {
		pk->state = dism_state(value);
		pk->state_text = xstrdup(value);
	} else if (strcasecmp(name, "Release Type") == 0 &&
	    pk->release_type == NULL)
		pk->release_type = xstrdup(value);
	else if (strcasecmp(name, "Install Time") == 0 &&
	    pk->install_time == NULL)
		pk->install_time = xstrdup(value);
}

int
transport_win_dism_packages(const char *p, size_t len, struct dism_list *l)
{
	char *text, *cur, *line, *name, *value;
	size_t i;
	int listing = 0;

	memset(l, 0, sizeof(*l));
	text = cur = transport_win_text(p, len, NULL);
	while ((line = next_line(&cur)) != NULL) {
		if (strncmp(line, "Packages listing", 16) == 0)
			listing = 1;
		if (split_colon(line, &name, &value) == -1)
			continue;
		if (strcasecmp(name, "Package Identity") == 0)
			dism_identity(l, value);
		else if (l->n > 0)
			dism_field(&l->p[l->n - 1], name, value);
	}
	free(text);
	/* a block without its State line (a filtered or cut listing) */
	for (i = 0; i < l->n; i++)
		if (l->p[i].state_text == NULL)
			l->p[i].state_text = xstrdup("");
	if (l->n == 0 && !listing) {
		err_set("dism output holds no package listing");
		return -1;
	}
	return 0;
}

const struct dism_package *
transport_dism_find(const struct dism_list *l, const char *identity)
{
	size_t i;

	for (i = 0; identity != NULL && i < l->n; i++)
		if (strcasecmp(l->p[i].identity, identity) == 0)
			return &l->p[i];
	return NULL;
}

void
transport_dism_list_release(struct dism_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->p[i].identity);
		free(l->p[i].name);
		free(l->p[i].arch);
		free(l->p[i].version);
		free(l->p[i].state_text);
		free(l->p[i].release_type);
		free(l->p[i].install_time);
	}
	free(l->p);
	memset(l, 0, sizeof(*l));
}

/* wmic */

char *
transport_win_wmic_value(const char *p, size_t len, const char *name)
{
	char *text, *cur, *line, *eq, *found = NULL;
	size_t n = strlen(name);

	text = cur = transport_win_text(p, len, NULL);
	while (found == NULL && (line = next_line(&cur)) != NULL) {
		if ((eq = strchr(line, '=')) == NULL ||
		    (size_t)(eq - line) != n || strncasecmp(line, name, n))
			continue;
		rtrim(eq + 1);
		found = xstrdup(eq + 1);
	}
	free(text);
	return found;
}

/* The column of name in a wmic table header: its start and width
 * (0: to the end of the line). */
static int
wmic_header(const char *head, const char *name, size_t *at, size_t *width)
{
	const char *p = head, *q;
	size_t n = strlen(name);

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if ((size_t)(q - p) == n && strncasecmp(p, name, n) == 0) {
			*at = (size_t)(p - head);
			while (*q == ' ')
				q++;
			*width = *q != '\0' ? (size_t)(q - p) : 0;
			return 0;
		}
		p = q;
	}
	return -1;
}

char *
transport_win_wmic_column(const char *p, size_t len, const char *name)
{
	char *text, *cur, *line, *found = NULL;
	size_t at = 0, width = 0, n;
	int head = 0;

	text = cur = transport_win_text(p, len, NULL);
	while (found == NULL && (line = next_line(&cur)) != NULL) {
		if (!head) {
			/* the first run of wmic prints this before the
			 * header, on the same line (wmic/wesng_xp_*) */
			if (strncmp(line, WMIC_FIRST_RUN,
			    strlen(WMIC_FIRST_RUN)) == 0)
				line += strlen(WMIC_FIRST_RUN);
			head = wmic_header(line, name, &at, &width) == 0;
			continue;
		}
		n = strlen(line);
		if (n <= at)
			continue;
		line += at;
		if (width != 0 && strlen(line) > width)
			line[width] = '\0';
		rtrim(line);
		if (*line != '\0')
			found = xstrdup(line);
	}
	free(text);
	return found;
}

int
transport_win_wmic_qfe(const char *p, size_t len, char ***kbs, size_t *n)
{
	char *text;

	text = transport_win_text(p, len, NULL);
	kb_scan(text, kbs, n);
	free(text);
	return 0;
}

static int
digits(const char *s, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*out = *out * 10 + (s[i] - '0');
	}
	return 0;
}

/* yyyymmddHHMMSS.mmmmmm+UUU: UUU is the offset from UTC in minutes. */
int
transport_win_wmi_datetime(const char *s, int64_t *epoch)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, us, off;

	if (strlen(s) != 25 || s[14] != '.' ||
	    (s[21] != '+' && s[21] != '-') ||
	    digits(s, 4, &y) || digits(s + 4, 2, &mo) ||
	    digits(s + 6, 2, &d) || digits(s + 8, 2, &h) ||
	    digits(s + 10, 2, &mi) || digits(s + 12, 2, &sec) ||
	    digits(s + 15, 6, &us) || digits(s + 22, 3, &off) ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60) {
		err_set("\"%s\" is not a WMI datetime", s);
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*epoch = (int64_t)timegm(&tm) - (s[21] == '+' ? off : -off) * 60;
	return 0;
}

/* netsh */

char *
transport_win_netsh_value(const char *p, size_t len, const char *want)
{
	char *text, *cur, *line, *name, *value, *found = NULL;

	text = cur = transport_win_text(p, len, NULL);
	while (found == NULL && (line = next_line(&cur)) != NULL) {
		if (split_colon(line, &name, &value) == 0 &&
		    strcasecmp(name, want) == 0)
			found = xstrdup(value);
	}
	free(text);
	return found;
}

int
transport_win_netsh_multicast(const char *p, size_t len)
{
	char *v = transport_win_netsh_value(p, len, "Multicast Forwarding");
	int rc = -1;

	if (v != NULL && strcasecmp(v, "enabled") == 0)
		rc = 1;
	else if (v != NULL && strcasecmp(v, "disabled") == 0)
		rc = 0;
	else if (v != NULL)
		err_set("netsh says 'Multicast Forwarding : %s', neither "
		    "enabled nor disabled: multicast forwarding unknown", v);
	else
		err_set("no 'Multicast Forwarding' line in netsh show global "
		    "(netsh translates its labels on a non-English Windows): "
		    "multicast forwarding unknown");
	free(v);
	return rc;
}

int
transport_win_cim_multicast(const char *p, size_t len)
{
	char *v = transport_win_wmic_value(p, len, "MulticastForwarding");
	int rc = -1;

	/* MSFT_NetIPv4Protocol.MulticastForwarding: 0 Disabled, 1 Enabled */
	if (v != NULL && strcmp(v, "0") == 0)
		rc = 0;
	else if (v != NULL && strcmp(v, "1") == 0)
		rc = 1;
	else
		err_set("no MulticastForwarding=0|1 from MSFT_NetIPv4Protocol");
	free(v);
	return rc;
}

/* systeminfo */

/* The fields kbfix reads, by position (transport.h). */
enum {
	SYS_HOST = 0, SYS_OS_NAME = 1, SYS_OS_VERSION = 2, SYS_TYPE = 13,
	SYS_HOTFIX = 30
};

/* One CSV record ("a","b ""c""",...) into fields; advances *cur. */
static char **
csv_record(char **cur, size_t *nf)
{
	char **f = NULL, *p = *cur;
	struct buf b;

	*nf = 0;
	while (*p == '\n')
		p++;
	if (*p == '\0')
		return NULL;
	for (;;) {
		buf_init(&b, 0);
		if (*p == '"') {
			for (p++; *p != '\0'; p++) {
				if (*p == '"' && p[1] == '"')
					buf_addc(&b, *p++);
				else if (*p == '"')
					break;
				else
					buf_addc(&b, *p);
			}
			if (*p == '"')
				p++;
		} else
			while (*p != ',' && *p != '\n' && *p != '\0')
				buf_addc(&b, *p++);
		f = xreallocarray(f, *nf + 1, sizeof(*f));
		f[(*nf)++] = buf_detach(&b, NULL);
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '\n')
		p++;
	*cur = p;
	return f;
}

static char *
sys_arch(const char *type)
{
	if (strncasecmp(type, "x64", 3) == 0)
		return xstrdup("x64");
	if (strncasecmp(type, "x86", 3) == 0)
		return xstrdup("x86");
	if (strcasestr(type, "itanium") != NULL ||
	    strncasecmp(type, "ia64", 4) == 0)
		return xstrdup("ia64");
	if (strncasecmp(type, "ARM64", 5) == 0)
		return xstrdup("arm64");
	return xstrdup(type);
}

/* A field given twice: the last one counts (and the first is freed). */
static void
sys_set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static void
sys_field(struct winsysinfo *si, size_t pos, char *value)
{
	char *sp;

	rtrim(value);
	switch (pos) {
	case SYS_HOST:
		sys_set(&si->host, value);
		break;
	case SYS_OS_NAME:
		sys_set(&si->os_name, value);
		break;
	case SYS_OS_VERSION:
		sys_set(&si->os_version_text, value);
		if ((sp = strchr(value, ' ')) != NULL)
			*sp = '\0';
		sys_set(&si->os_version, value);
		break;
	case SYS_TYPE:
		free(si->arch);
		si->arch = sys_arch(value);
		break;
	case SYS_HOTFIX:
		kb_scan(value, &si->hotfixes, &si->nhotfixes);
		break;
	}
}

static int
sys_check(struct winsysinfo *si)
{
	if (si->os_name != NULL && si->os_version != NULL &&
	    isdigit((unsigned char)si->os_version[0]))
		return 0;
	err_set("systeminfo output lacks the OS name or version (fields 2 "
	    "and 3)");
	transport_winsysinfo_release(si);
	return -1;
}

int
transport_win_systeminfo_csv(const char *p, size_t len, struct winsysinfo *si)
{
	char *text, *cur, **head = NULL, **row = NULL;
	size_t nh = 0, nr = 0, i;
	int rc = -1;

	memset(si, 0, sizeof(*si));
	text = cur = transport_win_text(p, len, NULL);
	if ((head = csv_record(&cur, &nh)) == NULL ||
	    (row = csv_record(&cur, &nr)) == NULL || nr != nh ||
	    nh <= SYS_TYPE) {
		err_set("systeminfo output is not a CSV header and row");
		goto out;
	}
	for (i = 0; i < nh; i++)
		sys_field(si, i, row[i]);
	rc = sys_check(si);
out:
	strv_free(head, nh);
	strv_free(row, nr);
	free(text);
	return rc;
}

/*
 * "Label:   value" lines; a line starting with a blank continues the
 * field above it.  The value starts after the first ':' followed by a
 * blank (no label kbfix reads holds one; "Virtual Memory: Max Size:" is
 * counted, not read).
 */
static int
sys_list(char *text, struct winsysinfo *si)
{
	char *cur = text, *line, *v;
	size_t pos = 0;
	int started = 0;

	memset(si, 0, sizeof(*si));
	while ((line = next_line(&cur)) != NULL) {
		if (*line == ' ' || *line == '\t') {
			if (started && pos - 1 == SYS_HOTFIX)
				kb_scan(line, &si->hotfixes, &si->nhotfixes);
			continue;
		}
		rtrim(line);
		if (*line == '\0')
			continue;
		for (v = line; (v = strchr(v, ':')) != NULL; v++)
			if (v[1] == ' ' || v[1] == '\0')
				break;
		if (v == NULL) {
			err_set("systeminfo output, field %zu: no 'label:' "
			    "in \"%.40s\"", pos + 1, line);
			transport_winsysinfo_release(si);
			return -1;
		}
		for (v++; *v == ' '; v++)
			;
		sys_field(si, pos++, v);
		started = 1;
	}
	return sys_check(si);
}

int
transport_win_systeminfo(const char *p, size_t len, struct winsysinfo *si)
{
	char *text = transport_win_text(p, len, NULL), *q = text;
	int rc;

	while (*q == '\n' || *q == ' ')
		q++;
	if (*q == '"') {
		rc = transport_win_systeminfo_csv(q, strlen(q), si);
	} else
		rc = sys_list(q, si);
	free(text);
	return rc;
}

void
transport_winsysinfo_release(struct winsysinfo *si)
{
	size_t i;

	free(si->host);
	free(si->os_name);
	free(si->os_version);
	free(si->os_version_text);
	free(si->arch);
	for (i = 0; i < si->nhotfixes; i++)
		free(si->hotfixes[i]);
	free(si->hotfixes);
	memset(si, 0, sizeof(*si));
}

/* reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" */

static char *
reg_str(const struct winreg_list *l, const char *name)
{
	const struct winreg_value *v = transport_winreg_find(l, name);

	if (v == NULL || (v->type != WINREG_SZ && v->type != WINREG_EXPAND_SZ))
		return NULL;
	return xstrdup(v->data);
}

static int
reg_num(const struct winreg_list *l, const char *name, unsigned *out)
{
	const struct winreg_value *v = transport_winreg_find(l, name);

	if (v == NULL || v->type != WINREG_DWORD)
		return -1;
	*out = (unsigned)v->num;
	return 0;
}

/* CurrentBuildNumber (CurrentBuild on NT 6.0) is all digits. */
static int
os_build(const struct winreg_list *l, unsigned *build)
{
	char *b = reg_str(l, "CurrentBuildNumber");
	int rc;

	if (b == NULL)
		b = reg_str(l, "CurrentBuild");
	rc = b != NULL && parse_u32(b, build) == 0 ? 0 : -1;
	free(b);
	return rc;
}

static char *
env_arch(const struct winreg_list *env)
{
	char *a = env ? reg_str(env, "PROCESSOR_ARCHITECTURE") : NULL, *r;

	if (a == NULL)
		return NULL;
	r = strcasecmp(a, "AMD64") == 0 ? xstrdup("x64") :
	    strcasecmp(a, "x86") == 0 ? xstrdup("x86") :
	    strcasecmp(a, "ARM64") == 0 ? xstrdup("arm64") :
	    strcasecmp(a, "IA64") == 0 ? xstrdup("ia64") : NULL;
	free(a);
	return r;
}

int
transport_win_os(const struct winreg_list *cv, const struct winreg_list *env,
    struct winos *os)
{
	unsigned major, minor, build;
	char *nt = NULL;

	memset(os, 0, sizeof(*os));
	os->product = reg_str(cv, "ProductName");
	if (os->product == NULL || os_build(cv, &build) == -1) {
		err_set("reg query CurrentVersion lacks %s",
		    os->product == NULL ? "ProductName" :
		    "CurrentBuildNumber");
		transport_winos_release(os);
		return -1;
	}
	if (reg_num(cv, "CurrentMajorVersionNumber", &major) == 0 &&
	    reg_num(cv, "CurrentMinorVersionNumber", &minor) == 0)
		os->build = xasprintf("%u.%u.%u", major, minor, build);
	else if ((nt = reg_str(cv, "CurrentVersion")) != NULL &&
	    strchr(nt, '.') != NULL)
		os->build = xasprintf("%s.%u", nt, build);
	else {
		err_set("reg query CurrentVersion lacks CurrentVersion");
		free(nt);
		transport_winos_release(os);
		return -1;
	}
	free(nt);
	if (reg_num(cv, "UBR", &os->ubr) == 0)
		os->version = xasprintf("%s.%u", os->build, os->ubr);
	else
		os->version = xstrdup(os->build);
	os->csd = reg_str(cv, "CSDVersion");
	os->edition = reg_str(cv, "EditionID");
	os->installation = reg_str(cv, "InstallationType");
	os->arch = env_arch(env);
	return 0;
}

void
transport_winos_release(struct winos *os)
{
	free(os->product);
	free(os->version);
	free(os->build);
	free(os->csd);
	free(os->edition);
	free(os->installation);
	free(os->arch);
	memset(os, 0, sizeof(*os));
}

/* LCIDs of the Windows display languages (MS-LCID), as Nls\Language
 * writes them ("0407"), to BCP 47. */
static const struct {
	unsigned	 lcid;
	const char	*tag;
} lcids[] = {
	{ 0x0401, "ar-SA" }, { 0x0402, "bg-BG" }, { 0x0404, "zh-TW" },
	{ 0x0405, "cs-CZ" }, { 0x0406, "da-DK" }, { 0x0407, "de-DE" },
	{ 0x0408, "el-GR" }, { 0x0409, "en-US" }, { 0x040a, "es-ES" },
	{ 0x040b, "fi-FI" }, { 0x040c, "fr-FR" }, { 0x040d, "he-IL" },
	{ 0x040e, "hu-HU" }, { 0x0410, "it-IT" }, { 0x0411, "ja-JP" },
	{ 0x0412, "ko-KR" }, { 0x0413, "nl-NL" }, { 0x0414, "nb-NO" },
	{ 0x0415, "pl-PL" }, { 0x0416, "pt-BR" }, { 0x0418, "ro-RO" },
	{ 0x0419, "ru-RU" }, { 0x041a, "hr-HR" }, { 0x041b, "sk-SK" },
	{ 0x041d, "sv-SE" }, { 0x041e, "th-TH" }, { 0x041f, "tr-TR" },
	{ 0x0422, "uk-UA" }, { 0x0424, "sl-SI" }, { 0x0425, "et-EE" },
	{ 0x0426, "lv-LV" }, { 0x0427, "lt-LT" }, { 0x0804, "zh-CN" },
	{ 0x0807, "de-CH" }, { 0x0809, "en-GB" }, { 0x080a, "es-MX" },
	{ 0x080c, "fr-BE" }, { 0x0816, "pt-PT" }, { 0x0c04, "zh-HK" },
	{ 0x0c07, "de-AT" }, { 0x0c0a, "es-ES" }, { 0x0c0c, "fr-CA" },
	{ 0x100c, "fr-CH" },
};

const char *
transport_win_ui_language(const struct winreg_list *nls)
{
	static const char *const names[] = { "Default", "InstallLanguage" };
	const struct winreg_value *v;
	unsigned lcid;
	size_t i, k;
	int d;

	for (k = 0; k < 2; k++) {
		if ((v = transport_winreg_find(nls, names[k])) == NULL ||
		    strlen(v->data) != 4)
			continue;
		for (i = 0, lcid = 0; i < 4; i++) {
			if ((d = hexval((unsigned char)v->data[i])) == -1)
				break;
			lcid = lcid << 4 | (unsigned)d;
		}
		for (i = 0; i < sizeof(lcids) / sizeof(lcids[0]); i++)
			if (lcids[i].lcid == lcid)
				return lcids[i].tag;
	}
	return NULL;
}

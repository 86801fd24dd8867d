/*
 * Normalisation of what inventories write: product names, builds,
 * architectures, registry paths, file versions.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan/plan.h"

/* Windows 10 / Server 2016+ builds to versions (FACTS.md 1, "Windows 10 build to version"). */
static const struct {
	const char	*build;
	const char	*release;
} win10_builds[] = {
	{ "10.0.10240", "1507" }, { "10.0.10586", "1511" },
	{ "10.0.14393", "1607" }, { "10.0.15063", "1703" },
	{ "10.0.16299", "1709" }, { "10.0.17134", "1803" },
	{ "10.0.17763", "1809" }, { "10.0.18362", "1903" },
	{ "10.0.18363", "1909" }, { "10.0.19041", "2004" },
	{ "10.0.19042", "20H2" }, { "10.0.19043", "21H1" },
	{ "10.0.19044", "21H2" }, { "10.0.19045", "22H2" },
};

/* The NT version each product runs and the builds it may have. */
static const struct {
	const char	*product;
	const char	*nt;		/* "6.1" */
	unsigned	 lo, hi;	/* builds */
} products[] = {
	{ "Windows Vista",		"6.0", 6000, 6003 },
	{ "Windows Server 2008",	"6.0", 6001, 6003 },
	{ "Windows 7",			"6.1", 7600, 7601 },
	{ "Windows Server 2008 R2",	"6.1", 7600, 7601 },
	{ "Windows 8",			"6.2", 9200, 9200 },
	{ "Windows Server 2012",	"6.2", 9200, 9200 },
	{ "Windows 8.1",		"6.3", 9600, 9600 },
	{ "Windows Server 2012 R2",	"6.3", 9600, 9600 },
	{ "Windows 10",			"10.0", 10240, 19045 },
	{ "Windows Server 2016",	"10.0", 14393, 14393 },
	{ "Windows Server 2019",	"10.0", 17763, 17763 },
};

#define NPRODUCTS (sizeof(products) / sizeof(products[0]))

const char *
plan_win10_release(const char *version)
{
	size_t i;

	for (i = 0; i < sizeof(win10_builds) / sizeof(win10_builds[0]); i++)
		if (plan_version_same_build(version, win10_builds[i].build))
			return win10_builds[i].release;
	return NULL;
}

/* Splits a product name into lower-case ASCII words ('.' kept for 8.1). */
static size_t
os_words(const char *s, char words[][16], size_t max)
{
	size_t n = 0, len = 0;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (c != '\0' && c < 0x80 && (isalnum(c) || c == '.')) {
			if (len < 15)
				words[n][len++] = (char)tolower(c);
			continue;
		}
		if (len) {
			words[n][len] = '\0';
			/* "(R)", "(TM)", "Microsoft" carry nothing */
			if (strcmp(words[n], "r") && strcmp(words[n], "tm") &&
			    strcmp(words[n], "microsoft") && n + 1 < max)
				n++;
			len = 0;
		}
		if (c == '\0')
			break;
	}
	return n;
}

static int
has_word(char words[][16], size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(words[i], w) == 0)
			return 1;
	return 0;
}

static const char *
os_server(char words[][16], size_t n)
{
	int r2 = has_word(words, n, "r2");

	if (has_word(words, n, "2008"))
		return r2 ? "Windows Server 2008 R2" : "Windows Server 2008";
	if (has_word(words, n, "2011"))	/* Small Business Server 2011 */
		return "Windows Server 2008 R2";
	if (has_word(words, n, "2012"))
		return r2 ? "Windows Server 2012 R2" : "Windows Server 2012";
	if (has_word(words, n, "2016"))
		return "Windows Server 2016";
	if (has_word(words, n, "2019"))
		return "Windows Server 2019";
	return NULL;
}

static const char *
norm_os(const char *s)
{
	char words[16][16];
	size_t n = os_words(s, words, 16);

	if (n == 0)
		return NULL;
	if (has_word(words, n, "server"))
		return os_server(words, n);
	if (!has_word(words, n, "windows"))
		return NULL;
	if (has_word(words, n, "vista"))
		return "Windows Vista";
	if (has_word(words, n, "7"))
		return "Windows 7";
	if (has_word(words, n, "8.1"))
		return "Windows 8.1";
	if (has_word(words, n, "8"))
		return "Windows 8";
	if (has_word(words, n, "10"))
		return "Windows 10";
	return NULL;
}

/*
 * A fleet writes a handful of product names 100,000 times: remember the
 * last few per thread (an inventory is converted on two threads).
 */
#define OS_CACHE	16

const char *
plan_norm_os(const char *s)
{
	static _Thread_local struct {
		char		 name[64];
		const char	*product;
	} cache[OS_CACHE];
	size_t len = strlen(s), i;
	const char *p;

	i = (len * 31 + (unsigned char)s[len ? len - 1 : 0]) % OS_CACHE;
	if (len < sizeof(cache[0].name) && cache[i].product &&
	    strcmp(cache[i].name, s) == 0)
		return cache[i].product;
	p = norm_os(s);
	if (p && len < sizeof(cache[0].name)) {
		memcpy(cache[i].name, s, len + 1);
		cache[i].product = p;
	}
	return p;
}

int
plan_os_version_check(const char *product, const char *version)
{
	struct plan_version v;
	size_t i, nt;
	unsigned build;

	for (i = 0; i < NPRODUCTS; i++)
		if (strcmp(products[i].product, product) == 0)
			break;
	if (i == NPRODUCTS)
		return 0;
	nt = strlen(products[i].nt);
	build = plan_version_parse(version, &v) == 0 && v.n >= 3 ? v.f[2] : 0;
	if (strncmp(version, products[i].nt, nt) != 0 || version[nt] != '.' ||
	    build < products[i].lo || build > products[i].hi) {
		err_set("version %s is not a build of %s (%s.%u to %s.%u)",
		    version, product, products[i].nt, products[i].lo,
		    products[i].nt, products[i].hi);
		return -1;
	}
	if (strcmp(products[i].nt, "10.0") == 0 &&
	    plan_win10_release(version) == NULL) {
		err_set("version %s is not a known %s build (10240=1507, "
		    "14393=1607, 15063=1703, 16299=1709, 17134=1803, ...)",
		    version, product);
		return -1;
	}
	return 0;
}

const char *
plan_norm_arch(const char *s)
{
	static const char *const x86[] = { "x86", "32-bit", "32 bit", "i386",
	    "i686", "x86-32" };
	static const char *const x64[] = { "x64", "64-bit", "64 bit", "amd64",
	    "x86_64", "x86-64", "em64t" };
	static const char *const ia64[] = { "ia64", "ia-64", "itanium",
	    "itanium-based" };
	size_t i;

	for (i = 0; i < sizeof(x86) / sizeof(x86[0]); i++)
		if (strcasecmp(s, x86[i]) == 0)
			return "x86";
	for (i = 0; i < sizeof(x64) / sizeof(x64[0]); i++)
		if (strcasecmp(s, x64[i]) == 0)
			return "x64";
	for (i = 0; i < sizeof(ia64) / sizeof(ia64[0]); i++)
		if (strcasecmp(s, ia64[i]) == 0)
			return "ia64";
	return NULL;
}

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

/*
 * The NT version each product runs, the builds it may have and the
 * architectures it ships in (the seeds' file tables, FACTS.md): Server
 * 2008 R2 has no x86 edition, Server 2012 and later are x64 only, client
 * Windows never ran on Itanium, Windows 10 on ARM64 starts with 1709
 * (16299).  One table: plan_os_version_check() and plan_arch_check().
 */
static const struct {
	const char	*product;
	const char	*nt;		/* "6.1" */
	unsigned	 lo, hi;	/* builds */
	const char	*archs;		/* space-separated */
	unsigned	 arm64_from;	/* first build with arm64, 0: lo */
} products[] = {
	{ "Windows Vista",		"6.0", 6000, 6003, "x86 x64", 0 },
	{ "Windows Server 2008",	"6.0", 6001, 6003, "x86 x64 ia64", 0 },
	{ "Windows 7",			"6.1", 7600, 7601, "x86 x64", 0 },
	{ "Windows Server 2008 R2",	"6.1", 7600, 7601, "x64 ia64", 0 },
	{ "Windows 8",			"6.2", 9200, 9200, "x86 x64", 0 },
	{ "Windows Server 2012",	"6.2", 9200, 9200, "x64", 0 },
	{ "Windows 8.1",		"6.3", 9600, 9600, "x86 x64", 0 },
	{ "Windows Server 2012 R2",	"6.3", 9600, 9600, "x64", 0 },
	{ "Windows 10",			"10.0", 10240, 19045, "x86 x64 arm64",
	  16299 },
	/* 14393; the Catalog files Server 1709/1803 (semi-annual) as
	 * "Windows Server 2016 (1709)", "(1803)" */
	{ "Windows Server 2016",	"10.0", 14393, 17134, "x64", 0 },
	{ "Windows Server 2019",	"10.0", 17763, 17763, "x64", 0 },
	{ "Windows 11",			"10.0", 22000, 29999, "x64 arm64", 0 },
	{ "Windows Server 2022",	"10.0", 20348, 20348, "x64", 0 },
	{ "Windows Server 2025",	"10.0", 26100, 26100, "x64", 0 },
	/* semi-annual channel after 1803: 1809 to 20H2, 23H2 */
	{ "Windows Server",		"10.0", 17763, 25398, "x64", 0 },
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
	if (has_word(words, n, "2022"))
		return "Windows Server 2022";
	if (has_word(words, n, "2025"))
		return "Windows Server 2025";
	/* "Windows Server Datacenter": the semi-annual channel, no year */
	if (n <= 3 && has_word(words, n, "windows") &&
	    (has_word(words, n, "datacenter") || has_word(words, n, "standard")))
		return "Windows Server";
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
	if (has_word(words, n, "11"))
		return "Windows 11";
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
	if ((strcmp(product, "Windows 10") == 0 ||
	    strcmp(product, "Windows Server 2016") == 0) &&
	    plan_win10_release(version) == NULL) {
		err_set("version %s is not a known %s build (10240=1507, "
		    "14393=1607, 15063=1703, 16299=1709, 17134=1803, ...)",
		    version, product);
		return -1;
	}
	return 0;
}

static int
has_arch(const char *list, const char *arch)
{
	size_t n = strlen(arch);
	const char *p;

	for (p = list; (p = strstr(p, arch)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int
plan_arch_check(const char *product, const char *version, const char *arch)
{
	struct plan_version v;
	size_t i;

	for (i = 0; i < NPRODUCTS; i++)
		if (strcmp(products[i].product, product) == 0)
			break;
	if (i == NPRODUCTS || arch == NULL)
		return 0;
	if (!has_arch(products[i].archs, arch)) {
		err_set("%s has no %s edition (it ships for %s only)", product,
		    arch, products[i].archs);
		return -1;
	}
	if (strcmp(arch, "arm64") == 0 && products[i].arm64_from && version &&
	    plan_version_parse(version, &v) == 0 && v.n >= 3 &&
	    v.f[2] < products[i].arm64_from) {
		err_set("%s has no arm64 edition before build %s.%u (build %u "
		    "is x86 or x64)", product, products[i].nt,
		    products[i].arm64_from, v.f[2]);
		return -1;
	}
	return 0;
}

const char *
plan_product_for_build(const char *product, const char *version)
{
	struct plan_version v;

	if (product == NULL || plan_version_parse(version, &v) == -1 || v.n < 3)
		return product;
	/* Windows 11 keeps NT 10.0; AD may still call it Windows 10 */
	if (strcmp(product, "Windows 10") == 0 && v.f[2] >= 22000)
		return "Windows 11";
	if (strcmp(product, "Windows Server") == 0 &&
	    (v.f[2] == 16299 || v.f[2] == 17134))
		return "Windows Server 2016";
	return product;
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
	static const char *const arm64[] = { "arm64", "aarch64",
	    "arm64-based", "arm 64-bit processor" };
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
	for (i = 0; i < sizeof(arm64) / sizeof(arm64[0]); i++)
		if (strcasecmp(s, arm64[i]) == 0)
			return "arm64";
	return NULL;
}

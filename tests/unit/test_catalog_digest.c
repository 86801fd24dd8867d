/*
 * SHA-1 and SHA-256 in one pass (catalog/digest.c): the FIPS 180 example
 * digests, and both paths (SHA extensions where the CPU has them, EVP)
 * against OpenSSL's one-shot digests on every length around the block
 * and padding boundaries and on uneven updates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "catalog/update_int.h"

static void
openssl_hex(const EVP_MD *md, const unsigned char *p, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len;

	assert_true(EVP_Digest(p, n, d, &len, md, NULL));
	hex_encode(d, len, out);
}

/* Hashes p[0..n) in pieces of step bytes (0: one update). */
static void
pair_hex(int evp, const unsigned char *p, size_t n, size_t step,
    char s1[41], char s256[65])
{
	struct hashpair hp;
	size_t off, k;

	if (evp)
		hashpair_init_evp(&hp);
	else
		hashpair_init(&hp);
	for (off = 0; off < n; off += k) {
		k = step == 0 || n - off < step ? n - off : step;
		hashpair_update(&hp, p + off, k);
	}
	hashpair_final(&hp, s1, s256);
}

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = xmalloc(n ? n : 1);
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static void
test_hashpair_fips_examples(void **state)
{
	const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char s1[41], s256[65];
	int evp;

	(void)state;
	for (evp = 0; evp <= 1; evp++) {
		pair_hex(evp, (const unsigned char *)"abc", 3, 0, s1, s256);
		assert_string_equal(s1, "a9993e364706816aba3e25717850c26c9cd0d89d");
		assert_string_equal(s256, "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad");
		pair_hex(evp, (const unsigned char *)msg, strlen(msg), 0, s1,
		    s256);
		assert_string_equal(s1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
		assert_string_equal(s256, "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1");
		pair_hex(evp, (const unsigned char *)"", 0, 0, s1, s256);
		assert_string_equal(s1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
		assert_string_equal(s256, "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855");
	}
}

static void
test_hashpair_every_length_matches_openssl(void **state)
{
	unsigned char *p = pattern(300);
	char s1[41], s256[65], w1[41], w256[65];
	size_t n;
	int evp;

	(void)state;
	for (n = 0; n <= 300; n++) {
		openssl_hex(EVP_sha1(), p, n, w1);
		openssl_hex(EVP_sha256(), p, n, w256);
		for (evp = 0; evp <= 1; evp++) {
			pair_hex(evp, p, n, 0, s1, s256);
			assert_string_equal(s1, w1);
			assert_string_equal(s256, w256);
		}
	}
	free(p);
}

static void
test_hashpair_split_updates_match_openssl(void **state)
{
	static const size_t steps[] = { 1, 3, 63, 64, 65, 1000, 4096, 131072 };
	size_t n = (1 << 20) + 37, i;
	unsigned char *p = pattern(n);
	char s1[41], s256[65], w1[41], w256[65];

	(void)state;
	openssl_hex(EVP_sha1(), p, n, w1);
	openssl_hex(EVP_sha256(), p, n, w256);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		pair_hex(0, p, n, steps[i], s1, s256);
		assert_string_equal(s1, w1);
		assert_string_equal(s256, w256);
	}
	pair_hex(1, p, n, 4096, s1, s256);
	assert_string_equal(s1, w1);
	assert_string_equal(s256, w256);
	free(p);
}

static void
test_hashpair_release_unfinished(void **state)
{
	struct hashpair hp;

	(void)state;
	hashpair_init_evp(&hp);
	hashpair_update(&hp, "x", 1);
	hashpair_release(&hp);
	hashpair_init(&hp);
	hashpair_update(&hp, "x", 1);
	hashpair_release(&hp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashpair_fips_examples),
		cmocka_unit_test(test_hashpair_every_length_matches_openssl),
		cmocka_unit_test(test_hashpair_split_updates_match_openssl),
		cmocka_unit_test(test_hashpair_release_unfinished),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

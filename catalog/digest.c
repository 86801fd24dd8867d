/*
 * SHA-1 and SHA-256 of one byte stream, in one pass.
 *
 * Every package file is hashed twice (FACTS.md section 3: SHA-1 names the
 * file, SHA-256 goes in the manifest).  With the x86 SHA extensions each
 * digest alone is bound by the latency of its round instruction, not by
 * the unit's throughput, so hashing a 64-byte block for both digests in
 * the same loop runs the two dependency chains side by side: on the AMD
 * EPYC we benchmark on, one pass over 512 MB costs about what one digest
 * did, half of OpenSSL's two passes.  The rounds follow Intel's "SHA
 * Extensions" paper (Gulley et al., 2013); both digests use the same
 * block size and padding, so one buffer and one tail serve both.
 *
 * Without the extensions (or off x86-64) the digests come from OpenSSL's
 * EVP, as before.  The unit tests compare both paths with OpenSSL on
 * every length from 0 to 300 and on split updates.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "update_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t h1_init[5] = {
	0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
};
static const uint32_t h256_init[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

#ifdef HAVE_SHA_NI
static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define NI	__attribute__((target("sha,sse4.1,ssse3")))

/* SHA-1 rounds 4g..4g+3.  w[] holds four groups of message words, the
 * newest in w[(g+3)&3]; ea/eb carry E between the groups. */
#define SHA1_GROUP(g, f) do {						\
	if ((g) >= 4)							\
		w1[(g) & 3] = _mm_sha1msg2_epu32(_mm_xor_si128(		\
		    _mm_sha1msg1_epu32(w1[(g) & 3], w1[((g) + 1) & 3]),	\
		    w1[((g) + 2) & 3]), w1[((g) + 3) & 3]);		\
	if ((g) == 0)							\
		ea = _mm_add_epi32(e, w1[0]);				\
	else								\
		ea = _mm_sha1nexte_epu32(eb, w1[(g) & 3]);		\
	eb = abcd;							\
	abcd = _mm_sha1rnds4_epu32(abcd, ea, (f));			\
} while (0)

/* SHA-256 rounds 4g..4g+3, state in (s0, s1) = (ABEF, CDGH). */
#define SHA256_GROUP(g) do {						\
	if ((g) >= 4)							\
		w2[(g) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(	\
		    _mm_sha256msg1_epu32(w2[(g) & 3], w2[((g) + 1) & 3]),	\
		    _mm_alignr_epi8(w2[((g) + 3) & 3], w2[((g) + 2) & 3], 4)),	\
		    w2[((g) + 3) & 3]);					\
	m = _mm_add_epi32(w2[(g) & 3],					\
	    _mm_loadu_si128((const __m128i *)&k256[4 * (g)]));		\
	s1 = _mm_sha256rnds2_epu32(s1, s0, m);				\
	s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0e));	\
} while (0)

/* Both digests over n 64-byte blocks, the two round chains interleaved. */
NI static void
blocks_ni(uint32_t h1[5], uint32_t h256[8], const unsigned char *p,
    size_t n)
{
	const __m128i rev = _mm_set_epi64x(0x0001020304050607LL,
	    0x08090a0b0c0d0e0fLL);
	const __m128i be32 = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
	    0x0405060700010203LL);
	__m128i abcd, e, ea, eb, abcd0, e0, w1[4];
	__m128i s0, s1, s00, s10, t, m, w2[4];
	int i;

	abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h1), 0x1b);
	e = _mm_set_epi32((int)h1[4], 0, 0, 0);
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h256), 0xb1);
	s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h256 + 4)),
	    0x1b);
	s0 = _mm_alignr_epi8(t, s1, 8);
	s1 = _mm_blend_epi16(s1, t, 0xf0);
	for (; n > 0; n--, p += 64) {
		abcd0 = abcd;
		e0 = e;
		s00 = s0;
		s10 = s1;
		for (i = 0; i < 4; i++) {
			t = _mm_loadu_si128((const __m128i *)(p + 16 * i));
			w1[i] = _mm_shuffle_epi8(t, rev);
			w2[i] = _mm_shuffle_epi8(t, be32);
		}
		SHA1_GROUP(0, 0);  SHA256_GROUP(0);
		SHA1_GROUP(1, 0);  SHA256_GROUP(1);
		SHA1_GROUP(2, 0);  SHA256_GROUP(2);
		SHA1_GROUP(3, 0);  SHA256_GROUP(3);
		SHA1_GROUP(4, 0);  SHA256_GROUP(4);
		SHA1_GROUP(5, 1);  SHA256_GROUP(5);
		SHA1_GROUP(6, 1);  SHA256_GROUP(6);
		SHA1_GROUP(7, 1);  SHA256_GROUP(7);
		SHA1_GROUP(8, 1);  SHA256_GROUP(8);
		SHA1_GROUP(9, 1);  SHA256_GROUP(9);
		SHA1_GROUP(10, 2); SHA256_GROUP(10);
		SHA1_GROUP(11, 2); SHA256_GROUP(11);
		SHA1_GROUP(12, 2); SHA256_GROUP(12);
		SHA1_GROUP(13, 2); SHA256_GROUP(13);
		SHA1_GROUP(14, 2); SHA256_GROUP(14);
		SHA1_GROUP(15, 3); SHA256_GROUP(15);
		SHA1_GROUP(16, 3);
		SHA1_GROUP(17, 3);
		SHA1_GROUP(18, 3);
		SHA1_GROUP(19, 3);
		e = _mm_sha1nexte_epu32(eb, e0);
		abcd = _mm_add_epi32(abcd, abcd0);
		s0 = _mm_add_epi32(s0, s00);
		s1 = _mm_add_epi32(s1, s10);
	}
	_mm_storeu_si128((__m128i *)h1, _mm_shuffle_epi32(abcd, 0x1b));
	h1[4] = (uint32_t)_mm_extract_epi32(e, 3);
	t = _mm_shuffle_epi32(s0, 0x1b);
	s1 = _mm_shuffle_epi32(s1, 0xb1);
	_mm_storeu_si128((__m128i *)h256, _mm_blend_epi16(t, s1, 0xf0));
	_mm_storeu_si128((__m128i *)(h256 + 4), _mm_alignr_epi8(s1, t, 8));
}

/* CPUID: SSSE3 and SSE4.1 (leaf 1, ECX bits 9 and 19) and SHA (leaf 7,
 * EBX bit 29). */
static int
have_sha_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) ||
	    !(c & (1u << 19)))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif /* HAVE_SHA_NI */

#ifdef HAVE_SHA_NI
static pthread_once_t ni_once = PTHREAD_ONCE_INIT;
static int ni;

static void
ni_probe(void)
{
	ni = have_sha_ni();
}
#endif

static int
use_ni(void)
{
#ifdef HAVE_SHA_NI
	pthread_once(&ni_once, ni_probe);
	return ni;
#else
	return 0;
#endif
}

void
hashpair_init(struct hashpair *hp)
{
	if (!use_ni()) {
		hashpair_init_evp(hp);
		return;
	}
	memset(hp, 0, sizeof(*hp));
	hp->ni = 1;
	memcpy(hp->h1, h1_init, sizeof(hp->h1));
	memcpy(hp->h256, h256_init, sizeof(hp->h256));
}

void
hashpair_init_evp(struct hashpair *hp)
{
	memset(hp, 0, sizeof(*hp));
	if ((hp->c1 = EVP_MD_CTX_new()) == NULL ||
	    (hp->c256 = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(hp->c1, EVP_sha1(), NULL) ||
	    !EVP_DigestInit_ex(hp->c256, EVP_sha256(), NULL))
		xalloc_failed();	/* EVP fails here only without memory */
}

void
hashpair_release(struct hashpair *hp)
{
	EVP_MD_CTX_free(hp->c1);
	EVP_MD_CTX_free(hp->c256);
	hp->c1 = hp->c256 = NULL;
}

#ifdef HAVE_SHA_NI
static void
update_ni(struct hashpair *hp, const unsigned char *p, size_t n)
{
	size_t k;

	hp->total += n;
	if (hp->nbuf > 0) {
		k = 64 - hp->nbuf < n ? 64 - hp->nbuf : n;
		memcpy(hp->buf + hp->nbuf, p, k);
		hp->nbuf += k;
		p += k;
		n -= k;
		if (hp->nbuf < 64)
			return;
		blocks_ni(hp->h1, hp->h256, hp->buf, 1);
		hp->nbuf = 0;
	}
	if (n >= 64) {
		blocks_ni(hp->h1, hp->h256, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	memcpy(hp->buf, p, n);
	hp->nbuf = n;
}

/* The padding of both digests: 0x80, zeros, the length in bits (64-bit
 * big-endian) at the end of the last block. */
static void
final_ni(struct hashpair *hp, unsigned char md1[20], unsigned char md256[32])
{
	uint64_t bits = hp->total * 8;
	size_t n = hp->nbuf, i;

	hp->buf[n++] = 0x80;
	if (n > 56) {
		memset(hp->buf + n, 0, 64 - n);
		blocks_ni(hp->h1, hp->h256, hp->buf, 1);
		n = 0;
	}
	memset(hp->buf + n, 0, 56 - n);
	for (i = 0; i < 8; i++)
		hp->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	blocks_ni(hp->h1, hp->h256, hp->buf, 1);
	for (i = 0; i < 20; i++)
		md1[i] = (unsigned char)(hp->h1[i / 4] >> (24 - 8 * (i % 4)));
	for (i = 0; i < 32; i++)
		md256[i] = (unsigned char)(hp->h256[i / 4] >> (24 - 8 * (i % 4)));
}
#endif

void
hashpair_update(struct hashpair *hp, const void *p, size_t n)
{
#ifdef HAVE_SHA_NI
	if (hp->ni) {
		update_ni(hp, p, n);
		return;
	}
#endif
	EVP_DigestUpdate(hp->c1, p, n);
	EVP_DigestUpdate(hp->c256, p, n);
}

void
hashpair_final(struct hashpair *hp, char sha1[41], char sha256[65])
{
	unsigned char md1[EVP_MAX_MD_SIZE], md256[EVP_MAX_MD_SIZE];
	unsigned len;

#ifdef HAVE_SHA_NI
	if (hp->ni) {
		final_ni(hp, md1, md256);
		hex_encode(md1, 20, sha1);
		hex_encode(md256, 32, sha256);
		return;
	}
#endif
	EVP_DigestFinal_ex(hp->c1, md1, &len);
	hex_encode(md1, len, sha1);
	EVP_DigestFinal_ex(hp->c256, md256, &len);
	hex_encode(md256, len, sha256);
	hashpair_release(hp);
}

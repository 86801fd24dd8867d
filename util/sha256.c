/*
 * SHA-256 of a buffer (util.h), in a file of its own: tests/winsim links
 * util/ without libcrypto.
 */
#include <openssl/evp.h>

#include "util/util.h"

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	/* EVP_Digest of a built-in digest fails only without memory */
	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		xalloc_failed();
	hex_encode(md, 32, out);
}

/* Key agreement and mask expansion for secure aggregation (issue 10), simulator side, from
 * mbedTLS 2.28: ECDH P-256 (shared x-coordinate), HKDF-SHA256 (RFC 5869), the ChaCha20
 * stream and ChaCha20-Poly1305 (RFC 8439), and random bytes from CTR_DRBG over the entropy
 * pool. Nothing cryptographic is ours: argument checks and byte formats only.
 * Secrets copied here are zeroised before return. */
#include "xsmc.h"
#include <mbedtls/chacha20.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <stdint.h>
#include <string.h>

enum { PRIVATE_BYTES = 32, PUBLIC_BYTES = 65, SHARED_BYTES = 32, MAX_HKDF = 255 * 32, MAX_STREAM = 1 << 20,
	MAX_RANDOM = 1 << 16, TAG_BYTES = 16 };

static void needArgs(xsMachine* the, int count, const char* usage)
{
	if (xsmcArgc < count)
		xsTypeError("crypto: %s needs %d argument%s, got %d", usage, count, count == 1 ? "" : "s", (int)xsmcArgc);
}

static const uint8_t* bytesOf(xsMachine* the, int i, xsUnsignedValue* count)
{
	void* data;
	xsmcGetBufferReadable(xsArg(i), &data, count);
	return (const uint8_t*)data;
}

/* ecdhP256(privateKey32, peerPublic65) -> ArrayBuffer(32): the x-coordinate of d * Q. RangeError
 * for a private key outside 1..n-1 or a peer key that is not a point of P-256. */
void xs_crypto_ecdhP256(xsMachine* the)
{
	uint8_t key[PRIVATE_BYTES], peer[PUBLIC_BYTES], shared[SHARED_BYTES];
	xsUnsignedValue n;
	const uint8_t* p;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, z;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	const char* err = NULL;
	static const char label[] = "edge-peft sim ecdh blinding";
	needArgs(the, 2, "ecdhP256(privateKey, peerPublicKey)");
	p = bytesOf(the, 0, &n);
	if (n != PRIVATE_BYTES)
		xsRangeError("crypto: P-256 private key is %u bytes, got %u", PRIVATE_BYTES, (unsigned)n);
	memcpy(key, p, PRIVATE_BYTES);
	p = bytesOf(the, 1, &n);
	if (n != PUBLIC_BYTES) {
		mbedtls_platform_zeroize(key, sizeof(key));
		xsRangeError("crypto: P-256 public key is %u bytes, got %u", PUBLIC_BYTES, (unsigned)n);
	}
	memcpy(peer, p, PUBLIC_BYTES);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&d);
	mbedtls_mpi_init(&z);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
		err = "crypto: mbedTLS could not load P-256";
	else if (peer[0] != 0x04 || mbedtls_ecp_point_read_binary(&grp, &q, peer, PUBLIC_BYTES) != 0
		|| mbedtls_ecp_check_pubkey(&grp, &q) != 0)
		err = "crypto: peer P-256 public key is not a point of the curve";
	else if (mbedtls_mpi_read_binary(&d, key, PRIVATE_BYTES) != 0 || mbedtls_ecp_check_privkey(&grp, &d) != 0)
		err = "crypto: P-256 private key outside 1..n-1";
	else if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char*)label, sizeof(label) - 1) != 0)
		err = "crypto: no entropy for blinding";
	else if (mbedtls_ecdh_compute_shared(&grp, &z, &q, &d, mbedtls_ctr_drbg_random, &drbg) != 0)
		err = "crypto: mbedTLS ECDH failed";
	else if (mbedtls_mpi_write_binary(&z, shared, SHARED_BYTES) != 0)
		err = "crypto: mbedTLS could not write the shared secret";
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	mbedtls_mpi_free(&z);
	mbedtls_mpi_free(&d);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	if (err != NULL) {
		mbedtls_platform_zeroize(shared, sizeof(shared));
		xsRangeError("%s", err);
	}
	xsmcSetArrayBuffer(xsResult, shared, SHARED_BYTES);
	mbedtls_platform_zeroize(shared, sizeof(shared));
}

/* hkdfSha256(ikm, salt, info, length) -> ArrayBuffer(length), 1 <= length <= 8160. */
void xs_crypto_hkdfSha256(xsMachine* the)
{
	xsUnsignedValue ikmBytes, saltBytes, infoBytes;
	const uint8_t *ikm, *salt, *info;
	int length;
	needArgs(the, 4, "hkdfSha256(ikm, salt, info, length)");
	length = xsmcToInteger(xsArg(3));
	if (length < 1 || length > MAX_HKDF)
		xsRangeError("crypto: HKDF-SHA256 length %d outside 1..%d", length, MAX_HKDF);
	xsmcSetArrayBuffer(xsResult, NULL, (xsUnsignedValue)length);
	/* After the allocation: the argument buffers stay put until XS allocates again. */
	ikm = bytesOf(the, 0, &ikmBytes);
	salt = bytesOf(the, 1, &saltBytes);
	info = bytesOf(the, 2, &infoBytes);
	if (mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt, saltBytes, ikm, ikmBytes, info, infoBytes,
			xsmcToArrayBuffer(xsResult), (size_t)length) != 0)
		xsUnknownError("crypto: mbedTLS HKDF failed");
}

/* chacha20(key32, nonce12, counter, input) -> ArrayBuffer: input XOR the RFC 8439 keystream from
 * block `counter`; zeros in give the keystream itself (mask expansion). */
void xs_crypto_chacha20(xsMachine* the)
{
	uint8_t key[32], nonce[12];
	xsUnsignedValue n, inBytes;
	const uint8_t* p;
	double counter;
	int rc;
	needArgs(the, 4, "chacha20(key, nonce, counter, input)");
	counter = xsmcToNumber(xsArg(2));
	if (!(counter >= 0 && counter <= 4294967295.0) || counter != (double)(uint32_t)counter)
		xsRangeError("crypto: ChaCha20 counter must be a uint32");
	bytesOf(the, 3, &inBytes);
	if (inBytes > MAX_STREAM)
		xsRangeError("crypto: ChaCha20 input of %u bytes over %u", (unsigned)inBytes, (unsigned)MAX_STREAM);
	if ((double)inBytes > (4294967296.0 - counter) * 64.0)
		xsRangeError("crypto: ChaCha20 block counter would wrap");
	xsmcSetArrayBuffer(xsResult, NULL, inBytes);
	p = bytesOf(the, 0, &n);
	if (n != 32)
		xsRangeError("crypto: ChaCha20 key is 32 bytes, got %u", (unsigned)n);
	memcpy(key, p, 32);
	p = bytesOf(the, 1, &n);
	if (n != 12) {
		mbedtls_platform_zeroize(key, sizeof(key));
		xsRangeError("crypto: ChaCha20 nonce is 12 bytes, got %u", (unsigned)n);
	}
	memcpy(nonce, p, 12);
	p = bytesOf(the, 3, &inBytes);
	rc = mbedtls_chacha20_crypt(key, nonce, (uint32_t)counter, inBytes, p, xsmcToArrayBuffer(xsResult));
	mbedtls_platform_zeroize(key, sizeof(key));
	if (rc != 0)
		xsUnknownError("crypto: mbedTLS ChaCha20 failed");
}

/* randomBytes(n) -> ArrayBuffer(n), 1 <= n <= 65536: mbedTLS CTR_DRBG (AES-256) seeded from
 * mbedtls_entropy (the OS source here; a board's TRNG on hardware). Seeded per call: the
 * binding keeps no global state, and a round draws only a few hundred bytes. */
void xs_crypto_randomBytes(xsMachine* the)
{
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	static const char label[] = "edge-peft sim randomBytes";
	uint8_t* out;
	int length, done, rc = 0;
	needArgs(the, 1, "randomBytes(length)");
	length = xsmcToInteger(xsArg(0));
	if (length < 1 || length > MAX_RANDOM)
		xsRangeError("crypto: randomBytes length %d outside 1..%d", length, MAX_RANDOM);
	xsmcSetArrayBuffer(xsResult, NULL, (xsUnsignedValue)length);
	out = xsmcToArrayBuffer(xsResult);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char*)label, sizeof(label) - 1);
	/* CTR_DRBG hands out at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call. */
	for (done = 0; rc == 0 && done < length; done += MBEDTLS_CTR_DRBG_MAX_REQUEST) {
		size_t part = (size_t)(length - done) < MBEDTLS_CTR_DRBG_MAX_REQUEST ? (size_t)(length - done) : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		rc = mbedtls_ctr_drbg_random(&drbg, out + done, part);
	}
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	if (rc != 0) {
		mbedtls_platform_zeroize(out, (size_t)length);
		xsUnknownError("crypto: no entropy for randomBytes (mbedTLS -0x%04x)", (unsigned)-rc);
	}
}

/* The key and nonce of an AEAD call, checked and copied (arguments 0 and 1). */
static void aeadKeyNonce(xsMachine* the, uint8_t key[32], uint8_t nonce[12])
{
	xsUnsignedValue n;
	const uint8_t* p = bytesOf(the, 0, &n);
	if (n != 32)
		xsRangeError("crypto: ChaCha20-Poly1305 key is 32 bytes, got %u", (unsigned)n);
	memcpy(key, p, 32);
	p = bytesOf(the, 1, &n);
	if (n != 12) {
		mbedtls_platform_zeroize(key, 32);
		xsRangeError("crypto: ChaCha20-Poly1305 nonce is 12 bytes, got %u", (unsigned)n);
	}
	memcpy(nonce, p, 12);
}

/* aeadSeal(key32, nonce12, aad, plaintext) -> ArrayBuffer: ciphertext || 16-byte tag
 * (ChaCha20-Poly1305, RFC 8439, mbedTLS chachapoly). */
void xs_crypto_aeadSeal(xsMachine* the)
{
	uint8_t key[32], nonce[12];
	xsUnsignedValue aadBytes, inBytes;
	const uint8_t *aad, *in;
	uint8_t* out;
	mbedtls_chachapoly_context ctx;
	int rc;
	needArgs(the, 4, "aeadSeal(key, nonce, aad, plaintext)");
	bytesOf(the, 2, &aadBytes);
	bytesOf(the, 3, &inBytes);
	if (inBytes > MAX_STREAM || aadBytes > MAX_STREAM)
		xsRangeError("crypto: ChaCha20-Poly1305 input over %u bytes", (unsigned)MAX_STREAM);
	xsmcSetArrayBuffer(xsResult, NULL, inBytes + TAG_BYTES);
	aeadKeyNonce(the, key, nonce);
	/* After the allocation: the argument buffers stay put until XS allocates again. */
	aad = bytesOf(the, 2, &aadBytes);
	in = bytesOf(the, 3, &inBytes);
	out = xsmcToArrayBuffer(xsResult);
	mbedtls_chachapoly_init(&ctx);
	rc = mbedtls_chachapoly_setkey(&ctx, key);
	if (rc == 0)
		rc = mbedtls_chachapoly_encrypt_and_tag(&ctx, inBytes, nonce, aad, aadBytes, in, out, out + inBytes);
	mbedtls_chachapoly_free(&ctx);
	mbedtls_platform_zeroize(key, sizeof(key));
	if (rc != 0)
		xsUnknownError("crypto: mbedTLS ChaCha20-Poly1305 failed (-0x%04x)", (unsigned)-rc);
}

/* aeadOpen(key32, nonce12, aad, sealed) -> ArrayBuffer (the plaintext), or undefined when the tag
 * does not verify (a forged or damaged ciphertext is an answer, not an error; wrong lengths are). */
void xs_crypto_aeadOpen(xsMachine* the)
{
	uint8_t key[32], nonce[12];
	xsUnsignedValue aadBytes, inBytes;
	const uint8_t *aad, *in;
	uint8_t* out;
	mbedtls_chachapoly_context ctx;
	int rc;
	needArgs(the, 4, "aeadOpen(key, nonce, aad, sealed)");
	bytesOf(the, 2, &aadBytes);
	bytesOf(the, 3, &inBytes);
	if (inBytes < TAG_BYTES)
		xsRangeError("crypto: ChaCha20-Poly1305 sealed input is at least %u bytes, got %u", (unsigned)TAG_BYTES, (unsigned)inBytes);
	if (inBytes > MAX_STREAM + TAG_BYTES || aadBytes > MAX_STREAM)
		xsRangeError("crypto: ChaCha20-Poly1305 input over %u bytes", (unsigned)MAX_STREAM);
	xsmcSetArrayBuffer(xsResult, NULL, inBytes - TAG_BYTES);
	aeadKeyNonce(the, key, nonce);
	aad = bytesOf(the, 2, &aadBytes);
	in = bytesOf(the, 3, &inBytes);
	out = xsmcToArrayBuffer(xsResult);
	mbedtls_chachapoly_init(&ctx);
	rc = mbedtls_chachapoly_setkey(&ctx, key);
	if (rc == 0)
		rc = mbedtls_chachapoly_auth_decrypt(&ctx, inBytes - TAG_BYTES, nonce, aad, aadBytes, in + inBytes - TAG_BYTES, in, out);
	mbedtls_chachapoly_free(&ctx);
	mbedtls_platform_zeroize(key, sizeof(key));
	if (rc == MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED) {
		mbedtls_platform_zeroize(out, inBytes - TAG_BYTES);
		xsmcSetUndefined(xsResult);
	}
	else if (rc != 0)
		xsUnknownError("crypto: mbedTLS ChaCha20-Poly1305 failed (-0x%04x)", (unsigned)-rc);
}

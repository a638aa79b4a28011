/* Key agreement and mask expansion for secure aggregation (issue 10), simulator side, from
 * mbedTLS 2.28: ECDH P-256 (shared x-coordinate), HKDF-SHA256 (RFC 5869) and the ChaCha20
 * stream (RFC 8439). Nothing cryptographic is ours: argument checks and byte formats only.
 * Secrets copied here are zeroised before return. */
#include "xsmc.h"
#include <mbedtls/chacha20.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/entropy.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <stdint.h>
#include <string.h>

enum { PRIVATE_BYTES = 32, PUBLIC_BYTES = 65, SHARED_BYTES = 32, MAX_HKDF = 255 * 32, MAX_STREAM = 1 << 20 };

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

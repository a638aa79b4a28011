/* xsmc body of the crypto face (native/xs/crypto/crypto.ts) in the simulator: SHA-256 and
 * ECDSA P-256 from mbedTLS 2.28 (the library ESP-IDF and nRF Connect ship); nothing here is
 * cryptography of our own, only argument checks and byte formats:
 *   public key 65 bytes SEC1 uncompressed, private key 32 bytes, signature 64 bytes r || s,
 *   digest 32 bytes.
 * Wrong lengths throw RangeError before mbedTLS sees the bytes. mbedTLS keeps bignums on the C
 * heap (the Debian build's calloc); every secret it held is zeroised by mbedtls_mpi_free, and
 * our own copies by mbedtls_platform_zeroize. */
#include "xsmc.h"
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <stdint.h>
#include <string.h>

enum { DIGEST_BYTES = 32, PRIVATE_BYTES = 32, PUBLIC_BYTES = 65, SIGNATURE_BYTES = 64 };

/* One streaming hash: the context lives in the object's host chunk (no pointers inside, so XS
 * may move it when it compacts the chunk heap). */
typedef struct {
	mbedtls_sha256_context ctx;
	int done;
} Sha256State;

/* Argument count first: Moddable release builds do not bounds check xsArg. */
static void needArgs(xsMachine* the, int count, const char* usage)
{
	if (xsmcArgc < count)
		xsTypeError("crypto: %s needs %d argument%s, got %d", usage, count, count == 1 ? "" : "s",
			(int)xsmcArgc);
}

/* The bytes of argument i, which must be exactly `size` long. Valid until XS next allocates. */
static const uint8_t* exactBytes(xsMachine* the, int i, xsUnsignedValue size, const char* what)
{
	void* data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(xsArg(i), &data, &count);
	if (count != size)
		xsRangeError("crypto: %s is %u bytes, got %u", what, (unsigned)size, (unsigned)count);
	return (const uint8_t*)data;
}

/* Chunk data is freed by the collector with the object; the context owns nothing else. */
void xs_crypto_sha256_destructor(void* data)
{
}

static Sha256State* sha256Of(xsMachine* the)
{
	Sha256State* s = xsmcGetHostChunk(xsThis);
	if (s == NULL)
		xsUnknownError("sha256: not started");
	if (s->done)
		xsUnknownError("sha256: digest already taken");
	return s;
}

/* new Sha256() */
void xs_crypto_sha256(xsMachine* the)
{
	Sha256State s;
	memset(&s, 0, sizeof(s));
	mbedtls_sha256_init(&s.ctx);
	if (mbedtls_sha256_starts_ret(&s.ctx, 0) != 0)
		xsUnknownError("sha256: mbedTLS could not start");
	xsmcSetHostChunk(xsThis, &s, sizeof(s));
}

/* update(bytes): any readable buffer, any length (0 included) */
void xs_crypto_sha256_update(xsMachine* the)
{
	void* data;
	xsUnsignedValue count;
	Sha256State* s;
	needArgs(the, 1, "update(bytes)");
	xsmcGetBufferReadable(xsArg(0), &data, &count);
	s = sha256Of(the); /* after the buffer: neither call allocates, so both stay valid */
	if (mbedtls_sha256_update_ret(&s->ctx, data, count) != 0)
		xsUnknownError("sha256: mbedTLS update failed");
}

/* digest() -> ArrayBuffer(32); the object is spent afterwards */
void xs_crypto_sha256_digest(xsMachine* the)
{
	Sha256State* s;
	sha256Of(the);
	xsmcSetArrayBuffer(xsResult, NULL, DIGEST_BYTES);
	s = sha256Of(the); /* again: the allocation may have moved the chunk */
	s->done = 1;
	if (mbedtls_sha256_finish_ret(&s->ctx, xsmcToArrayBuffer(xsResult)) != 0)
		xsUnknownError("sha256: mbedTLS finish failed");
	mbedtls_sha256_free(&s->ctx);
}

/* Everything one P-256 operation needs; init / free in one place so no path leaks a secret. */
typedef struct {
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi d, r, s;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	int rng;
} P256;

static void p256Init(P256* p)
{
	mbedtls_ecp_group_init(&p->grp);
	mbedtls_ecp_point_init(&p->q);
	mbedtls_mpi_init(&p->d);
	mbedtls_mpi_init(&p->r);
	mbedtls_mpi_init(&p->s);
	p->rng = 0;
}

static void p256Free(P256* p)
{
	if (p->rng) {
		mbedtls_ctr_drbg_free(&p->drbg);
		mbedtls_entropy_free(&p->entropy);
	}
	mbedtls_mpi_free(&p->s);
	mbedtls_mpi_free(&p->r);
	mbedtls_mpi_free(&p->d); /* zeroises the private scalar */
	mbedtls_ecp_point_free(&p->q);
	mbedtls_ecp_group_free(&p->grp);
}

/* A host RNG for mbedTLS's side-channel blinding only: RFC 6979 fixes k, so the signature and
 * the public key do not depend on these bytes. */
static int p256Rng(P256* p)
{
	static const char label[] = "edge-peft sim blinding";
	mbedtls_entropy_init(&p->entropy);
	mbedtls_ctr_drbg_init(&p->drbg);
	p->rng = 1;
	return mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
		(const unsigned char*)label, sizeof(label) - 1);
}

/* Loads the curve and the private scalar (1 <= d < n) from argument 0; message on failure. */
static const char* p256LoadPrivate(xsMachine* the, P256* p)
{
	uint8_t key[PRIVATE_BYTES];
	const char* err = NULL;
	memcpy(key, exactBytes(the, 0, PRIVATE_BYTES, "P-256 private key"), PRIVATE_BYTES);
	if (mbedtls_ecp_group_load(&p->grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
		err = "crypto: mbedTLS could not load P-256";
	else if (mbedtls_mpi_read_binary(&p->d, key, PRIVATE_BYTES) != 0)
		err = "crypto: mbedTLS could not read the private key";
	else if (mbedtls_ecp_check_privkey(&p->grp, &p->d) != 0)
		err = "crypto: P-256 private key outside 1..n-1";
	else if (p256Rng(p) != 0)
		err = "crypto: no entropy for blinding";
	mbedtls_platform_zeroize(key, sizeof(key));
	return err;
}

/* verifyP256(publicKey65, digest32, signature64) -> boolean. False for any signature mbedTLS
 * refuses; RangeError for a key that is not a point of P-256. */
void xs_crypto_verifyP256(xsMachine* the)
{
	uint8_t pub[PUBLIC_BYTES], digest[DIGEST_BYTES], sig[SIGNATURE_BYTES];
	P256 p;
	const char* err = NULL;
	int ok = 0;
	needArgs(the, 3, "verifyP256(publicKey, digest, signature)");
	/* Copied: mbedTLS works on its own memory, and XS may move ArrayBuffers. */
	memcpy(pub, exactBytes(the, 0, PUBLIC_BYTES, "P-256 public key"), PUBLIC_BYTES);
	memcpy(digest, exactBytes(the, 1, DIGEST_BYTES, "digest"), DIGEST_BYTES);
	memcpy(sig, exactBytes(the, 2, SIGNATURE_BYTES, "signature"), SIGNATURE_BYTES);
	p256Init(&p);
	if (pub[0] != 0x04)
		err = "crypto: P-256 public key must be uncompressed SEC1 (first byte 0x04)";
	else if (mbedtls_ecp_group_load(&p.grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
		err = "crypto: mbedTLS could not load P-256";
	else if (mbedtls_ecp_point_read_binary(&p.grp, &p.q, pub, PUBLIC_BYTES) != 0
		|| mbedtls_ecp_check_pubkey(&p.grp, &p.q) != 0)
		err = "crypto: P-256 public key is not a point of the curve";
	else if (mbedtls_mpi_read_binary(&p.r, sig, 32) != 0 || mbedtls_mpi_read_binary(&p.s, sig + 32, 32) != 0)
		err = "crypto: mbedTLS could not read the signature";
	else
		/* r, s outside 1..n-1 and a wrong signature both return MBEDTLS_ERR_ECP_VERIFY_FAILED. */
		ok = mbedtls_ecdsa_verify(&p.grp, digest, DIGEST_BYTES, &p.q, &p.r, &p.s) == 0;
	p256Free(&p);
	if (err != NULL)
		xsRangeError("%s", err);
	xsmcSetBoolean(xsResult, ok);
}

/* signP256(privateKey32, digest32) -> ArrayBuffer(64): deterministic ECDSA (RFC 6979, HMAC-SHA-256). */
void xs_crypto_signP256(xsMachine* the)
{
	uint8_t digest[DIGEST_BYTES], sig[SIGNATURE_BYTES];
	P256 p;
	const char* err;
	needArgs(the, 2, "signP256(privateKey, digest)");
	memcpy(digest, exactBytes(the, 1, DIGEST_BYTES, "digest"), DIGEST_BYTES);
	p256Init(&p);
	err = p256LoadPrivate(the, &p);
	if (err == NULL && mbedtls_ecdsa_sign_det_ext(&p.grp, &p.r, &p.s, &p.d, digest, DIGEST_BYTES,
			MBEDTLS_MD_SHA256, mbedtls_ctr_drbg_random, &p.drbg) != 0)
		err = "crypto: mbedTLS signing failed";
	if (err == NULL && (mbedtls_mpi_write_binary(&p.r, sig, 32) != 0
			|| mbedtls_mpi_write_binary(&p.s, sig + 32, 32) != 0))
		err = "crypto: mbedTLS could not write the signature";
	p256Free(&p);
	if (err != NULL)
		xsRangeError("%s", err);
	xsmcSetArrayBuffer(xsResult, sig, SIGNATURE_BYTES);
}

/* publicKeyP256(privateKey32) -> ArrayBuffer(65), SEC1 uncompressed */
void xs_crypto_publicKeyP256(xsMachine* the)
{
	uint8_t pub[PUBLIC_BYTES];
	size_t written = 0;
	P256 p;
	const char* err;
	needArgs(the, 1, "publicKeyP256(privateKey)");
	p256Init(&p);
	err = p256LoadPrivate(the, &p);
	if (err == NULL && mbedtls_ecp_mul(&p.grp, &p.q, &p.d, &p.grp.G, mbedtls_ctr_drbg_random, &p.drbg) != 0)
		err = "crypto: mbedTLS point multiplication failed";
	if (err == NULL && (mbedtls_ecp_point_write_binary(&p.grp, &p.q, MBEDTLS_ECP_PF_UNCOMPRESSED,
			&written, pub, sizeof(pub)) != 0 || written != PUBLIC_BYTES))
		err = "crypto: mbedTLS could not write the public key";
	p256Free(&p);
	if (err != NULL)
		xsRangeError("%s", err);
	xsmcSetArrayBuffer(xsResult, pub, PUBLIC_BYTES);
}

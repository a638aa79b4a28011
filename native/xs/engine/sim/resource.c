/* Simulator stand-in for Moddable's Resource: a file's bytes as a read-only host buffer outside
 * the XS heap, the way a board's Resource maps flash. The engine face needs such a buffer for
 * the model (it must not move); typed arrays can view it without copying it into the heap.
 * On boards Moddable's own Resource is used instead (this folder is simulator-only). */
#include "xsmc.h"
#include "../engine_state.h"
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
	uint32_t size;
	uint8_t bytes[];
} SimResource;

void xs_sim_resource_destructor(void* data)
{
	/* host buffers hand the destructor their data pointer */
	if (data != NULL)
		free((uint8_t*)data - offsetof(SimResource, bytes));
}

/* new SimResource(path): the whole file (read once, like flashing it). */
void xs_sim_resource(xsMachine* the)
{
	char path[512];
	FILE* f;
	long size;
	SimResource* r;
	if (xsmcArgc < 1)
		xsTypeError("resource: new SimResource(path) needs a path");
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	f = fopen(path, "rb");
	if (f == NULL)
		xsUnknownError("resource: cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		xsUnknownError("resource: cannot size %s", path);
	}
	r = malloc(sizeof(SimResource) + (size_t)size + 1);
	if (r == NULL) {
		fclose(f);
		xsUnknownError("resource: no memory for %s", path);
	}
	r->size = (uint32_t)size;
	if (fread(r->bytes, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(r);
		xsUnknownError("resource: cannot read %s", path);
	}
	fclose(f);
	xsmcSetHostBuffer(xsThis, r->bytes, (xsIntegerValue)size);
	xsmcPetrifyHostBuffer(xsThis);
}

void xs_sim_resource_byteLength(xsMachine* the)
{
	xsmcSetInteger(xsResult, xsmcGetHostBufferLength(xsThis));
}

/* The model identity for sessions opened without one (engine_state.h): the bytes' SHA-256 by
 * mbedTLS, as `edge-peft` hashes a model file. */
int epxModelSha256(const void* data, size_t size, uint8_t out[32])
{
#if defined(MBEDTLS_VERSION_MAJOR) && MBEDTLS_VERSION_MAJOR >= 3
	return mbedtls_sha256(data, size, out, 0) == 0;
#else
	return mbedtls_sha256_ret(data, size, out, 0) == 0;
#endif
}

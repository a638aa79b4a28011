/* Bare-metal body of SimResource (native/xs/engine/sim/resource.c is the desktop one): a file
 * linked into the image (native/bare/bare_files.h) as a read-only host buffer over flash, no
 * copy, the way a board's Resource maps flash. Looked up by the same path the desktop reads. */
#include "xsmc.h"
#include "bare_files.h"
#include "../engine_state.h"
#include <string.h>

void xs_sim_resource_destructor(void* data)
{
	/* the bytes are in flash: nothing to free */
}

/* new SimResource(path) */
void xs_sim_resource(xsMachine* the)
{
	char path[256];
	const BareFile* file;
	if (xsmcArgc < 1)
		xsTypeError("resource: new SimResource(path) needs a path");
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	file = bareFindFile(path);
	if (file == NULL)
		xsUnknownError("resource: %s is not in the image", path);
	xsmcSetHostBuffer(xsThis, (void*)file->bytes, (xsIntegerValue)file->size);
	xsmcPetrifyHostBuffer(xsThis);
}

void xs_sim_resource_byteLength(xsMachine* the)
{
	xsmcSetInteger(xsResult, xsmcGetHostBufferLength(xsThis));
}

/* The model identity for sessions opened without one (engine_state.h): the SHA-256 embed.py
 * computed when the image was built, found by the bytes' address (the image links no hash
 * library; the bytes are in flash, fixed with it). */
int epxModelSha256(const void* data, size_t size, uint8_t out[32])
{
	const BareFile* file;
	for (file = bareFiles; file->name; file++) {
		if (file->bytes == data && file->size == size) {
			memcpy(out, file->sha256, 32);
			return 1;
		}
	}
	return 0;
}

/* Module lookup and loading for the bare-metal host: ES modules are source texts linked into the
 * image (bare_files.h), parsed at boot from flash by XS's parser. Names are absolute paths, so
 * relative specifiers resolve (and normalise) exactly as in the simulator (native/sim). */
#include "sim_internal.h"
#include "bare_files.h"

#define BARE_PATH_MAX 256

static const BareFile* bareFindModuleFile(char* path, size_t size)
{
	const BareFile* file = bareFindFile(path);
	size_t n = strlen(path);
	if (file)
		return file;
	/* Moddable names modules without ".js"; accept that spelling too */
	if (n + 4 > size)
		return NULL;
	memcpy(path + n, ".js", 4);
	return bareFindFile(path);
}

txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	char name[BARE_PATH_MAX];
	char path[2 * BARE_PATH_MAX + 8];
	fxToStringBuffer(the, slot, name, sizeof(name));
	if (!simResolveSpecifier(the, moduleID, name, path, sizeof(path)))
		return XS_NO_ID;	/* bare names: no built-in modules */
	if (!bareFindModuleFile(path, sizeof(path)))
		return XS_NO_ID;
	{
		/* a module's name is a key a board's preloaded build holds in flash */
		long start = simKeysLoadBegin(the);
		txID id = fxNewNameC(the, path);
		simKeysLoadEnd(the, start);
		return id;
	}
}

typedef struct {
	const uint8_t* next;
	const uint8_t* end;
} BareStream;

static int bareGetByte(void* data)
{
	BareStream* stream = data;
	return (stream->next < stream->end) ? *stream->next++ : C_EOF;
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	const char* name = fxGetKeyName(the, moduleID);
	const BareFile* file = name ? bareFindFile(name) : NULL;
	BareStream stream;
	if (!file)
		mxReferenceError("module \"%s\" not in the image", name ? name : "?");
	stream.next = file->bytes;
	stream.end = file->bytes + file->size;
	simParseModule(the, module, moduleID, name, &stream, bareGetByte, NULL);
}

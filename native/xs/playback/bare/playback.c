/* Bare-metal body of the EPR1 playback face (native/xs/playback/playback.c reads a file on the
 * desktop): the recording is a file linked into the image (native/bare/bare_files.h), read in
 * place from flash. Same header checks, same errors, same frames. docs/formats.md. */
#include "xsmc.h"
#include "bare_files.h"
#include <stdint.h>
#include <string.h>

/* xsAPI.c: the host chunk, or NULL when the instance has none yet (not in xsmc.h) */
extern void* fxGetHostChunkIf(xsMachine* the, xsSlot* slot);

typedef struct {
	const uint8_t* frames;   /* first frame, in flash */
	uint32_t channels;
	uint32_t sampleBytes;
	uint32_t rateHz;
	uint32_t frameCount;
	uint32_t sampleType;
} Playback;

void xs_playback_destructor(void* data)
{
	/* host chunk: XS frees it */
}

static uint32_t readLE(const uint8_t* p, int bytes)
{
	uint32_t value = 0;
	while (bytes--)
		value = (value << 8) | p[bytes];
	return value;
}

static Playback* playbackOf(xsMachine* the)
{
	Playback* playback = fxGetHostChunkIf(the, &xsThis);
	if (!playback || !playback->frames)
		xsUnknownError("playback: closed");
	return playback;
}

/* xs_playback_open(path): validates the header and that the file holds every frame */
void xs_playback_open(xsMachine* the)
{
	static const uint32_t sampleBytes[5] = { 0, 1, 2, 1, 4 };
	char path[256];
	const BareFile* file;
	const uint8_t* header;
	Playback record;
	if (fxGetHostChunkIf(the, &xsThis))
		xsUnknownError("playback: already open");
	if (xsmcArgc < 1)
		xsTypeError("playback: open(path) needs a path");
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	file = bareFindFile(path);
	if (!file)
		xsUnknownError("playback: cannot open %s", path);
	header = file->bytes;
	if (file->size < 16 || memcmp(header, "EPR1", 4))
		xsUnknownError("playback: %s is not an EPR1 recording", path);
	record.channels = readLE(header + 4, 2);
	record.sampleType = readLE(header + 6, 2);
	record.rateHz = readLE(header + 8, 4);
	record.frameCount = readLE(header + 12, 4);
	record.sampleBytes = (record.sampleType >= 1 && record.sampleType <= 4)
		? sampleBytes[record.sampleType] : 0;
	if (!record.channels || !record.sampleBytes || !record.rateHz)
		xsUnknownError("playback: %s: bad header (channels %u, type %u, rate %u)", path,
			(unsigned)record.channels, (unsigned)record.sampleType, (unsigned)record.rateHz);
	if ((uint64_t)file->size < 16 + (uint64_t)record.frameCount * record.channels * record.sampleBytes)
		xsUnknownError("playback: %s is truncated", path);
	record.frames = header + 16;
	xsmcSetHostChunk(xsThis, &record, sizeof(record));
}

/* xs_playback_info() -> [channels, sampleType, rateHz, frameCount] */
void xs_playback_info(xsMachine* the)
{
	Playback* playback = playbackOf(the);
	uint32_t info[4];
	int i;
	info[0] = playback->channels;
	info[1] = playback->sampleType;
	info[2] = playback->rateHz;
	info[3] = playback->frameCount;
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 4);
	for (i = 0; i < 4; i++) {
		xsmcSetNumber(xsVar(0), (double)info[i]);
		xsmcSetIndex(xsResult, i, xsVar(0));
	}
}

/* xs_playback_read(first, count) -> ArrayBuffer of the frames [first, first + count), cut at
 * the end of the recording */
void xs_playback_read(xsMachine* the)
{
	Playback* playback = playbackOf(the);
	Playback copy;
	double first, count;
	uint32_t frameBytes, frames;
	if (xsmcArgc < 2)
		xsTypeError("playback: read(first, count) needs 2 arguments, got %d", (int)xsmcArgc);
	first = xsmcToNumber(xsArg(0));
	count = xsmcToNumber(xsArg(1));
	copy = *playback;   /* the host chunk may move when XS allocates */
	frameBytes = copy.channels * copy.sampleBytes;
	if (!(first >= 0 && first <= copy.frameCount) || first != (double)(uint32_t)first
		|| !(count >= 0 && count <= 0x7FFFFFFF) || count != (double)(uint32_t)count)
		xsRangeError("playback: frames %g+%g outside the recording", first, count);
	frames = (uint32_t)count;
	if (frames > copy.frameCount - (uint32_t)first)
		frames = copy.frameCount - (uint32_t)first;
	if ((uint64_t)frames * frameBytes > 0x7FFFFFFF)
		xsRangeError("playback: read too large");
	xsmcSetArrayBuffer(xsResult, (void*)(copy.frames + (uint32_t)first * frameBytes),
		frames * frameBytes);
}

void xs_playback_close(xsMachine* the)
{
	Playback* playback = fxGetHostChunkIf(the, &xsThis);
	if (playback)
		playback->frames = NULL;
}

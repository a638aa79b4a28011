/* Bare-metal body of the EPR1 playback face (native/xs/playback/playback.c reads a file on the
 * desktop): the recording is a file linked into the image (native/bare/bare_files.h), read in
 * place from flash. Same header checks, same errors, same frames. docs/formats.md. */
#include "xsmc.h"
#include "bare_files.h"
#include "../epr1_header.h"
#include <stdint.h>
#include <string.h>

/* xsAPI.c: the host chunk, or NULL when the instance has none yet (not in xsmc.h) */
extern void* fxGetHostChunkIf(xsMachine* the, xsSlot* slot);

typedef struct {
	const uint8_t* frames;   /* first frame, in flash */
	Epr1Header h;
} Playback;

void xs_playback_destructor(void* data)
{
	/* host chunk: XS frees it */
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
	char path[256];
	const BareFile* file;
	Playback record;
	Epr1Status status;
	if (fxGetHostChunkIf(the, &xsThis))
		xsUnknownError("playback: already open");
	if (xsmcArgc < 1)
		xsTypeError("playback: open(path) needs a path");
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	file = bareFindFile(path);
	if (!file)
		xsUnknownError("playback: cannot open %s", path);
	status = epr1Parse(file->bytes, file->size, &record.h);
	if (status == EPR1_NOT_EPR1)
		xsUnknownError("playback: %s is not an EPR1 recording", path);
	if (status == EPR1_BAD_HEADER)
		xsUnknownError("playback: %s: bad header (channels %u, type %u, rate %u)", path,
			(unsigned)record.h.channels, (unsigned)record.h.sampleType, (unsigned)record.h.rateHz);
	if ((uint64_t)file->size < epr1Bytes(&record.h))
		xsUnknownError("playback: %s is truncated", path);
	record.frames = file->bytes + EPR1_HEADER_BYTES;
	xsmcSetHostChunk(xsThis, &record, sizeof(record));
}

/* xs_playback_info() -> [channels, sampleType, rateHz, frameCount] */
void xs_playback_info(xsMachine* the)
{
	Playback* playback = playbackOf(the);
	uint32_t info[4];
	int i;
	info[0] = playback->h.channels;
	info[1] = playback->h.sampleType;
	info[2] = playback->h.rateHz;
	info[3] = playback->h.frameCount;
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
	frameBytes = copy.h.channels * copy.h.sampleBytes;
	if (!(first >= 0 && first <= copy.h.frameCount) || first != (double)(uint32_t)first
		|| !(count >= 0 && count <= 0x7FFFFFFF) || count != (double)(uint32_t)count)
		xsRangeError("playback: frames %g+%g outside the recording", first, count);
	frames = (uint32_t)count;
	if (frames > copy.h.frameCount - (uint32_t)first)
		frames = copy.h.frameCount - (uint32_t)first;
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

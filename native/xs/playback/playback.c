/* Reader of EPR1 sensor recordings (docs/formats.md): a 16-byte little-endian header, then
 * frameCount frames of `channels` interleaved samples. Simulator/desktop only: it reads a file. */
#include "xsmc.h"
#include "epr1_header.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	FILE* file;
	Epr1Header h;
} Playback;

void xs_playback_destructor(void* data)
{
	Playback* playback = data;
	if (playback) {
		if (playback->file)
			fclose(playback->file);
		free(playback);
	}
}

static Playback* playbackOf(xsMachine* the)
{
	Playback* playback = xsmcGetHostData(xsThis);
	if (!playback)
		xsUnknownError("playback: closed");
	return playback;
}

/* xs_playback_open(path): validates the header and that the file holds every frame */
void xs_playback_open(xsMachine* the)
{
	char path[1024];
	uint8_t header[EPR1_HEADER_BYTES];
	Playback record = { NULL, { 0, 0, 0, 0, 0 } };
	Playback* playback;
	Epr1Status status;
	long size;
	if (xsmcGetHostData(xsThis))
		xsUnknownError("playback: already open");
	if (xsmcArgc < 1)
		xsTypeError("playback: open(path) needs a path");
	xsmcToStringBuffer(xsArg(0), path, sizeof(path));
	record.file = fopen(path, "rb");
	if (!record.file)
		xsUnknownError("playback: cannot open %s", path);
	status = epr1Parse(header, fread(header, 1, sizeof(header), record.file), &record.h);
	if (status == EPR1_NOT_EPR1) {
		fclose(record.file);
		xsUnknownError("playback: %s is not an EPR1 recording", path);
	}
	if (status == EPR1_BAD_HEADER) {
		fclose(record.file);
		xsUnknownError("playback: %s: bad header (channels %u, type %u, rate %u)", path,
			(unsigned)record.h.channels, (unsigned)record.h.sampleType, (unsigned)record.h.rateHz);
	}
	if (fseek(record.file, 0, SEEK_END) != 0 || (size = ftell(record.file)) < 0
		|| (uint64_t)size < epr1Bytes(&record.h)) {
		fclose(record.file);
		xsUnknownError("playback: %s is truncated", path);
	}
	playback = malloc(sizeof(Playback));
	if (!playback) {
		fclose(record.file);
		xsUnknownError("playback: no memory");
	}
	*playback = record;
	xsmcSetHostData(xsThis, playback);
}

/* xs_playback_info() -> [channels, sampleType, rateHz, frameCount] */
void xs_playback_info(xsMachine* the)
{
	Playback* playback = playbackOf(the);
	xsmcVars(1);
	xsmcSetNewArray(xsResult, 4);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)playback->h.channels);
	xsmcSetIndex(xsResult, 0, xsVar(0));
	xsmcSetInteger(xsVar(0), (xsIntegerValue)playback->h.sampleType);
	xsmcSetIndex(xsResult, 1, xsVar(0));
	xsmcSetNumber(xsVar(0), (double)playback->h.rateHz);
	xsmcSetIndex(xsResult, 2, xsVar(0));
	xsmcSetNumber(xsVar(0), (double)playback->h.frameCount);
	xsmcSetIndex(xsResult, 3, xsVar(0));
}

/* xs_playback_read(first, count) -> ArrayBuffer of the frames [first, first + count), cut at
 * the end of the recording */
void xs_playback_read(xsMachine* the)
{
	Playback* playback = playbackOf(the);
	double first, count;
	uint32_t frameBytes = playback->h.channels * playback->h.sampleBytes;
	uint32_t frames;
	/* argc first: release builds do not bounds check xsArg */
	if (xsmcArgc < 2)
		xsTypeError("playback: read(first, count) needs 2 arguments, got %d", (int)xsmcArgc);
	first = xsmcToNumber(xsArg(0));
	count = xsmcToNumber(xsArg(1));
	if (!(first >= 0 && first <= playback->h.frameCount) || first != (double)(uint32_t)first
		|| !(count >= 0 && count <= 0x7FFFFFFF) || count != (double)(uint32_t)count)
		xsRangeError("playback: frames %g+%g outside the recording", first, count);
	frames = (uint32_t)count;
	if (frames > playback->h.frameCount - (uint32_t)first)
		frames = playback->h.frameCount - (uint32_t)first;
	if ((uint64_t)frames * frameBytes > 0x7FFFFFFF)
		xsRangeError("playback: read too large");
	xsmcSetArrayBuffer(xsResult, NULL, frames * frameBytes);
	if (frames) {
		long offset = 16 + (long)first * (long)frameBytes;
		if (fseek(playback->file, offset, SEEK_SET) != 0
			|| fread(xsmcToArrayBuffer(xsResult), frameBytes, frames, playback->file) != frames)
			xsUnknownError("playback: read failed");
	}
}

void xs_playback_close(xsMachine* the)
{
	Playback* playback = xsmcGetHostData(xsThis);
	if (playback) {
		xsmcSetHostData(xsThis, NULL);
		xs_playback_destructor(playback);
	}
}

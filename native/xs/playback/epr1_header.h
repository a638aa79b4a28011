/* The EPR1 recording header (docs/formats.md), read the same way by the desktop body
 * (playback.c, from a file) and the bare-metal one (bare/playback.c, in place from flash):
 * 16 bytes, little-endian: "EPR1", u16 channels, u16 sample type (1 int8, 2 int16, 3 uint8,
 * 4 float32), u32 rate in Hz, u32 frame count; the frames follow. */
#ifndef EPR1_HEADER_H
#define EPR1_HEADER_H

#include <stdint.h>
#include <string.h>

#define EPR1_HEADER_BYTES 16

typedef struct {
	uint32_t channels;
	uint32_t sampleType;
	uint32_t sampleBytes;
	uint32_t rateHz;
	uint32_t frameCount;
} Epr1Header;

typedef enum { EPR1_OK, EPR1_NOT_EPR1, EPR1_BAD_HEADER } Epr1Status;

static inline uint32_t epr1ReadLE(const uint8_t* p, int bytes)
{
	uint32_t value = 0;
	while (bytes--)
		value = (value << 8) | p[bytes];
	return value;
}

/* Parses the first `size` bytes of a recording (only the header is read). */
static inline Epr1Status epr1Parse(const uint8_t* bytes, uint64_t size, Epr1Header* out)
{
	static const uint32_t sampleBytes[5] = { 0, 1, 2, 1, 4 };
	if (size < EPR1_HEADER_BYTES || memcmp(bytes, "EPR1", 4))
		return EPR1_NOT_EPR1;
	out->channels = epr1ReadLE(bytes + 4, 2);
	out->sampleType = epr1ReadLE(bytes + 6, 2);
	out->rateHz = epr1ReadLE(bytes + 8, 4);
	out->frameCount = epr1ReadLE(bytes + 12, 4);
	out->sampleBytes = (out->sampleType >= 1 && out->sampleType <= 4) ? sampleBytes[out->sampleType] : 0;
	if (!out->channels || !out->sampleBytes || !out->rateHz)
		return EPR1_BAD_HEADER;
	return EPR1_OK;
}

/* Bytes a recording with this header needs: header + every frame. */
static inline uint64_t epr1Bytes(const Epr1Header* h)
{
	return EPR1_HEADER_BYTES + (uint64_t)h->frameCount * h->channels * h->sampleBytes;
}

#endif

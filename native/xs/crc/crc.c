/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) over an ArrayBuffer or byte view.
 * xs_crc32(data, previous = 0) -> uint32, chainable like zlib: crc32(b, crc32(a)) == crc32(a + b) */
#include "xsmc.h"
#include <stdint.h>

/* Half-byte table: 64 bytes of flash instead of 1 KB, enough for record-sized data. */
static const uint32_t crc32Nibble[16] = {
	0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
	0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C
};

static uint32_t crc32Update(uint32_t crc, const uint8_t* data, uint32_t length)
{
	crc = ~crc;
	while (length--) {
		crc ^= *data++;
		crc = (crc >> 4) ^ crc32Nibble[crc & 0x0F];
		crc = (crc >> 4) ^ crc32Nibble[crc & 0x0F];
	}
	return ~crc;
}

void xs_crc32(xsMachine* the)
{
	void* data;
	xsUnsignedValue length;
	uint32_t crc = 0;
	if (xsmcArgc < 1)
		xsTypeError("crc32: no data");
	if (xsmcArgc > 1 && xsmcTypeOf(xsArg(1)) != xsUndefinedType) {
		double previous = xsmcToNumber(xsArg(1));
		if (!(previous >= 0 && previous <= 4294967295.0) || previous != (double)(uint32_t)previous)
			xsRangeError("crc32: previous must be a uint32");
		crc = (uint32_t)previous;
	}
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	crc = crc32Update(crc, data, (uint32_t)length);
	xsmcSetNumber(xsResult, (double)crc);
}

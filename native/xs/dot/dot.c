/* Bench-only binding (bench/dot): the int8 dot product in C, and a call wrapper whose name
 * callgrind can toggle collection on, so JS and C runs are counted the same way. */
#include "xsmc.h"
#include <stdint.h>

static int32_t dotS8(const int8_t* a, const int8_t* b, uint32_t length)
{
	int32_t sum = 0;   /* 65536 * 128 * 128 = 2^30 fits */
	uint32_t i;
	for (i = 0; i < length; i++)
		sum += (int32_t)a[i] * (int32_t)b[i];
	return sum;
}

/* xs_dot_s8(a: Int8Array, b: Int8Array) -> sum of a[i] * b[i] */
void xs_dot_s8(xsMachine* the)
{
	void* a;
	void* b;
	xsUnsignedValue lengthA, lengthB;
	/* argc first: release builds do not bounds check xsArg */
	if (xsmcArgc < 2)
		xsTypeError("dot: dotS8(a, b) needs 2 arguments, got %d", (int)xsmcArgc);
	xsmcGetBufferReadable(xsArg(0), &a, &lengthA);
	xsmcGetBufferReadable(xsArg(1), &b, &lengthB);
	if (lengthA != lengthB)
		xsRangeError("dot: lengths differ (%u, %u)", (unsigned)lengthA, (unsigned)lengthB);
	if (lengthA > (1u << 16))
		xsRangeError("dot: more than 65536 elements could overflow int32");
	xsmcSetInteger(xsResult, dotS8(a, b, (uint32_t)lengthA));
}

/* xs_dot_measure(fn) -> fn(): the region callgrind counts (--toggle-collect=xs_dot_measure) */
void xs_dot_measure(xsMachine* the)
{
	if (xsmcArgc < 1)
		xsTypeError("dot: measure(fn) needs 1 argument");
	xsResult = xsCallFunction0(xsArg(0), xsUndefined);
}

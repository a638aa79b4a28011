/* Simulator body of the flash module: one NOR partition backed by the simulator's flash file
 * (native/sim/sim_flash_host.c). Any access outside the partition throws RangeError. */
#include "xsmc.h"
#include "sim_host.h"
#include <stdint.h>
#include <stdio.h>

/* Instances keep no C data of their own: the partition belongs to the run. */
void xs_flash_destructor(void* data)
{
}

static SimHost* flashHost(xsMachine* the)
{
	if (xsmcGetHostData(xsThis) == NULL)
		xsUnknownError("flash: not open");
	return simHostOf(the);
}

/* Argument count first: Moddable release builds do not bounds check xsArg (mxBoundsCheck =
 * mxDebug), so a missing argument would read past the frame. */
static void needArgs(xsMachine* the, int count, const char* usage)
{
	if (xsmcArgc < count)
		xsTypeError("flash: %s needs %d argument%s, got %d", usage, count, count == 1 ? "" : "s",
			(int)xsmcArgc);
}

/* An integer in [0, limit], else RangeError; checked in double so huge values cannot wrap. */
static uint32_t flashIndex(xsMachine* the, xsSlot* slot, double limit, const char* what)
{
	double value = xsmcToNumber(*slot);
	if (!(value >= 0 && value <= limit) || value != (double)(uint32_t)value)
		xsRangeError("flash: %s %g outside partition", what, value);
	return (uint32_t)value;
}

/* xs_flash(partition): binds this instance to the simulator's partition (any name: the board
 * profile defines exactly one) */
void xs_flash(xsMachine* the)
{
	char name[64];
	if (xsmcArgc < 1)
		xsTypeError("flash: no partition");
	xsmcToStringBuffer(xsArg(0), name, sizeof(name));
	if (!name[0])
		xsUnknownError("flash: empty partition name");
	xsmcSetHostData(xsThis, simHostOf(the));
}

void xs_flash_erase(xsMachine* the)
{
	SimHost* host = flashHost(the);
	uint32_t sectors = host->flashSize / host->flashSectorSize;
	uint32_t sector;
	needArgs(the, 1, "erase(sector)");
	sector = flashIndex(the, &xsArg(0), (double)sectors - 1, "sector");
	if (!simFlashErase(host, sector * host->flashSectorSize, host->flashSectorSize)) {
		fprintf(stderr, "edge-peft-sim: power cut (--flash-cut-after) during an erase of sector %u\n",
			(unsigned)sector);
		simExit(the, SIM_EXIT_POWER_CUT);
	}
}

void xs_flash_read(xsMachine* the)
{
	SimHost* host = flashHost(the);
	uint32_t offset, length;
	needArgs(the, 2, "read(offset, byteLength)");
	offset = flashIndex(the, &xsArg(0), host->flashSize, "offset");
	length = flashIndex(the, &xsArg(1), (double)host->flashSize - offset, "byteLength");
	xsmcSetArrayBuffer(xsResult, NULL, length);
	simFlashRead(host, offset, xsmcToArrayBuffer(xsResult), length);
}

void xs_flash_write(xsMachine* the)
{
	SimHost* host = flashHost(the);
	uint32_t offset, length;
	void* data;
	xsUnsignedValue available;
	needArgs(the, 3, "write(offset, byteLength, buffer)");
	offset = flashIndex(the, &xsArg(0), host->flashSize, "offset");
	length = flashIndex(the, &xsArg(1), (double)host->flashSize - offset, "byteLength");
	xsmcGetBufferReadable(xsArg(2), &data, &available);
	if (available < length)
		xsRangeError("flash: buffer holds %u bytes, %u to write", (unsigned)available,
			(unsigned)length);
	if (!simFlashProgram(host, offset, data, length)) {
		fprintf(stderr, "edge-peft-sim: power cut (--flash-cut-after) during a write at %u\n",
			(unsigned)offset);
		simExit(the, SIM_EXIT_POWER_CUT);
	}
}

/* map() -> a read-only host buffer over the whole partition, as Moddable's flash.map() on a
 * board with memory-mapped flash: typed-array views read the cells in place (no copy). Writing
 * through it faults, as on the board. */
void xs_flash_map(xsMachine* the)
{
	SimHost* host = flashHost(the);
	const uint8_t* cells = simFlashMap(host);
	if (cells == NULL)
		xsUnknownError("flash: cannot map the partition");
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostBuffer(xsResult, (void*)cells, host->flashSize);
}

void xs_flash_byteLength(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)flashHost(the)->flashSize);
}

void xs_flash_blockSize(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)flashHost(the)->flashSectorSize);
}

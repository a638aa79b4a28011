/* The NOR partition behind native/xs/flash on bare metal: a region at the end of the board's
 * flash (the linker script places it: __bare_nor_start, __bare_nor_size), read and programmed
 * in place. qemu's mps2-an386 and riscv virt back that address range with RAM, so writes land;
 * on a board this is where Moddable's flash module would write. NOR semantics as the simulator's
 * (docs/simulator.md, "Flash"): erase sets a sector to 0xFF, a write stores old & new. No power
 * cut here (the simulator's --flash-cut-after covers recovery). */
#include "sim_host.h"
#include <stdio.h>
#include <string.h>

extern uint8_t __bare_nor_start[];
extern uint8_t __bare_nor_size[];   /* its address is the size (a linker symbol) */

bool simFlashOpen(SimHost* host)
{
	uint32_t capacity = (uint32_t)(uintptr_t)__bare_nor_size;
	if (host->flashSize > capacity) {
		fprintf(stderr, "edge-peft-bare: the board's storage partition is %u bytes, the image's"
			" NOR region %u\n", (unsigned)host->flashSize, (unsigned)capacity);
		return false;
	}
	host->flashMemory = __bare_nor_start;
	memset(host->flashMemory, 0xFF, host->flashSize);   /* a fresh chip reads erased */
	return true;
}

void simFlashClose(SimHost* host)
{
	host->flashMemory = NULL;
}

const uint8_t* simFlashMap(SimHost* host)
{
	return host->flashMemory;
}

/* Callers (native/xs/flash/sim/flash.c) have checked offset + length against the partition. */
void simFlashRead(SimHost* host, uint32_t offset, void* data, uint32_t length)
{
	memcpy(data, host->flashMemory + offset, length);
}

bool simFlashProgram(SimHost* host, uint32_t offset, const void* data, uint32_t length)
{
	const uint8_t* in = data;
	uint8_t* cells = host->flashMemory + offset;
	uint32_t i;
	for (i = 0; i < length; i++)
		cells[i] &= in[i];   /* NOR programming only clears bits */
	return true;
}

bool simFlashErase(SimHost* host, uint32_t offset, uint32_t length)
{
	memset(host->flashMemory + offset, 0xFF, length);
	return true;
}

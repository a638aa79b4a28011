/* The simulated NOR partition: a file (--flash FILE) or host memory. Writes and erases go
 * straight to the file with pwrite, so a power cut leaves on disk exactly the bytes programmed
 * or erased before it. */
#include "sim_host.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static bool simFlashFill(int fd, uint32_t from, uint32_t to)
{
	uint8_t erased[4096];
	memset(erased, 0xFF, sizeof(erased));
	while (from < to) {
		size_t n = (to - from < sizeof(erased)) ? to - from : sizeof(erased);
		ssize_t done = pwrite(fd, erased, n, from);
		if (done <= 0)
			return false;
		from += (uint32_t)done;
	}
	return true;
}

bool simFlashOpen(SimHost* host)
{
	struct stat info;
	host->flashFd = -1;
	if (!host->flashPath) {
		host->flashMemory = malloc(host->flashSize);
		if (!host->flashMemory)
			return false;
		memset(host->flashMemory, 0xFF, host->flashSize);   /* a fresh chip reads erased */
		return true;
	}
	host->flashFd = open(host->flashPath, O_RDWR | O_CREAT, 0644);
	if (host->flashFd < 0 || fstat(host->flashFd, &info) != 0) {
		fprintf(stderr, "edge-peft-sim: cannot open flash file %s: %s\n", host->flashPath,
			strerror(errno));
		return false;
	}
	if ((uint64_t)info.st_size > host->flashSize) {
		fprintf(stderr, "edge-peft-sim: flash file %s is %lld bytes, partition is %u\n",
			host->flashPath, (long long)info.st_size, host->flashSize);
		return false;
	}
	/* a new or short file is completed with erased sectors */
	if (!simFlashFill(host->flashFd, (uint32_t)info.st_size, host->flashSize)) {
		fprintf(stderr, "edge-peft-sim: cannot extend flash file %s\n", host->flashPath);
		return false;
	}
	return true;
}

/* The partition's cells in place, read-only (what a board's memory-mapped flash gives): the
 * memory itself, or a shared mapping of the file that sees every later write. */
const uint8_t* simFlashMap(SimHost* host)
{
	void* map;
	if (host->flashMemory)
		return host->flashMemory;
	if (host->flashMap)
		return host->flashMap;
	map = mmap(NULL, host->flashSize, PROT_READ, MAP_SHARED, host->flashFd, 0);
	if (map == MAP_FAILED)
		return NULL;
	host->flashMap = map;
	return host->flashMap;
}

void simFlashClose(SimHost* host)
{
	if (host->flashMap)
		munmap(host->flashMap, host->flashSize);
	host->flashMap = NULL;
	if (host->flashFd >= 0)
		close(host->flashFd);
	host->flashFd = -1;
	free(host->flashMemory);
	host->flashMemory = NULL;
}

/* Callers have checked offset + length against the partition. */
void simFlashRead(SimHost* host, uint32_t offset, void* data, uint32_t length)
{
	if (host->flashMemory) {
		memcpy(data, host->flashMemory + offset, length);
		return;
	}
	if (pread(host->flashFd, data, length, offset) != (ssize_t)length) {
		fprintf(stderr, "edge-peft-sim: flash file read failed\n");
		exit(SIM_EXIT_ERROR);
	}
}

static void simFlashStore(SimHost* host, uint32_t offset, const uint8_t* data, uint32_t length)
{
	if (host->flashMemory) {
		memcpy(host->flashMemory + offset, data, length);
		return;
	}
	if (pwrite(host->flashFd, data, length, offset) != (ssize_t)length) {
		fprintf(stderr, "edge-peft-sim: flash file write failed\n");
		exit(SIM_EXIT_ERROR);
	}
}

/* Power-loss budget (--flash-cut-after), shared by writes and erases: both move bytes on a real
 * chip, and a cut during either leaves the partition half done. Shortens *length to what still
 * reaches the partition; true when the power goes at (or before) the end of this operation. */
static bool simFlashSpend(SimHost* host, uint32_t* length)
{
	bool cut = false;
	if (host->flashCutAfter < 0)
		return false;
	if ((int64_t)*length >= host->flashCutAfter) {
		*length = (uint32_t)host->flashCutAfter;
		cut = true;
	}
	host->flashCutAfter -= *length;
	return cut;
}

bool simFlashProgram(SimHost* host, uint32_t offset, const void* data, uint32_t length)
{
	const uint8_t* in = data;
	uint8_t chunk[256];
	const bool cut = simFlashSpend(host, &length);
	while (length) {
		uint32_t n = length < sizeof(chunk) ? length : (uint32_t)sizeof(chunk);
		uint32_t i;
		simFlashRead(host, offset, chunk, n);
		for (i = 0; i < n; i++)
			chunk[i] &= in[i];   /* NOR programming only clears bits */
		simFlashStore(host, offset, chunk, n);
		offset += n;
		in += n;
		length -= n;
	}
	return !cut;
}

/* A cut erase leaves the sector's first bytes erased and the rest as they were: a real NOR
 * sector erase interrupted by power loss leaves an undefined mix; a 0xFF prefix is the
 * simplest state that is neither the old contents nor a clean sector, so recovery code must
 * not treat "starts with 0xFF" as "erased". */
bool simFlashErase(SimHost* host, uint32_t offset, uint32_t length)
{
	uint8_t erased[256];
	const bool cut = simFlashSpend(host, &length);
	memset(erased, 0xFF, sizeof(erased));
	while (length) {
		uint32_t n = length < sizeof(erased) ? length : (uint32_t)sizeof(erased);
		simFlashStore(host, offset, erased, n);
		offset += n;
		length -= n;
	}
	return !cut;
}

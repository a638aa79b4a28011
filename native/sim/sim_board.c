/* Reads the board profile: XS creation figures ("creation", Moddable manifest format) and the
 * storage partition behind the flash module ("storage"). */
#include "sim_host.h"
#include "sim_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* simReadFile(const char* path)
{
	FILE* file = fopen(path, "rb");
	char* text = NULL;
	long size;
	if (!file)
		return NULL;
	if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 && size < (1L << 24)
		&& fseek(file, 0, SEEK_SET) == 0) {
		text = malloc((size_t)size + 1);
		if (text && fread(text, 1, (size_t)size, file) == (size_t)size)
			text[size] = 0;
		else {
			free(text);
			text = NULL;
		}
	}
	fclose(file);
	return text;
}

/* One creation figure: required, non-negative, below 1 GiB (XS sizes are 32-bit). */
static bool simCreationValue(SimHost* host, const char* path, long* value, bool required)
{
	char key[64];
	snprintf(key, sizeof(key), "creation.%s", path);
	if (!simJsonInteger(host->boardText, key, value)) {
		if (!required)
			return true;
		fprintf(stderr, "edge-peft-sim: %s: missing integer \"%s\"\n", host->boardPath, key);
		return false;
	}
	if (*value < 0 || *value >= (1L << 30)) {
		fprintf(stderr, "edge-peft-sim: %s: \"%s\" out of range\n", host->boardPath, key);
		return false;
	}
	return true;
}

bool simLoadBoard(SimHost* host)
{
	SimCreation* c = &host->creation;
	long size = 64 * 1024, sector = 4096, count;
	/* a host with the profile built in (native/bare) sets the text itself */
	if (!host->boardText)
		host->boardText = simReadFile(host->boardPath);
	if (!host->boardText) {
		fprintf(stderr, "edge-peft-sim: cannot read board file %s\n", host->boardPath);
		return false;
	}
	if (!simJsonFind(host->boardText, "creation")) {
		fprintf(stderr, "edge-peft-sim: %s: no \"creation\" object\n", host->boardPath);
		return false;
	}
	memset(c, 0, sizeof(*c));
	if (!simCreationValue(host, "chunk.initial", &c->chunkInitial, true)
		|| !simCreationValue(host, "chunk.incremental", &c->chunkIncremental, false)
		|| !simCreationValue(host, "heap.initial", &c->heapInitial, true)
		|| !simCreationValue(host, "heap.incremental", &c->heapIncremental, false)
		|| !simCreationValue(host, "stack", &c->stack, true)
		|| !simCreationValue(host, "keys.available", &c->keysAvailable, true)
		|| !simCreationValue(host, "keys.incremental", &c->keysIncremental, false)
		|| !simCreationValue(host, "keys.name", &c->keysName, true)
		|| !simCreationValue(host, "keys.symbol", &c->keysSymbol, true)
		|| !simCreationValue(host, "parser.buffer", &c->parserBuffer, true)
		|| !simCreationValue(host, "parser.table", &c->parserTable, true))
		return false;
	if (c->stack < 64 || c->keysName < 1 || c->keysSymbol < 1 || c->parserTable < 1) {
		fprintf(stderr, "edge-peft-sim: %s: creation figures too small\n", host->boardPath);
		return false;
	}
	/* storage partition (optional): "sectorBytes" x "sectors" as the other board profiles say it,
	 * or "size" and "sectorSize"; defaults to 64 KB in 4 KB sectors */
	if (!simJsonInteger(host->boardText, "storage.sectorBytes", &sector))
		simJsonInteger(host->boardText, "storage.sectorSize", &sector);
	if (simJsonInteger(host->boardText, "storage.sectors", &count))
		size = (count > 0 && count <= (1L << 20)) ? count * sector : -1;
	else
		simJsonInteger(host->boardText, "storage.size", &size);
	if (!simJsonString(host->boardText, "storage.partition", host->flashPartition,
		sizeof(host->flashPartition)))
		strcpy(host->flashPartition, "storage");
	if (sector < 256 || sector > (1L << 20) || size < sector || size > (1L << 28) || size % sector) {
		fprintf(stderr, "edge-peft-sim: %s: storage size %ld / sector %ld invalid\n",
			host->boardPath, size, sector);
		return false;
	}
	host->flashSize = (uint32_t)size;
	host->flashSectorSize = (uint32_t)sector;
	return true;
}

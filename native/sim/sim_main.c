/* edge-peft-sim: runs the compiled TypeScript app (ES modules) on XS 13.3 with a board's memory
 * budget. Usage in docs/simulator.md. */
#include "sim_internal.h"
#include <limits.h>

static void simUsage(void)
{
	fprintf(stderr,
		"usage: edge-peft-sim [--board FILE] [--flash FILE] [--flash-cut-after N] [--realtime]"
		" [--] ENTRY.js [args...]\n");
	exit(SIM_EXIT_USAGE);
}

static bool simParseArguments(SimHost* host, int argc, char** argv, char* defaultBoard,
	size_t size)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char* a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (!strcmp(a, "--realtime"))
			host->realtime = true;
		else if (!strcmp(a, "--board") && i + 1 < argc)
			host->boardPath = argv[++i];
		else if (!strcmp(a, "--flash") && i + 1 < argc)
			host->flashPath = argv[++i];
		else if (!strcmp(a, "--flash-cut-after") && i + 1 < argc) {
			char* end;
			long long n = strtoll(argv[++i], &end, 10);
			if (*end || n < 0)
				return false;
			host->flashCutAfter = n;
		}
		else
			return false;
	}
	if (i >= argc)
		return false;
	host->entryPath = argv[i];
	host->appArgc = argc - i - 1;
	host->appArgv = argv + i + 1;
	if (!host->boardPath) {
		/* boards/sim.json of the working directory, else of the checkout holding this binary */
		char exe[PATH_MAX];
		ssize_t n;
		host->boardPath = "boards/sim.json";
		if (access(host->boardPath, R_OK) != 0
			&& (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
			char* slash;
			exe[n] = 0;
			slash = strrchr(exe, '/');
			if (slash) {
				*slash = 0;
				snprintf(defaultBoard, size, "%s/../../boards/sim.json", exe);
				host->boardPath = defaultBoard;
			}
		}
	}
	return true;
}

static void simFillCreation(const SimCreation* c, const SimMemory* extra, txCreation* creation)
{
	memset(creation, 0, sizeof(*creation));
	creation->initialChunkSize = (txSize)(c->chunkInitial + extra->chunks);
	creation->incrementalChunkSize = (txSize)c->chunkIncremental;
	creation->initialHeapCount = (txSize)(c->heapInitial + extra->slots);
	creation->incrementalHeapCount = (txSize)c->heapIncremental;
	creation->stackCount = (txSize)c->stack;
	creation->initialKeyCount = (txSize)(c->keysAvailable + extra->keys);
	creation->incrementalKeyCount = (txSize)c->keysIncremental;
	creation->nameModulo = (txSize)c->keysName;
	creation->symbolModulo = (txSize)c->keysSymbol;
	/* A board's build compiles modules with xsc on the build machine; its parser figures only
	 * bound eval() on the device. The simulator parses every module at load time, so it gives
	 * the parser at least desktop-sized room (parser memory is outside the XS heaps). */
	creation->parserBufferSize = (txSize)(c->parserBuffer > 65536 ? c->parserBuffer : 65536);
	creation->parserTableModulo = (txSize)(c->parserTable > 1993 ? c->parserTable : 1993);
	creation->staticSize = 0;
}

static txMachine* simCreateMachine(SimHost* host, const SimCreation* c, const SimMemory* extra)
{
	txCreation creation;
	txMachine* the;
	simFillCreation(c, extra, &creation);
	the = fxCreateMachine(&creation, "edge-peft-sim", NULL, XS_NO_ID);
	if (!the) {
		fprintf(stderr, "edge-peft-sim: cannot create the XS machine\n");
		exit(SIM_EXIT_OUT_OF_MEMORY);
	}
	the->simHost = host;
	fxBeginHost(the);
	simInstallGlobals(the);
	fxEndHost(the);
	fxCollectGarbage(the);
	return the;
}

/* The desktop built-ins (held in flash on a board) measured on a throwaway machine with room to
 * spare, so the real machine gets budget + baseline and the app sees the board's budget. */
static void simMeasureBaseline(SimHost* host)
{
	SimCreation roomy = host->creation;
	SimMemory none = { 0, 0, 0, 0 };
	txMachine* the;
	roomy.chunkInitial = 256 * 1024;
	roomy.chunkIncremental = 64 * 1024;
	roomy.heapInitial = 16384;
	roomy.heapIncremental = 4096;
	roomy.keysAvailable = 2048;
	roomy.keysIncremental = 256;
	the = simCreateMachine(host, &roomy, &none);
	host->baseline.chunks = the->currentChunksSize;
	host->baseline.slots = the->currentHeapCount;
	host->baseline.keys = the->keyIndex - the->keyOffset;
	fxDeleteMachine(the);
}

static void simEntryFulfilled(txMachine* the)
{
}

static void simEntryRejected(txMachine* the)
{
	simPrintException(the, "entry module failed", mxArgv(0));
	simExit(the, SIM_EXIT_ERROR);
}

static void simRunLoop(txMachine* the)
{
	for (;;) {
		while (the->simPromiseJobs) {
			the->simPromiseJobs = 0;
			fxRunPromiseJobs(the);
		}
		fxEndJob(the);
		if (the->simPromiseJobs)
			continue;
		if (!simRunNextTimer(the))
			break;
	}
	fxCheckUnhandledRejections(the, 1);
}

int main(int argc, char** argv)
{
	static SimHost host;
	char defaultBoard[PATH_MAX + 32];
	char entry[PATH_MAX];
	txMachine* the;
	host.flashCutAfter = -1;
	host.flashFd = -1;
	if (!simParseArguments(&host, argc, argv, defaultBoard, sizeof(defaultBoard)))
		simUsage();
	if (!simLoadBoard(&host) || !simFlashOpen(&host))
		return SIM_EXIT_USAGE;
	if (!realpath(host.entryPath, entry)) {
		fprintf(stderr, "edge-peft-sim: cannot find %s\n", host.entryPath);
		return SIM_EXIT_USAGE;
	}
	simMeasureBaseline(&host);
	the = simCreateMachine(&host, &host.creation, &host.baseline);
	/* peaks count from here: creation garbage is not the app's. The stack's baseline is what
	 * the engine keeps there at rest (built-in prototypes), which a board's stack holds too. */
	the->peakChunksSize = the->currentChunksSize;
	the->peakHeapCount = the->currentHeapCount;
	host.baseline.stack = (int32_t)(the->stackTop - the->stack);
#ifdef mxInstrument
	the->stackPeak = the->stack;
#endif
	host.realStart = simRealNow();
	fxBeginHost(the);
	{
		mxTry(the) {
			mxPushStringC(entry);
			fxRunImport(the, mxModuleInstanceInternal(mxProgram.value.reference)->value.module.realm,
				XS_NO_ID);
			mxDub();
			mxGetID(mxID(_then));
			mxCall();
			fxNewHostFunction(the, simEntryFulfilled, 1, XS_NO_ID, XS_NO_ID);
			fxNewHostFunction(the, simEntryRejected, 1, XS_NO_ID, XS_NO_ID);
			mxRunCount(2);
			mxPop();
			mxPop();
		}
		mxCatch(the) {
			txSlot exception = mxException;
			mxException = mxUndefined;
			mxPushSlot(&exception);
			simPrintException(the, "entry module failed", the->stack);
			simExit(the, SIM_EXIT_ERROR);
		}
	}
	fxEndHost(the);
	simRunLoop(the);
	/* what the app still holds once garbage is gone (peaks include uncollected garbage) */
	simMeasureLive(the);
	simPrintMemory(the);
	simDeleteTimers(the);
	fxDeleteMachine(the);
	simFlashClose(&host);
	free(host.boardText);
	fflush(stdout);
	return SIM_EXIT_OK;
}

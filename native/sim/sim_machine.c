/* Machine creation with a board's budget, the entry import and the event loop: shared by the
 * desktop simulator (sim_main.c) and the bare-metal host (native/bare/bare_main.c). */
#include "sim_internal.h"

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

void* simCreateMachine(SimHost* host, const SimCreation* c, const SimMemory* extra)
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
void simMeasureBaseline(SimHost* host)
{
	SimCreation roomy = host->creation;
	SimMemory none = { 0, 0, 0, 0 };
	txMachine* the;
	/* room for the built-ins (~16 KB of chunks, ~3,850 slots), growing if a build needs more:
	 * small enough for a microcontroller's RAM, where this runs too */
	roomy.chunkInitial = 32 * 1024;
	roomy.chunkIncremental = 16 * 1024;
	roomy.heapInitial = 4096;
	roomy.heapIncremental = 1024;
	roomy.keysAvailable = 2048;
	roomy.keysIncremental = 256;
	the = simCreateMachine(host, &roomy, &none);
	host->baseline.chunks = the->currentChunksSize;
	host->baseline.slots = the->currentHeapCount;
	host->baseline.keys = the->keyIndex - the->keyOffset;
	fxDeleteMachine(the);
}

/* Peaks count from here: creation garbage is not the app's. The stack's baseline is what the
 * engine keeps there at rest (built-in prototypes), which a board's stack holds too. */
void simBeginRun(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	the->peakChunksSize = the->currentChunksSize;
	the->peakHeapCount = the->currentHeapCount;
	host->baseline.stack = (int32_t)(the->stackTop - the->stack);
#ifdef mxInstrument
	the->stackPeak = the->stack;
#endif
}

static void simEntryFulfilled(txMachine* the)
{
}

static void simEntryRejected(txMachine* the)
{
	simPrintException(the, "entry module failed", mxArgv(0));
	simExit(the, SIM_EXIT_ERROR);
}

/* Imports the entry module; a rejection or a synchronous failure ends the run (status 1). */
void simRunEntry(void* machine, const char* entry)
{
	txMachine* the = machine;
	fxBeginHost(the);
	{
		mxTry(the) {
			mxPushStringC((txString)entry);
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
}

void simRunLoop(void* machine)
{
	txMachine* the = machine;
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


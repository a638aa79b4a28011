/* How a run ends: exception and memory reports, the abort path for exhausted budgets. */
#include "sim_internal.h"

SimHost* simHostOf(void* machine)
{
	return (SimHost*)((txMachine*)machine)->simHost;
}

/* Prints "edge-peft-sim: <what>: <stack or String(e)>" on stderr; never throws. */
void simPrintException(void* machine, const char* what, void* exceptionSlot)
{
	txMachine* the = machine;
	txSlot* exception = exceptionSlot;
	fprintf(stderr, "edge-peft-sim: %s: ", what);
	fxBeginHost(the);
	{
		mxTry(the) {
			txBoolean printed = 0;
			mxPushSlot(exception);
			if (mxIsReference(the->stack)) {
				mxPushSlot(exception);
				mxGetID(mxID(_stack));
				if (mxIsStringPrimitive(the->stack)) {
					fputs(the->stack->value.string, stderr);
					printed = 1;
				}
				mxPop();
			}
			if (!printed)
				fputs(fxToString(the, the->stack), stderr);
			mxPop();
		}
		mxCatch(the) {
			fputs("(exception cannot be printed)", stderr);
		}
	}
	fxEndHost(the);
	fputc('\n', stderr);
}

/* One parseable line; app figures are the machine's high-water marks minus the desktop baseline
 * measured right after creation and, for slots, minus the slots of load keys, which the slot heap
 * was grown by (docs/simulator.md). Chunk figures still include the load keys' names. */
void simPrintMemory(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	long stackPeak = -1;
	if (!host)
		return;
#ifdef mxInstrument
	stackPeak = (long)(the->stackTop - the->stackPeak) - host->baseline.stack;
#endif
	fflush(stdout);
	fprintf(stderr,
		"xs-memory: chunks-peak=%ld slots-peak=%ld keys=%ld load-keys=%ld load-key-chunks=%ld"
		" stack-peak=%ld chunks-live=%ld slots-live=%ld code-bytes=%ld"
		" chunks-limit=%ld slots-limit=%ld keys-limit=%ld stack-limit=%ld"
		" baseline-chunks=%ld baseline-slots=%ld baseline-keys=%ld baseline-stack=%ld slot-bytes=%ld"
		" (app, baseline subtracted)\n",
		(long)the->peakChunksSize - host->baseline.chunks,
		(long)the->peakHeapCount - host->baseline.slots - host->loadKeys,
		simRuntimeKeys(the), (long)host->loadKeys, (long)host->loadKeyChunks,
		stackPeak, host->haveLive ? (long)host->live.chunks : -1L,
		host->haveLive ? (long)host->live.slots : -1L, (long)host->codeBytes,
		(long)host->creation.chunkInitial, (long)host->creation.heapInitial,
		(long)host->creation.keysAvailable, (long)host->creation.stack,
		(long)host->baseline.chunks, (long)host->baseline.slots, (long)host->baseline.keys,
		(long)host->baseline.stack, (long)sizeof(txSlot));
}

/* Records what the app still holds after a full collection (peaks include garbage). */
void simMeasureLive(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	fxCollectGarbage(the);
	host->live.chunks = the->currentChunksSize - host->baseline.chunks;
	host->live.slots = the->currentHeapCount - host->baseline.slots - host->loadKeys;
	host->haveLive = true;
}

void simExit(void* the, int status)
{
	/* a clean exit asked by the app: the heap is consistent, so collecting is safe */
	if (status == SIM_EXIT_OK && !simHostOf(the)->haveLive)
		simMeasureLive(the);
	simPrintMemory(the);
	fflush(stdout);
	fflush(stderr);
	exit(status);
}

/* The engine calls this when a fixed budget runs out or a fatal condition occurs; a board would
 * reset here, so the simulator stops with a message and a status of its own. */
void fxAbort(txMachine* the, int status)
{
	SimHost* host = simHostOf(the);
	switch (status) {
	case XS_NOT_ENOUGH_MEMORY_EXIT:
		/* a fixed slot heap fails with no free slot left; otherwise the chunk heap was full */
		if (!the->freeHeap)
			fprintf(stderr, "edge-peft-sim: out of memory: slot heap (limit %ld slots)\n",
				host ? (long)host->creation.heapInitial : -1L);
		else
			fprintf(stderr, "edge-peft-sim: out of memory: chunk heap (limit %ld bytes)\n",
				host ? (long)host->creation.chunkInitial : -1L);
		simExit(the, SIM_EXIT_OUT_OF_MEMORY);
	case XS_NO_MORE_KEYS_EXIT:
		fprintf(stderr, "edge-peft-sim: out of memory: keys (limit %ld keys created at run time)\n",
			host ? (long)host->creation.keysAvailable : -1L);
		simExit(the, SIM_EXIT_OUT_OF_MEMORY);
	case XS_STACK_OVERFLOW_EXIT:
		fprintf(stderr, "edge-peft-sim: stack overflow (limit %ld slots)\n",
			host ? (long)host->creation.stack : -1L);
		simExit(the, SIM_EXIT_STACK_OVERFLOW);
	case XS_UNHANDLED_REJECTION_EXIT: {
		txSlot reason = mxException;
		mxException = mxUndefined;
		simPrintException(the, "unhandled rejection", &reason);
		simExit(the, SIM_EXIT_ERROR);
	}
	case XS_UNHANDLED_EXCEPTION_EXIT: {
		txSlot exception = mxException;
		mxException = mxUndefined;
		simPrintException(the, "uncaught exception", &exception);
		simExit(the, SIM_EXIT_ERROR);
	}
	default:
		fprintf(stderr, "edge-peft-sim: fatal engine error (status %d)\n", status);
		simExit(the, SIM_EXIT_ERROR);
	}
}

/* XS platform header for the edge-peft desktop simulator (XS 13.3).
 * Every file that includes xs.h (engine, host, bindings) must see this same header and the same
 * defines, because xs.h embeds mxMachinePlatform in the machine struct. */
#ifndef EDGE_PEFT_SIM_XS_H
#define EDGE_PEFT_SIM_XS_H

#undef mxLinux
#define mxLinux 1

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>

#define mxUseGCCAtomics 1
#define mxUsePOSIXThreads 1

/* Engine defaults we accept as they are; module lookup/loading, the promise-job queue and the
 * abort path are ours (native/sim/sim_modules.c, sim_main.c). */
#define mxUseDefaultMachinePlatform 1
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1

/* The waiter fields are required by xsAtomics.c; simHost points at the simulator state. */
#define mxMachinePlatform \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink; \
	void* simHost; \
	int simPromiseJobs;

/* Engine diagnostics go to stderr so stdout carries only what the app prints. */
#define c_printf(...) fprintf(stderr, __VA_ARGS__)
#define c_vprintf(FORMAT, ARGUMENTS) vfprintf(stderr, FORMAT, ARGUMENTS)

#endif

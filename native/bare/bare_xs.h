/* XS platform header for the bare-metal host (native/bare): Cortex-M4 and rv32imc with picolibc,
 * semihosting for stdout/stderr and exit. Every file that includes xs.h in a bare image (XS
 * sources, the shared host files of native/sim, the bindings) sees this header and the same
 * defines: xs.h embeds mxMachinePlatform in the machine struct. The fields are the ones the
 * shared host code (native/sim/sim_machine.c, sim_load.c, sim_timer.c) reaches. */
#ifndef EDGE_PEFT_BARE_XS_H
#define EDGE_PEFT_BARE_XS_H

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

#define mxLittleEndian 1

/* Engine defaults, as in the simulator; no threads, so no shared-cluster waiters. Not the
 * default fxParseScript: the app's modules are compiled at build time, and the image's own
 * (bare_modules.c) refuses eval and Function, so the parser is left out of the image. */
#define mxUseDefaultMachinePlatform 1
#define mxUseDefaultBuildKeys 1
#define mxUseDefaultChunkAllocation 1
#define mxUseDefaultSlotAllocation 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1

#define mxMachinePlatform \
	void* simHost; \
	int simPromiseJobs;

/* Engine diagnostics go to stderr (semihosting) so stdout carries only what the app prints. */
#define c_printf(...) fprintf(stderr, __VA_ARGS__)
#define c_vprintf(FORMAT, ARGUMENTS) vfprintf(stderr, FORMAT, ARGUMENTS)

#endif

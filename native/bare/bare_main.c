/* edge-peft-bare: the compiled TypeScript app on XS 13.3 in a bare-metal image (Cortex-M4 on qemu
 * mps2-an386, rv32imc on qemu virt), with the simulator's platform layer (native/sim's shared
 * machine, loader and timer code, the native/xs bindings) over flash-resident modules and data
 * (bare_files.h), a NOR region (bare_flash.c), the virtual clock and semihosting for output and
 * exit. docs/bare-metal.md. */
#include "sim_internal.h"
#include "bare_files.h"
#include "bare_host.h"

/* picolibc's linker script: heap from the end of .bss up to the stack's reserve */
extern uint8_t __heap_start[], __heap_end[], __stack[];
extern uint8_t __data_start[], __data_end[], __bss_start[], __bss_end[];

#define BARE_PAINT 0xA5A5A5A5u

static struct {
	uint8_t* brk;          /* current program break */
	uint8_t* brkPeak;      /* highest break: the heap's high-water mark */
	uint32_t refused;      /* bytes of the first sbrk request refused, 0 if none */
	uint32_t* stackLow;    /* lowest word painted at boot */
} bareRam;

/* picolibc's malloc takes memory with sbrk; this one records the high-water mark and refuses to
 * grow past the stack's reserve (XS then stops with "out of memory", as on a board). */
void* sbrk(ptrdiff_t increment)
{
	uint8_t* old;
	if (!bareRam.brk)
		bareRam.brk = bareRam.brkPeak = __heap_start;
	if (increment > __heap_end - bareRam.brk || increment < __heap_start - bareRam.brk) {
		if (!bareRam.refused)
			bareRam.refused = (uint32_t)increment;
		return (void*)-1;
	}
	old = bareRam.brk;
	bareRam.brk += increment;
	if (bareRam.brk > bareRam.brkPeak)
		bareRam.brkPeak = bareRam.brk;
	return old;
}

/* Paints the C stack below the current frame; the first unpainted word from the bottom is the
 * deepest the stack reached. */
static void barePaintStack(void)
{
	volatile uint32_t here = 0;
	uint32_t* p = (uint32_t*)(((uintptr_t)__heap_end + 3) & ~(uintptr_t)3);
	uint32_t* top = (uint32_t*)((uintptr_t)&here - 256);
	bareRam.stackLow = p;
	while (p < top)
		*p++ = BARE_PAINT;
}

static uint32_t bareStackPeak(void)
{
	const uint32_t* p = bareRam.stackLow;
	while (p < (const uint32_t*)__stack && *p == BARE_PAINT)
		p++;
	return (uint32_t)(__stack - (const uint8_t*)p);
}

/* One parseable line at every exit, after the simulator's xs-memory line: RAM by use in bytes. */
static void bareReport(void)
{
	fflush(stdout);
	fprintf(stderr,
		"bare-memory: data=%lu bss=%lu heap-peak=%lu heap-limit=%lu heap-refused=%lu"
		" stack-peak=%lu stack-limit=%lu ram-peak=%lu\n",
		(unsigned long)(__data_end - __data_start), (unsigned long)(__bss_end - __bss_start),
		(unsigned long)(bareRam.brkPeak - __heap_start), (unsigned long)(__heap_end - __heap_start),
		(unsigned long)bareRam.refused, (unsigned long)bareStackPeak(),
		(unsigned long)(__stack - __heap_end),
		(unsigned long)((__data_end - __data_start) + (__bss_end - __bss_start)
			+ (bareRam.brkPeak - __heap_start) + bareStackPeak()));
	fflush(stderr);
}

int main(void)
{
	static SimHost host;
	const BareFile* board = bareFindFile(bareBoard);
	int argc = 0;
	txMachine* the;
	barePaintStack();
	atexit(bareReport);
	host.flashCutAfter = -1;
	host.flashFd = -1;
	host.boardPath = bareBoard;
	/* embed.py ends every file with a NUL not counted in its size */
	host.boardText = board ? (char*)board->bytes : NULL;
	host.entryPath = bareEntry;
	while (bareArgs[argc])
		argc++;
	host.appArgc = argc;
	host.appArgv = (char**)bareArgs;
	if (!host.boardText || !simLoadBoard(&host) || !simFlashOpen(&host))
		exit(SIM_EXIT_USAGE);
	simMeasureBaseline(&host);
	the = simCreateMachine(&host, &host.creation, &host.baseline);
	bareMakeAppKeys(the);
	simBeginRun(the);
	simRunEntry(the, bareEntry);
	simRunLoop(the);
	simMeasureLive(the);
	simPrintMemory(the);
	simDeleteTimers(the);
	fxDeleteMachine(the);
	simFlashClose(&host);
	exit(SIM_EXIT_OK);
}

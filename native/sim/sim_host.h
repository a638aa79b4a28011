/* State of one simulator run, reached from the machine through the->simHost. */
#ifndef EDGE_PEFT_SIM_HOST_H
#define EDGE_PEFT_SIM_HOST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses, documented in docs/simulator.md. */
enum {
	SIM_EXIT_OK = 0,
	SIM_EXIT_ERROR = 1,          /* uncaught exception, rejected entry module, unhandled rejection */
	SIM_EXIT_OUT_OF_MEMORY = 3,  /* chunk heap, slot heap or keys exhausted */
	SIM_EXIT_STACK_OVERFLOW = 4,
	SIM_EXIT_USAGE = 64,         /* bad command line or board file */
	SIM_EXIT_POWER_CUT = 75      /* --flash-cut-after budget reached */
};

typedef struct SimTimer SimTimer;

/* XS creation figures in board-file (Moddable manifest) terms. */
typedef struct {
	long chunkInitial, chunkIncremental;
	long heapInitial, heapIncremental;
	long stack;
	long keysAvailable, keysIncremental, keysName, keysSymbol;
	long parserBuffer, parserTable;
} SimCreation;

typedef struct {
	int32_t chunks;   /* bytes */
	int32_t slots;
	int32_t keys;
	int32_t stack;    /* slots */
} SimMemory;

typedef struct {
	/* command line */
	const char* boardPath;
	const char* entryPath;
	int appArgc;
	char** appArgv;
	bool realtime;
	/* board */
	char* boardText;          /* whole board file, handed to the app by xs_sim_board */
	SimCreation creation;     /* the app budget as read from the board */
	SimMemory baseline;       /* desktop built-ins, measured after machine creation */
	SimMemory live;           /* held by the app at a clean exit, after a collection */
	bool haveLive;
	int32_t codeBytes;        /* bytecode parsed at run time: malloc'ed outside the XS heaps */
	/* Keys created while finding and loading modules (module names, every identifier of the
	 * parsed code): a board's build precompiles modules and keeps these keys in flash, so only
	 * the keys the app creates while running count against the board's key budget. */
	int32_t loadKeys;
	int32_t loadKeyChunks;    /* chunk bytes of their names (also in flash on a board) */
	int32_t loadDepth;        /* nested module loads in progress */
	int32_t savedKeyDelta;
	char parseError[256];     /* first error of the module being parsed: "path:line: message" */
	void* parser;             /* its txParser while simParseModule runs, for the error callback */
	/* flash partition */
	const char* flashPath;    /* NULL: volatile, in memory only */
	char flashPartition[32];
	uint32_t flashSize;
	uint32_t flashSectorSize;
	int64_t flashCutAfter;    /* bytes still programmed or erased before the power cut; < 0: none */
	int flashFd;
	uint8_t* flashMemory;     /* used when flashPath is NULL */
	uint8_t* flashMap;        /* read-only mmap of the flash file (flash.map()), NULL until asked */
	/* clock and timers */
	double now;               /* ms since start: virtual, or real with --realtime */
	double realStart;
	SimTimer* timers;         /* pending, earliest first */
	SimTimer* running;        /* the timer whose callback runs now */
	uint32_t nextTimerID;
	uint64_t nextTimerSequence;
} SimHost;

/* The simulator's C talks to XS through its internal API (xsAll.h) while bindings use xsmc.h;
 * the two name the machine with different struct tags, so shared prototypes take void*. */

/* sim_report.c */
SimHost* simHostOf(void* the);
void simPrintException(void* the, const char* what, void* exceptionSlot);
void simPrintMemory(void* the);
void simMeasureLive(void* the);
__attribute__((noreturn)) void simExit(void* the, int status);

/* sim_timer.c */
double simRealNow(void);
void simAdvanceClock(SimHost* host);
bool simRunNextTimer(void* the);   /* false when no timer is left */
void simDeleteTimers(void* the);

/* sim_machine.c: shared by the simulator and the bare-metal host */
void* simCreateMachine(SimHost* host, const SimCreation* c, const SimMemory* extra);
void simMeasureBaseline(SimHost* host);
void simBeginRun(void* the);
void simRunEntry(void* the, const char* entry);
void simRunLoop(void* the);

/* sim_load.c: key accounting around module finding/loading (docs/simulator.md) */
long simKeysLoadBegin(void* the);
void simKeysLoadEnd(void* the, long start);
long simRuntimeKeys(void* the);
void simNormalisePath(char* path);
/* A specifier resolved to a normalised absolute path: "/..." as it is, "./" and "../" against
 * the referrer's folder. 1 when resolved; 0 for a bare name (or no referrer), which each host
 * treats its own way (the simulator's entry is relative to the working directory). */
int simResolveSpecifier(void* the, int referrer, const char* name, char* path, size_t size);

/* sim_globals.c */
void simInstallGlobals(void* the);

/* sim_board.c */
bool simLoadBoard(SimHost* host);

/* sim_flash_host.c: the partition behind native/xs/flash */
bool simFlashOpen(SimHost* host);
void simFlashClose(SimHost* host);
const uint8_t* simFlashMap(SimHost* host);
void simFlashRead(SimHost* host, uint32_t offset, void* data, uint32_t length);
/* Writes new = old & data; returns false when the power-cut budget ran out part-way. */
bool simFlashProgram(SimHost* host, uint32_t offset, const void* data, uint32_t length);
bool simFlashErase(SimHost* host, uint32_t offset, uint32_t length);

#endif

/* Shared by the simulator's own C files, which use XS's internal API (xsAll.h). */
#ifndef EDGE_PEFT_SIM_INTERNAL_H
#define EDGE_PEFT_SIM_INTERNAL_H
#include "xsAll.h"
#include "sim_host.h"

/* globalThis[name] = host function, not enumerable (like the built-ins) */
void simDefineGlobalFunction(txMachine* the, txCallback callback, txInteger length,
	const char* name);

/* sim_timer.c: the timer globals */
void sim_setTimeout(txMachine* the);
void sim_setInterval(txMachine* the);
void sim_clearTimer(txMachine* the);

/* sim_load.c: parse a script's source from any byte stream (NULL and a message on error); parse
 * a module's source and resolve it */
void* simParseScript(void* the, const char* path, void* stream, txGetter getter, char* message,
	size_t size);
void simParseModule(void* the, void* module, txID moduleID, const char* path, void* stream,
	txGetter getter, void (*close)(void*));

#endif

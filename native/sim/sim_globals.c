/* Globals the simulator provides the way Moddable's runtime does: trace, a minimal console,
 * timers, and native() / Native() over the table of xsmc host functions. */
#include "sim_internal.h"
#include "sim_natives.h"

void simDefineGlobalFunction(txMachine* the, txCallback callback, txInteger length,
	const char* name)
{
	txID id = fxID(the, (txString)name);
	fxNewHostFunction(the, callback, length, id, XS_NO_ID);
	mxPush(mxGlobal);
	mxDefineID(id, XS_DONT_ENUM_FLAG, XS_GET_ONLY);   /* writable, configurable, not enumerable */
	mxPop();
}

static void simPrintArguments(txMachine* the, FILE* out, const char* separator)
{
	txInteger i;
	for (i = 0; i < mxArgc; i++) {
		if (i && separator)
			fputs(separator, out);
		mxPushSlot(mxArgv(i));
		fputs(fxToString(the, the->stack), out);
		mxPop();
	}
}

/* trace(...values): Moddable's trace, no newline added */
static void sim_trace(txMachine* the)
{
	simPrintArguments(the, stdout, NULL);
	fflush(stdout);
}

static void sim_console_log(txMachine* the)
{
	simPrintArguments(the, stdout, " ");
	fputc('\n', stdout);
	fflush(stdout);
}

static void sim_console_error(txMachine* the)
{
	fflush(stdout);
	simPrintArguments(the, stderr, " ");
	fputc('\n', stderr);
}

/* native("xs_name"): a new host function bound to that C function */
static void sim_native(txMachine* the)
{
	char name[128];
	const SimNativeEntry* entry;
	if (mxArgc < 1)
		mxTypeError("native: no name");
	fxToStringBuffer(the, mxArgv(0), name, sizeof(name));
	for (entry = simNatives; entry->name; entry++) {
		if (!strcmp(entry->name, name)) {
			fxNewHostFunction(the, (txCallback)entry->callback, 0, fxID(the, name), XS_NO_ID);
			mxPullSlot(mxResult);
			return;
		}
	}
	mxReferenceError("native: %s not found", name);
}

/* Calling a Native() class as a base creates the instance from new.target's prototype. */
static void sim_nativeBase(txMachine* the)
{
}

/* Native("xs_name_destructor"): a base class whose instances (and subclasses' instances) are
 * host objects with that destructor; the face then binds its data with native calls. */
static void sim_Native(txMachine* the)
{
	char name[128];
	const SimDestructorEntry* entry;
	if (mxArgc < 1)
		mxTypeError("Native: no destructor name");
	fxToStringBuffer(the, mxArgv(0), name, sizeof(name));
	for (entry = simDestructors; entry->name; entry++) {
		if (!strcmp(entry->name, name)) {
			txSlot* constructor;
			fxNewHostObject(the, (txDestructor)entry->destructor);
			constructor = fxNewHostConstructor(the, sim_nativeBase, 0, XS_NO_ID);
			mxFunctionInstanceCode(constructor)->flag |= XS_BASE_FLAG;
			mxPullSlot(mxResult);
			return;
		}
	}
	mxReferenceError("Native: %s not found", name);
}

/* xs_sim_args(): the app's command-line arguments (after ENTRY.js) */
void xs_sim_args(txMachine* the)
{
	SimHost* host = simHostOf(the);
	int i;
	mxPush(mxArrayPrototype);
	fxNewArrayInstance(the);
	mxPullSlot(mxResult);
	for (i = 0; i < host->appArgc; i++) {
		mxPushStringC(host->appArgv[i]);
		mxPushSlot(mxResult);
		mxDefineIndex((txIndex)i, 0, XS_GET_ONLY);
		mxPop();
	}
}

/* xs_sim_board(): the board profile's JSON text */
void xs_sim_board(txMachine* the)
{
	SimHost* host = simHostOf(the);
	fxCopyStringC(the, mxResult, host->boardText ? host->boardText : "{}");
}

/* xs_sim_exit(status): ends the run now, as a board's restart would */
void xs_sim_exit(txMachine* the)
{
	txInteger status = (mxArgc > 0) ? fxToInteger(the, mxArgv(0)) : 0;
	simExit(the, (status >= 0 && status < 256) ? status : SIM_EXIT_ERROR);
}

/* object[name] = host function; `object` is an instance (not a stack slot: mxPush macros move
 * the stack before they read their argument). */
static void simDefineMethod(txMachine* the, txSlot* object, txCallback callback, const char* name)
{
	txID id = fxID(the, (txString)name);
	fxNewHostFunction(the, callback, 1, id, XS_NO_ID);
	mxPushReference(object);
	mxDefineID(id, XS_DONT_ENUM_FLAG, XS_GET_ONLY);
	mxPop();
}

void simInstallGlobals(void* machine)
{
	txMachine* the = machine;
	txSlot* console;
	simDefineGlobalFunction(the, sim_trace, 1, "trace");
	simDefineGlobalFunction(the, sim_native, 1, "native");
	simDefineGlobalFunction(the, sim_Native, 1, "Native");
	simDefineGlobalFunction(the, sim_setTimeout, 2, "setTimeout");
	simDefineGlobalFunction(the, sim_setInterval, 2, "setInterval");
	simDefineGlobalFunction(the, sim_clearTimer, 1, "clearTimeout");
	simDefineGlobalFunction(the, sim_clearTimer, 1, "clearInterval");
	/* console = { log, info, warn, error } */
	console = fxNewObject(the);
	simDefineMethod(the, console, sim_console_log, "log");
	simDefineMethod(the, console, sim_console_log, "info");
	simDefineMethod(the, console, sim_console_error, "warn");
	simDefineMethod(the, console, sim_console_error, "error");
	mxPush(mxGlobal);
	mxDefineID(fxID(the, "console"), XS_DONT_ENUM_FLAG, XS_GET_ONLY);
	mxPop();
}

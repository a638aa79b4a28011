/* Module lookup and loading for the bare-metal host: the app's ES modules are XS bytecode made at
 * build time (native/bare/tools/bare_xsc.c) and run from flash, so neither the parser nor the
 * code takes RAM. Names are absolute paths, so relative specifiers resolve (and normalise)
 * exactly as in the simulator (native/sim). */
#include "sim_internal.h"
#include "bare_files.h"
#include "bare_host.h"

#define BARE_PATH_MAX 256

static const BareModule* bareFindModuleCode(const char* name)
{
	const BareModule* module;
	for (module = bareModules; module->name; module++)
		if (!strcmp(module->name, name))
			return module;
	return NULL;
}

/* Makes the keys the bytecode was compiled against, in its order, before anything else can make
 * a key. Their names stay in flash (XS_KEY_X_KIND); they count as load keys (docs/simulator.md,
 * "Keys"), as a preloaded build's keys in flash do not use the board's key budget. */
void bareMakeAppKeys(void* machine)
{
	txMachine* the = machine;
	long start = simKeysLoadBegin(the);
	txID expected = (txID)bareKeyFirst;
	const char* const* name;
	for (name = bareKeyNames; *name; name++, expected++) {
		txID id = fxNewNameX(the, (txString)*name);
		if (id != expected) {
			/* the bytecode's IDs are those of another XS build or host: running it would
			 * read wrong properties */
			fprintf(stderr, "edge-peft-bare: key \"%s\" is %u, the app's bytecode expects %u:"
				" rebuild the image (make bare)\n", *name, (unsigned)id, (unsigned)expected);
			exit(SIM_EXIT_ERROR);
		}
	}
	simKeysLoadEnd(the, start);
}

static const BareModule* bareFindModuleName(char* path, size_t size)
{
	const BareModule* module = bareFindModuleCode(path);
	size_t n = strlen(path);
	if (module)
		return module;
	/* Moddable names modules without ".js"; accept that spelling too */
	if (n + 4 > size)
		return NULL;
	memcpy(path + n, ".js", 4);
	return bareFindModuleCode(path);
}

txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	char name[BARE_PATH_MAX];
	char path[2 * BARE_PATH_MAX + 8];
	const BareModule* module;
	fxToStringBuffer(the, slot, name, sizeof(name));
	if (!simResolveSpecifier(the, moduleID, name, path, sizeof(path)))
		return XS_NO_ID;	/* bare names: no built-in modules */
	module = bareFindModuleName(path, sizeof(path));
	if (!module)
		return XS_NO_ID;
	{
		/* a module's name is a key a board's preloaded build holds in flash: its name stays there */
		long start = simKeysLoadBegin(the);
		txID id = fxNewNameX(the, (txString)module->name);
		simKeysLoadEnd(the, start);
		return id;
	}
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	const char* name = fxGetKeyName(the, moduleID);
	const BareModule* code = name ? bareFindModuleCode(name) : NULL;
	txScript script;
	if (!code)
		mxReferenceError("module \"%s\" not in the image", name ? name : "?");
	/* no symbols: the IDs are patched in already, and fxRunScript neither remaps nor frees */
	memset(&script, 0, sizeof(script));
	script.codeBuffer = (txByte*)code->code;
	script.codeSize = (txSize)code->size;
	{
		long start = simKeysLoadBegin(the);
		fxResolveModule(the, module, moduleID, &script, C_NULL, C_NULL);
		simKeysLoadEnd(the, start);
	}
}

/* eval(), new Function() and scripts: the image has no parser (its modules are bytecode made at
 * build time), so source text is refused, as in a Moddable build without the parser. */
txScript* fxParseScript(txMachine* the, void* stream, txGetter getter, txUnsigned flags)
{
	mxSyntaxError("no JavaScript parser in this image: modules are compiled at build time");
	return C_NULL;
}

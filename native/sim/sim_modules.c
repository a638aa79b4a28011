/* Module lookup and loading for the simulator: ES modules are files on disk, named by their real
 * path so each loads once; relative specifiers resolve against the importing file. */
#include "sim_internal.h"
#include "xsScript.h"
#include <limits.h>
#include <sys/stat.h>

static bool simIsFile(const char* path)
{
	struct stat info;
	return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	char name[PATH_MAX];
	char path[2 * PATH_MAX + 8];
	char real[PATH_MAX];
	fxToStringBuffer(the, slot, name, sizeof(name));
	if (!simResolveSpecifier(the, moduleID, name, path, sizeof(path))) {
		char cwd[PATH_MAX];
		/* the host's entry module: a path relative to the working directory; other bare names:
		 * no built-in modules in the simulator */
		if (moduleID != XS_NO_ID || !getcwd(cwd, sizeof(cwd)))
			return XS_NO_ID;
		snprintf(path, sizeof(path), "%s/%s", cwd, name);
		simNormalisePath(path);
	}
	if (!simIsFile(path)) {
		/* Moddable names modules without ".js"; accept that spelling too */
		size_t n = strlen(path);
		if (n + 4 >= sizeof(path))
			return XS_NO_ID;
		memcpy(path + n, ".js", 4);
		if (!simIsFile(path))
			return XS_NO_ID;
	}
	if (!realpath(path, real))
		return XS_NO_ID;
	{
		/* a module's name is a key a board's preloaded build holds in flash */
		long start = simKeysLoadBegin(the);
		txID id = fxNewNameC(the, real);
		simKeysLoadEnd(the, start);
		return id;
	}
}

static void simCloseFile(void* file)
{
	fclose(file);
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	char path[PATH_MAX];
	FILE* file;
	snprintf(path, sizeof(path), "%s", fxGetKeyName(the, moduleID));
	file = fopen(path, "r");
	if (!file)
		mxReferenceError("module \"%s\" cannot be read", path);
	simParseModule(the, module, moduleID, path, file, (txGetter)fgetc, simCloseFile);
}

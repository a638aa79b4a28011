/* ept-bare-xsc: compiles the app's modules to XS bytecode on the build machine for the
 * bare-metal images (docs/bare-metal.md, "Ahead-of-time bytecode"), so that neither the parser
 * nor the parsed code sits in the board's RAM.
 *
 *   ept-bare-xsc --board BOARD.json --out bare_app.c NAME=FILE ...
 *
 * NAME is the module's name in the image ("/build/js/firmware/main.js"), FILE its source. The
 * modules are parsed with the XS 13.3 parser of the simulator (simParseScript, the same call the
 * images made at boot before). Two rewrites make the code runnable from flash, where it cannot
 * be patched or copied:
 *  - identifiers: XS patches each module's local symbol numbers to key IDs when it runs the
 *    module (fxRemapIDs). Here the keys are made on a machine created exactly as the image
 *    creates its own (built-ins, then the host globals), in one fixed order, and the code is
 *    patched now; the image makes the same keys in the same order at boot and checks that
 *    every ID matches (bare_modules.c), else it stops.
 *  - function bodies and string literals: XS_CODE_CODE_n / XS_CODE_STRING_n copy the bytes into
 *    the chunk heap when a function or string is made; their _ARCHIVE_n twins (same operands,
 *    the ones XS runs for code in ROM) point into the code instead.
 * Output: one C file with the key names, their expected IDs and each module's bytecode. */
#include "sim_internal.h"

/* xsRun.c: patches a code buffer's symbol numbers to key IDs (not in the engine's headers) */
extern void fxRemapIDs(txMachine* the, txByte* codeBuffer, txSize codeSize, txID* theIDs);

typedef struct {
	const char* name;
	txScript* script;
} XscModule;

#define XSC_MODULES_MAX 256

static int xscGetByte(void* data)
{
	FILE* file = data;
	return fgetc(file);
}

/* Rewrites copy-to-chunk opcodes to their in-place twins; walks the code as fxRemapIDs does. */
static int xscArchive(txByte* code, txSize size)
{
	txByte* p = code;
	txByte* q = code + size;
	int rewritten = 0;
	while (p < q) {
		txU1 op = *(txU1*)p;
		txS1 offset = gxCodeSizes[op];
		txS4 skip;
		if (op >= XS_CODE_CODE_1 && op <= XS_CODE_CODE_4) {
			*p = (txByte)(XS_CODE_CODE_ARCHIVE_1 + (op - XS_CODE_CODE_1));
			rewritten++;
		}
		else if (op >= XS_CODE_STRING_1 && op <= XS_CODE_STRING_4) {
			*p = (txByte)(XS_CODE_STRING_ARCHIVE_1 + (op - XS_CODE_STRING_1));
			rewritten++;
		}
		if (offset > 0)
			p += offset;
		else if (offset == 0)
			p += 1 + sizeof(txID);
		else if (offset == -1)
			p += 2 + *(txU1*)(p + 1);
		else if (offset == -2) {
			txU2 n;
			txByte* r = p + 1;
			mxDecode2(r, n);
			p = r + n;
		}
		else if (offset == -4) {
			txByte* r = p + 1;
			mxDecode4(r, skip);
			p = r + skip;
		}
		else {
			fprintf(stderr, "ept-bare-xsc: unknown opcode size %d\n", offset);
			exit(1);
		}
	}
	if (p != q) {
		fprintf(stderr, "ept-bare-xsc: code walk overran the buffer\n");
		exit(1);
	}
	return rewritten;
}

static void xscPutString(FILE* out, const char* s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7F)
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void xscPutBytes(FILE* out, const txByte* bytes, txSize size)
{
	txSize i;
	for (i = 0; i < size; i++)
		fprintf(out, "%u,%s", (unsigned)(txU1)bytes[i], (i % 24 == 23) ? "\n" : "");
	fputc('\n', out);
}

int main(int argc, char** argv)
{
	static SimHost host;
	static XscModule modules[XSC_MODULES_MAX];
	const char* outPath = NULL;
	txMachine* the;
	txID firstKey;
	int count = 0, i, rewritten = 0;
	long codeBytes = 0;
	FILE* out;
	host.flashCutAfter = -1;
	host.flashFd = -1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--board") && i + 1 < argc)
			host.boardPath = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			outPath = argv[++i];
		else if (strchr(argv[i], '=') && count < XSC_MODULES_MAX)
			modules[count++].name = argv[i];
		else
			break;
	}
	if (i < argc || !host.boardPath || !outPath || !count) {
		fprintf(stderr, "usage: ept-bare-xsc --board BOARD.json --out FILE.c NAME=FILE ...\n");
		return SIM_EXIT_USAGE;
	}
	if (!simLoadBoard(&host))
		return SIM_EXIT_USAGE;
	/* room to grow: the key names are copied here (in flash in the image); heap sizes do not
	 * change which ID a key gets */
	host.creation.chunkIncremental = 32 * 1024;
	host.creation.heapIncremental = 1024;
	/* the image's own sequence (bare_main.c): baseline, machine, globals */
	simMeasureBaseline(&host);
	the = simCreateMachine(&host, &host.creation, &host.baseline);
	firstKey = the->keyIndex;
	the->keyDelta = 256;
	for (i = 0; i < count; i++) {
		char* eq = strchr(modules[i].name, '=');
		char message[256];
		FILE* file;
		*eq = 0;
		file = fopen(eq + 1, "rb");
		if (!file) {
			fprintf(stderr, "ept-bare-xsc: cannot open %s\n", eq + 1);
			return 1;
		}
		modules[i].script = simParseScript(the, modules[i].name, file, xscGetByte, message,
			sizeof(message));
		fclose(file);
		if (!modules[i].script) {
			fprintf(stderr, "ept-bare-xsc: %s\n", message);
			return 1;
		}
		if (modules[i].script->hostsBuffer || modules[i].script->callback) {
			fprintf(stderr, "ept-bare-xsc: %s: host functions (@ \"name\") are not supported\n",
				modules[i].name);
			return 1;
		}
	}
	/* keys in module order, then symbol order: the order the image makes them in */
	for (i = 0; i < count; i++) {
		txScript* script = modules[i].script;
		txByte* p = script->symbolsBuffer;
		txID c, k;
		txID* ids;
		mxDecodeID(p, c);
		ids = malloc(sizeof(txID) * (c ? c : 1));
		if (!ids)
			return 1;
		ids[0] = XS_NO_ID;
		for (k = 1; k < c; k++) {
			ids[k] = fxNewNameC(the, (txString)p);
			p += strlen((char*)p) + 1;
		}
		fxRemapIDs(the, script->codeBuffer, script->codeSize, ids);
		free(ids);
		rewritten += xscArchive(script->codeBuffer, script->codeSize);
		codeBytes += script->codeSize;
	}
	out = fopen(outPath, "w");
	if (!out)
		return 1;
	fprintf(out, "/* generated by native/bare/tools/bare_xsc.c: the app's modules as XS bytecode */\n"
		"#include \"bare_files.h\"\n");
	fprintf(out, "const char* const bareKeyNames[] = {\n");
	for (txID id = firstKey; id < the->keyIndex; id++) {
		fputc('\t', out);
		xscPutString(out, fxGetKeyName(the, id));
		fprintf(out, ",\n");
	}
	fprintf(out, "\t0\n};\nconst uint16_t bareKeyFirst = %u;\n", (unsigned)firstKey);
	for (i = 0; i < count; i++) {
		fprintf(out, "/* %s */\nstatic const uint8_t bare_code_%d[%ld] __attribute__((aligned(4))) = {\n",
			modules[i].name, i, (long)modules[i].script->codeSize);
		xscPutBytes(out, modules[i].script->codeBuffer, modules[i].script->codeSize);
		fprintf(out, "};\n");
	}
	fprintf(out, "const BareModule bareModules[] = {\n");
	for (i = 0; i < count; i++) {
		fputc('\t', out);
		fprintf(out, "{ ");
		xscPutString(out, modules[i].name);
		fprintf(out, ", bare_code_%d, %ld },\n", i, (long)modules[i].script->codeSize);
	}
	fprintf(out, "\t{ 0, 0, 0 }\n};\n");
	if (fclose(out) != 0)
		return 1;
	fprintf(stderr, "ept-bare-xsc: %d modules, %ld bytes of bytecode, %u keys, %d opcodes made in-place\n",
		count, codeBytes, (unsigned)(the->keyIndex - firstKey), rewritten);
	for (i = 0; i < count; i++)
		fxDeleteScript(modules[i].script);
	fxDeleteMachine(the);
	return 0;
}

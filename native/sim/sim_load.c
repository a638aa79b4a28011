/* Shared by the desktop simulator and the bare-metal host (native/bare): module parsing with
 * key accounting, path normalisation and the promise-job flag. Only module lookup and how a
 * module's bytes are reached differ per host (sim_modules.c: files; native/bare: flash). */
#include "sim_internal.h"
#include "xsScript.h"

/* xsMemory.c: adds a block of slots to the slot heap (not in the engine's headers) */
extern void fxGrowSlots(txMachine* the, txSize theCount);

/* Folds "." and ".." segments of an absolute path in place, as a URL resolver would. */
void simNormalisePath(char* path)
{
	char* out = path;
	const char* in = path;
	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		const char* end = strchr(in, '/');
		size_t n = end ? (size_t)(end - in) : strlen(in);
		if (n == 1 && in[0] == '.') {
			/* drop */
		}
		else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		}
		else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	if (out == path)
		*out++ = '/';
	*out = 0;
}

int simResolveSpecifier(void* the_, int referrer, const char* name, char* path, size_t size)
{
	txMachine* the = the_;
	if (name[0] == '/')
		snprintf(path, size, "%s", name);
	else if ((!strncmp(name, "./", 2) || !strncmp(name, "../", 3)) && referrer != XS_NO_ID) {
		const char* from = fxGetKeyName(the, (txID)referrer);
		const char* slash = from ? strrchr(from, '/') : NULL;
		if (!slash)
			return 0;
		snprintf(path, size, "%.*s/%s", (int)(slash - from), from, name);
	}
	else
		return 0;
	simNormalisePath(path);
	return 1;
}

/* Key accounting (docs/simulator.md, "Keys"). The simulator parses modules at run time, so every
 * identifier of the app becomes a key here, whereas mcconfig compiles modules with xsc and
 * preloads them: their keys sit in flash and do not use the board's key table. Keys made while a
 * module is found or loaded are therefore counted apart (the table may grow for them), and the
 * board's key budget applies to the keys the app makes while running. */
long simKeysLoadBegin(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	if (host && host->loadDepth++ == 0) {
		host->savedKeyDelta = the->keyDelta;
		the->keyDelta = 256;
	}
	return (long)the->keyIndex;
}

void simKeysLoadEnd(void* machine, long start)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	txID id;
	txSize made;
	if (!host)
		return;
	made = (txSize)(the->keyIndex - (txID)start);
	for (id = (txID)start; id < the->keyIndex; id++) {
		txSlot* key = the->keyArray[id - the->keyOffset];
		host->loadKeys++;
		/* each key is one slot plus, for a copied name, one chunk */
		if (key && key->kind == XS_KEY_KIND && key->value.key.string) {
			/* as the engine's fxNewChunk sizes it: header + name rounded to a word */
			size_t n = strlen(key->value.key.string) + 1;
			n += (sizeof(size_t) - n % sizeof(size_t)) % sizeof(size_t);
			host->loadKeyChunks += (int32_t)(n + sizeof(txChunk));
		}
	}
	/* Each key took a slot (flash on a board): a fixed slot heap grows by as many, so the app
	 * keeps the board's slot budget. fxGrowSlots spends up to two of them on block links, so
	 * the app gets at most the board's budget, never more. */
	if (made > 2 && the->minimumHeapCount == 0)
		fxGrowSlots(the, made);
	if (--host->loadDepth > 0)
		return;
	the->keyDelta = (txID)host->savedKeyDelta;
	if (the->keyDelta == 0) {
		/* fixed budget: leave room for exactly what the running app may still create */
		long remaining = host->creation.keysAvailable - simRuntimeKeys(the);
		txID count = (txID)(the->keyIndex + (remaining > 0 ? remaining : 0));
		if (count != the->keyCount) {
			txSlot** array = c_realloc(the->keyArray, (size_t)(count - the->keyOffset) * sizeof(txSlot*) + sizeof(txSlot*));
			if (!array)
				fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
			the->keyArray = array;
			the->keyCount = count;
		}
	}
}

/* keys the app created while running: all keys above the machine's built-ins, less load keys */
long simRuntimeKeys(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	return (long)(the->keyIndex - the->keyOffset) - host->baseline.keys - host->loadKeys;
}

/* Keeps the first parse error with its file and line, for the SyntaxError the import rejects
 * with (the engine's own message has neither). */
static void simRecordParseError(void* console, txString path, txInteger line, txString format,
	c_va_list arguments)
{
	SimHost* host = simHostOf(console);
	txParser* parser;
	int n;
	if (!host)
		return;
	if (!host->parseError[0]) {
		n = snprintf(host->parseError, sizeof(host->parseError), "%s:%d: ", path ? path : "?",
			(int)line);
		if (n > 0 && (size_t)n < sizeof(host->parseError))
			vsnprintf(host->parseError + n, sizeof(host->parseError) - (size_t)n, format, arguments);
	}
	/* Out of memory (malloc failed on bare metal): XS 13.3's fxReportMemoryError would next
	 * allocate the message from the parser's heap, fail again and recurse until the C stack ran
	 * through RAM (the rv32 budget image hung so). The message is kept here: leave the parse. */
	parser = host->parser;
	if (parser && parser->error == C_ENOMEM)
		c_longjmp(parser->firstJump->jmp_buf, 1);
}

/* Parses one script's source, read byte by byte through `getter` from `stream`, into bytecode
 * (module goal). NULL on error, with "path:line: message" in `message`. Shared by the loader
 * below and the build-time compiler of the bare-metal images (native/bare/tools/bare_xsc.c). */
void* simParseScript(void* machine, const char* path, void* stream, txGetter getter,
	char* message, size_t size)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	txParser parserRecord;
	txParser* parser = &parserRecord;
	txParserJump jump;
	txScript* volatile script = NULL;   /* set between setjmp and longjmp */
	message[0] = 0;
	fxInitializeParser(parser, the, the->parserBufferSize, the->parserTableModulo);
	parser->firstJump = &jump;
	parser->reportError = simRecordParseError;
	host->parseError[0] = 0;
	host->parser = parser;
	if (c_setjmp(jump.jmp_buf) == 0) {
		parser->path = fxNewParserSymbol(parser, (txString)path);
		fxParserTree(parser, stream, getter, 0, NULL);
		fxParserHoist(parser);
		fxParserBind(parser);
		script = fxParserCode(parser);
	}
	if (parser->errorCount || !script) {
		/* the parser may still return code that throws; report with the location instead */
		snprintf(message, size, "%s", host->parseError[0] ? host->parseError
			: (parser->errorMessage ? parser->errorMessage : "cannot parse"));
		if (script)
			fxDeleteScript(script);
		script = NULL;
	}
#ifdef mxInstrument
	if (the->peakParserSize < parser->total)
		the->peakParserSize = parser->total;
#endif
	host->parser = NULL;
	fxTerminateParser(parser);
	return script;
}

/* Parses one module's source (simParseScript) and resolves it; `close` (may be NULL) releases
 * the stream before any error is thrown. Errors become SyntaxError with "path:line: message". */
void simParseModule(void* machine, void* moduleSlot, txID moduleID, const char* path, void* stream,
	txGetter getter, void (*close)(void*))
{
	txMachine* the = machine;
	txSlot* module = moduleSlot;
	SimHost* host = simHostOf(the);
	char message[256];
	long keyStart = simKeysLoadBegin(the);
	txScript* script = simParseScript(the, path, stream, getter, message, sizeof(message));
	if (close)
		close(stream);
	if (!script) {
		simKeysLoadEnd(the, keyStart);
		mxSyntaxError("%s", message);
	}
	/* the parser's code buffer is malloc'ed and the module's functions point into it
	 * (XS_CODE_X_KIND): bytecode is outside the chunk heap, as flash-resident code is on a board */
	host->codeBytes += script->codeSize;
	/* the code's identifiers become keys while the module is resolved (fxRunScript) */
	fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
	simKeysLoadEnd(the, keyStart);
}

/* The event loop (sim_main.c) runs the jobs; the engine only tells it that some are queued. */
void fxQueuePromiseJobs(txMachine* the)
{
	the->simPromiseJobs = 1;
}

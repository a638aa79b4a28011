/* edge-peft-sim: runs the compiled TypeScript app (ES modules) on XS 13.3 with a board's memory
 * budget. Usage in docs/simulator.md. */
#include "sim_internal.h"
#include <limits.h>

static void simUsage(void)
{
	fprintf(stderr,
		"usage: edge-peft-sim [--board FILE] [--flash FILE] [--flash-cut-after N] [--realtime]"
		" [--] ENTRY.js [args...]\n");
	exit(SIM_EXIT_USAGE);
}

static bool simParseArguments(SimHost* host, int argc, char** argv, char* defaultBoard,
	size_t size)
{
	int i;
	for (i = 1; i < argc; i++) {
		const char* a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (!strcmp(a, "--realtime"))
			host->realtime = true;
		else if (!strcmp(a, "--board") && i + 1 < argc)
			host->boardPath = argv[++i];
		else if (!strcmp(a, "--flash") && i + 1 < argc)
			host->flashPath = argv[++i];
		else if (!strcmp(a, "--flash-cut-after") && i + 1 < argc) {
			char* end;
			long long n = strtoll(argv[++i], &end, 10);
			if (*end || n < 0)
				return false;
			host->flashCutAfter = n;
		}
		else
			return false;
	}
	if (i >= argc)
		return false;
	host->entryPath = argv[i];
	host->appArgc = argc - i - 1;
	host->appArgv = argv + i + 1;
	if (!host->boardPath) {
		/* boards/sim.json of the working directory, else of the checkout holding this binary */
		char exe[PATH_MAX];
		ssize_t n;
		host->boardPath = "boards/sim.json";
		if (access(host->boardPath, R_OK) != 0
			&& (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
			char* slash;
			exe[n] = 0;
			slash = strrchr(exe, '/');
			if (slash) {
				*slash = 0;
				snprintf(defaultBoard, size, "%s/../../boards/sim.json", exe);
				host->boardPath = defaultBoard;
			}
		}
	}
	return true;
}

int main(int argc, char** argv)
{
	static SimHost host;
	char defaultBoard[PATH_MAX + 32];
	char entry[PATH_MAX];
	txMachine* the;
	host.flashCutAfter = -1;
	host.flashFd = -1;
	if (!simParseArguments(&host, argc, argv, defaultBoard, sizeof(defaultBoard)))
		simUsage();
	if (!simLoadBoard(&host) || !simFlashOpen(&host))
		return SIM_EXIT_USAGE;
	if (!realpath(host.entryPath, entry)) {
		fprintf(stderr, "edge-peft-sim: cannot find %s\n", host.entryPath);
		return SIM_EXIT_USAGE;
	}
	simMeasureBaseline(&host);
	the = simCreateMachine(&host, &host.creation, &host.baseline);
	simBeginRun(the);
	host.realStart = simRealNow();
	simRunEntry(the, entry);
	simRunLoop(the);
	/* what the app still holds once garbage is gone (peaks include uncollected garbage) */
	simMeasureLive(the);
	simPrintMemory(the);
	simDeleteTimers(the);
	fxDeleteMachine(the);
	simFlashClose(&host);
	free(host.boardText);
	fflush(stdout);
	return SIM_EXIT_OK;
}

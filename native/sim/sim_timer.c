/* Clock and timers. Virtual time by default: when nothing else can run, the clock jumps to the
 * earliest timer, so a minute of 50 Hz playback takes milliseconds. --realtime sleeps instead. */
#include "sim_internal.h"
#include <errno.h>

struct SimTimer {
	SimTimer* next;
	uint32_t id;
	double when;          /* ms on the simulator clock */
	double interval;      /* ms; 0 for a one-shot timer */
	uint64_t sequence;    /* equal deadlines fire in the order they were set */
	txBoolean passID;     /* Moddable Timer callbacks receive their id; setTimeout's do not */
	txBoolean cleared;
	txSlot callback;
};

/* SIM_VIRTUAL_CLOCK_ONLY: hosts without a wall clock (native/bare) have virtual time only. */
#ifndef SIM_VIRTUAL_CLOCK_ONLY
double simRealNow(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

void simAdvanceClock(SimHost* host)
{
	if (host->realtime)
		host->now = simRealNow() - host->realStart;
}
#else
void simAdvanceClock(SimHost* host)
{
}
#endif

static void simInsertTimer(SimHost* host, SimTimer* timer)
{
	SimTimer** link = &host->timers;
	timer->sequence = host->nextTimerSequence++;
	while (*link && ((*link)->when <= timer->when))
		link = &(*link)->next;
	timer->next = *link;
	*link = timer;
}

/* Detaches the timer with `id`, or NULL when it is not pending. */
static SimTimer* simTakeTimer(SimHost* host, uint32_t id)
{
	SimTimer** link = &host->timers;
	while (*link) {
		SimTimer* timer = *link;
		if (timer->id == id) {
			*link = timer->next;
			timer->next = NULL;
			return timer;
		}
		link = &timer->next;
	}
	return NULL;
}

static void simFreeTimer(txMachine* the, SimTimer* timer)
{
	fxForget(the, &timer->callback);
	c_free(timer);
}

static double simDelay(txMachine* the, txInteger index)
{
	double delay = (mxArgc > index) ? fxToNumber(the, mxArgv(index)) : 0;
	return (delay > 0) ? delay : 0;   /* NaN and negatives mean "as soon as possible" */
}

static uint32_t simSetTimer(txMachine* the, double delay, double interval, txBoolean passID)
{
	SimHost* host = simHostOf(the);
	SimTimer* timer;
	if ((mxArgc < 1) || !fxIsCallable(the, mxArgv(0)))
		mxTypeError("timer: callback is not a function");
	timer = c_calloc(1, sizeof(SimTimer));
	if (!timer)
		mxUnknownError("timer: no host memory");
	simAdvanceClock(host);
	timer->id = ++host->nextTimerID;
	timer->when = host->now + delay;
	timer->interval = interval;
	timer->passID = passID;
	timer->callback = *mxArgv(0);
	fxRemember(the, &timer->callback);
	simInsertTimer(host, timer);
	return timer->id;
}

static void simClearTimer(txMachine* the, txSlot* which)
{
	SimHost* host = simHostOf(the);
	SimTimer* timer;
	if (!mxIsNumber(which) && !(which->kind == XS_INTEGER_KIND))
		return;
	timer = simTakeTimer(host, (uint32_t)fxToInteger(the, which));
	if (timer)
		simFreeTimer(the, timer);
	else if (host->running && host->running->id == (uint32_t)fxToInteger(the, which))
		host->running->cleared = 1;   /* a callback clearing its own timer */
}

/* setTimeout(callback, ms) / setInterval(callback, ms) / clearTimeout(id) / clearInterval(id) */
void sim_setTimeout(txMachine* the)
{
	mxResult->kind = XS_INTEGER_KIND;
	mxResult->value.integer = (txInteger)simSetTimer(the, simDelay(the, 1), 0, 0);
}

void sim_setInterval(txMachine* the)
{
	double interval = simDelay(the, 1);
	/* at least 1 ms, else a zero interval would never let virtual time advance */
	mxResult->kind = XS_INTEGER_KIND;
	mxResult->value.integer = (txInteger)simSetTimer(the, interval, (interval < 1) ? 1 : interval, 0);
}

void sim_clearTimer(txMachine* the)
{
	if (mxArgc > 0)
		simClearTimer(the, mxArgv(0));
}

/* xs_timer_set(callback, ms, interval): Moddable Timer.set/repeat semantics, returns an id */
void xs_timer_set(txMachine* the)
{
	double interval = (mxArgc > 2) ? simDelay(the, 2) : 0;
	if ((interval > 0) && (interval < 1))
		interval = 1;
	mxResult->kind = XS_INTEGER_KIND;
	mxResult->value.integer = (txInteger)simSetTimer(the, simDelay(the, 1), interval, 1);
}

void xs_timer_clear(txMachine* the)
{
	sim_clearTimer(the);
}

/* xs_clock_now(): ms since the simulator started, virtual or real */
void xs_clock_now(txMachine* the)
{
	SimHost* host = simHostOf(the);
	simAdvanceClock(host);
	fxNumber(the, mxResult, host->now);
}

bool simRunNextTimer(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	SimTimer* timer = host->timers;
	if (!timer)
		return false;
	host->timers = timer->next;
	timer->next = NULL;
#ifndef SIM_VIRTUAL_CLOCK_ONLY
	if (host->realtime) {
		double wait;
		simAdvanceClock(host);
		wait = timer->when - host->now;
		if (wait > 0) {
			struct timespec span = { (time_t)(wait / 1000), (long)(fmod(wait, 1000) * 1e6) };
			while (nanosleep(&span, &span) && errno == EINTR)
				;
		}
		simAdvanceClock(host);
	}
	else
#endif
	if (host->now < timer->when)
		host->now = timer->when;
	host->running = timer;
	fxBeginHost(the);
	mxTry(the) {
		mxPushUndefined();
		mxPushSlot(&timer->callback);
		mxCall();
		if (timer->passID) {
			mxPushInteger((txInteger)timer->id);
			mxRunCount(1);
		}
		else
			mxRunCount(0);
		mxPop();
	}
	mxCatch(the) {
		txSlot exception = mxException;
		mxException = mxUndefined;
		mxPushSlot(&exception);   /* keep it reachable while it is printed */
		simPrintException(the, "uncaught exception", the->stack);
		simExit(the, SIM_EXIT_ERROR);
	}
	fxEndHost(the);
	host->running = NULL;
	if (timer->interval > 0 && !timer->cleared) {
		timer->when += timer->interval;
		simInsertTimer(host, timer);
	}
	else
		simFreeTimer(the, timer);
	return true;
}

void simDeleteTimers(void* machine)
{
	txMachine* the = machine;
	SimHost* host = simHostOf(the);
	while (host->timers) {
		SimTimer* timer = host->timers;
		host->timers = timer->next;
		simFreeTimer(the, timer);
	}
}

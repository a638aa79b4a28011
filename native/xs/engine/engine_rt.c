/* xsmc bodies of the engine face's run-time state calls (native/xs/engine/engine.ts): reset,
 * rates and the EWC state blob. Split from engine.c to keep each file small; same session. */
#include "engine_state.h"

/* resetAdapters(): the initial adapter (as a fresh session), EWC Fisher and anchor kept. */
void xs_engine_resetAdapters(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	s->err[0] = 0;
	epxCheck(the, s, ept_reset_adapters(s->session.trainer), "resetAdapters");
}

/* setRates(lrMicro, lambdaMilli): the spec's sgd:lr and ewc:lambda in its fixed-point units;
 * lambda cannot switch EWC on or off (its memory is carved at open). */
void xs_engine_setRates(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	int32_t lr, lambda;
	ep_status st;
	epxNeedArgs(the, 2, "setRates(lrMicro, lambdaMilli)");
	lr = epxIntArg(the, 0, 0, INT32_MAX, "lrMicro");
	lambda = epxIntArg(the, 1, 0, INT32_MAX, "lambdaMilli");
	s->err[0] = 0;
	st = ept_set_rates(s->session.trainer, (uint32_t)lr, (uint32_t)lambda);
	if (st == EP_ERR_STATE)
		xsUnknownError("engine: setRates: %s: EWC is %s in this session's spec and cannot be switched %s",
			ep_status_name(st), lambda == 0 ? "on" : "off", lambda == 0 ? "off" : "on");
	epxCheck(the, s, st, "setRates");
}

/* Bytes of the EWC state blob (docs/formats.md, "EPEW"); 0 when the spec has no EWC. */
void xs_engine_ewcBytes(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)ept_ewc_bytes(epxEngineOf(the)->session.trainer));
}

/* exportEwc(buffer): writes Fisher + anchor; returns the bytes written. */
void xs_engine_exportEwc(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	size_t written = 0;
	uint8_t* out;
	ep_status st;
	epxNeedArgs(the, 1, "exportEwc(buffer)");
	out = epxOutputOf(the, s, 0, &size, NULL, 0, "exportEwc");
	s->err[0] = 0;
	st = ept_ewc_export(s->session.trainer, out, size, &written);
	if (st == EP_ERR_STATE)
		xsUnknownError("engine: exportEwc: %s: no EWC in this session (the spec needs ewc:lambda)", ep_status_name(st));
	if (st == EP_ERR_SIZE)
		xsRangeError("engine: exportEwc: %s: buffer of %u bytes, the state is %u", ep_status_name(st),
			(unsigned)size, (unsigned)ept_ewc_bytes(s->session.trainer));
	epxCheck(the, s, st, "exportEwc");
	xsmcSetInteger(xsResult, (xsIntegerValue)written);
}

/* importEwc(bytes): restores Fisher + anchor. The trainer checks the whole blob (magic, version,
 * CRC-32, every tensor's kind / layer / size) before it writes anything, so a refused blob leaves
 * the current EWC state as it was; its message names the refused field. */
void xs_engine_importEwc(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	const uint8_t* in;
	epxNeedArgs(the, 1, "importEwc(bytes)");
	in = (const uint8_t*)epxBytesOf(the, &xsArg(0), &size);
	s->err[0] = 0;
	epxCheck(the, s, ept_ewc_import(s->session.trainer, in, size, s->err, sizeof(s->err)), "importEwc");
}

/* Examples the session has run through the Fisher since it opened. */
void xs_engine_fisherExamples(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)epxEngineOf(the)->fisherExamples);
}

/* exportCheckpoint(buffer): writes the full-precision trainer state (docs/formats.md, "EPCK":
 * masters, momentum, h shifts, step) into a caller buffer, so a rollback snapshot taken every
 * round allocates nothing in the XS heap; returns the bytes written. */
void xs_engine_exportCheckpoint(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	size_t written = 0;
	uint8_t* out;
	ep_status st;
	epxNeedArgs(the, 1, "exportCheckpoint(buffer)");
	out = epxOutputOf(the, s, 0, &size, NULL, 0, "exportCheckpoint");
	s->err[0] = 0;
	st = ept_checkpoint_export(s->session.trainer, out, size, &written);
	if (st == EP_ERR_SIZE)
		xsRangeError("engine: exportCheckpoint: %s: buffer of %u bytes, the checkpoint is %u",
			ep_status_name(st), (unsigned)size, (unsigned)ept_checkpoint_bytes(s->session.trainer));
	epxCheck(the, s, st, "exportCheckpoint");
	xsmcSetInteger(xsResult, (xsIntegerValue)written);
}

/* importCheckpoint(bytes): the trainer validates the whole checkpoint (size, magic, version,
 * CRC-32, configuration hash, every record) before it writes, so a refused one leaves the
 * session as it was; the message names the refused field. EWC state is not part of it. */
void xs_engine_importCheckpoint(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	const uint8_t* in;
	epxNeedArgs(the, 1, "importCheckpoint(bytes)");
	in = (const uint8_t*)epxBytesOf(the, &xsArg(0), &size);
	s->err[0] = 0;
	epxCheck(the, s, ept_checkpoint_import(s->session.trainer, in, size, s->err, sizeof(s->err)),
		"importCheckpoint");
}

/* xsmc body of the engine face (native/xs/engine/engine.ts), shared by the simulator and
 * Moddable builds. One instance = one model + adapter configuration + trainer session.
 *
 * Memory: the arena and the session records sit in a static block (.bss on a board), sized at
 * build time by EPX_ARENA_BYTES; the board profile's arenaBytes picks how much of it a session
 * may use. Static, not a host chunk: the session stores pointers into its arena and XS may
 * move host chunks when it compacts the chunk heap. So one session is open at a time, and no
 * call allocates. The model must be a host buffer (a Resource in flash): ArrayBuffer memory is
 * relocatable, and the session points into the model's weights. */
#include "engine_state.h"
#include <string.h>

/* Arena size: on Moddable builds the manifest's "defines": {"engine": {"arena": N}} (one per
 * platform, equal to the board profile's arenaBytes) arrives as MODDEF_ENGINE_ARENA through the
 * generated mc.defines.h; other builds (simulator, host tests) pass -DEPX_ARENA_BYTES or take
 * the default. __has_include: the simulator has no mc.defines.h. */
#if !defined(EPX_ARENA_BYTES) && defined(__has_include)
#if __has_include("mc.defines.h")
#include "mc.defines.h"
#endif
#endif
#if !defined(EPX_ARENA_BYTES) && defined(MODDEF_ENGINE_ARENA)
#define EPX_ARENA_BYTES MODDEF_ENGINE_ARENA
#endif
#ifndef EPX_ARENA_BYTES
#define EPX_ARENA_BYTES 65536
#endif


static struct {
	EngineState state;
	uint8_t arena[EPX_ARENA_BYTES + 16]; /* +16: the session aligns its start */
	int inUse;
} gEngine;

void xs_engine_destructor(void* data)
{
	if (data == &gEngine.state)
		gEngine.inUse = 0;
}

EngineState* epxEngineOf(xsMachine* the)
{
	EngineState* s = xsmcGetHostData(xsThis);
	if (s == NULL)
		xsUnknownError("engine: closed");
	return s;
}

/* Engine statuses become exceptions carrying the engine's own message. */
void epxCheck(xsMachine* the, EngineState* s, ep_status st, const char* what)
{
	if (st == EP_OK)
		return;
	if (s != NULL && s->err[0])
		xsUnknownError("engine: %s: %s: %s", what, ep_status_name(st), s->err);
	xsUnknownError("engine: %s: %s", what, ep_status_name(st));
}

/* Every host function checks its argument count first: Moddable release builds do not bounds
 * check xsArg (mxBoundsCheck = mxDebug), so a missing argument would read past the frame. */
void epxNeedArgs(xsMachine* the, int count, const char* usage)
{
	if (xsmcArgc < count)
		xsTypeError("engine: %s needs %d argument%s, got %d", usage, count, count == 1 ? "" : "s",
			(int)xsmcArgc);
}

/* A readable byte range of any buffer argument (ArrayBuffer, typed array, host buffer). Valid
 * only until the next allocation by XS: callers use it before creating any JS value. */
const int8_t* epxBytesOf(xsMachine* the, xsSlot* slot, uint32_t* size)
{
	void* data;
	xsUnsignedValue count;
	xsmcGetBufferReadable(*slot, &data, &count);
	*size = (uint32_t)count;
	return (const int8_t*)data;
}

static int overlaps(const void* a, size_t na, const void* b, size_t nb)
{
	const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
	return na > 0 && nb > 0 && pa < pb + nb && pb < pa + na;
}

/* An output argument: xsmcGetBufferWritable throws TypeError on a petrified or read-only buffer
 * (a Resource: flash on a board), and the range must stay clear of the model the session
 * points into and of the call's input (the suffix reads its latent while writing outputs). */
uint8_t* epxOutputOf(xsMachine* the, EngineState* s, int i, uint32_t* size, const void* in,
	uint32_t inBytes, const char* what)
{
	void* data;
	xsUnsignedValue count;
	xsmcGetBufferWritable(xsArg(i), &data, &count);
	*size = (uint32_t)count;
	if (overlaps(data, count, s->model.data, s->model.size))
		xsTypeError("engine: %s: the output overlaps the model", what);
	if (overlaps(data, count, in, inBytes))
		xsTypeError("engine: %s: the output overlaps the input", what);
	return (uint8_t*)data;
}

int32_t epxIntArg(xsMachine* the, int i, int32_t lo, int32_t hi, const char* what)
{
	int32_t v;
	if (xsmcArgc <= i)
		xsTypeError("engine: %s missing", what);
	v = xsmcToInteger(xsArg(i));
	if (v < lo || v > hi)
		xsRangeError("engine: %s %d outside %d..%d", what, (int)v, (int)lo, (int)hi);
	return v;
}

/* new Engine(model, spec, arenaBytes[, modelSha256]): modelSha256 (32 bytes, computed by the
 * caller's crypto port) is the identity adapters, EWC images and checkpoints are bound to;
 * without it the platform's SHA-256 of the model (EPX_MODEL_SHA256: the simulator, bare images),
 * so adapters the agent exports name their model as `edge-peft`'s do; else the zero identity. */
void xs_engine(xsMachine* the)
{
	EngineState* s = &gEngine.state;
	char spec[160];
	void* data;
	xsUnsignedValue size;
	ep_status st;
	int32_t arenaBytes;
	if (xsmcArgc < 3)
		xsTypeError("engine: new Engine(model, spec, arenaBytes)");
	if (gEngine.inUse)
		xsUnknownError("engine: a session is already open (close() it first)");
	if (xsmcGetBufferReadable(xsArg(0), &data, &size) != xsBufferNonrelocatable)
		xsTypeError("engine: the model must stay in place: pass a Resource (host buffer), not an ArrayBuffer");
	xsmcToStringBuffer(xsArg(1), spec, sizeof(spec));
	arenaBytes = epxIntArg(the, 2, 1, EPX_ARENA_BYTES, "arenaBytes");
	memset(s, 0, sizeof(*s));
	epxCheck(the, s, ep_model_open(&s->model, data, size, s->err, sizeof(s->err)), "model");
	ept_config_default(&s->cfg);
	epxCheck(the, s, ept_parse_spec(spec, &s->cfg, s->err, sizeof(s->err)), "spec");
	if (xsmcArgc > 3 && xsmcTypeOf(xsArg(3)) != xsUndefinedType) {
		void* digest;
		xsUnsignedValue digestBytes;
		xsmcGetBufferReadable(xsArg(3), &digest, &digestBytes);
		if (digestBytes != sizeof(s->cfg.model_sha256))
			xsRangeError("engine: modelSha256 is %u bytes, must be %u", (unsigned)digestBytes,
				(unsigned)sizeof(s->cfg.model_sha256));
		memcpy(s->cfg.model_sha256, digest, sizeof(s->cfg.model_sha256));
	}
#ifdef EPX_MODEL_SHA256
	else if (!epxModelSha256(data, (size_t)size, s->cfg.model_sha256))
		memset(s->cfg.model_sha256, 0, sizeof(s->cfg.model_sha256));
#endif
	st = ept_session_init(&s->session, &s->model, &s->cfg, gEngine.arena, (size_t)arenaBytes,
		s->err, sizeof(s->err));
	epxCheck(the, s, st, "session");
	s->arenaBytes = (uint32_t)arenaBytes;
	gEngine.inUse = 1;
	xsmcSetHostData(xsThis, s);
}

void xs_engine_close(xsMachine* the)
{
	EngineState* s = xsmcGetHostData(xsThis);
	if (s != NULL) {
		xs_engine_destructor(s);
		xsmcSetHostData(xsThis, NULL);
	}
}

static void setInt(xsMachine* the, const char* name, int32_t v)
{
	xsmcSetInteger(xsVar(0), v);
	xsmcSet(xsResult, xsID(name), xsVar(0));
}

static void setNumber(xsMachine* the, const char* name, double v)
{
	xsmcSetNumber(xsVar(0), v);
	xsmcSet(xsResult, xsID(name), xsVar(0));
}

/* Facts the app sizes its buffers from; called once after construction. */
void xs_engine_info(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	ep_tensor_view in, out;
	epxCheck(the, s, ep_session_input(&s->session.session, 0, &in), "input");
	epxCheck(the, s, ep_session_output(&s->session.session, 0, &out), "output");
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	setInt(the, "inputBytes", (int32_t)in.bytes);
	setNumber(the, "inputScale", in.scale);
	setInt(the, "inputZeroPoint", in.zero_point);
	setInt(the, "classes", s->session.plan.classes);
	setNumber(the, "outputScale", out.scale);
	setInt(the, "outputZeroPoint", out.zero_point);
	setInt(the, "latentBytes", s->session.plan.latent_bytes);
	setInt(the, "arenaBytes", (int32_t)s->session.engine_plan.arena_bytes);
	setInt(the, "adapterBytes", (int32_t)s->session.plan.export_bytes);
	setInt(the, "paramCount", (int32_t)s->session.plan.param_count);
	setInt(the, "trainBytes", (int32_t)s->session.plan.train_bytes);
	setInt(the, "ewcBytes", (int32_t)ept_ewc_bytes(s->session.trainer));
	setInt(the, "checkpointBytes", (int32_t)ept_checkpoint_bytes(s->session.trainer));
}

/* A latent of the trainer: the argument itself (latent = true) or the frozen prefix's output. */
static const int8_t* latentOf(xsMachine* the, EngineState* s, const int8_t* x, uint32_t n,
	int latent)
{
	const int8_t* lat;
	uint32_t bytes;
	if (latent) {
		if (n != (uint32_t)s->session.plan.latent_bytes)
			xsRangeError("engine: latent of %u bytes, expected %d", (unsigned)n,
				(int)s->session.plan.latent_bytes);
		return x;
	}
	s->err[0] = 0;
	epxCheck(the, s, ept_session_latent(&s->session, x, n, &lat, &bytes), "latent");
	return lat;
}

/* infer(input, latent, output): writes the model output (int8) into output; returns the
 * predicted class. The caller owns the output buffer, so nothing is allocated per call. */
void xs_engine_infer(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t n, outBytes;
	const int8_t* x;
	int latent;
	int8_t* out;
	epxNeedArgs(the, 3, "infer(input, latent, output)");
	x = epxBytesOf(the, &xsArg(0), &n);
	latent = xsmcToBoolean(xsArg(1));
	out = (int8_t*)epxOutputOf(the, s, 2, &outBytes, x, n, "infer");
	ept_step_info info;
	const int8_t* lat = latentOf(the, s, x, n, latent);
	epxCheck(the, s, ept_forward(s->session.trainer, lat, (uint32_t)s->session.plan.latent_bytes,
		out, outBytes, -1, &info), "infer");
	xsmcSetInteger(xsResult, info.predicted);
}

/* latent(input, output): copies the latent of one raw input into output. */
void xs_engine_latent(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t n, outBytes;
	const int8_t* x;
	int8_t* out;
	const int8_t* lat;
	epxNeedArgs(the, 2, "latent(input, output)");
	x = epxBytesOf(the, &xsArg(0), &n);
	out = (int8_t*)epxOutputOf(the, s, 1, &outBytes, x, n, "latent");
	lat = latentOf(the, s, x, n, 0);
	if (outBytes != (uint32_t)s->session.plan.latent_bytes)
		xsRangeError("engine: latent buffer of %u bytes, expected %d", (unsigned)outBytes,
			(int)s->session.plan.latent_bytes);
	memcpy(out, lat, outBytes);
}

/* BATCH_FISHER_MERGE: as BATCH_FISHER without the reset, the batch's squared gradients added to
 * the Fisher already held (imported or consolidated), so the fold's mean covers both. */
enum { BATCH_TRAIN = 0, BATCH_EVAL = 1, BATCH_FISHER = 2, BATCH_FISHER_MERGE = 3 };

/* Shared loop over a batch: data holds count entries back to back, labels one byte each. */
static int32_t runBatch(xsMachine* the, EngineState* s, int mode)
{
	uint32_t n, count, entry;
	const int8_t* data;
	const uint8_t* labels;
	int latent;
	int32_t correct = 0;
	int64_t loss = 0;
	ept_step_info info;
	epxNeedArgs(the, 3, "(data, labels, latent)");
	data = epxBytesOf(the, &xsArg(0), &n);
	labels = (const uint8_t*)epxBytesOf(the, &xsArg(1), &count);
	latent = xsmcToBoolean(xsArg(2));
	if (count == 0 || n % count != 0)
		xsRangeError("engine: %u data bytes for %u labels", (unsigned)n, (unsigned)count);
	entry = n / count;
	if (mode == BATCH_FISHER) {
		s->err[0] = 0;
		epxCheck(the, s, ept_fisher_reset(s->session.trainer), "fisher (EWC needs ewc:lambda in the spec)");
	}
	for (uint32_t i = 0; i < count; i++) {
		const int8_t* lat = latentOf(the, s, data + (size_t)i * entry, entry, latent);
		uint32_t lb = (uint32_t)s->session.plan.latent_bytes;
		ep_status st;
		if (labels[i] >= (uint32_t)s->session.plan.classes)
			xsRangeError("engine: label %u outside 0..%d", labels[i], (int)s->session.plan.classes - 1);
		memset(&info, 0, sizeof(info));
		s->err[0] = 0;
		if (mode == BATCH_TRAIN)
			st = ept_step(s->session.trainer, lat, lb, labels[i], &info);
		else if (mode == BATCH_EVAL)
			st = ept_forward(s->session.trainer, lat, lb, NULL, 0, labels[i], &info);
		else {
			st = ept_fisher_add(s->session.trainer, lat, lb, labels[i]);
			s->fisherExamples++;
		}
		epxCheck(the, s, st, mode == BATCH_TRAIN ? "trainStep" : mode == BATCH_EVAL ? "eval" : "fisher");
		correct += info.correct;
		loss += info.loss_q16;
	}
	s->lastLossQ16 = (int32_t)(loss / (int64_t)count);
	return correct;
}

/* trainStep(data, labels, latent): one SGD step per example; returns correct predictions
 * (before each update); lastLoss() gives the batch's mean loss. */
void xs_engine_train(xsMachine* the)
{
	xsmcSetInteger(xsResult, runBatch(the, epxEngineOf(the), BATCH_TRAIN));
}

/* trainSoft(data, targets, latent): one distillation step per example against its soft
 * target (targets: classes bytes per example, probability x 256, e.g. the frozen base's int8
 * softmax output + 128); returns the examples whose prediction matched the target's top class. */
void xs_engine_trainSoft(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t n, tb, count, entry, classes;
	const int8_t* data;
	const uint8_t* targets;
	int latent;
	int32_t correct = 0;
	int64_t loss = 0;
	ept_step_info info;
	epxNeedArgs(the, 3, "trainSoft(data, targets, latent)");
	data = epxBytesOf(the, &xsArg(0), &n);
	targets = (const uint8_t*)epxBytesOf(the, &xsArg(1), &tb);
	latent = xsmcToBoolean(xsArg(2));
	classes = (uint32_t)s->session.plan.classes;
	if (tb == 0 || tb % classes != 0)
		xsRangeError("engine: %u target bytes are not whole rows of %u classes", (unsigned)tb, (unsigned)classes);
	count = tb / classes;
	if (n % count != 0)
		xsRangeError("engine: %u data bytes for %u targets", (unsigned)n, (unsigned)count);
	entry = n / count;
	for (uint32_t i = 0; i < count; i++) {
		const int8_t* lat = latentOf(the, s, data + (size_t)i * entry, entry, latent);
		memset(&info, 0, sizeof(info));
		s->err[0] = 0;
		epxCheck(the, s, ept_step_soft(s->session.trainer, lat, (uint32_t)s->session.plan.latent_bytes,
			targets + (size_t)i * classes, classes, &info), "trainSoft");
		correct += info.correct;
		loss += info.loss_q16;
	}
	s->lastLossQ16 = (int32_t)(loss / (int64_t)count);
	xsmcSetInteger(xsResult, correct);
}

/* eval(data, labels, latent): correct predictions; lastLoss() the mean loss. */
void xs_engine_eval(xsMachine* the)
{
	xsmcSetInteger(xsResult, runBatch(the, epxEngineOf(the), BATCH_EVAL));
}

/* consolidate(data, labels, latent): diagonal Fisher over the batch, then the EWC anchor at
 * the current adapter (lambda comes from the spec). */
void xs_engine_consolidate(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	runBatch(the, s, BATCH_FISHER);
	s->err[0] = 0;
	epxCheck(the, s, ept_ewc_anchor(s->session.trainer), "anchor");
}

/* consolidateMerge(data, labels, latent): online EWC's boundary (issue 12): the batch's
 * diagonal Fisher under the current adapter added to the Fisher held (sums and sample counts,
 * so the merged Fisher is the mean over every consolidated example), then the anchor moved to
 * the current adapter. */
void xs_engine_consolidateMerge(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	runBatch(the, s, BATCH_FISHER_MERGE);
	s->err[0] = 0;
	epxCheck(the, s, ept_ewc_anchor(s->session.trainer), "anchor");
}

/* Mean loss of the last batch, Q16.16 nats. */
void xs_engine_lastLoss(xsMachine* the)
{
	xsmcSetInteger(xsResult, epxEngineOf(the)->lastLossQ16);
}

void xs_engine_steps(xsMachine* the)
{
	xsmcSetInteger(xsResult, (xsIntegerValue)ept_steps(epxEngineOf(the)->session.trainer));
}

/* exportAdapter(buffer): writes the adapter bytes; returns the count. */
void xs_engine_export(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	size_t written = 0;
	uint8_t* out;
	epxNeedArgs(the, 1, "exportAdapter(buffer)");
	out = epxOutputOf(the, s, 0, &size, NULL, 0, "exportAdapter");
	s->err[0] = 0;
	epxCheck(the, s, ept_export(s->session.trainer, out, size, &written), "exportAdapter");
	xsmcSetInteger(xsResult, (xsIntegerValue)written);
}

void xs_engine_import(xsMachine* the)
{
	EngineState* s = epxEngineOf(the);
	uint32_t size;
	const uint8_t* in;
	epxNeedArgs(the, 1, "importAdapter(bytes)");
	in = (const uint8_t*)epxBytesOf(the, &xsArg(0), &size);
	s->err[0] = 0;
	epxCheck(the, s, ept_import(s->session.trainer, in, size, s->err, sizeof(s->err)), "importAdapter");
}


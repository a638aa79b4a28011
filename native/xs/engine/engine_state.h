/* State and argument helpers shared by the engine face's C bodies (engine.c: session, infer,
 * train; engine_rt.c: run-time state calls). Internal to native/xs/engine. */
#ifndef EPX_ENGINE_STATE_H
#define EPX_ENGINE_STATE_H

#include "xsmc.h"
#include "edge_peft.h"
#include <stdint.h>

typedef struct {
	ep_model model;
	ept_session session;
	ept_config cfg;
	uint32_t arenaBytes;      /* the part of the static arena this session was given */
	int32_t lastLossQ16;      /* mean loss of the last train/eval batch */
	uint32_t fisherExamples;  /* examples run through ept_fisher_add since open (a witness that
	                           * a restart restored EWC without re-estimating it) */
	char err[160];
} EngineState;

/* The open session of this instance, else Error "engine: closed". */
EngineState* epxEngineOf(xsMachine* the);
/* Throws "engine: <what>: <STATUS>: <engine message>" unless st is EP_OK. */
void epxCheck(xsMachine* the, EngineState* s, ep_status st, const char* what);
/* TypeError unless at least count arguments were passed (read xsArg only after this). */
void epxNeedArgs(xsMachine* the, int count, const char* usage);
/* Readable bytes of a buffer argument; valid until XS next allocates. */
const int8_t* epxBytesOf(xsMachine* the, xsSlot* slot, uint32_t* size);
/* Writable bytes of output argument i, clear of the model and of in[0..inBytes). */
uint8_t* epxOutputOf(xsMachine* the, EngineState* s, int i, uint32_t* size, const void* in,
	uint32_t inBytes, const char* what);
/* Integer argument i in lo..hi, else RangeError (TypeError when missing). */
int32_t epxIntArg(xsMachine* the, int i, int32_t lo, int32_t hi, const char* what);
#ifdef EPX_MODEL_SHA256
/* The platform's SHA-256 of a model's bytes (the simulator: mbedTLS; a bare image: made at its
 * build), the identity of a session opened without modelSha256; 0 when it has none. Only where
 * EPX_MODEL_SHA256 is defined: a Moddable build passes the digest from the SDK's Digest. */
int epxModelSha256(const void* data, size_t size, uint8_t out[32]);
#endif

#endif

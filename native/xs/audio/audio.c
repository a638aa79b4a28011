/* xsmc body of the audio front-end face (native/xs/audio/audio.ts): micro_speech's
 * audio_preprocessor_int8 (TFLite Micro's Signal ops) as one inference-only session, frame by
 * frame, its noise state carried between frames as one TFLM interpreter carries it. The
 * capture -> features stage of a keyword-spotting device: 30 ms of int16 audio in, 40 int8
 * features out.
 *
 * Memory as in the engine face: the arena sits in a static block sized at build time
 * (EPX_AUDIO_ARENA_BYTES; the preprocessor plans 11,320 bytes on x86-64), one session open at a
 * time, no call allocates; the model must be a host buffer that stays in place (a Resource). */
#include "xsmc.h"
#include "edge_peft.h"
#include <string.h>

#ifndef EPX_AUDIO_ARENA_BYTES
#define EPX_AUDIO_ARENA_BYTES 16384
#endif

typedef struct {
	ep_model model;
	ep_session session;
	char err[160];
} AudioState;

static struct {
	AudioState state;
	uint8_t arena[EPX_AUDIO_ARENA_BYTES + 16]; /* +16: the session aligns its start */
	int inUse;
} gAudio;

void xs_audio_destructor(void* data)
{
	if (data == &gAudio.state)
		gAudio.inUse = 0;
}

static AudioState* stateOf(xsMachine* the)
{
	AudioState* s = xsmcGetHostData(xsThis);
	if (s == NULL)
		xsUnknownError("audio: closed");
	return s;
}

static void check(xsMachine* the, AudioState* s, ep_status st, const char* what)
{
	if (st == EP_OK)
		return;
	if (s->err[0])
		xsUnknownError("audio: %s: %s: %s", what, ep_status_name(st), s->err);
	xsUnknownError("audio: %s: %s", what, ep_status_name(st));
}

/* new AudioFrontEnd(model): the model (a Resource) opened, its session laid out; the input
 * must be int16 samples and the output int8 features. */
void xs_audio(xsMachine* the)
{
	AudioState* s = &gAudio.state;
	void* data;
	xsUnsignedValue size;
	ep_tensor_view in, out;
	if (xsmcArgc < 1)
		xsTypeError("audio: new AudioFrontEnd(model) needs the model");
	if (gAudio.inUse)
		xsUnknownError("audio: a front end is already open (close() it first)");
	if (xsmcGetBufferReadable(xsArg(0), &data, &size) != xsBufferNonrelocatable)
		xsTypeError("audio: the model must stay in place: pass a Resource (host buffer)");
	memset(s, 0, sizeof(*s));
	check(the, s, ep_model_open(&s->model, data, size, s->err, sizeof(s->err)), "model");
	check(the, s, ep_session_init(&s->session, &s->model, NULL, gAudio.arena, sizeof(gAudio.arena),
		s->err, sizeof(s->err)), "session");
	check(the, s, ep_session_input(&s->session, 0, &in), "input");
	check(the, s, ep_session_output(&s->session, 0, &out), "output");
	if (in.type != EP_TYPE_INT16 || out.type != EP_TYPE_INT8)
		xsTypeError("audio: the model must map int16 samples to int8 features");
	gAudio.inUse = 1;
	xsmcSetHostData(xsThis, s);
}

void xs_audio_close(xsMachine* the)
{
	AudioState* s = xsmcGetHostData(xsThis);
	if (s != NULL) {
		xs_audio_destructor(s);
		xsmcSetHostData(xsThis, NULL);
	}
}

/* frameSamples() / featureCount(): the sizes the caller frames and allocates for. */
void xs_audio_frame_samples(xsMachine* the)
{
	ep_tensor_view in;
	AudioState* s = stateOf(the);
	check(the, s, ep_session_input(&s->session, 0, &in), "input");
	xsmcSetInteger(xsResult, (xsIntegerValue)(in.bytes / 2));
}

void xs_audio_feature_count(xsMachine* the)
{
	ep_tensor_view out;
	AudioState* s = stateOf(the);
	check(the, s, ep_session_output(&s->session, 0, &out), "output");
	xsmcSetInteger(xsResult, (xsIntegerValue)out.bytes);
}

/* frame(pcm, byteOffset, features, featureOffset): one frame of little-endian int16 samples
 * read at pcm[byteOffset..] (any readable buffer, e.g. a view of a .wav Resource), its features
 * written to features[featureOffset..] (a writable buffer). */
void xs_audio_frame(xsMachine* the)
{
	AudioState* s = stateOf(the);
	ep_tensor_view in, out;
	void* pcm;
	void* dst;
	xsUnsignedValue pcmBytes, dstBytes;
	xsIntegerValue at, to;
	if (xsmcArgc < 4)
		xsTypeError("audio: frame(pcm, byteOffset, features, featureOffset) needs 4 arguments");
	at = xsmcToInteger(xsArg(1));
	to = xsmcToInteger(xsArg(3));
	check(the, s, ep_session_input(&s->session, 0, &in), "input");
	check(the, s, ep_session_output(&s->session, 0, &out), "output");
	xsmcGetBufferReadable(xsArg(0), &pcm, &pcmBytes);
	if (at < 0 || (xsUnsignedValue)at > pcmBytes || pcmBytes - (xsUnsignedValue)at < in.bytes)
		xsRangeError("audio: a frame needs %u bytes at offset %d of %u", (unsigned)in.bytes,
			(int)at, (unsigned)pcmBytes);
	/* byte-wise: the .wav's samples need not be aligned, and they are little-endian */
	for (uint32_t i = 0; i < in.bytes / 2; i++) {
		const uint8_t* p = (const uint8_t*)pcm + at + 2 * i;
		((int16_t*)in.data)[i] = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
	}
	check(the, s, ep_session_invoke(&s->session), "invoke");
	xsmcGetBufferWritable(xsArg(2), &dst, &dstBytes);
	if (to < 0 || (xsUnsignedValue)to > dstBytes || dstBytes - (xsUnsignedValue)to < out.bytes)
		xsRangeError("audio: features need %u bytes at offset %d of %u", (unsigned)out.bytes,
			(int)to, (unsigned)dstBytes);
	memcpy((uint8_t*)dst + to, out.data, out.bytes);
}

/* reset(): the noise state back to zero, as a new recording starts (TFLM's Reset). */
void xs_audio_reset(xsMachine* the)
{
	AudioState* s = stateOf(the);
	check(the, s, ep_session_reset_state(&s->session), "reset");
}

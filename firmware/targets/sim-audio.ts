import { classifyWav, keywordLine } from "../app/keyword-audio.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import type { Ports } from "../platform/ports.js";
import type { BoardProfile } from "../boards/profile.js";

// Simulator mode --audio FILE.wav [--audio-models DIR]: a recording through the device path
// (firmware/app/keyword-audio.ts), printing the label. DIR holds both models (default
// ../shared/models).
export function runAudio(file: string, dir: string, profile: BoardProfile, ports: Ports): void {
  const wav = new Uint8Array(new SimResource(file) as ArrayBuffer);
  const r = classifyWav(wav, new SimResource(`${dir}/audio_preprocessor_int8.tflite`),
    new SimResource(`${dir}/micro_speech_quantized.tflite`), profile.arenaBytes);
  ports.log.info(keywordLine(file, r));
}

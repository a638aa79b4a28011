import { parseWav } from "../capture/wav.js";
import { KeywordFeatures } from "../features/keyword-features.js";
import { NativeEnginePort } from "../platform/native-engine.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { AudioFrontEnd } from "../../native/xs/audio/audio.js";
import type { Ports } from "../platform/ports.js";
import type { BoardProfile } from "../boards/profile.js";

// Simulator mode --audio FILE.wav [--audio-models DIR]: a recording through the device path
// capture (.wav PCM) -> features (audio_preprocessor_int8, TFLite Micro's Signal ops, in the
// C engine) -> keyword model (micro_speech_quantized through the engine port), printing the
// label. DIR holds both models (default ../shared/models).
const LABELS = ["silence", "unknown", "yes", "no"];

export function runAudio(file: string, dir: string, profile: BoardProfile, ports: Ports): void {
  const wav = new SimResource(file);
  const bytes = new Uint8Array(wav as ArrayBuffer);
  const pcm = parseWav(bytes);
  if (pcm.rateHz !== 16000) throw new RangeError(`audio: ${file} is ${pcm.rateHz} Hz, the models want 16000`);
  const frontEnd = new AudioFrontEnd(new SimResource(`${dir}/audio_preprocessor_int8.tflite`));
  const features = new KeywordFeatures(frontEnd, { frames: 49, strideSamples: 320 });
  const input = new Int8Array(features.bytes);
  features.utterance(bytes, pcm.dataOffset, pcm.sampleCount, input);
  frontEnd.close();
  // the keyword model through the engine port (the head's bias adapter starts at zero: the base model's output)
  const engine = new NativeEnginePort(new SimResource(`${dir}/micro_speech_quantized.tflite`), "bias:layers=-1", profile.arenaBytes);
  if (engine.info.inputBytes !== input.length) throw new RangeError(`audio: the keyword model takes ${engine.info.inputBytes} bytes, features are ${input.length}`);
  const scores = engine.infer(input);
  let best = 0;
  for (let i = 1; i < scores.length; i++) if ((scores[i] ?? -128) > (scores[best] ?? -128)) best = i;
  let sum = 0;
  for (let i = 0; i < input.length; i++) sum = (sum * 31 + (input[i] ?? 0) + 128) >>> 0;
  ports.log.info(`audio: ${file}: ${pcm.sampleCount} samples, features ${features.bytes} bytes (hash ${sum}), scores ${Array.from(scores).join(" ")}, label ${LABELS[best] ?? String(best)}`);
}

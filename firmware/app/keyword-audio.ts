import { parseWav } from "../capture/wav.js";
import { KeywordFeatures } from "../features/keyword-features.js";
import { NativeEnginePort } from "../platform/native-engine.js";
import { AudioFrontEnd, type Bytes } from "../../native/xs/audio/audio.js";

// The keyword-spotting path of one recording, shared by the simulator's --audio mode and the
// Moddable target's audio app: capture (.wav PCM) -> features (audio_preprocessor_int8, TFLite
// Micro's Signal ops, in the C engine) -> keyword model (micro_speech_quantized through the
// engine port). The models are host buffers that stay in place (files, Resources). Lean on
// purpose: the simulator runs it in the esp32-sized slot heap (no try/finally: an error ends the app).
const LABELS = ["silence", "unknown", "yes", "no"];

export interface KeywordResult {
  readonly sampleCount: number;
  readonly featureBytes: number;
  /** Over the features: h = h * 31 + (v + 128), mod 2^32 (a test recomputes it from TFLite Micro's). */
  readonly hash: number;
  readonly scores: Int8Array;
  readonly label: string;
}

export function classifyWav(wav: Uint8Array, preprocessor: Bytes, keywordModel: Bytes, arenaBytes: number): KeywordResult {
  const pcm = parseWav(wav);
  if (pcm.rateHz !== 16000) throw new RangeError(`audio: ${pcm.rateHz} Hz, the models want 16000`);
  const frontEnd = new AudioFrontEnd(preprocessor);
  const features = new KeywordFeatures(frontEnd, { frames: 49, strideSamples: 320 });
  const input = new Int8Array(features.bytes);
  features.utterance(wav, pcm.dataOffset, pcm.sampleCount, input);
  frontEnd.close();
  // the head's bias adapter starts at zero: the base model's output
  const engine = new NativeEnginePort(keywordModel, "bias:layers=-1", arenaBytes);
  if (engine.info.inputBytes !== input.length) throw new RangeError(`audio: the keyword model takes ${engine.info.inputBytes} bytes, features are ${input.length}`);
  const scores = engine.infer(input);
  engine.close();
  let best = 0;
  for (let i = 1; i < scores.length; i++) if ((scores[i] ?? -128) > (scores[best] ?? -128)) best = i;
  let hash = 0;
  for (let i = 0; i < input.length; i++) hash = (hash * 31 + (input[i] ?? 0) + 128) >>> 0;
  return { sampleCount: pcm.sampleCount, featureBytes: features.bytes, hash, scores, label: LABELS[best] ?? String(best) };
}

/** The trace line both targets print (host-tests parse it). */
export function keywordLine(name: string, r: KeywordResult): string {
  return `audio: ${name}: ${r.sampleCount} samples, features ${r.featureBytes} bytes (hash ${r.hash}), scores ${Array.from(r.scores).join(" ")}, label ${r.label}`;
}

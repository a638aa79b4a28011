// The simulator's audio mode (firmware/targets/sim.ts --audio, firmware/app/keyword-audio.ts): a .wav recording through the
// device path, capture (firmware/capture/wav.ts) -> features (native/xs/audio: the C engine
// running audio_preprocessor_int8's Signal ops, frame by frame) -> keyword model
// (micro_speech_quantized through the engine port), inside the esp32-sized XS heap. Oracle:
// TFLite Micro's interpreter on the same 49 frames (features) and on its own features
// (scores); the hash the simulator prints over its features must be the hash of the oracle's.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { modelsDir, python, repoRoot } from "../support/paths.js";
import { oracleScript, scratchDir } from "../engine/harness.js";
import { simBinary } from "./harness.js";

const inputs = join(modelsDir, "inputs");

function oracle(model: string, input: Buffer, dir: string, stream: boolean): Buffer {
  const inFile = join(dir, "in.bin");
  const outFile = join(dir, "out.bin");
  writeFileSync(inFile, input);
  execFileSync(python, [oracleScript, join(modelsDir, model), "--input", inFile, "--output", outFile,
    ...(stream ? ["--keep-state"] : [])], { stdio: ["ignore", "ignore", "pipe"] });
  return readFileSync(outFile);
}

describe("simulator: a .wav recording to a keyword label (--audio)", function () {
  this.timeout(120_000);
  const scratch = scratchDir("sim-audio");
  after(() => scratch.done());

  for (const word of ["yes", "no"] as const) {
    it(`${word}_1000ms.wav: the oracle's features and scores, label "${word}", within the esp32 XS budget`, () => {
      const wav = join(inputs, `${word}_1000ms.wav`);
      const r = spawnSync(simBinary, ["--", join(repoRoot, "build/js/firmware/targets/sim.js"), "--audio", wav,
        "--audio-models", modelsDir], { encoding: "utf8", cwd: repoRoot });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      const out = r.stdout + r.stderr;
      const m = /features 1960 bytes \(hash (\d+)\), scores ([-\d ]+), label (\w+)/.exec(out);
      assert.ok(m !== null, out);
      // the oracle on the same frames (data chunk at byte 44 in these files: checked here)
      const bytes = readFileSync(wav);
      assert.equal(bytes.toString("latin1", 36, 40), "data");
      const frames = Buffer.alloc(49 * 960);
      for (let f = 0; f < 49; f++) bytes.copy(frames, f * 960, 44 + f * 640, 44 + f * 640 + 960);
      const features = oracle("audio_preprocessor_int8.tflite", frames, scratch.dir, true);
      let hash = 0;
      for (const v of features) hash = (hash * 31 + ((v << 24) >> 24) + 128) >>> 0;
      assert.equal(Number(m[1]), hash, "features differ from the oracle's");
      const scores = oracle("micro_speech_quantized.tflite", features, scratch.dir, false);
      assert.equal(m[2], [...scores].map((v) => (v << 24) >> 24).join(" "));
      assert.equal(m[3], word);
      assert.doesNotMatch(out, /out of memory/);
    });
  }

  it("a file that is not a 16-bit mono PCM .wav is refused with the reason", () => {
    const bad = join(scratch.dir, "stereo.wav");
    const b = Buffer.from(readFileSync(join(inputs, "yes_1000ms.wav")));
    b.writeUInt16LE(2, 22); // channels
    writeFileSync(bad, b);
    const r = spawnSync(simBinary, ["--", join(repoRoot, "build/js/firmware/targets/sim.js"), "--audio", bad,
      "--audio-models", modelsDir], { encoding: "utf8", cwd: repoRoot });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /wav: 2 channels, want mono/);
  });
});

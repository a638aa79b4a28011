import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { repoPath, ROOT } from "./repo.js";
import { main } from "../../firmware/main.js";
import { parseBoardProfile } from "../../firmware/boards/profile.js";
import { VirtualClock } from "../../firmware/platform/virtual-clock.js";
import { NorFlash } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { ConsoleLog } from "../../firmware/platform/node/console-log.js";
import { openFilePlayback } from "../../firmware/platform/node/file-playback.js";

// Oracle: numpy means of each 100-frame case, written by data/basicmotions/make_recording.py.
const oracle = JSON.parse(readFileSync(repoPath("data/basicmotions/window-means.json"), "utf8")) as {
  windowMeans: number[][];
  overallMean: number[];
};
const recording = repoPath("data/basicmotions/basicmotions.epr1");
const profile = parseBoardProfile(JSON.parse(readFileSync(repoPath("boards/sim.json"), "utf8")));

function parseMeans(line: string): number[] {
  return line.slice(line.indexOf("mean=") + 5).split(",").map(Number);
}

describe("minimal pipeline (playback -> windows -> log)", () => {
  it("in process on a virtual clock: window means match numpy on the real recording", async () => {
    const clock = new VirtualClock();
    const lines: string[] = [];
    const done = main({
      clock,
      storage: new NorFlash(2, 4096),
      checksum: new ZlibChecksum(),
      log: new ConsoleLog({ sink: (l) => lines.push(l), quiet: true }),
      sensor: (options) => openFilePlayback(recording, clock, options),
      exit: () => {},
    }, profile, { speed: 1 });
    clock.runAll();
    const summary = await done;
    assert.equal(summary.windows, 4);
    assert.equal(summary.frames, 400);
    summary.means.forEach((m, c) => assert.ok(Math.abs(m - oracle.overallMean[c]!) < 1e-9, `channel ${c}`));
    const windows = lines.filter((l) => l.startsWith("window "));
    assert.equal(windows.length, 4);
    windows.forEach((l, w) => parseMeans(l).forEach((m, c) => assert.ok(Math.abs(m - oracle.windowMeans[w]![c]!) <= 5e-5, `${l} vs ${oracle.windowMeans[w]}`)));
    assert.equal(clock.now(), 39900, "at 10 Hz the 400th frame is due at 39.9 s of clock time");
  });

  for (const [name, command, args] of [
    ["a Node process (targets/node)", process.execPath, [repoPath("build/js/firmware/targets/node.js")]],
    ["the XS simulator (targets/sim)", repoPath("build/bin/edge-peft-sim"), ["--", "build/js/firmware/targets/sim.js"]],
  ] as const) {
  it(`in ${name}: one line per window and a summary`, () => {
    const out = execFileSync(command, args, { cwd: ROOT, encoding: "utf8" });
    const lines = out.trim().split("\n");
    const windows = lines.filter((l) => l.startsWith("window "));
    assert.equal(windows.length, oracle.windowMeans.length);
    windows.forEach((l, w) => parseMeans(l).forEach((m, c) => assert.ok(Math.abs(m - oracle.windowMeans[w]![c]!) <= 5e-5, l)));
    const summary = lines.find((l) => l.startsWith("summary "));
    assert.ok(summary);
    assert.match(summary, /windows=4 frames=400/);
    parseMeans(summary).forEach((m, c) => assert.ok(Math.abs(m - oracle.overallMean[c]!) <= 5e-5));
  });
  }
});

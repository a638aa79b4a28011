// npm run demo: the adaptation app on the demo data in the XS simulator, twice (replay + EWC,
// then neither), the float reference of both runs, a table of figures from those runs, and
// build/demo/accuracy.svg.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { accuracySvg, demoBoard, root, runDemo, type DemoRun } from "./demo/run.js";
import { floatTwin } from "./demo/float-twin.js";

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const phase = (s: string) => console.log(`== ${s}`);

function show(run: DemoRun): void {
  for (const l of run.stdout.split("\n")) if (l.startsWith("phase ") || l.startsWith("agent: task")) console.log(`   ${l}`);
}

phase("run 1: agent with replay (population_replay.bin) + EWC, in the XS simulator");
const guarded = runDemo();
show(guarded);
phase("run 2: the same agent without replay and without EWC");
const plain = runDemo(["--no-replay", "--no-ewc"]);
show(plain);

// The float reference of the same two runs (issue 12 item 6): each rerun with --trace 1, which
// loads the methods' modules and so needs esp32s3's slot heap (the numerics are the same: the
// integer figures must come out equal), its training trace replayed in float64 (float-twin.ts).
phase("float twins: both runs again with --trace 1 (esp32s3 slots), the traces replayed in float64");
const twins = [[], ["--no-replay", "--no-ewc"]].map((a) => {
  const args = [...a, "--route", "0.05", "--trace", "1"];
  const r = runDemo(args, "esp32s3");
  const line = r.stdout.split("\n").find((l) => l.startsWith("method-result "));
  if (!line) throw new Error("traced run: no method-result line");
  const route = (JSON.parse(line.slice("method-result ".length)) as { route: { rules: { rule: string; userDecisions: string; populationDecisions: string }[] } }).route;
  return { int: r.result, float: floatTwin("data/demo", args, r.stdout, route.rules, 0.05) };
});
for (const [t, run] of [[twins[0]!, guarded], [twins[1]!, plain]] as const) {
  if (t.int.userAfter !== run.result.userAfter || t.int.populationAfter !== run.result.populationAfter) {
    throw new Error("the traced rerun's integer figures differ from the demo run's");
  }
}
const fg = twins[0]!.float, fp = twins[1]!.float;

const { esp32 } = demoBoard();
const g = guarded.result, p = plain.result, m = guarded.memory;
const chunkLimit = esp32.creation.chunk.initial, slotLimit = esp32.creation.heap.initial;
const keyLimit = esp32.creation.keys.available, stackLimit = esp32.creation.stack;
// Key names of the parsed code sit in the chunk heap here and in flash on a precompiled build.
const appChunks = m["chunks-peak"]! - m["load-key-chunks"]!;
const fits = appChunks <= chunkLimit && m["slots-peak"]! <= slotLimit && m["keys"]! <= keyLimit && m["stack-peak"]! <= stackLimit;
const rows: [string, string][] = [
  ["new user accuracy (user_test, 240) before", pct(g.userBefore)],
  ["new user accuracy after (replay+EWC / plain)", `${pct(g.userAfter)} / ${pct(p.userAfter)}`],
  ["original task (population_test, 300) before", pct(g.populationBefore)],
  ["original task after, replay+EWC", pct(g.populationAfter)],
  ["original task after, no replay, no EWC", pct(p.populationAfter)],
  ["float reference of the same runs (the traces in float64): before", `user ${pct(fg.baseUser)}, original task ${pct(fg.basePopulation)}`],
  ["  new user after (replay+EWC / plain), float", `${pct(fg.adaptedUser)} / ${pct(fp.adaptedUser)}`],
  ["  original task after (replay+EWC / plain), float", `${pct(fg.adaptedPopulation)} / ${pct(fp.adaptedPopulation)}`],
  ["labels used: feedback + pseudo (wrong pseudo)", `${g.feedback} + ${g.pseudo} (${g.pseudoWrong})`],
  ["training steps (examples) / rounds committed", `${g.steps} / ${g.commits} of ${g.rounds}`],
  ["adapter bytes (export)", String(g.adapterBytes)],
  ["engine arena bytes (plan) / board arena", `${g.arenaBytes} / ${String(esp32["arenaBytes"])}`],
  ["XS chunks: peak / live at exit / esp32 budget", `${m["chunks-peak"]} / ${m["chunks-live"]} / ${chunkLimit}`],
  ["  of which key names of parsed code (flash on a board)", `${m["load-key-chunks"]} -> app peak ${appChunks}`],
  ["  bytecode parsed (outside the XS heap, not counted)", `${m["code-bytes"]}`],
  ["XS slots: peak / live at exit / esp32 budget", `${m["slots-peak"]} / ${m["slots-live"]} / ${slotLimit}`],
  ["XS stack peak / esp32 budget (slots)", `${m["stack-peak"]} / ${stackLimit}`],
  ["XS keys made at run time / esp32 budget (enforced)", `${m["keys"]} / ${keyLimit}`],
  ["XS keys of parsed code (flash on a board)", `${m["load-keys"]}`],
];
const w = Math.max(...rows.map((r) => r[0].length));
phase("results (every figure from the XS runs)");
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
// The simulator aborts with "out of memory" (status 3) when a fixed budget overflows, so both
// runs finishing is the fit; the figures above say by how much.
console.log(`  fits esp32's unmodified XS creation (chunks ${chunkLimit} B, ${slotLimit} slots, stack ${stackLimit}, keys ${keyLimit}): ${guarded.status === 0 && plain.status === 0 && fits ? "yes" : "NO"}`);

const svg = accuracySvg([
  { label: "replay + EWC", color: "#1f77b4", curve: g.curve },
  { label: "no replay, no EWC", color: "#d62728", curve: p.curve },
]);
mkdirSync(join(root, "build", "demo"), { recursive: true });
writeFileSync(join(root, "build", "demo", "accuracy.svg"), svg);
console.log("  plot: build/demo/accuracy.svg");

// `npm run bench`: runs every benchmark in turn; each prints its own figures.
const benches: string[] = [
  // one entry per bench/<name>/index.js, added by the room that owns it
  './dot/index.js',
  './engine/index.js',
  './train/index.js',
  './crypto/index.js',
  './deploy/index.js',
  './merge/index.js',
  './fewshot/index.js',
  './secagg/index.js',
  './federated/index.js',
  './peft/index.js',
  './bare/index.js',
  './forgetting/index.js',
];

for (const b of benches) {
  const mod = (await import(b)) as { run: () => Promise<void> };
  await mod.run();
}

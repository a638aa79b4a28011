import assert from 'node:assert/strict';
import { windowStats, statsVector } from '../../firmware/features/window-stats.js';
import { runPythonJson } from '../support/python.js';

describe('features/window-stats', () => {
  it('matches numpy mean/std/min/max per channel on seeded data', () => {
    const channels = 6;
    const frames = 100;
    // Seeded data from numpy; the statistics come from numpy too (the oracle).
    const ref = runPythonJson<{ x: number[]; stats: number[] }>(`
import numpy as np, json
rng = np.random.default_rng(7)
x = rng.normal(0, 3, size=(${frames}, ${channels})) + np.arange(${channels})
stats = np.concatenate([x.mean(0), x.std(0), x.min(0), x.max(0)])
print(json.dumps({"x": x.ravel().tolist(), "stats": stats.tolist()}))
`);
    const v = statsVector(windowStats(ref.x, channels));
    assert.equal(v.length, 4 * channels);
    for (let i = 0; i < v.length; i++) {
      assert.ok(Math.abs(v[i] - ref.stats[i]) < 1e-9, `feature ${i}: ${v[i]} vs numpy ${ref.stats[i]}`);
    }
  });

  it('rejects a window that is not whole frames', () => {
    assert.throws(() => windowStats([1, 2, 3], 2), RangeError);
  });
});

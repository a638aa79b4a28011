// DP-SGD noise sampler (native/train/gauss.c): draws from the integer quantile-table sampler,
// judged against N(0, 1) by an independent oracle (Python math.erf, not the table's generator):
// moments, Kolmogorov-Smirnov, tail frequencies out to 6 sigma, reproducibility from the seed.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir } from '../support/paths.js';
import { runPythonJson } from '../support/python.js';

const dump = join(binDir, 'ept-gauss-dump');
const draw = (seed: number, stream: number, first: number, count: number): Buffer =>
  execFileSync(dump, [String(seed), String(stream), String(first), String(count)], { maxBuffer: 64 * 1024 * 1024 });
const q16 = (b: Buffer): number[] => Array.from({ length: b.length / 4 }, (_, i) => b.readInt32LE(4 * i));

// Reads raw int32 Q16.16 samples on stdin; the normal CDF is 0.5 (1 + erf(x / sqrt 2)).
const ORACLE = `
import sys, json, math
import numpy as np
z = np.frombuffer(sys.stdin.buffer.read(), dtype='<i4').astype(np.float64) / 65536.0
n = z.size
s = np.sort(z)
cdf = 0.5 * (1.0 + np.vectorize(math.erf)(s / math.sqrt(2.0)))
i = np.arange(1, n + 1, dtype=np.float64)
# values repeat on the Q16 grid: compare at the last copy of each value (right-continuous ECDF)
last = np.append(s[1:] != s[:-1], True)
d_plus = np.max((i / n - cdf)[last])
first = np.insert(s[1:] != s[:-1], 0, True)
d_minus = np.max((cdf - (i - 1) / n)[first])
print(json.dumps({'n': int(n), 'mean': float(z.mean()), 'var': float(z.var()),
                  'skew': float(np.mean(z ** 3)), 'kurt': float(np.mean(z ** 4) / z.var() ** 2),
                  'ks': float(max(d_plus, d_minus))}))
`;

describe('DP noise sampler (integer Gaussian)', function () {
  it('matches N(0,1): mean, variance, skew, kurtosis and KS over 1M draws', function () {
    const n = 1_000_000;
    const r = runPythonJson<{ n: number; mean: number; var: number; skew: number; kurt: number; ks: number }>(
      ORACLE, draw(20240601, 7, 0, n));
    assert.equal(r.n, n);
    // 4.5 standard errors (fixed seed, so the check is deterministic; the margin is for honesty)
    assert.ok(Math.abs(r.mean) < 4.5 / Math.sqrt(n), `mean ${r.mean}`);
    assert.ok(Math.abs(r.var - 1) < 4.5 * Math.sqrt(2 / n), `variance ${r.var}`);
    assert.ok(Math.abs(r.skew) < 4.5 * Math.sqrt(15 / n), `third moment ${r.skew}`);
    assert.ok(Math.abs(r.kurt - 3) < 4.5 * Math.sqrt(96 / n), `kurtosis ${r.kurt}`);
    // KS 1% critical value (asymptotic): 1.628 / sqrt(n)
    assert.ok(r.ks < 1.628 / Math.sqrt(n), `KS D = ${r.ks}, critical ${1.628 / Math.sqrt(n)}`);
    console.log(`      n=${n} mean=${r.mean.toExponential(3)} var=${r.var.toFixed(5)} skew=${r.skew.toExponential(2)} ` +
      `kurt=${r.kurt.toFixed(4)} KS D=${r.ks.toExponential(3)} (1% critical ${(1.628 / Math.sqrt(n)).toExponential(3)})`);
  });

  it('tail frequencies beyond 1..6 sigma agree with the normal over 2^31 draws (> 0 beyond 6)', function () {
    const n = 2 ** 31;
    const r = JSON.parse(execFileSync(dump, ['--tail', '99', '0', '0', String(n)], { encoding: 'utf8' })) as
      { n: number; tail: number[] };
    const erfc = (x: number): number => runPythonJson<number>(`import math; print(math.erfc(${x} / math.sqrt(2.0)))`);
    const rows: string[] = [];
    for (let k = 1; k <= 6; ++k) {
      const p = erfc(k);
      const want = n * p;
      const got = r.tail[k - 1];
      const zscore = (got - want) / Math.sqrt(want * (1 - p));
      rows.push(`>${k}s ${got} (expect ${want.toFixed(1)}, z ${zscore.toFixed(2)})`);
      assert.ok(Math.abs(zscore) < 4.5, `|z| > ${k} sigma: ${got}, expected ${want.toFixed(1)}`);
    }
    // Irwin-Hall (the old sampler) can never exceed 6 sigma
    assert.ok(r.tail[5] > 0, 'no draw beyond 6 sigma');
    console.log('      ' + rows.join('; '));
  });

  it('is reproducible from (seed, stream, counter) and counter based', function () {
    const a = draw(5, 11, 0, 4096);
    assert.ok(a.equals(draw(5, 11, 0, 4096)), 'same seed, same draws');
    assert.ok(a.subarray(4 * 1000, 4 * 1100).equals(draw(5, 11, 1000, 100)), 'a counter range alone equals its slice');
    const b = q16(draw(6, 11, 0, 4096));
    const c = q16(draw(5, 12, 0, 4096));
    const av = q16(a);
    assert.ok(av.filter((v, i) => v === b[i]).length < 8, 'another seed gives other draws');
    assert.ok(av.filter((v, i) => v === c[i]).length < 8, 'another stream gives other draws');
    // pinned: the stream must not change silently (it would change every DP run's adapter)
    assert.deepEqual(q16(draw(1, 2, 0, 4)), [-12782, 26042, -11716, 5812]);
  });
});

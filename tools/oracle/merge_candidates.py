"""Merge roundings compared on an MLP task: how far each merged model is from the unmerged
adapter the engine runs, at each adapted layer's output (chained) and at the model output.

Candidates (numpy; the merged FC arithmetic is TFLM's, merge_error.py checks it against TFLM):
- base: what `edge-peft merge` does (the base's weight scale per row, a row's own scale when it
  leaves int8): the MERGED bytes as given;
- bc: base, and each bias corrected by the mean rounding error on the calibration inputs
  (x - zx) . (W'_int8 - W'_real), the bias-correction step of data-free quantisation;
- pc: every row at its own scale max |W'_row| / 127 (per-channel, finer for rows that do not use
  the base's range);
- gptq: base scales, weights rounded column by column with the error spread over the columns
  not yet rounded through the Cholesky factor of the calibration inputs' inverse Hessian
  (GPTQ / OBQ); pc+gptq: the same at per-channel scales;
- exact: no weight rounding at all (the real-valued merged weights in doubles, the output
  rounded as TFLM rounds it): the floor any int8 / int16 weight copy can reach.
The model output goes through TFLM's SOFTMAX (merge_error.tflm_softmax). Calibration: the
adapter's training pool (each layer calibrated on the previous merged layer's outputs).

Usage: merge_candidates.py MODEL ADAPTER MERGED TEST POOL ENGINE_UNMERGED_OUTPUTS
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import merge_error as me  # noqa: E402


def main():
    model, adapter, mergedp, test, pool, eu_path = sys.argv[1:7]
    layers = me.load(model, adapter, mergedp)

    def recs(p):
        raw = np.frombuffer(open(p, "rb").read(), np.int8)
        return raw.reshape(-1, 1 + layers[0].inn)[:, 1:]
    xt, xp = recs(test), recs(pool)

    def chain(fn, x):
        outs = []
        for L in layers:
            x = fn(L, x)
            outs.append(x)
        return outs
    ref = chain(lambda L, x: me.unmerged(L, x)[0], xt)
    eu = np.frombuffer(open(eu_path, "rb").read(), np.int8).reshape(len(xt), -1)

    def exact(L, x):
        yr, _ = me.real(L, x)
        return np.clip(me.round_away(yr), L.lo, L.hi).astype(np.int64)

    def variant(kind):
        saved = [(L.Wm.copy(), L.bm.copy(), L.sm32.copy()) for L in layers]
        xcal = xp
        for L in layers:
            Wr = me.real(L, xcal[:1])[1]  # real-valued merged weights in base units
            R = Wr * L.sw[:, None]
            xc = xcal.astype(np.float64) - L.zx
            if kind.startswith("pc"):
                s = np.abs(R).max(axis=1) / 127.0
                s = np.where(s > 0, s, L.sw)
            else:
                s = L.sm32.astype(np.float64)
            s32 = s.astype(np.float32)
            s = s32.astype(np.float64)
            T = R / s[:, None]
            if kind.endswith("gptq"):
                H = xc.T @ xc / len(xc)
                H += np.eye(L.inn) * (1e-2 * np.mean(np.diag(H)) + 1e-9)
                U = np.linalg.cholesky(np.linalg.inv(H)).T
                Wq, Q = T.copy(), np.zeros_like(T)
                for j in range(L.inn):
                    q = np.clip(me.round_away(Wq[:, j]), -128, 127)
                    Q[:, j] = q
                    Wq[:, j + 1:] -= np.outer((Wq[:, j] - q) / U[j, j], U[j, j + 1:])
                Wm = Q
            else:
                Wm = np.clip(me.round_away(T), -128, 127)
            b = (L.bias + L.db) * L.sw / s
            if kind == "bc":
                err = xc @ (Wm * (s / L.sw)[:, None] - Wr).T
                b = b - err.mean(axis=0) * L.sw / s
            L.Wm, L.bm, L.sm32 = Wm.astype(np.int64), me.round_away(b).astype(np.int64), s32
            xcal = me.merged(L, xcal)
        out = chain(me.merged, xt)
        for L, (w, b, sc) in zip(layers, saved):
            L.Wm, L.bm, L.sm32 = w, b, sc
        return out
    res = {}
    for kind in ["base", "bc", "pc", "gptq", "pc+gptq", "exact"]:
        o = chain(me.merged, xt) if kind == "base" else chain(exact, xt) if kind == "exact" else variant(kind)
        sm = me.tflm_softmax(model, o[-1])
        res[kind] = {"layers": [dict(op=L.op, **me.diff(a, b)) for L, a, b in zip(layers, o, ref)],
                     "model_output": dict(me.diff(sm, eu), argmax_agree=int((sm.argmax(1) == eu.argmax(1)).sum()))}
    print(json.dumps(res))


if __name__ == "__main__":
    main()

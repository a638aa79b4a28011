#!/usr/bin/env python3
"""Small CNNs for the trainer tests of host-tests/train/through-ops.test.ts: an adaptable
1x1 CONV_2D, then the operator a gradient must pass (Keras GlobalAveragePooling2D as the
converter writes it, MEAN over H and W; or an activation as its own operator: TANH,
LOGISTIC, RELU, RELU6, LEAKY_RELU, HARD_SWISH), then a Dense head and SOFTMAX. Quantisation
as the converter's (tools/oracle/opmodels.py helpers); the same seed gives the same bytes.

Usage: trainnets.py OUTDIR     writes OUTDIR/train_<kind>.tflite for every kind, prints them
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import opmodels as om  # noqa: E402
import tflite_writer as tw  # noqa: E402
from layoutnets import RESHAPE, fc_head, i32  # noqa: E402

# activation operators: code, options, output quantisation from the real output range
ACTS = {
    "tanh": (om.TANH, None, lambda lo, hi: (1.0 / 128, 0)),
    "logistic": (om.LOGISTIC, None, lambda lo, hi: (1.0 / 256, -128)),
    "relu": (om.RELU_OP, None, lambda lo, hi: om.act_q(None, 0.0, hi)),
    "relu6": (om.RELU6_OP, None, None),  # the converter keeps the input's quantisation
    "leaky_relu": (om.LEAKY_RELU, (om.O_LEAKY_RELU, 1, [(0, "f32", 0.2)]),
                   lambda lo, hi: om.act_q(None, 0.2 * lo, hi)),
    "hard_swish": (om.HARD_SWISH, None, lambda lo, hi: om.act_q(None, -0.375, hi * min(6.0, hi + 3.0) / 6.0)),
}


def conv1x1(rng, b, x, shape, cout, spread=1.0):
    s = float(b.tensors[x]["scale"])
    wq, sw = om.weights(rng, (cout, 1, 1, shape[3]), 0, True)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    sb = s * sw.astype(np.float64)
    bt = b.const(np.round(rng.normal(0, 0.3, cout) * shape[3] * 64 * np.mean(sw) * s / sb), tw.INT32, sb)
    so, zo = om.out_q(rng, s, sw, shape[3])
    so *= spread
    y = b.act([1, shape[1], shape[2], cout], scale=so, zp=zo)
    b.op(om.CONV, [x, wt, bt], [y], (om.O_CONV, 6, [(0, "i8", om.SAME), (1, "i32", 1),
                                                    (2, "i32", 1), (3, "i8", om.NONE),
                                                    (4, "i32", 1), (5, "i32", 1)]), 3)
    return y, so, zo


def model(kind: str) -> om.Builder:
    rng = np.random.default_rng(20269)
    b = om.Builder()
    shape = [1, 4, 4, 3]
    s, zp = om.act_q(rng, -1.0, 1.0)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    cout = 6
    y, so, zo = conv1x1(rng, b, x, shape, cout)
    lo, hi = (-128 - zo) * so, (127 - zo) * so
    beta = 1.0
    if kind == "mean":
        # GlobalAveragePooling2D: MEAN over H, W; the mean's range is narrower than the map's
        sm, zm = om.act_q(rng, lo * 0.5, hi * 0.5)
        m = b.act([1, cout], scale=sm, zp=zm)
        b.op(om.MEAN, [y, i32(b, [1, 2])], [m], (om.O_REDUCER, 1, [(0, "bool", 0)]), 2)
        fc_head(rng, b, m, cout, 4)
    else:
        code, opts, q = ACTS[kind]
        # the conv's output range as a converter calibrates it (+-4: its outputs rarely clip,
        # where the trainer's straight-through rule and the float reference part ways); for
        # TANH and LOGISTIC both the slope and the saturation of the operator then matter
        if True:
            so, zo = om.act_q(rng, -4.0, 4.0)
            b.tensors[y]["scale"], b.tensors[y]["zp"] = np.float32(so), zo
            lo, hi = (-128 - zo) * so, (127 - zo) * so
        if kind == "relu6":
            sa, za = so, zo
        else:
            sa, za = q(lo, hi)
        a = b.act([1, 4, 4, cout], scale=sa, zp=za)
        b.op(code, [y], [a], opts, 1 if kind == "hard_swish" else 2)
        flat = b.act([1, 16 * cout], scale=sa, zp=za)
        b.op(RESHAPE, [a, i32(b, [1, 16 * cout])], [flat], None, 1)
        fc_head(rng, b, flat, 16 * cout, 4)
        beta = 0.25
    logits = len(b.tensors) - 1
    p = b.act([1, 4], scale=1.0 / 256, zp=-128)
    # beta < 1: the head over the whole map gives logits of a few units, which beta 1 turns
    # into probabilities the int8 softmax resolves only to 0 / 1 (no gradient to compare)
    b.op(om.SOFTMAX, [logits], [p], (om.O_SOFTMAX, 1, [(0, "f32", beta)]), 2)
    return b


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind in ["mean", *ACTS]:
        f = out / f"train_{kind}.tflite"
        f.write_bytes(model(kind).bytes(kind))
        files[kind] = str(f)
    json.dump(files, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

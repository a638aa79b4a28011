"""Where a merged LoRA's outputs differ from the unmerged adapter's, and by how much.

An MLP of FULLY_CONNECTED layers from the model input (the digits and IMU tasks), its adapter
(EPAD) and `edge-peft merge --out` bytes. numpy computes, per record of a samples file:
- the unmerged path, integer for integer as native/train/forward.c: h8 = sat8(rdiv(A x, sh_h)),
  side = (alpha/r) s_A s_B 2^sh_h (B h8) in accumulator units, rounded (the engine's fixed-point
  multiplier rounds the same value; a 0.5 tie can differ, |error| < 1 accumulator unit);
- the merged path: TFLM's FULLY_CONNECTED (per-channel when rows were rescaled) on the merged
  int8 weights, biases and row scales;
- the real-valued adapter: W + (alpha/r) s_A s_B B A / s_w in doubles, nothing rounded but the
  model's own int8 input.
It prints (JSON) the step differences at each adapted layer's output (both paths fed the same
input, the unmerged path's) and along each path's own chain, and the error terms in output steps:
the merged weights' rounding, the merged biases' rounding, the unmerged h8 rounding.
With --engine-unmerged / --engine-merged (the engine's int8 model outputs, `eval --outputs` and
`merge --outputs`) it also counts the model-output differences and checks that numpy's logits
explain them (equal logits must give equal model outputs).

Every FULLY_CONNECTED of the model must be adapted; SAMPLES (uint8 label + the first FC's int8
input per record) is the samples file for an MLP, or `train --latents-out` for a model whose FC
comes after other operators (micro_speech). CONV_2D models are refused.

Usage: merge_error.py MODEL ADAPTER MERGED SAMPLES [--engine-unmerged U.bin --engine-merged M.bin]
       [--tflm REBUILT.tflite]
"""

import argparse
import json
import math
import struct

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb


def quantize_multiplier(real):
    """TFLM's QuantizeMultiplier: (q31, exponent)."""
    if real == 0.0:
        return 0, 0
    m, e = math.frexp(real)
    q = int(math.floor(abs(m) * (1 << 31) + 0.5)) * (1 if m > 0 else -1)
    if q == (1 << 31):
        q //= 2
        e += 1
    return q, e


def mbqm(x, q, e):
    """TFLM's MultiplyByQuantizedMultiplier (double rounding) on an int64 array."""
    x = np.asarray(x, np.int64) * (1 << max(e, 0))
    ab = x * q
    s = ab + np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    hi = np.where(s >= 0, s >> 31, -((-s) >> 31))
    r = max(-e, 0)
    mask = (1 << r) - 1
    rem = hi & mask
    thr = (mask >> 1) + (hi < 0)
    return (hi >> r) + (rem > thr)


def rdiv(x, e):
    """RoundingDivideByPOT: half away from zero."""
    if e <= 0:
        return x
    mask = (1 << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def builtin(m, op):
    """An operator's builtin code (old models keep it in the deprecated int8 field)."""
    oc = m.OperatorCodes(op.OpcodeIndex())
    return max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())


def round_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


class Layer:
    pass


def load(model_path, adapter_path, merged_path):
    mb = open(model_path, "rb").read()
    m = fb.Model.GetRootAsModel(mb, 0)
    sg = m.Subgraphs(0)

    def q(t):
        qq = sg.Tensors(t).Quantization()
        return np.array(qq.ScaleAsNumpy(), np.float32), np.array(qq.ZeroPointAsNumpy(), np.int64)

    def buf(t):
        return bytes(m.Buffers(sg.Tensors(t).Buffer()).DataAsNumpy().tobytes())

    layers = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        if builtin(m, op) == 3:
            # a CONV_2D may be an adaptable layer too (1x1), which would shift the adapter's indices
            raise SystemExit("merge_error.py: models with CONV_2D are not handled (FULLY_CONNECTED layers only)")
        if builtin(m, op) != 9:
            continue
        L = Layer()
        ti, tw, tb, to = op.Inputs(0), op.Inputs(1), op.Inputs(2), op.Outputs(0)
        L.op = i
        L.s_in, L.zx = float(q(ti)[0][0]), int(q(ti)[1][0])
        L.s_out, L.zo = float(q(to)[0][0]), int(q(to)[1][0])
        sw = q(tw)[0]
        L.W = np.frombuffer(buf(tw), np.int8).astype(np.int64)
        L.out = int(sg.Tensors(tw).ShapeAsNumpy()[0])
        L.inn = L.W.size // L.out
        L.W = L.W.reshape(L.out, L.inn)
        L.sw = np.broadcast_to(sw.astype(np.float64), (L.out,)).copy()
        L.sw32 = np.broadcast_to(sw, (L.out,)).copy()
        L.bias = np.frombuffer(buf(tb), "<i4").astype(np.int64)
        o = fb.FullyConnectedOptions()
        t = op.BuiltinOptions()
        o.Init(t.Bytes, t.Pos)
        relu = o.FusedActivationFunction() == 1
        L.lo = max(-128, L.zo) if relu else -128
        L.hi = 127
        L.db = np.zeros(L.out, np.int64)
        L.A = None
        layers.append(L)
    ad = open(adapter_path, "rb").read()
    assert ad[:4] == b"EPAD", "not an adapter"
    rank, alpha = struct.unpack_from("<HH", ad, 12)
    count = struct.unpack_from("<H", ad, 30)[0]
    off = 76
    for _ in range(count):
        kind, layer, elem, _r, rows, cols, sh, unit = struct.unpack_from("<BBBBHHid", ad, off)
        n = rows * cols * elem
        data = np.frombuffer(ad[off + 20:off + 20 + n], {1: np.int8, 2: "<i2", 4: "<i4"}[elem])
        data = data.reshape(rows, cols).astype(np.int64)
        L = layers[layer]
        if kind == 0:
            L.A, L.unit_a, L.sh = data, unit, sh
        elif kind == 1:
            L.B, L.unit_b = data, unit
        elif kind == 2:
            L.db = data[:, 0]
        off += 20 + (n + 3) // 4 * 4
    mg = open(merged_path, "rb").read()
    p = 0
    for L in layers:
        if L.A is None and not L.db.any():
            continue
        n = L.out * L.inn
        L.Wm = np.frombuffer(mg[p:p + n], np.int8).astype(np.int64).reshape(L.out, L.inn)
        p += (n + 3) // 4 * 4
        L.bm = np.frombuffer(mg[p:p + 4 * L.out], "<i4").astype(np.int64)
        p += 4 * L.out
        L.sm32 = np.frombuffer(mg[p:p + 4 * L.out], "<f4").copy()
        p += 4 * L.out
        L.c = (alpha / rank) * (L.unit_a * L.unit_b) if L.A is not None else 0.0
    assert p == len(mg), "merged bytes do not match the adapted layers"
    return layers


def clamp(y, L):
    return np.clip(y, L.lo, L.hi)


def mult_rows(L, scales32):
    return [quantize_multiplier(float(np.float32(L.s_in)) * float(s) / float(np.float32(L.s_out))) for s in scales32]


def requant(acc, L, scales32):
    y = np.empty_like(acc)
    for i, (qm, e) in enumerate(mult_rows(L, scales32)):
        y[:, i] = mbqm(acc[:, i], qm, e)
    return clamp(y + L.zo, L)


def unmerged(L, x):
    """The engine's unmerged forward of one layer on int8 inputs x (records x in)."""
    xc = x.astype(np.int64) - L.zx
    acc = L.bias + L.db + xc @ L.W.T
    herr = np.zeros(acc.shape)
    if L.A is not None:
        hacc = xc @ L.A.T
        h8 = np.clip(rdiv(hacc, L.sh), -128, 127)
        k = L.c / L.sw  # accumulator units per (B master x A view x input) unit
        side = round_away((h8 * (2.0 ** L.sh)) @ L.B.T.astype(np.float64) * k)
        acc = acc + side.astype(np.int64)
        herr = ((h8 * (2.0 ** L.sh) - hacc) @ L.B.T.astype(np.float64)) * k
    return requant(acc, L, L.sw32), herr


def merged(L, x):
    xc = x.astype(np.int64) - L.zx
    acc = L.bm + xc @ L.Wm.T
    return requant(acc, L, L.sm32)


def real(L, x):
    """The real-valued adapter on int8 inputs: output in (unrounded, clamped) output steps."""
    xc = x.astype(np.float64) - L.zx
    Wr = L.W.astype(np.float64)
    if L.A is not None:
        Wr = Wr + (L.c / L.sw)[:, None] * (L.B.astype(np.float64) @ L.A.astype(np.float64))
    acc = (L.bias + L.db) + xc @ Wr.T
    k = L.s_in * L.sw / L.s_out
    return np.clip(acc * k + L.zo, L.lo, L.hi), Wr


def terms(L, x, Wr, herr):
    """Error terms of the pre-activation in output steps, per record and output."""
    xc = x.astype(np.float64) - L.zx
    k = L.s_in * L.sw / L.s_out
    Wm_base = L.Wm * (L.sm32.astype(np.float64) / L.sw)[:, None]  # merged weights in base units
    w_round = (xc @ (Wm_base - Wr).T) * k
    b_round = (L.bm * L.sm32.astype(np.float64) / L.sw - (L.bias + L.db)) * k
    return w_round, np.broadcast_to(b_round, w_round.shape), herr * k


def stat(a):
    a = np.abs(np.asarray(a, np.float64))
    return {"max": round(float(a.max()), 3), "rms": round(float(np.sqrt((a ** 2).mean())), 3)}


def diff(a, b):
    d = np.abs(a.astype(np.int64) - b.astype(np.int64))
    return {"max_step": int(d.max()), "records_not_equal": int((d.max(axis=1) > 0).sum()), "outputs_not_equal": int((d > 0).sum()),
            "outputs": int(d.size)}


def run_tflm(path, x0, ops):
    """TFLite Micro (PyPI tflite-micro) on every record, keeping every tensor: each FC's output
    and the model output."""
    from tflite_micro.python.tflite_micro import runtime
    mb = open(path, "rb").read()
    sg = fb.Model.GetRootAsModel(mb, 0).Subgraphs(0)
    outs = {op: sg.Operators(op).Outputs(0) for op in ops}
    it = runtime.Interpreter.from_bytes(mb, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)

    def tensor(i):
        t = it.GetTensor(i, 0)
        return np.array(t["tensor_data"] if isinstance(t, dict) else t).ravel()
    per = {op: [] for op in ops}
    final = []
    for k in range(x0.shape[0]):
        it.set_input(x0[k:k + 1], 0)
        it.invoke()
        for op in ops:
            per[op].append(tensor(outs[op]).astype(np.int64))
        final.append(np.array(it.get_output(0)).ravel())
        it.reset()
    return {op: np.stack(v) for op, v in per.items()}, np.stack(final).astype(np.int8)


def tflm_softmax(model_path, logits):
    """The model's own SOFTMAX on int8 logits, run by TFLite Micro: a one-operator model with
    the model's logits and softmax tensors (scales, zero points, beta)."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo-data"))
    from prepare import write_tflite
    from tflite_micro.python.tflite_micro import runtime
    m = fb.Model.GetRootAsModel(open(model_path, "rb").read(), 0)
    sg = m.Subgraphs(0)
    op = sg.Operators(sg.OperatorsLength() - 1)
    assert builtin(m, op) == 25, "the model does not end in SOFTMAX"
    o = fb.SoftmaxOptions()
    t = op.BuiltinOptions()
    o.Init(t.Bytes, t.Pos)
    tensors = []
    for i in (op.Inputs(0), op.Outputs(0)):
        tt = sg.Tensors(i)
        q = tt.Quantization()
        tensors.append(dict(name=tt.Name().decode(), shape=tt.ShapeAsNumpy().tolist(), type=tt.Type(), buffer=0,
                            scale=np.float32(q.ScaleAsNumpy()[0]), zp=int(q.ZeroPointAsNumpy()[0])))
    mb = write_tflite(tensors, [dict(opcode=1, inputs=[0], outputs=[1], beta=o.Beta())], [b""], "softmax only")
    it = runtime.Interpreter.from_bytes(mb)
    out = []
    for k in range(logits.shape[0]):
        it.set_input(logits[k:k + 1].astype(np.int8), 0)
        it.invoke()
        out.append(np.array(it.get_output(0)).ravel())
        it.reset()
    return np.stack(out).astype(np.int8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("adapter")
    ap.add_argument("merged")
    ap.add_argument("samples")
    ap.add_argument("--engine-unmerged")
    ap.add_argument("--engine-merged")
    ap.add_argument("--tflm", help="the merged model rebuilt (merge_rebuild.py): TFLM checks numpy's merged path")
    a = ap.parse_args()
    layers = load(a.model, a.adapter, a.merged)
    if not layers or not all(hasattr(L, "Wm") for L in layers):
        # SAMPLES must be the first FC's input and the last FC's output the softmax's input
        raise SystemExit("merge_error.py: every FULLY_CONNECTED of the model must be adapted (LoRA or bias)")
    raw = np.frombuffer(open(a.samples, "rb").read(), np.int8)
    rec = 1 + layers[0].inn
    x0 = raw.reshape(-1, rec)[:, 1:]
    res = {"records": int(x0.shape[0]), "layers": []}
    xu, xm, xr = x0, x0, x0.astype(np.float64)
    tflm_layers = tflm_out = None
    if a.tflm:
        tflm_layers, tflm_out = run_tflm(a.tflm, x0, [L.op for L in layers])
    res["tflm_check"] = {}
    for L in layers:
        yu, herr = unmerged(L, xu)
        ym_same = merged(L, xu)  # same input as the unmerged path
        yr_same, Wr = real(L, xu)
        w_round, b_round, h_round = terms(L, xu, Wr, herr)
        ym = merged(L, xm)
        if tflm_layers is not None:
            # numpy's merged layer output against stock TFLite Micro's tensor, byte for byte
            res["tflm_check"]["op%d_equal" % L.op] = bool(np.array_equal(ym, tflm_layers[L.op]))
        # the real-valued chain: float activations (no int8 rounding between layers)
        xrc = xr - L.zx
        acc_r = (L.bias + L.db) + xrc @ Wr.T
        yr = np.clip(acc_r * (L.s_in * L.sw / L.s_out) + L.zo, L.lo, L.hi)
        res["layers"].append({
            "op": L.op, "in": L.inn, "out": L.out, "rescaled_rows": int((L.sm32 != L.sw32).sum()),
            "output_scale": L.s_out,
            "same_input": {"merged_vs_unmerged": diff(ym_same, yu),
                           "merged_vs_real": stat(ym_same - yr_same), "unmerged_vs_real": stat(yu - yr_same),
                           "terms_steps": {"merged_weight_rounding": stat(w_round), "merged_bias_rounding": stat(b_round),
                                           "unmerged_h_rounding": stat(h_round)}},
            "chained": {"merged_vs_unmerged": diff(ym, yu), "merged_vs_real": stat(ym - yr), "unmerged_vs_real": stat(yu - yr)},
        })
        xu, xm, xr = yu, ym, yr  # the next layer's input is this tensor (same scale and zero point)
        res["logits_unmerged"], res["logits_merged"] = yu, ym
    lu, lm = res.pop("logits_unmerged"), res.pop("logits_merged")
    if a.engine_unmerged and a.engine_merged:
        eu = np.frombuffer(open(a.engine_unmerged, "rb").read(), np.int8).reshape(lu.shape[0], -1)
        em = np.frombuffer(open(a.engine_merged, "rb").read(), np.int8).reshape(lu.shape[0], -1)
        same_logits = (lu == lm).all(axis=1)
        same_out = (eu == em).all(axis=1)
        res["model_output"] = diff(em, eu)
        res["model_output"]["records_with_equal_logits_but_unequal_output"] = int((same_logits & ~same_out).sum())
        # numpy's unmerged logits through TFLM's softmax against the engine's unmerged outputs:
        # checks the unmerged emulation (records where it differs are counted, not hidden)
        su = tflm_softmax(a.model, lu)
        res["unmerged_emulation_check"] = {"records_not_equal_to_engine": int((su != eu).any(axis=1).sum())}
        if tflm_out is not None:
            res["tflm_check"]["engine_merged_output_equal"] = bool(np.array_equal(em, tflm_out))
        res["model_output"]["argmax_agree"] = int((eu.argmax(axis=1) == em.argmax(axis=1)).sum())
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()

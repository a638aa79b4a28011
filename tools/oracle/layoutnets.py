#!/usr/bin/env python3
"""Shared pieces of tools/oracle/layoutmodels.py: schema codes, int32 constant / activation
helpers, the converter's dynamic-batch Flatten chain and a Dense head, and the multi-operator
cases (the converter's dilated "same" convolution with its TFLM reference, float32 model
edges, TRANSPOSE_CONV int8 / 16x8, a dynamic-batch functional CNN, the trainer test's CNN).
Split from layoutmodels.py only to keep each file short; no CLI of its own.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import opmodels as om  # noqa: E402
import tflite_writer as tw  # noqa: E402

# schema BuiltinOperator codes and BuiltinOptions union indices
GATHER, B2S, S2B, TRANSPOSE, SUM, SHAPE, PACK, UNPACK = 36, 37, 38, 39, 74, 77, 83, 88
RESHAPE = 22
O_GATHER, O_B2S, O_S2B, O_TRANSPOSE, O_SHAPE, O_PACK, O_UNPACK = 23, 24, 25, 26, 55, 59, 64

def i32(b: om.Builder, values, shape=None) -> int:
    arr = np.array(values, np.int32)
    return b.const(arr if shape is None else arr.reshape(shape), tw.INT32)


def i32_act(b: om.Builder, shape) -> int:
    b.tensors.append(dict(name=f"t{len(b.tensors)}", shape=list(shape), type=tw.INT32, buffer=0))
    return len(b.tensors) - 1


def flatten_chain(b: om.Builder, x: int, shape, tail=-1) -> int:
    """Keras Flatten with a dynamic batch: RESHAPE(x, PACK(SHAPE(x)[0], tail))."""
    sh = i32_act(b, [len(shape)])
    b.op(SHAPE, [x], [sh], (O_SHAPE, 1, [(0, "i8", tw.INT32)]), 1)
    batch = i32_act(b, [])
    b.op(om.SSLICE, [sh, i32(b, [0]), i32(b, [1]), i32(b, [1])], [batch],
         (om.O_SSLICE, 6, [(4, "i32", 1)]), 2)
    packed = i32_act(b, [2])
    b.op(PACK, [batch, i32(b, tail, [])], [packed], (O_PACK, 2, [(0, "i32", 2), (1, "i32", 0)]), 1)
    s, zp = b.tensors[x]["scale"], b.tensors[x]["zp"]
    flat = b.act([shape[0], int(np.prod(shape[1:]))], scale=s, zp=zp)
    b.op(RESHAPE, [x, packed], [flat], None, 1)
    return flat


def fc_head(rng, b: om.Builder, x: int, depth: int, rows: int, narrow: float = 1.0) -> None:
    s_in = float(b.tensors[x]["scale"])
    wq, sw = om.weights(rng, (rows, depth), 0, True)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    sb = s_in * sw.astype(np.float64)
    bt = b.const(np.round(rng.normal(0, 0.3, rows) * depth * 64 * np.mean(sw) * s_in / sb),
                 tw.INT32, sb, None)
    so, zo = om.out_q(rng, s_in, sw, depth)
    y = b.act((1, rows), scale=so / narrow, zp=zo)
    b.op(om.FC, [x, wt, bt], [y], (om.O_FC, 5, [(0, "i8", om.NONE)]), 5)


def dilated_conv_case(rng, name, shape, cout, k, rate):
    """What the converter writes for Conv2D(dilation_rate=rate, padding="same"):
    SPACE_TO_BATCH_ND (paddings to a multiple of the rate) -> CONV_2D VALID -> BATCH_TO_SPACE_ND
    (crops back)."""
    b = om.Builder()
    n, h, w, cin = shape
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    eff = (k - 1) * rate + 1
    pads, crops, sp = [], [], []
    for d in (h, w):
        total = eff - 1
        lo = total // 2
        hi = total - lo
        extra = (-(d + total)) % rate  # round the padded size up to a multiple of the rate
        pads.append((lo, hi + extra))
        crops.append((0, extra))
        sp.append((d + total + extra) // rate)
    sb_ = b.act([n * rate * rate] + sp + [cin], scale=s, zp=zp)
    b.op(S2B, [x, i32(b, [rate, rate]), i32(b, pads, (2, 2))], [sb_], (O_S2B, 0, []), 2)
    wq, sw = om.weights(rng, (cout, k, k, cin), 0, True)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    bs = s * sw.astype(np.float64)
    bt = b.const(np.round(rng.normal(0, 0.3, cout) * k * k * cin * 64 * np.mean(sw) * s / bs),
                 tw.INT32, bs)
    so, zo = om.out_q(rng, s, sw, k * k * cin)
    conv_sp = [d - k + 1 for d in sp]
    cy = b.act([n * rate * rate] + conv_sp + [cout], scale=so, zp=zo)
    b.op(om.CONV, [sb_, wt, bt], [cy], (om.O_CONV, 6, [(0, "i8", om.VALID), (1, "i32", 1),
                                                       (2, "i32", 1), (3, "i8", om.NONE),
                                                       (4, "i32", 1), (5, "i32", 1)]), 3)
    y = b.act([n, h, w, cout], scale=so, zp=zo)
    b.op(B2S, [cy, i32(b, [rate, rate]), i32(b, crops, (2, 2))], [y], (O_B2S, 0, []), 2)
    # The oracle: TFLM's own dilated SAME CONV_2D on the same tensors (TFLM's SPACE_TO_BATCH_ND
    # pads with an uninitialised byte, so its run of this chain is not one).
    r = om.Builder()
    rx = r.act(shape, scale=s, zp=zp, is_input=True)
    rw = r.const(wq, tw.INT8, sw, None, qdim=0)
    rb = r.const(np.frombuffer(b.buffers[b.tensors[bt]["buffer"]], "<i4"), tw.INT32, bs)
    ry = r.act([n, h, w, cout], scale=so, zp=zo)
    r.op(om.CONV, [rx, rw, rb], [ry], (om.O_CONV, 6, [(0, "i8", om.SAME), (1, "i32", 1),
                                                      (2, "i32", 1), (3, "i8", om.NONE),
                                                      (4, "i32", rate), (5, "i32", rate)]), 3)
    return name, "BATCH_TO_SPACE_ND", b, dict(reference=r)


DEQUANT = 6


def float_act(b: om.Builder, shape) -> int:
    """A float32 activation: no quantisation, as the converter leaves the float edges."""
    b.tensors.append(dict(name=f"t{len(b.tensors)}", shape=list(shape), type=tw.FLOAT32, buffer=0))
    return len(b.tensors) - 1


def float_edge_case(rng, name, kind, shape, qtype=tw.INT8):
    """Float32 model edges as the converter writes them when input / output stay float:
    'model' is float -> QUANTIZE -> FULLY_CONNECTED -> DEQUANTIZE -> float; 'quantize' and
    'dequantize' are the single operators (int8 or int16 on the integer side)."""
    b = om.Builder()
    lo, hi = -rng.uniform(0.5, 4.0), rng.uniform(0.5, 4.0)
    if qtype == tw.INT16:
        s, zp = max(-lo, hi) / 32767.0, 0
    else:
        s, zp = om.act_q(rng, lo, hi)
    if kind == "dequantize":
        x = b.act(shape, qtype, s, zp, is_input=True)
        y = float_act(b, shape)
        b.op(DEQUANT, [x], [y], None, 2)
        return name, "DEQUANTIZE", b, {}
    x = float_act(b, shape)
    b.inputs.append(x)
    q = b.act(shape, qtype, s, zp)
    b.op(om.QUANT, [x], [q], None, 2)
    if kind == "quantize":
        return name, "QUANTIZE", b, dict(float_range=[lo, hi])
    fc_head(rng, b, q, shape[1], 6)
    y8 = len(b.tensors) - 1
    y = float_act(b, [1, 6])
    b.op(DEQUANT, [y8], [y], None, 2)
    return name, "DEQUANTIZE", b, dict(float_range=[lo, hi])


TCONV, O_TCONV = 67, 49


def tconv_case(rng, name, in_shape, cout, k, stride, padding=om.SAME, act=om.NONE,
               per_channel=True, bias=True, dynamic=False, s16=False, misalign=False):
    """Keras Conv2DTranspose as converted: TRANSPOSE_CONV(output_shape, filter [out, kh, kw,
    in], input, bias?); output size in * stride (SAME) or in * stride + max(k - stride, 0)
    (VALID). `dynamic`: the output_shape is PACK(SHAPE(x)[0], oh, ow, out), the converter's
    dynamic-batch form."""
    b = om.Builder()
    n, h, w_, cin = in_shape
    s, zp = (rng.uniform(0.0005, 0.002), 0) if s16 else om.act_q(rng)
    x = b.act(in_shape, tw.INT16 if s16 else tw.INT8, s, zp, is_input=True)
    sz = (lambda i, st, kk: i * st if padding == om.SAME else i * st + max(kk - st, 0))
    oh, ow = sz(h, stride[1], k[0]), sz(w_, stride[0], k[1])
    if dynamic:
        sh = i32_act(b, [4])
        b.op(SHAPE, [x], [sh], (O_SHAPE, 1, [(0, "i8", tw.INT32)]), 1)
        batch = i32_act(b, [])
        b.op(om.SSLICE, [sh, i32(b, [0]), i32(b, [1]), i32(b, [1])], [batch],
             (om.O_SSLICE, 6, [(4, "i32", 1)]), 2)
        oshape = i32_act(b, [4])
        b.op(PACK, [batch, i32(b, oh, []), i32(b, ow, []), i32(b, cout, [])], [oshape],
             (O_PACK, 2, [(0, "i32", 4), (1, "i32", 0)]), 1)
    else:
        oshape = i32(b, [n, oh, ow, cout])
    wq, sw = om.weights(rng, (cout, k[0], k[1], cin), 0, per_channel)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    depth = max(1, k[0] * k[1] * cin // (stride[0] * stride[1]))
    ins = [oshape, wt, x]
    if bias:
        sb = s * np.resize(sw.astype(np.float64), cout)
        bv = np.round(rng.normal(0, 0.3, cout) * depth * (3000 if s16 else 64) * np.mean(sw) * s / sb)
        ins.append(b.const(bv, tw.INT64 if s16 else tw.INT32, s * sw.astype(np.float64), None))
        if misalign:  # as the converter places int64 biases: 4- but not 8-aligned
            b.misalign = frozenset([b.tensors[ins[-1]]["buffer"]])
    if s16:
        so, zo = float(np.mean(sw)) * s * 127 * 3000 * math.sqrt(depth) / 32767 * 2, 0
    else:
        so, zo = om.out_q(rng, s, sw, depth, act == om.NONE)
    y = b.act((n, oh, ow, cout), tw.INT16 if s16 else tw.INT8, so, zo)
    b.op(TCONV, ins, [y], (O_TCONV, 4, [(0, "i8", padding), (1, "i32", stride[0]),
                                        (2, "i32", stride[1]), (3, "i8", act)]), 4)
    return name, "TRANSPOSE_CONV", b


def keras_dynamic_case(rng, name):
    """A small Keras functional model as the converter writes it with a dynamic batch:
    Conv2D(relu) -> Conv2DTranspose (output shape PACKed from SHAPE) -> Permute (TRANSPOSE)
    -> sum over H (SUM) -> Flatten (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE) -> Dense
    (logits); folded and running operators interleave, so lifetimes are planned around no-ops."""
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act((1, 5, 5, 2), scale=s, zp=zp, is_input=True)
    wq, sw = om.weights(rng, (3, 3, 3, 2), 0, True)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    sb = s * sw.astype(np.float64)
    bt = b.const(np.round(rng.normal(0, 0.3, 3) * 18 * 64 * np.mean(sw) * s / sb), tw.INT32, sb)
    s1, z1 = om.out_q(rng, s, sw, 18, False)
    y1 = b.act((1, 5, 5, 3), scale=s1, zp=z1)
    b.op(om.CONV, [x, wt, bt], [y1], (om.O_CONV, 6, [(0, "i8", om.SAME), (1, "i32", 1),
                                                     (2, "i32", 1), (3, "i8", om.RELU),
                                                     (4, "i32", 1), (5, "i32", 1)]), 3)
    sh = i32_act(b, [4])
    b.op(SHAPE, [y1], [sh], (O_SHAPE, 1, [(0, "i8", tw.INT32)]), 1)
    batch = i32_act(b, [])
    b.op(om.SSLICE, [sh, i32(b, [0]), i32(b, [1]), i32(b, [1])], [batch],
         (om.O_SSLICE, 6, [(4, "i32", 1)]), 2)
    oshape = i32_act(b, [4])
    b.op(PACK, [batch, i32(b, 10, []), i32(b, 10, []), i32(b, 4, [])], [oshape],
         (O_PACK, 2, [(0, "i32", 4), (1, "i32", 0)]), 1)
    wq2, sw2 = om.weights(rng, (4, 3, 3, 3), 0, True)
    wt2 = b.const(wq2, tw.INT8, sw2, None, qdim=0)
    s2, z2 = om.out_q(rng, s1, sw2, 7)
    y2 = b.act((1, 10, 10, 4), scale=s2, zp=z2)
    b.op(TCONV, [oshape, wt2, y1], [y2], (O_TCONV, 4, [(0, "i8", om.SAME), (1, "i32", 2),
                                                       (2, "i32", 2), (3, "i8", om.NONE)]), 4)
    y3 = b.act((1, 4, 10, 10), scale=s2, zp=z2)
    b.op(TRANSPOSE, [y2, i32(b, [0, 3, 1, 2])], [y3], (O_TRANSPOSE, 0, []), 2)
    s4, z4 = om.act_q(rng, -s2 * 128 * 4, s2 * 128 * 4)
    y4 = b.act((1, 4, 10), scale=s4, zp=z4)
    b.op(SUM, [y3, i32(b, [2])], [y4], (om.O_REDUCER, 1, [(0, "bool", 0)]), 1)
    flat = flatten_chain(b, y4, [1, 4, 10])
    fc_head(rng, b, flat, 40, 5, narrow=8.0)  # logits out: a softmax would saturate them
    return name, "SHAPE", b


def train_model(dynamic: bool) -> om.Builder:
    """A small CNN for the trainer test: 1x1 CONV_2D (adaptable) -> Flatten -> Dense ->
    SOFTMAX, with the dynamic-batch Flatten chain or a batch-1 RESHAPE; same seed, same
    weights and quantisation in both."""
    rng = np.random.default_rng(20267)
    b = om.Builder()
    shape = [1, 4, 4, 3]
    s, zp = om.act_q(rng, -1.0, 1.0)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    wq, sw = om.weights(rng, (4, 1, 1, 3), 0, True)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    sb = s * sw.astype(np.float64)
    bt = b.const(np.round(rng.normal(0, 0.3, 4) * 3 * 64 * np.mean(sw) * s / sb), tw.INT32, sb)
    so, zo = om.out_q(rng, s, sw, 3)
    y = b.act([1, 4, 4, 4], scale=so, zp=zo)
    b.op(om.CONV, [x, wt, bt], [y], (om.O_CONV, 6, [(0, "i8", om.SAME), (1, "i32", 1),
                                                    (2, "i32", 1), (3, "i8", om.NONE),
                                                    (4, "i32", 1), (5, "i32", 1)]), 3)
    if dynamic:
        flat = flatten_chain(b, y, [1, 4, 4, 4])
    else:
        flat = b.act([1, 64], scale=so, zp=zo)
        b.op(RESHAPE, [y, i32(b, [1, 64])], [flat], None, 1)
    fc_head(rng, b, flat, 64, 4)
    logits = len(b.tensors) - 1
    p = b.act([1, 4], scale=1.0 / 256, zp=-128)
    b.op(om.SOFTMAX, [logits], [p], (om.O_SOFTMAX, 1, [(0, "f32", 1.0)]), 2)
    return b


LSTM, O_LSTM = 44, 71


def lstm_case(rng, name, batch, time, n, units, time_major=False, cell_clip=0.0,
              cell_pow=-11, s16=False, misalign=False, zp16=(0, 0)):
    """Keras LSTM as the converter writes it in int8: UNIDIRECTIONAL_SEQUENCE_LSTM with 24
    inputs (gates input, forget, cell, output; no peepholes, projection or layer norm),
    per-tensor symmetric weights, int32 gate biases at s_x * s_w, the hidden state int8 as
    the output, the cell state int16 at 2^cell_pow; both states variable. s16: the 16x8 form
    TFLM's kernel takes (the converter does not write it for a Keras LSTM): input, hidden state
    and output int16 symmetric (zero point 0), int64 gate biases (misalign: placed 4- but not
    8-aligned, as the converter places them); zp16: the int16 input's and hidden state's zero
    points (the converter writes 0; TFLM applies others, and so must we)."""
    b = om.Builder()
    act_t = tw.INT16 if s16 else tw.INT8
    if s16:
        s, zp = rng.uniform(1, 3) / 32767.0, zp16[0]
    else:
        s, zp = om.act_q(rng, -rng.uniform(1, 3), rng.uniform(1, 3))
    shape = (time, batch, n) if time_major else (batch, time, n)
    x = b.act(shape, dtype=act_t, scale=s, zp=zp, is_input=True)
    # the hidden state: o * tanh(c) in (-1, 1)
    sh, zh = (1.0 / 32767.0, zp16[1]) if s16 else om.act_q(rng, -1.0, 1.0)
    ins = [x]
    for rec in (False, True):
        for _ in range(4):
            wq, sw = om.weights(rng, (units, units if rec else n), 0, False)
            ins.append(b.const(wq, tw.INT8, sw, None))
    ins += [-1, -1, -1]
    wscales = [b.tensors[t]["scale"][0] for t in ins[1:5]]
    for g in range(4):  # biases, forget gate biased open as Keras initialises it
        sb = float(s) * float(wscales[g])
        real = rng.normal(1.0 if g == 1 else 0.0, 0.5, units)
        ins.append(b.const(np.round(real / sb), tw.INT64 if s16 else tw.INT32, [sb], None))
    ins += [-1, -1]
    b.tensors.append(dict(name="h", shape=[batch, units], type=act_t, buffer=0,
                          scale=np.float32(sh), zp=int(zh), variable=True))
    ins.append(len(b.tensors) - 1)
    b.tensors.append(dict(name="c", shape=[batch, units], type=tw.INT16, buffer=0,
                          scale=np.float32(2.0 ** cell_pow), zp=0, variable=True))
    ins.append(len(b.tensors) - 1)
    ins += [-1, -1, -1, -1]
    y = b.act((shape[0], shape[1], units), dtype=act_t, scale=sh, zp=zh)
    b.op(LSTM, ins, [y], (O_LSTM, 6, [(0, "i8", 4), (1, "f32", cell_clip),  # fused TANH
                                      (3, "bool", time_major)]), 4)
    if misalign:
        b.misalign = frozenset(t["buffer"] for t in b.tensors if t["type"] == tw.INT64)
    return name, "UNIDIRECTIONAL_SEQUENCE_LSTM", b

#!/usr/bin/env python3
"""Tiny single-operator int8 models for the oracle coverage test (host-tests/engine/opcoverage).

Usage: opmodels.py OUTDIR     writes OUTDIR/<case>.tflite and prints a JSON manifest
                              [{name, op, file, inputs: [{shape, dtype, zero_point}]}]

Every implemented operator and its variants (padding, stride, dilation, fused activation,
per-tensor / per-channel weights, depth multiplier, softmax beta and int16 output, QUANTIZE
type pairs, broadcasting) gets a model with seeded random weights and converter-like
quantisation: activations asymmetric int8 from a float range, weights symmetric
[-127, 127] per channel (or per tensor), int32 bias at s_in * s_w. Output scales are set
from the expected spread of the float result so most outputs land inside the int8 range
(some saturate, which the clamps need too). The same seed always gives the same bytes.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tflite_writer as tw  # noqa: E402

# schema BuiltinOperator codes and BuiltinOptions union indices
ADD, AVG, CONCAT, CONV, DW, FC, MAXP, MUL, SOFTMAX, PAD, SSLICE, QUANT, MEAN = (
    0, 1, 2, 3, 4, 9, 17, 18, 25, 34, 45, 114, 40)
O_CONV, O_DW, O_POOL, O_FC, O_SOFTMAX, O_CONCAT, O_ADD, O_MUL, O_PAD, O_SSLICE, O_REDUCER = (
    1, 2, 5, 8, 9, 10, 11, 21, 22, 32, 27)
# shape / reduce operators (MEAN and O_REDUCER above)
SUB, SQUEEZE, MAXIMUM, MINIMUM, EXPAND_DIMS = 41, 43, 55, 57, 70
O_SUB, O_SQUEEZE, O_MAXMIN, O_EXPAND = 28, 30, 39, 52
SAME, VALID = 0, 1
NONE, RELU, RELU6 = 0, 1, 3
DT = {tw.INT8: "int8", tw.INT16: "int16", tw.INT32: "int32"}


class Builder:
    """Collects tensors, buffers and one operator; buffer 0 is the empty one."""

    def __init__(self):
        self.tensors: list[dict] = []
        self.buffers: list[bytes] = [b""]
        self.ops: list[dict] = []
        self.codes: list[tuple[int, int]] = []
        self.inputs: list[int] = []
        self.misalign: frozenset[int] = frozenset()  # buffers placed 4- but not 8-aligned

    def act(self, shape, dtype=tw.INT8, scale=0.05, zp=0, is_input=False) -> int:
        self.tensors.append(dict(name=f"t{len(self.tensors)}", shape=list(shape), type=dtype,
                                 buffer=0, scale=np.float32(scale), zp=int(zp)))
        if is_input:
            self.inputs.append(len(self.tensors) - 1)
        return len(self.tensors) - 1

    def const(self, arr: np.ndarray, dtype, scale=None, zp=None, qdim=0) -> int:
        self.buffers.append(arr.astype({tw.INT8: "<i1", tw.INT16: "<i2", tw.INT32: "<i4",
                                        tw.INT64: "<i8"}[dtype]).tobytes())
        t = dict(name=f"c{len(self.tensors)}", shape=list(arr.shape), type=dtype,
                 buffer=len(self.buffers) - 1, qdim=qdim)
        if scale is not None:
            t["scale"] = [np.float32(s) for s in np.atleast_1d(scale)]
            t["zp"] = [0] * len(t["scale"]) if zp is None else [int(z) for z in np.atleast_1d(zp)]
        self.tensors.append(t)
        return len(self.tensors) - 1

    def op(self, code, inputs, outputs, options=None, version=1):
        self.codes.append((code, version))
        self.ops.append(dict(opcode=len(self.codes) - 1, inputs=inputs, outputs=outputs,
                             options=options))

    def bytes(self, name) -> bytes:
        return tw.write_model(self.tensors, self.ops, self.buffers, self.codes,
                              f"edge-peft opmodels {name}", inputs=self.inputs,
                              outputs=[self.ops[-1]["outputs"][0]], misalign=self.misalign)

    def input_infos(self):
        return [dict(shape=self.tensors[i]["shape"], dtype=DT[self.tensors[i]["type"]],
                     zero_point=self.tensors[i]["zp"]) for i in self.inputs]


def act_q(rng, lo=None, hi=None):
    """Asymmetric int8 (scale, zp) from a float range that contains 0, as the converter."""
    lo = -rng.uniform(0.2, 4.0) if lo is None else lo
    hi = rng.uniform(0.2, 4.0) if hi is None else hi
    scale = (hi - lo) / 255.0
    return scale, int(np.clip(round(-128 - lo / scale), -128, 127))


def weights(rng, shape, axis, per_channel):
    """Symmetric int8 weights; per-channel scales along `axis` (or one scale)."""
    w = rng.normal(0, 1, shape) * rng.uniform(0.05, 1.0, shape[axis]).reshape(
        [-1 if i == axis else 1 for i in range(len(shape))])
    if per_channel:
        m = np.abs(w).max(axis=tuple(i for i in range(len(shape)) if i != axis))
        s = (m / 127.0).astype(np.float32)
        q = np.round(w / s.reshape([-1 if i == axis else 1 for i in range(len(shape))]))
    else:
        s = np.array([np.abs(w).max() / 127.0], np.float32)
        q = np.round(w / s[0])
    return np.clip(q, -127, 127).astype(np.int8), s


def out_q(rng, s_in, s_w, depth, signed=True):
    """Output scale from the spread of sum(w*x) over `depth` terms of full-range inputs."""
    spread = 2.5 * float(np.mean(s_w)) * s_in * 127 * 75 * math.sqrt(depth) * rng.uniform(0.6, 1.6)
    return act_q(rng, -spread, spread) if signed else act_q(rng, -0.3 * spread, spread)


def fused(b, rng, out_shape, s_out, zp_out):
    return b.act(out_shape, scale=s_out, zp=zp_out)


def conv_case(rng, name, in_shape, cout, k, stride=(1, 1), dil=(1, 1), padding=SAME, act=NONE,
              per_channel=True, groups=1, s16=False, bias=True):
    b = Builder()
    n, h, w_, cin = in_shape
    if s16:
        s_in, zp_in = rng.uniform(0.0005, 0.002), 0
    else:
        s_in, zp_in = act_q(rng)
    x = b.act(in_shape, tw.INT16 if s16 else tw.INT8, s_in, zp_in, is_input=True)
    wq, sw = weights(rng, (cout, k[0], k[1], cin // groups), 0, per_channel)
    if not per_channel:
        sw = np.repeat(sw, 1)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    depth = k[0] * k[1] * cin // groups
    inputs = [x, wt]
    if bias:
        sb = (s_in * sw.astype(np.float64))
        bv = np.round(rng.normal(0, 0.3, cout) * depth * 64 * np.mean(sw) * s_in / np.resize(sb, cout))
        inputs.append(b.const(bv, tw.INT64 if s16 else tw.INT32, np.resize(sb, len(sw)), None))
    else:
        inputs.append(-1)

    def osz(i, kk, s, d):
        eff = (kk - 1) * d + 1
        return (i + s - 1) // s if padding == SAME else (i - eff + s) // s
    oh, ow = osz(h, k[0], stride[1], dil[1]), osz(w_, k[1], stride[0], dil[0])
    if s16:
        s_out, zp_out = float(np.mean(sw)) * s_in * 127 * 3000 * math.sqrt(depth) / 32767 * 2, 0
        y = b.act((n, oh, ow, cout), tw.INT16, s_out, 0)
    else:
        s_out, zp_out = out_q(rng, s_in, sw, depth, act == NONE)
        y = b.act((n, oh, ow, cout), scale=s_out, zp=zp_out)
    b.op(CONV, inputs, [y], (O_CONV, 6, [(0, "i8", padding), (1, "i32", stride[0]),
                                         (2, "i32", stride[1]), (3, "i8", act),
                                         (4, "i32", dil[0]), (5, "i32", dil[1])]), 3)
    return name, "CONV_2D", b


def dw_case(rng, name, in_shape, mult, k, stride=(1, 1), dil=(1, 1), padding=SAME, act=NONE,
            per_channel=True):
    b = Builder()
    n, h, w_, cin = in_shape
    s_in, zp_in = act_q(rng)
    x = b.act(in_shape, scale=s_in, zp=zp_in, is_input=True)
    cout = cin * mult
    wq, sw = weights(rng, (1, k[0], k[1], cout), 3, per_channel)
    wt = b.const(wq, tw.INT8, sw, None, qdim=3)
    depth = k[0] * k[1]
    sb = s_in * sw.astype(np.float64)
    bv = np.round(rng.normal(0, 0.3, cout) * depth * 64 * np.mean(sw) * s_in / np.resize(sb, cout))
    bt = b.const(bv, tw.INT32, sb, None)

    def osz(i, kk, s, d):
        eff = (kk - 1) * d + 1
        return (i + s - 1) // s if padding == SAME else (i - eff + s) // s
    oh, ow = osz(h, k[0], stride[1], dil[1]), osz(w_, k[1], stride[0], dil[0])
    s_out, zp_out = out_q(rng, s_in, sw, depth, act == NONE)
    y = b.act((n, oh, ow, cout), scale=s_out, zp=zp_out)
    b.op(DW, [x, wt, bt], [y], (O_DW, 7, [(0, "i8", padding), (1, "i32", stride[0]),
                                          (2, "i32", stride[1]), (3, "i32", mult),
                                          (4, "i8", act), (5, "i32", dil[0]),
                                          (6, "i32", dil[1])]), 2)
    return name, "DEPTHWISE_CONV_2D", b


def fc_case(rng, name, batches, depth, rows, act=NONE, per_channel=False, bias=True):
    b = Builder()
    s_in, zp_in = act_q(rng)
    x = b.act((batches, depth), scale=s_in, zp=zp_in, is_input=True)
    wq, sw = weights(rng, (rows, depth), 0, per_channel)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    inputs = [x, wt]
    if bias:
        # per-tensor FC: bias scale is the float32 product, within TFLM's 2% check
        sb = (np.float32(s_in) * sw).astype(np.float32)
        bv = np.round(rng.normal(0, 0.3, rows) * depth * 64 * np.mean(sw) * s_in / np.resize(sb, rows))
        inputs.append(b.const(bv, tw.INT32, sb, None))
    else:
        inputs.append(-1)
    s_out, zp_out = out_q(rng, s_in, sw, depth, act == NONE)
    y = b.act((batches, rows), scale=s_out, zp=zp_out)
    b.op(FC, inputs, [y], (O_FC, 5, [(0, "i8", act)]), 5 if per_channel else 4)
    return name, "FULLY_CONNECTED", b


def pool_case(rng, name, code, in_shape, k, stride, padding, act=NONE):
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(in_shape, scale=s, zp=zp, is_input=True)
    n, h, w_, c = in_shape
    osz = (lambda i, kk, st: (i + st - 1) // st if padding == SAME else (i - kk + st) // st)
    y = b.act((n, osz(h, k[0], stride[1]), osz(w_, k[1], stride[0]), c), scale=s, zp=zp)
    b.op(code, [x], [y], (O_POOL, 6, [(0, "i8", padding), (1, "i32", stride[0]),
                                      (2, "i32", stride[1]), (3, "i32", k[1]),
                                      (4, "i32", k[0]), (5, "i8", act)]), 2)
    return name, "AVERAGE_POOL_2D" if code == AVG else "MAX_POOL_2D", b


def softmax_case(rng, name, shape, beta, out16=False):
    b = Builder()
    s_in, zp_in = act_q(rng, -rng.uniform(2, 12), rng.uniform(2, 12))
    x = b.act(shape, scale=s_in, zp=zp_in, is_input=True)
    if out16:
        y = b.act(shape, tw.INT16, 1.0 / 65536, -32768)
    else:
        y = b.act(shape, scale=1.0 / 256, zp=-128)
    b.op(SOFTMAX, [x], [y], (O_SOFTMAX, 1, [(0, "f32", beta)]), 2)
    return name, "SOFTMAX", b


def quant_case(rng, name, tin, tout, shape=(1, 37)):
    b = Builder()

    def q(t):
        if t == tw.INT8:
            return act_q(rng)
        if t == tw.INT16:
            return rng.uniform(0.00005, 0.0005), 0
        return rng.uniform(0.000001, 0.00001), 0
    s_in, zp_in = q(tin)
    s_out, zp_out = q(tout)
    x = b.act(shape, tin, s_in, zp_in, is_input=True)
    y = b.act(shape, tout, s_out, zp_out)
    b.op(QUANT, [x], [y], None, 2)
    return name, "QUANTIZE", b


def binary_case(rng, name, code, shape_a, shape_b, act=NONE, const_b=False):
    b = Builder()
    sa, za = act_q(rng)
    sb, zb = act_q(rng)
    xa = b.act(shape_a, scale=sa, zp=za, is_input=True)
    if const_b:
        xb = b.const(rng.integers(-128, 128, shape_b), tw.INT8, [sb], [zb])
    else:
        xb = b.act(shape_b, scale=sb, zp=zb, is_input=True)
    out_shape = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    if code == ADD:
        so, zo = act_q(rng, -(sa + sb) * 128 * rng.uniform(0.6, 1.2), (sa + sb) * 128 * rng.uniform(0.6, 1.2))
        opt = (O_ADD, 2, [(0, "i8", act)])
    else:
        so, zo = act_q(rng, -sa * sb * 128 * 128 * rng.uniform(0.3, 1.0), sa * sb * 128 * 128 * rng.uniform(0.3, 1.0))
        opt = (O_MUL, 1, [(0, "i8", act)])
    y = b.act(out_shape, scale=so, zp=zo)
    b.op(code, [xa, xb], [y], opt, 2)
    return name, "ADD" if code == ADD else "MUL", b


def pad_case(rng, name, shape, pads):
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    p = b.const(np.array(pads, np.int32), tw.INT32)
    y = b.act([d + lo + hi for d, (lo, hi) in zip(shape, pads)], scale=s, zp=zp)
    b.op(PAD, [x, p], [y], (O_PAD, 0, []), 2)
    return name, "PAD", b


def concat_case(rng, name, shapes, axis):
    b = Builder()
    s, zp = act_q(rng)
    xs = [b.act(sh, scale=s, zp=zp, is_input=True) for sh in shapes]
    a = axis % len(shapes[0])
    out = list(shapes[0])
    out[a] = sum(sh[a] for sh in shapes)
    y = b.act(out, scale=s, zp=zp)
    b.op(CONCAT, xs, [y], (O_CONCAT, 2, [(0, "i32", axis)]), 2)
    return name, "CONCATENATION", b


def slice_case(rng, name, shape, begin, end, strides, begin_mask=0, end_mask=0, shrink=0):
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    ins = [x] + [b.const(np.array(v, np.int32), tw.INT32) for v in (begin, end, strides)]
    # Output shape as numpy slicing gives it (the masks mean "from the start / to the end").
    idx = []
    for d in range(len(shape)):
        st = strides[d]
        bg = None if begin_mask >> d & 1 else begin[d]
        en = None if end_mask >> d & 1 else end[d]
        idx.append(bg if shrink >> d & 1 else slice(bg, en, st))
    out = np.zeros(shape)[tuple(idx)].shape
    y = b.act(out, scale=s, zp=zp)
    b.op(SSLICE, ins, [y], (O_SSLICE, 6, [(0, "i32", begin_mask), (1, "i32", end_mask),
                                          (4, "i32", shrink)]), 2)
    return name, "STRIDED_SLICE", b


def cases():
    rng = np.random.default_rng(20261)
    c = []
    # CONV_2D: padding, stride, dilation, activation, per-tensor filter, grouped, batch, 16x8
    c.append(conv_case(rng, "conv_3x3_same_s1_relu", (1, 8, 8, 3), 4, (3, 3), act=RELU))
    c.append(conv_case(rng, "conv_3x3_valid_s2_none", (1, 9, 9, 4), 5, (3, 3), (2, 2), padding=VALID))
    c.append(conv_case(rng, "conv_3x3_same_s2_relu6", (1, 10, 7, 3), 6, (3, 3), (2, 2), act=RELU6))
    c.append(conv_case(rng, "conv_3x3_same_dil2", (1, 9, 9, 2), 3, (3, 3), dil=(2, 2)))
    c.append(conv_case(rng, "conv_5x3_valid_dil23_s12", (1, 12, 11, 3), 4, (5, 3), (1, 2), (3, 2), VALID))
    c.append(conv_case(rng, "conv_2x4_same_s21_relu", (1, 7, 9, 5), 3, (2, 4), (2, 1), act=RELU))
    c.append(conv_case(rng, "conv_1x1_pointwise", (1, 6, 6, 16), 8, (1, 1)))
    c.append(conv_case(rng, "conv_1x1_pointwise_relu6", (1, 5, 5, 24), 12, (1, 1), act=RELU6))
    c.append(conv_case(rng, "conv_per_tensor_filter", (1, 6, 6, 3), 4, (3, 3), per_channel=False))
    c.append(conv_case(rng, "conv_no_bias", (1, 6, 6, 3), 4, (3, 3), bias=False))
    c.append(conv_case(rng, "conv_batch2", (2, 5, 5, 3), 4, (3, 3), (2, 2)))
    c.append(conv_case(rng, "conv16x8_3x3_same_s2_relu", (1, 8, 8, 4), 5, (3, 3), (2, 2), act=RELU, s16=True))
    c.append(conv_case(rng, "conv16x8_3x3_valid_dil2", (1, 9, 9, 3), 4, (3, 3), dil=(2, 2), padding=VALID, s16=True))
    # DEPTHWISE_CONV_2D
    c.append(dw_case(rng, "dw_3x3_same_s1_relu6", (1, 8, 8, 4), 1, (3, 3), act=RELU6))
    c.append(dw_case(rng, "dw_3x3_valid_s2_mult2", (1, 9, 9, 3), 2, (3, 3), (2, 2), padding=VALID))
    c.append(dw_case(rng, "dw_3x3_same_dil2_relu", (1, 9, 9, 4), 1, (3, 3), dil=(2, 2), act=RELU))
    c.append(dw_case(rng, "dw_5x5_same_s2_mult3", (1, 11, 10, 2), 3, (5, 5), (2, 2)))
    c.append(dw_case(rng, "dw_3x2_same_s12_dil21", (1, 7, 8, 5), 1, (3, 2), (1, 2), (2, 1)))
    c.append(dw_case(rng, "dw_per_tensor_filter", (1, 6, 6, 8), 1, (3, 3), per_channel=False))
    c.append(dw_case(rng, "dw_batch2_mult4", (2, 5, 5, 1), 4, (3, 3)))
    # FULLY_CONNECTED
    c.append(fc_case(rng, "fc_per_tensor_relu", 1, 40, 12, RELU))
    c.append(fc_case(rng, "fc_per_tensor_relu6", 1, 33, 7, RELU6))
    c.append(fc_case(rng, "fc_per_tensor_batch3", 3, 20, 9))
    c.append(fc_case(rng, "fc_per_channel_none", 1, 48, 10, per_channel=True))
    c.append(fc_case(rng, "fc_per_channel_relu_batch2", 2, 25, 6, RELU, per_channel=True))
    c.append(fc_case(rng, "fc_per_channel_relu6_no_bias", 1, 64, 5, RELU6, per_channel=True, bias=False))
    c.append(fc_case(rng, "fc_large_k", 1, 1000, 4))
    # pools
    c.append(pool_case(rng, "avgpool_2x2_valid_s2", AVG, (1, 8, 8, 3), (2, 2), (2, 2), VALID))
    c.append(pool_case(rng, "avgpool_3x3_same_s2_relu", AVG, (1, 9, 7, 4), (3, 3), (2, 2), SAME, RELU))
    c.append(pool_case(rng, "avgpool_3x3_same_s1", AVG, (1, 6, 6, 2), (3, 3), (1, 1), SAME))
    c.append(pool_case(rng, "avgpool_2x3_same_s21_relu6", AVG, (2, 7, 8, 3), (2, 3), (2, 1), SAME, RELU6))
    c.append(pool_case(rng, "maxpool_2x2_valid_s2", MAXP, (1, 8, 8, 3), (2, 2), (2, 2), VALID))
    c.append(pool_case(rng, "maxpool_3x3_same_s2", MAXP, (1, 9, 7, 4), (3, 3), (2, 2), SAME))
    c.append(pool_case(rng, "maxpool_3x3_same_s1_relu", MAXP, (1, 6, 6, 2), (3, 3), (1, 1), SAME, RELU))
    c.append(pool_case(rng, "maxpool_2x3_valid_s12_relu6", MAXP, (2, 7, 8, 3), (2, 3), (1, 2), VALID, RELU6))
    # SOFTMAX
    c.append(softmax_case(rng, "softmax_beta1", (1, 10), 1.0))
    c.append(softmax_case(rng, "softmax_beta05_rows", (3, 7), 0.5))
    c.append(softmax_case(rng, "softmax_beta2_4d", (1, 2, 3, 5), 2.0))
    c.append(softmax_case(rng, "softmax_beta0p1", (1, 32), 0.1))
    c.append(softmax_case(rng, "softmax_s16_out", (2, 12), 1.0, out16=True))
    c.append(softmax_case(rng, "softmax_s16_out_beta07", (1, 9), 0.7, out16=True))
    # QUANTIZE (requantize between integer types)
    for tin, tout in ((tw.INT8, tw.INT8), (tw.INT8, tw.INT16), (tw.INT16, tw.INT8),
                      (tw.INT16, tw.INT16), (tw.INT8, tw.INT32), (tw.INT16, tw.INT32)):
        c.append(quant_case(rng, f"quantize_{DT[tin]}_{DT[tout]}", tin, tout))
    return c


def extra_cases():
    """Operators added after the fixture set (ADD, MUL, PAD, CONCATENATION, STRIDED_SLICE)."""
    rng = np.random.default_rng(20262)
    c = []
    c.append(binary_case(rng, "add_same_shape", ADD, (1, 4, 4, 3), (1, 4, 4, 3)))
    c.append(binary_case(rng, "add_broadcast_channel_relu", ADD, (1, 4, 5, 3), (1, 1, 1, 3), RELU))
    c.append(binary_case(rng, "add_broadcast_both_relu6", ADD, (1, 4, 1, 3), (1, 1, 5, 3), RELU6))
    c.append(binary_case(rng, "add_const_2d", ADD, (2, 6), (1, 6), const_b=True))
    c.append(binary_case(rng, "mul_same_shape", MUL, (1, 3, 3, 4), (1, 3, 3, 4)))
    c.append(binary_case(rng, "mul_broadcast_relu", MUL, (2, 3, 4), (1, 3, 1), RELU))
    c.append(binary_case(rng, "mul_broadcast_both_relu6", MUL, (1, 5, 1, 2), (1, 1, 3, 2), RELU6))
    c.append(binary_case(rng, "mul_scalar_const", MUL, (1, 10), (1,), const_b=True))
    c.append(pad_case(rng, "pad_hw", (1, 4, 5, 3), [(0, 0), (1, 2), (2, 1), (0, 0)]))
    c.append(pad_case(rng, "pad_all4", (2, 3, 3, 2), [(1, 0), (0, 1), (1, 1), (2, 0)]))
    c.append(pad_case(rng, "pad_2d", (3, 5), [(1, 1), (0, 3)]))
    c.append(concat_case(rng, "concat_axis3", [(1, 3, 3, 2), (1, 3, 3, 5)], 3))
    c.append(concat_case(rng, "concat_axis1_three", [(1, 2, 4), (1, 3, 4), (1, 1, 4)], 1))
    c.append(concat_case(rng, "concat_axis_neg1", [(2, 3), (2, 4)], -1))
    c.append(slice_case(rng, "sslice_basic", (1, 8, 8, 3), [0, 1, 2, 0], [1, 7, 8, 3], [1, 2, 3, 1]))
    c.append(slice_case(rng, "sslice_masks", (1, 6, 7, 4), [0, 2, 0, 1], [0, 0, 5, 3], [1, 1, 2, 1],
                        begin_mask=0b0101, end_mask=0b0011))
    c.append(slice_case(rng, "sslice_negative", (4, 10), [-3, -8], [-1, -1], [1, 2]))
    c.append(slice_case(rng, "sslice_shrink", (3, 5, 4), [1, 0, 0], [2, 5, 4], [1, 1, 1], shrink=0b001))
    c.append(slice_case(rng, "sslice_reverse", (1, 9, 3), [0, 8, 0], [1, 0, 3], [1, -2, 1]))
    return c


LOGISTIC, RELU_OP, RELU6_OP, TANH, LEAKY_RELU, HARD_SWISH = 14, 19, 21, 28, 98, 117
O_LEAKY_RELU = 75


def unary_case(name, code, op, shape, q_in, q_out, options=None, version=2):
    """One int8 -> int8 elementwise activation with the given (scale, zp) pairs."""
    b = Builder()
    x = b.act(shape, scale=q_in[0], zp=q_in[1], is_input=True)
    y = b.act(shape, scale=q_out[0], zp=q_out[1])
    b.op(code, [x], [y], options, version)
    return name, op, b


def activation_cases():
    """LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH (own seed: the other groups'
    streams stay as they were). Input ranges are chosen so the LOGISTIC / TANH input radius
    both saturates (wide ranges) and does not (narrow ones); a 256-element shape meets nearly
    every int8 value in each sample."""
    rng = np.random.default_rng(20263)
    c = []
    # LOGISTIC / TANH: output quantisation fixed by the op (1/256, -128 and 1/128, 0)
    sig = [("typical", (1, 16), -8.0, 8.0), ("narrow_4d", (1, 3, 4, 5), -1.0, 2.0),
           ("wide_saturating", (2, 40), -30.0, 20.0), ("asym_3d", (2, 3, 7), -0.5, 6.0),
           ("flat_1d", (37,), -4.0, 4.0), ("all_values", (256,), -10.0, 7.0),
           ("tiny_range", (3, 11), -0.05, 0.08)]
    for tag, shape, lo, hi in sig:
        q = act_q(rng, lo * rng.uniform(0.9, 1.1), hi * rng.uniform(0.9, 1.1))
        c.append(unary_case(f"logistic_{tag}", LOGISTIC, "LOGISTIC", shape, q, (1.0 / 256, -128)))
    # power-of-two input scales: the radius lands exactly on an integer boundary
    c.append(unary_case("logistic_pot_scale", LOGISTIC, "LOGISTIC", (256,), (1.0 / 16, 3),
                        (1.0 / 256, -128)))
    for tag, shape, lo, hi in sig:
        q = act_q(rng, lo * rng.uniform(0.9, 1.1), hi * rng.uniform(0.9, 1.1))
        c.append(unary_case(f"tanh_{tag}", TANH, "TANH", shape, q, (1.0 / 128, 0)))
    c.append(unary_case("tanh_pot_scale", TANH, "TANH", (256,), (1.0 / 32, -7), (1.0 / 128, 0)))
    # RELU: requantises onto the output; RELU6: clamps on the input scale (TFLM ignores the
    # output quantisation, which the converter makes equal to the input's)
    for tag, shape, lo, hi, same in (("same_quant", (1, 8, 8, 3), -3.0, 5.0, True),
                                     ("out_range", (2, 50), -4.0, 9.0, False),
                                     ("flat_1d", (256,), -0.7, 0.4, False),
                                     ("3d_pos_in", (3, 4, 5), 0.0, 6.0, False)):
        q = act_q(rng, lo, hi)
        qo = q if same else act_q(rng, 0.0, hi * rng.uniform(0.5, 1.5))
        if tag == "flat_1d":
            qo = (q[0] * 0.37, 40)  # output zero point above the input's
        c.append(unary_case(f"relu_{tag}", RELU_OP, "RELU", shape, q, qo))
    for tag, shape, lo, hi, same in (("same_quant", (1, 6, 6, 4), -8.0, 10.0, True),
                                     ("below_six", (2, 30), -2.0, 4.0, True),
                                     ("all_values", (256,), -12.0, 12.0, True),
                                     ("1d_out_differs", (64,), -5.0, 8.0, False)):
        q = act_q(rng, lo, hi)
        qo = q if same else act_q(rng, 0.0, 6.0)
        c.append(unary_case(f"relu6_{tag}", RELU6_OP, "RELU6", shape, q, qo))
    # LEAKY_RELU: alpha small, zero, negative (the negative side crosses over zero), above 1
    for tag, shape, alpha, lo, hi in (("alpha0p2", (1, 5, 5, 4), 0.2, -4.0, 4.0),
                                      ("alpha0p01_3d", (2, 7, 9), 0.01, -10.0, 3.0),
                                      ("alpha0", (48,), 0.0, -2.0, 2.0),
                                      ("alpha_neg0p5", (256,), -0.5, -6.0, 3.0),
                                      ("alpha_neg2_2d", (4, 16), -2.0, -1.5, 2.5),
                                      ("alpha1p5", (256,), 1.5, -3.0, 3.0),
                                      ("alpha3_4d", (1, 2, 3, 8), 3.0, -1.0, 5.0)):
        q = act_q(rng, lo, hi)
        lo_out = min(0.0, alpha * lo, alpha * hi)
        hi_out = max(hi, alpha * lo)
        qo = act_q(rng, lo_out * rng.uniform(0.8, 1.2), hi_out * rng.uniform(0.8, 1.2))
        c.append(unary_case(f"leaky_relu_{tag}", LEAKY_RELU, "LEAKY_RELU", shape, q, qo,
                            (O_LEAKY_RELU, 1, [(0, "f32", alpha)])))
    c.append(unary_case("leaky_relu_same_quant", LEAKY_RELU, "LEAKY_RELU", (256,),
                        (0.05, -20), (0.05, -20), (O_LEAKY_RELU, 1, [(0, "f32", 0.3)])))
    # alpha -1/2 on equal scales: the multiplier is exactly -2^30, so odd inputs below the
    # zero point land on rounding ties, where negating after the product (TFLM) and
    # multiplying by the negative multiplier differ
    c.append(unary_case("leaky_relu_alpha_neg_half_ties", LEAKY_RELU, "LEAKY_RELU", (256,),
                        (0.04, 30), (0.04, -50), (O_LEAKY_RELU, 1, [(0, "f32", -0.5)])))
    # HARD_SWISH: x * relu6(x + 3) / 6, minimum -0.375 at x = -1.5
    for tag, shape, lo, hi, k in (("typical", (1, 8, 8, 4), -6.0, 6.0, 1.0),
                                  ("asym_2d", (3, 20), -3.0, 10.0, 1.0),
                                  ("narrow", (256,), -1.0, 1.0, 1.0),
                                  ("wide_3d", (2, 5, 9), -20.0, 20.0, 1.0),
                                  ("out_saturates", (256,), -8.0, 8.0, 0.3),
                                  ("out_coarse_1d", (100,), -4.0, 4.0, 4.0),
                                  ("tiny_in", (64,), -0.02, 0.03, 1.0)):
        q = act_q(rng, lo, hi)
        top = hi * min(6.0, max(0.0, hi + 3.0)) / 6.0
        qo = act_q(rng, -0.375 * k * rng.uniform(0.9, 1.6), top * k * rng.uniform(0.9, 1.1))
        c.append(unary_case(f"hard_swish_{tag}", HARD_SWISH, "HARD_SWISH", shape, q, qo,
                            version=1))
    return c


def unchecked_output_cases():
    """Output quantisations TFLM does not check (LOGISTIC scale, TANH scale and zero point):
    its kernels write 1/256, -128 and 1/128, 0 anyway, and so must ours, byte for byte."""
    return [
        unary_case("logistic_out_scale_unchecked", LOGISTIC, "LOGISTIC", (1, 8), (0.05, 0), (1.0 / 255, -128)),
        unary_case("tanh_out_zp_unchecked", TANH, "TANH", (1, 8), (0.05, 0), (1.0 / 128, -128)),
        unary_case("tanh_out_scale_unchecked", TANH, "TANH", (1, 8), (0.05, 0), (1.0 / 256, 0)),
    ]


def refused_cases():
    """Activations the engine must refuse at init, as TFLM does, with a piece of its message."""
    return [
        (unary_case("refuse_logistic_out_zp", LOGISTIC, "LOGISTIC", (1, 8), (0.05, 0),
                    (1.0 / 256, 0)), "scale 1/256 and zero point -128", True),
        # hires input scale (s_in / 128) at or above the output scale: TFLM's exponent check
        (unary_case("refuse_hard_swish_out_exponent", HARD_SWISH, "HARD_SWISH", (1, 8),
                    (0.5, 0), (0.5 / 128 * 0.99, 0), version=1), "HARD_SWISH): scales", True),
    ]


# ---- shape / reduce operators: SUB, MAXIMUM, MINIMUM, EXPAND_DIMS, SQUEEZE, MEAN ----

def sub_case(rng, name, shape_a, shape_b, act=NONE, const_a=False, const_b=False, ratio=None):
    """SUB with the converter's quantisation: each input its own range, the output the range
    of the difference. `ratio` forces s_b = ratio * s_a (far-apart scales)."""
    b = Builder()
    sa, za = act_q(rng)
    sb, zb = act_q(rng)
    if ratio is not None:
        sb = sa * ratio
    if const_a:
        xa = b.const(rng.integers(-128, 128, shape_a), tw.INT8, [sa], [za])
    else:
        xa = b.act(shape_a, scale=sa, zp=za, is_input=True)
    if const_b == "all":  # every int8 value, so each input meets all 256 subtrahends
        xb = b.const(np.arange(-128, 128).reshape(shape_b), tw.INT8, [sb], [zb])
    elif const_b:
        xb = b.const(rng.integers(-128, 128, shape_b), tw.INT8, [sb], [zb])
    else:
        xb = b.act(shape_b, scale=sb, zp=zb, is_input=True)
    out_shape = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    spread = (sa + sb) * 128
    so, zo = act_q(rng, -spread * rng.uniform(0.5, 1.1), spread * rng.uniform(0.5, 1.1))
    y = b.act(out_shape, scale=so, zp=zo)
    b.op(SUB, [xa, xb], [y], (O_SUB, 2, [(0, "i8", act)]), 2)
    return name, "SUB", b


def minmax_case(rng, name, code, shape_a, shape_b, const_b=False, const_value=None):
    """MAXIMUM / MINIMUM: the converter gives both inputs and the output one quantisation.
    `const_value` makes input 2 a constant filled with that real value (max(x, 0) style)."""
    b = Builder()
    s, zp = act_q(rng)
    xa = b.act(shape_a, scale=s, zp=zp, is_input=True)
    if const_value is not None:
        q = int(np.clip(round(const_value / s) + zp, -128, 127))
        xb = b.const(np.full(shape_b, q), tw.INT8, [s], [zp])
    elif const_b:
        xb = b.const(rng.integers(-128, 128, shape_b), tw.INT8, [s], [zp])
    else:
        xb = b.act(shape_b, scale=s, zp=zp, is_input=True)
    out_shape = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    y = b.act(out_shape, scale=s, zp=zp)
    b.op(code, [xa, xb], [y], (O_MAXMIN, 0, []), 2)
    return name, "MAXIMUM" if code == MAXIMUM else "MINIMUM", b


def expand_dims_case(rng, name, shape, axis):
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    ax = b.const(np.array([axis], np.int32), tw.INT32)
    a = axis if axis >= 0 else len(shape) + 1 + axis
    y = b.act(list(shape[:a]) + [1] + list(shape[a:]), scale=s, zp=zp)
    b.op(EXPAND_DIMS, [x, ax], [y], (O_EXPAND, 0, []), 1)
    return name, "EXPAND_DIMS", b


def squeeze_case(rng, name, shape, dims):
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    drop = {d % len(shape) for d in dims} if dims else {i for i, n in enumerate(shape) if n == 1}
    y = b.act([n for i, n in enumerate(shape) if i not in drop], scale=s, zp=zp)
    b.op(SQUEEZE, [x], [y], (O_SQUEEZE, 1, [(0, "vi32", dims)]), 1)
    return name, "SQUEEZE", b


def mean_case(rng, name, shape, axes, keep_dims, same_quant=False):
    """MEAN over `axes`; the output quantised from the narrower range of the mean (or, with
    same_quant, the input's own, as some converter paths leave it)."""
    b = Builder()
    s, zp = act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    ax = b.const(np.array(axes, np.int32), tw.INT32)
    red = {a % len(shape) for a in axes}
    out = [1 if i in red else n for i, n in enumerate(shape) if keep_dims or i not in red]
    if same_quant:
        so, zo = s, zp
    else:
        count = int(np.prod([shape[i] for i in red]))
        spread = s * 128 * rng.uniform(0.3, 1.2) / math.sqrt(count) * 3
        so, zo = act_q(rng, -spread * rng.uniform(0.5, 1.5), spread * rng.uniform(0.5, 1.5))
    y = b.act(out, scale=so, zp=zo)
    b.op(MEAN, [x, ax], [y], (O_REDUCER, 1, [(0, "bool", keep_dims)]), 2)
    return name, "MEAN", b


def shape_reduce_cases():
    """SUB, MAXIMUM, MINIMUM, EXPAND_DIMS, SQUEEZE, MEAN (own seed: the other groups'
    streams stay as they were)."""
    rng = np.random.default_rng(20264)
    c = []
    c.append(sub_case(rng, "sub_same_shape", (1, 4, 4, 3), (1, 4, 4, 3)))
    c.append(sub_case(rng, "sub_broadcast_channel_relu", (1, 4, 5, 3), (1, 1, 1, 3), RELU))
    c.append(sub_case(rng, "sub_broadcast_both_relu6", (1, 4, 1, 3), (1, 1, 5, 3), RELU6))
    c.append(sub_case(rng, "sub_const_2d", (2, 6), (1, 6), const_b=True))
    c.append(sub_case(rng, "sub_const_minuend_scalar", (1,), (3, 7), const_a=True))
    c.append(sub_case(rng, "sub_far_scales_5d", (2, 1, 3, 1, 4), (1, 2, 1, 5, 1), ratio=0.013))
    c.append(sub_case(rng, "sub_rank_mismatch_relu", (3, 2, 5), (5,), RELU, ratio=7.5))
    for k in range(3):  # nearly every (a, b) pair: catches a multiplier one unit off
        c.append(sub_case(rng, f"sub_all_pairs_{k}", (8, 1), (1, 256), const_b="all"))
    c.append(minmax_case(rng, "maximum_same_shape", MAXIMUM, (1, 5, 5, 3), (1, 5, 5, 3)))
    c.append(minmax_case(rng, "maximum_broadcast", MAXIMUM, (2, 3, 4), (1, 3, 1)))
    c.append(minmax_case(rng, "maximum_zero_const", MAXIMUM, (1, 6, 6, 2), (1,), const_value=0.0))
    c.append(minmax_case(rng, "maximum_broadcast_both_5d", MAXIMUM, (2, 1, 3, 1, 2),
                         (1, 4, 1, 3, 2)))
    c.append(minmax_case(rng, "minimum_same_shape", MINIMUM, (3, 8), (3, 8)))
    c.append(minmax_case(rng, "minimum_const_channel", MINIMUM, (1, 4, 4, 3), (3,), const_b=True))
    c.append(minmax_case(rng, "minimum_six_const", MINIMUM, (1, 10), (1, 1), const_value=1.5))
    c.append(minmax_case(rng, "minimum_broadcast_both", MINIMUM, (1, 4, 1, 3), (1, 1, 5, 3)))
    c.append(expand_dims_case(rng, "expand_dims_axis0", (3, 4), 0))
    c.append(expand_dims_case(rng, "expand_dims_axis_mid", (1, 5, 3), 2))
    c.append(expand_dims_case(rng, "expand_dims_axis_neg1", (2, 6), -1))
    c.append(expand_dims_case(rng, "expand_dims_axis_neg_first", (4, 2, 3), -4))
    c.append(squeeze_case(rng, "squeeze_all", (1, 1, 1, 8), []))
    c.append(squeeze_case(rng, "squeeze_hw_dims", (1, 1, 1, 6), [1, 2]))
    c.append(squeeze_case(rng, "squeeze_negative", (2, 1, 5, 1), [-1]))
    c.append(squeeze_case(rng, "squeeze_batch_keep_inner_ones", (1, 3, 1, 4), [0]))
    c.append(mean_case(rng, "mean_hw_keepdims", (1, 6, 6, 4), [1, 2], True))
    c.append(mean_case(rng, "mean_hw_global_avgpool", (1, 7, 5, 8), [1, 2], False))
    c.append(mean_case(rng, "mean_hw_same_quant", (1, 4, 4, 3), [1, 2], False, same_quant=True))
    c.append(mean_case(rng, "mean_hw_large_batch2", (2, 16, 16, 3), [2, 1], True))
    c.append(mean_case(rng, "mean_last_axis", (2, 3, 10), [-1], False))
    c.append(mean_case(rng, "mean_channels_keepdims", (1, 3, 3, 12), [3], True))
    c.append(mean_case(rng, "mean_axis0_and_3", (3, 2, 2, 5), [0, 3], False))
    c.append(mean_case(rng, "mean_all_axes_same_quant", (2, 3, 4), [0, 1, 2], True,
                       same_quant=True))
    c.append(mean_case(rng, "mean_duplicate_axes", (1, 5, 9), [1, -2], False))
    c.append(mean_case(rng, "mean_axis1_2d", (4, 33), [1], True))
    return c


def _refuse_model(name, op, code, ins, out, options, version=1, consts=()):
    """A single-op model from (shape, type, scale, zp) inputs; `consts` maps an input index
    to a constant array (its type from the spec)."""
    b = Builder()
    ts = []
    for i, (shape, dtype, scale, zp) in enumerate(ins):
        if i in dict(consts):
            arr = dict(consts)[i]
            ts.append(b.const(arr, dtype, None if scale is None else [scale],
                              None if zp is None else [zp]))
        else:
            ts.append(b.act(shape, dtype, scale, zp, is_input=True))
    shape, dtype, scale, zp = out
    y = b.act(shape, dtype, scale, zp)
    b.op(code, ts, [y], options, version)
    return name, op, b


def shape_reduce_refused_cases():
    """Shape / reduce models the engine must refuse, with a piece of its message and whether
    TFLM's Prepare refuses them too (MEAN's axis is read at eval by TFLM, the engine wants
    it constant; the engine checks a MEAN output shape against keep_dims, TFLM does not)."""
    i8, i16, i32, i64 = tw.INT8, tw.INT16, tw.INT32, tw.INT64
    red = (O_REDUCER, 1, [(0, "bool", 0)])
    return [
        (_refuse_model("refuse_squeeze_not_one", "SQUEEZE", SQUEEZE, [((1, 4, 1, 3), i8, 0.05, 0)],
                       ((1, 4, 3), i8, 0.05, 0), (O_SQUEEZE, 1, [(0, "vi32", [1])])),
         "squeeze_dims 1 is not a size-1 dimension", True),
        (_refuse_model("refuse_expand_dims_axis", "EXPAND_DIMS", EXPAND_DIMS,
                       [((3, 4), i8, 0.05, 0), ((1,), i32, None, None)], ((3, 4, 1), i8, 0.05, 0),
                       (O_EXPAND, 0, []), consts=[(1, np.array([3], np.int32))]),
         "EXPAND_DIMS): axis 3 for rank 2", True),
        (_refuse_model("refuse_mean_axis_int64", "MEAN", MEAN,
                       [((1, 4, 4, 3), i8, 0.05, 0), ((2,), i64, None, None)],
                       ((1, 3), i8, 0.02, 0), red, 2, consts=[(1, np.array([1, 2], np.int64))]),
         "MEAN): axis is int64, want int32", True),
        # int16 MEAN runs now (16x8, s16models.py); its int64 axis is refused as the int8 one
        (_refuse_model("refuse_mean16_axis_int64", "MEAN", MEAN,
                       [((1, 4, 4, 3), i16, 0.001, 0), ((2,), i64, None, None)],
                       ((1, 3), i16, 0.001, 0), red, 3, consts=[(1, np.array([1, 2], np.int64))]),
         "MEAN): axis is int64, want int32", True),
        (_refuse_model("refuse_mean_output_shape", "MEAN", MEAN,
                       [((1, 4, 4, 3), i8, 0.05, 0), ((2,), i32, None, None)],
                       ((1, 1, 1, 3), i8, 0.02, 0), red, 2,
                       consts=[(1, np.array([1, 2], np.int32))]),
         "MEAN): output shape does not match keep_dims 0", False),
        # int16 SUB / MAXIMUM run now (16x8, op_prepare_s16.c), int32 MAXIMUM too (the audio
        # front end's, op_prepare_signal.c)
    ]


def alignment_cases():
    """16x8 convolutions whose int64 bias buffer is 4-byte but not 8-byte aligned, as the
    converter writes them (TFLM runs such files; the engine must read them, not refuse)."""
    rng = np.random.default_rng(20265)
    c = []
    for name, shape, cout, k, stride in (("conv16x8_bias_at_4_3x3", (1, 8, 8, 3), 5, (3, 3), (1, 1)),
                                         ("conv16x8_bias_at_4_1x1_s2", (1, 7, 7, 6), 7, (1, 1), (2, 2))):
        nm, op, b = conv_case(rng, name, shape, cout, k, stride, s16=True)
        b.misalign = frozenset(t["buffer"] for t in b.tensors if t["type"] == tw.INT64)
        assert b.misalign
        c.append((nm, op, b))
    return c


def case_entry(out: Path, case, f: Path) -> dict:
    """A running case's manifest entry: name, op, model file and its inputs."""
    name, op, b = case[:3]
    return dict(name=name, op=op, file=str(f), inputs=b.input_infos())


def write_manifest(out: Path, groups, refused, entry=case_entry) -> int:
    """Writes each case's model to OUT and prints the JSON manifest the op-coverage test reads:
    groups of (name, op, builder, ...) that run, each entry made by entry(out, case, file)
    (layoutmodels.py adds fields per case), and ((name, op, builder), message, tflm_refuses)
    that are refused."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for group in groups:
        for case in group:
            name, b = case[0], case[2]
            f = out / f"{name}.tflite"
            f.write_bytes(b.bytes(name))
            manifest.append(entry(out, case, f))
    for (name, op, b), message, tflm_refuses in refused:
        f = out / f"{name}.tflite"
        f.write_bytes(b.bytes(name))
        manifest.append(dict(name=name, op=op, file=str(f), inputs=b.input_infos(),
                             refused=message, tflm_refuses=tflm_refuses))
    json.dump(manifest, sys.stdout)
    sys.stdout.write("\n")
    return 0


def main() -> int:
    import s16models  # 16x8 variants (imports this module: loaded here, not at the top)
    return write_manifest(Path(sys.argv[1]),
                          (cases(), extra_cases(), activation_cases(), unchecked_output_cases(),
                           shape_reduce_cases(), alignment_cases(), s16models.cases()),
                          refused_cases() + shape_reduce_refused_cases() + s16models.refused_cases())


if __name__ == "__main__":
    sys.exit(main())

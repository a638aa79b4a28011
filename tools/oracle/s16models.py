#!/usr/bin/env python3
"""Single-operator 16x8 models (int16 activations, int8 weights, int64 bias) for the oracle
test host-tests/engine/ops16.test.ts: FULLY_CONNECTED, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D,
MAX_POOL_2D, ADD, MUL, SOFTMAX, LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, MAXIMUM, MINIMUM,
PAD, RESHAPE, MEAN, SUM, with shapes, axes, keep_dims, strides, paddings, activations, per-tensor /
per-channel filters, int32 / int64 / absent biases and int64 biases at 4- but not 8-aligned
offsets varied; plus models the engine must refuse (and whether TFLM refuses them too).

Usage: s16models.py OUTDIR    writes OUTDIR/<case>.tflite and prints the JSON manifest that
                              opmodels.py prints (same fields).

Quantisation as the converter's 16x8 recipe: symmetric int16 activations (zero point 0) with
the scale from a float range / 32767, symmetric int8 weights, bias at s_in * s_w. The same
seed always gives the same bytes.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tflite_writer as tw  # noqa: E402
from opmodels import (write_manifest, ADD, AVG, DW, FC, LEAKY_RELU, MAXP, MUL, NONE, O_ADD, O_DW,  # noqa: E402
                      O_FC, O_LEAKY_RELU, O_MUL, O_POOL, O_SOFTMAX, RELU, RELU6, RELU6_OP,
                      RELU_OP, SAME, SOFTMAX, VALID, LOGISTIC, TANH, MAXIMUM, MINIMUM, O_MAXMIN,
                      PAD, O_PAD, SUB, O_SUB, MEAN, O_REDUCER, Builder, weights)

I16 = tw.INT16
RESHAPE, O_RESHAPE = 22, 17
SUM = 74


def q16(rng, spread=None):
    """Symmetric int16 scale for a float range of +-spread (zero point 0)."""
    spread = rng.uniform(0.5, 8.0) if spread is None else spread
    return spread / 32767.0


def fc16_case(rng, name, batches, depth, rows, act=NONE, per_channel=False, bias="i64",
              zp_in=0, zp_out=0, misalign=False, bias_type_opt=None):
    b = Builder()
    s_in = q16(rng)
    x = b.act((batches, depth), I16, s_in, zp_in, is_input=True)
    wq, sw = weights(rng, (rows, depth), 0, per_channel)
    wt = b.const(wq, tw.INT8, sw, None, qdim=0)
    inputs = [x, wt]
    if bias is not None:
        sb = (np.float32(s_in) * sw).astype(np.float32)
        bv = np.round(rng.normal(0, 0.3, rows) * depth * 3000 * np.mean(sw) * s_in / np.resize(sb, rows))
        inputs.append(b.const(bv, tw.INT64 if bias == "i64" else tw.INT32, sb, None))
    else:
        inputs.append(-1)
    s_out = float(np.mean(sw)) * s_in * 127 * 3000 * math.sqrt(depth) / 32767 * rng.uniform(1.0, 3.0)
    y = b.act((batches, rows), I16, s_out, zp_out)
    fields = [(0, "i8", act)]
    if bias_type_opt is not None:
        fields.append((4, "i8", bias_type_opt))
    b.op(FC, inputs, [y], (O_FC, 5, fields), 11)
    if misalign:
        b.misalign = frozenset(t["buffer"] for t in b.tensors if t["type"] == tw.INT64)
        assert b.misalign
    return name, "FULLY_CONNECTED", b


def dw16_case(rng, name, in_shape, mult, k, stride=(1, 1), dil=(1, 1), padding=SAME, act=NONE,
              per_channel=True, bias=True, misalign=False, zp=0):
    b = Builder()
    n, h, w_, cin = in_shape
    s_in = q16(rng)
    x = b.act(in_shape, I16, s_in, zp, is_input=True)
    cout = cin * mult
    wq, sw = weights(rng, (1, k[0], k[1], cout), 3, per_channel)
    wt = b.const(wq, tw.INT8, sw, None, qdim=3)
    depth = k[0] * k[1]
    inputs = [x, wt]
    if bias:
        sb = s_in * sw.astype(np.float64)
        bv = np.round(rng.normal(0, 0.3, cout) * depth * 3000 * np.mean(sw) * s_in / np.resize(sb, cout))
        inputs.append(b.const(bv, tw.INT64, np.resize(sb, len(sw)), None))
    else:
        inputs.append(-1)

    def osz(i, kk, s, d):
        eff = (kk - 1) * d + 1
        return (i + s - 1) // s if padding == SAME else (i - eff + s) // s
    oh, ow = osz(h, k[0], stride[1], dil[1]), osz(w_, k[1], stride[0], dil[0])
    s_out = float(np.mean(sw)) * s_in * 127 * 3000 * math.sqrt(depth) / 32767 * rng.uniform(1.0, 3.0)
    y = b.act((n, oh, ow, cout), I16, s_out, 0)
    b.op(DW, inputs, [y], (O_DW, 7, [(0, "i8", padding), (1, "i32", stride[0]),
                                     (2, "i32", stride[1]), (3, "i32", mult),
                                     (4, "i8", act), (5, "i32", dil[0]), (6, "i32", dil[1])]), 6)
    if misalign:
        b.misalign = frozenset(t["buffer"] for t in b.tensors if t["type"] == tw.INT64)
        assert b.misalign
    return name, "DEPTHWISE_CONV_2D", b


def pool16_case(rng, name, code, in_shape, k, stride, padding, act=NONE, out_scale=None):
    b = Builder()
    s = q16(rng)
    x = b.act(in_shape, I16, s, 0, is_input=True)
    n, h, w_, c = in_shape
    osz = (lambda i, kk, st: (i + st - 1) // st if padding == SAME else (i - kk + st) // st)
    y = b.act((n, osz(h, k[0], stride[1]), osz(w_, k[1], stride[0]), c), I16,
              s if out_scale is None else out_scale, 0)
    b.op(code, [x], [y], (O_POOL, 6, [(0, "i8", padding), (1, "i32", stride[0]),
                                      (2, "i32", stride[1]), (3, "i32", k[1]),
                                      (4, "i32", k[0]), (5, "i8", act)]), 3)
    return name, "AVERAGE_POOL_2D" if code == AVG else "MAX_POOL_2D", b


def binary16_case(rng, name, code, shape_a, shape_b, act=NONE, const_b=False, ratio=None, zp=0):
    b = Builder()
    sa = q16(rng)
    sb = q16(rng) if ratio is None else sa * ratio
    xa = b.act(shape_a, I16, sa, zp, is_input=True)
    if const_b:
        xb = b.const(rng.integers(-32768, 32768, shape_b), I16, [sb], [0])
    else:
        xb = b.act(shape_b, I16, sb, 0, is_input=True)
    out_shape = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    if code in (ADD, SUB):
        so = (sa + sb) * rng.uniform(0.6, 1.2)
        opt = (O_ADD if code == ADD else O_SUB, 2, [(0, "i8", act)])
    else:
        so = sa * sb * 32767 * rng.uniform(0.2, 1.0)
        opt = (O_MUL, 1, [(0, "i8", act)])
    y = b.act(out_shape, I16, so, 0)
    b.op(code, [xa, xb], [y], opt, 3)
    return name, {ADD: "ADD", SUB: "SUB", MUL: "MUL"}[code], b


def softmax16_case(rng, name, shape, beta, spread, out=(I16, 1.0 / 32768, 0), zp=0):
    """int16 SOFTMAX; `spread` is the input's float range (wide ones reach exp(-10) and
    beyond, where the table saturates)."""
    b = Builder()
    x = b.act(shape, I16, q16(rng, spread), zp, is_input=True)
    y = b.act(shape, out[0], out[1], out[2])
    b.op(SOFTMAX, [x], [y], (O_SOFTMAX, 1, [(0, "f32", beta)]), 3)
    return name, "SOFTMAX", b


def unary16_case(rng, name, code, op, shape, spread_in, spread_out, options=None, zp_in=0,
                 zp_out=0, version=2):
    b = Builder()
    x = b.act(shape, I16, q16(rng, spread_in), zp_in, is_input=True)
    y = b.act(shape, I16, spread_out / 32767.0, zp_out)
    b.op(code, [x], [y], options, version)
    return name, op, b


def minmax16_case(rng, name, code, shape_a, shape_b, const_b=False):
    """MAXIMUM / MINIMUM int16: one quantisation for both inputs and the output."""
    b = Builder()
    s = q16(rng)
    xa = b.act(shape_a, I16, s, 0, is_input=True)
    if const_b:
        xb = b.const(rng.integers(-32768, 32768, shape_b), I16, [s], [0])
    else:
        xb = b.act(shape_b, I16, s, 0, is_input=True)
    y = b.act(np.broadcast_shapes(tuple(shape_a), tuple(shape_b)), I16, s, 0)
    b.op(code, [xa, xb], [y], (O_MAXMIN, 0, []), 2)
    return name, "MAXIMUM" if code == MAXIMUM else "MINIMUM", b


def pad16_case(rng, name, shape, pads, zp=0):
    b = Builder()
    s = q16(rng)
    x = b.act(shape, I16, s, zp, is_input=True)
    p = b.const(np.array(pads, np.int32), tw.INT32)
    y = b.act([d + lo + hi for d, (lo, hi) in zip(shape, pads)], I16, s, zp)
    b.op(PAD, [x, p], [y], (O_PAD, 0, []), 2)
    return name, "PAD", b


def reshape16_case(rng, name, shape, new_shape):
    b = Builder()
    s = q16(rng)
    x = b.act(shape, I16, s, 0, is_input=True)
    sh = b.const(np.array(new_shape, np.int32), tw.INT32)
    y = b.act(new_shape, I16, s, 0)
    b.op(RESHAPE, [x, sh], [y], (O_RESHAPE, 1, [(0, "vi32", new_shape)]), 1)
    return name, "RESHAPE", b


def reduce16_case(rng, name, code, shape, axes, keep_dims, same_quant=False, zp_in=0, zp_out=0,
                  ratio=None):
    """MEAN / SUM int16 over `axes`: the output scale from the spread of the mean (or sum) of
    full-range inputs, times `ratio` when given (or the input's own with same_quant)."""
    b = Builder()
    s = q16(rng)
    x = b.act(shape, I16, s, zp_in, is_input=True)
    ax = b.const(np.array(axes, np.int32), tw.INT32)
    red = {a % len(shape) for a in axes}
    out = [1 if i in red else n for i, n in enumerate(shape) if keep_dims or i not in red]
    count = int(np.prod([shape[i] for i in red]))
    if same_quant:
        so = s
    else:
        grow = math.sqrt(count) if code == SUM else 1.0 / math.sqrt(count)
        so = s * grow * (rng.uniform(0.6, 3.0) if ratio is None else ratio)
    y = b.act(out, I16, so, zp_out)
    b.op(code, [x, ax], [y], (O_REDUCER, 1, [(0, "bool", keep_dims)]), 3 if code == MEAN else 2)
    return name, "MEAN" if code == MEAN else "SUM", b


def cases():
    rng = np.random.default_rng(20267)
    c = []
    # FULLY_CONNECTED: per-tensor / per-channel, int64 / int32 / no bias, batches, clamps,
    # zero points (TFLM applies them on this path), int64 bias at a 4-aligned offset
    c.append(fc16_case(rng, "fc16_per_tensor", 1, 40, 12))
    c.append(fc16_case(rng, "fc16_per_tensor_relu_batch3", 3, 20, 9, RELU))
    c.append(fc16_case(rng, "fc16_per_channel_relu6", 2, 33, 7, RELU6, per_channel=True))
    c.append(fc16_case(rng, "fc16_per_channel_large_k", 1, 700, 5, per_channel=True))
    c.append(fc16_case(rng, "fc16_no_bias", 1, 25, 6, bias=None))
    c.append(fc16_case(rng, "fc16_no_bias_acc32_option", 2, 25, 6, bias=None, bias_type_opt=tw.INT32))
    c.append(fc16_case(rng, "fc16_bias_int32", 1, 48, 10, bias="i32"))
    c.append(fc16_case(rng, "fc16_bias_int32_per_channel", 1, 30, 4, per_channel=True, bias="i32"))
    c.append(fc16_case(rng, "fc16_zero_points", 2, 16, 5, zp_in=37, zp_out=-120))
    c.append(fc16_case(rng, "fc16_bias_at_4", 1, 24, 7, misalign=True))
    c.append(fc16_case(rng, "fc16_bias_at_4_per_channel", 2, 19, 3, per_channel=True, misalign=True))
    # DEPTHWISE_CONV_2D
    c.append(dw16_case(rng, "dw16_3x3_same_s1_relu6", (1, 8, 8, 4), 1, (3, 3), act=RELU6))
    c.append(dw16_case(rng, "dw16_3x3_valid_s2_mult2", (1, 9, 9, 3), 2, (3, 3), (2, 2), padding=VALID))
    c.append(dw16_case(rng, "dw16_3x3_same_dil2_relu", (1, 9, 9, 4), 1, (3, 3), dil=(2, 2), act=RELU))
    c.append(dw16_case(rng, "dw16_5x5_same_s2_mult3", (1, 11, 10, 2), 3, (5, 5), (2, 2)))
    c.append(dw16_case(rng, "dw16_3x2_s12_dil21", (1, 7, 8, 5), 1, (3, 2), (1, 2), (2, 1)))
    # (no bias-less case: the pinned TFLM's int16 depthwise kernel crashes without a bias)
    c.append(dw16_case(rng, "dw16_per_tensor_filter", (1, 6, 6, 8), 1, (3, 3), per_channel=False))
    c.append(dw16_case(rng, "dw16_batch2_mult4", (2, 5, 5, 1), 4, (3, 3)))
    c.append(dw16_case(rng, "dw16_bias_at_4", (1, 6, 7, 6), 1, (3, 3), misalign=True))
    # pools
    c.append(pool16_case(rng, "avgpool16_2x2_valid_s2", AVG, (1, 8, 8, 3), (2, 2), (2, 2), VALID))
    c.append(pool16_case(rng, "avgpool16_3x3_same_s2_relu", AVG, (1, 9, 7, 4), (3, 3), (2, 2), SAME, RELU))
    c.append(pool16_case(rng, "avgpool16_2x3_same_s21_relu6", AVG, (2, 7, 8, 3), (2, 3), (2, 1), SAME, RELU6))
    c.append(pool16_case(rng, "avgpool16_global_7x7", AVG, (1, 7, 7, 5), (7, 7), (1, 1), VALID))
    c.append(pool16_case(rng, "maxpool16_2x2_valid_s2", MAXP, (1, 8, 8, 3), (2, 2), (2, 2), VALID))
    c.append(pool16_case(rng, "maxpool16_3x3_same_s2", MAXP, (1, 9, 7, 4), (3, 3), (2, 2), SAME))
    c.append(pool16_case(rng, "maxpool16_2x3_valid_s12_relu", MAXP, (2, 7, 8, 3), (2, 3), (1, 2), VALID, RELU))
    # ADD / MUL
    c.append(binary16_case(rng, "add16_same_shape", ADD, (1, 4, 4, 3), (1, 4, 4, 3)))
    c.append(binary16_case(rng, "add16_broadcast_channel_relu", ADD, (1, 4, 5, 3), (1, 1, 1, 3), RELU))
    c.append(binary16_case(rng, "add16_broadcast_both_relu6", ADD, (1, 4, 1, 3), (1, 1, 5, 3), RELU6))
    c.append(binary16_case(rng, "add16_const_far_scales", ADD, (2, 6), (1, 6), const_b=True, ratio=0.01))
    c.append(binary16_case(rng, "add16_equal_scales_5d", ADD, (2, 1, 3, 1, 4), (1, 2, 1, 5, 1), ratio=1.0))
    c.append(binary16_case(rng, "add16_input_zero_point", ADD, (3, 7), (3, 7), zp=-300))
    c.append(binary16_case(rng, "sub16_same_shape", SUB, (1, 4, 4, 3), (1, 4, 4, 3)))
    c.append(binary16_case(rng, "sub16_broadcast_relu", SUB, (1, 4, 5, 3), (1, 1, 1, 3), RELU))
    c.append(binary16_case(rng, "sub16_const_far_scales", SUB, (2, 6), (1, 6), const_b=True, ratio=0.02))
    c.append(binary16_case(rng, "sub16_input_zero_point_5d", SUB, (2, 1, 3, 1, 4), (1, 2, 1, 5, 1), zp=-200))
    c.append(binary16_case(rng, "mul16_same_shape", MUL, (1, 3, 3, 4), (1, 3, 3, 4)))
    c.append(binary16_case(rng, "mul16_broadcast_relu", MUL, (2, 3, 4), (1, 3, 1), RELU))
    c.append(binary16_case(rng, "mul16_broadcast_both_relu6", MUL, (1, 5, 1, 2), (1, 1, 3, 2), RELU6))
    c.append(binary16_case(rng, "mul16_scalar_const", MUL, (1, 10), (1,), const_b=True))
    # SOFTMAX int16 -> int16
    c.append(softmax16_case(rng, "softmax16_beta1", (1, 10), 1.0, 8.0))
    c.append(softmax16_case(rng, "softmax16_rows_beta05", (3, 7), 0.5, 4.0))
    c.append(softmax16_case(rng, "softmax16_4d_beta2", (1, 2, 3, 5), 2.0, 3.0))
    c.append(softmax16_case(rng, "softmax16_wide_saturating", (2, 32), 1.0, 40.0))
    c.append(softmax16_case(rng, "softmax16_narrow", (1, 64), 1.0, 0.3))
    c.append(softmax16_case(rng, "softmax16_one_class_row", (4, 1), 1.0, 5.0))
    c.append(softmax16_case(rng, "softmax16_long_row", (1, 300), 0.7, 12.0))
    # RELU, RELU6, LEAKY_RELU as operators
    c.append(unary16_case(rng, "relu16_same_range", RELU_OP, "RELU", (1, 8, 8, 3), 4.0, 4.0))
    c.append(unary16_case(rng, "relu16_out_narrower", RELU_OP, "RELU", (2, 300), 6.0, 2.5))
    c.append(unary16_case(rng, "relu6_16_wide", RELU6_OP, "RELU6", (1, 6, 6, 4), 10.0, 10.0))
    c.append(unary16_case(rng, "relu6_16_input_zero_point", RELU6_OP, "RELU6", (400,), 8.0, 8.0,
                          zp_in=-1000, zp_out=-1000))
    c.append(unary16_case(rng, "relu6_16_narrow", RELU6_OP, "RELU6", (3, 50), 3.0, 3.0))
    for tag, alpha, si, so in (("alpha0p2", 0.2, 4.0, 4.0), ("alpha_neg0p5", -0.5, 6.0, 4.0),
                               ("alpha2", 2.0, 3.0, 6.0)):
        c.append(unary16_case(rng, f"leaky_relu16_{tag}", LEAKY_RELU, "LEAKY_RELU", (2, 200), si, so,
                              (O_LEAKY_RELU, 1, [(0, "f32", alpha)])))
    c.append(unary16_case(rng, "leaky_relu16_zero_points", LEAKY_RELU, "LEAKY_RELU", (64,), 4.0, 4.0,
                          (O_LEAKY_RELU, 1, [(0, "f32", 0.1)]), zp_in=200, zp_out=-300))
    # LOGISTIC / TANH int16 (output 2^-15): power-of-two input scales TFLM special-cases
    # (2^-12 both, 2^-11 TANH only) and general ones, ranges narrow to saturating
    for code, op in ((LOGISTIC, "LOGISTIC"), (TANH, "TANH")):
        t = op.lower()
        for tag, shape, scale in (("pot_2m12", (1, 512), 2.0 ** -12), ("pot_2m11", (2, 300), 2.0 ** -11),
                                  ("pot_2m13", (400,), 2.0 ** -13), ("general_8", (1, 4, 4, 8), 8.0 / 32767),
                                  ("general_wide", (2, 200), 30.0 / 32767), ("general_narrow", (300,), 0.5 / 32767)):
            b = Builder()
            x = b.act(shape, I16, scale, 0, is_input=True)
            y = b.act(shape, I16, 2.0 ** -15, 0)
            b.op(code, [x], [y], None, 3)
            c.append((f"{t}16_{tag}", op, b))
    # MAXIMUM / MINIMUM int16
    c.append(minmax16_case(rng, "maximum16_same_shape", MAXIMUM, (1, 5, 5, 3), (1, 5, 5, 3)))
    c.append(minmax16_case(rng, "maximum16_broadcast_both_5d", MAXIMUM, (2, 1, 3, 1, 2), (1, 4, 1, 3, 2)))
    c.append(minmax16_case(rng, "minimum16_const_channel", MINIMUM, (1, 4, 4, 3), (3,), const_b=True))
    c.append(minmax16_case(rng, "minimum16_broadcast", MINIMUM, (2, 3, 4), (1, 3, 1)))
    # PAD int16 (TFLM pads with 0 whatever the zero point)
    c.append(pad16_case(rng, "pad16_hw", (1, 4, 5, 3), [(0, 0), (1, 2), (2, 1), (0, 0)]))
    c.append(pad16_case(rng, "pad16_2d", (3, 5), [(1, 1), (0, 3)]))
    c.append(pad16_case(rng, "pad16_zero_point", (2, 3, 3, 2), [(1, 0), (0, 1), (1, 1), (2, 0)], zp=500))
    # RESHAPE (int16 aliases like int8)
    c.append(reshape16_case(rng, "reshape16_flatten", (1, 3, 4, 2), [1, 24]))
    # MEAN / SUM (own seed: the cases above keep their bytes)
    rng = np.random.default_rng(20269)
    c.append(reduce16_case(rng, "mean16_hw_global_avgpool", MEAN, (1, 7, 5, 8), [1, 2], False))
    c.append(reduce16_case(rng, "mean16_hw_keepdims", MEAN, (1, 6, 6, 4), [1, 2], True))
    c.append(reduce16_case(rng, "mean16_hw_same_quant", MEAN, (1, 4, 4, 3), [1, 2], False,
                           same_quant=True))
    c.append(reduce16_case(rng, "mean16_hw_large_batch2", MEAN, (2, 16, 16, 3), [2, 1], True))
    c.append(reduce16_case(rng, "mean16_last_axis", MEAN, (2, 3, 10), [-1], False))
    c.append(reduce16_case(rng, "mean16_channels_keepdims", MEAN, (1, 3, 3, 12), [3], True))
    c.append(reduce16_case(rng, "mean16_axis0_and_3", MEAN, (3, 2, 2, 5), [0, 3], False))
    c.append(reduce16_case(rng, "mean16_all_axes_same_quant", MEAN, (2, 3, 4), [0, 1, 2], True,
                           same_quant=True))
    c.append(reduce16_case(rng, "mean16_duplicate_axes", MEAN, (1, 5, 9), [1, -2], False))
    c.append(reduce16_case(rng, "mean16_axis1_2d_narrow_out", MEAN, (4, 33), [1], True, ratio=0.2))
    c.append(reduce16_case(rng, "mean16_zero_points", MEAN, (1, 4, 6, 3), [1, 2], False,
                           zp_in=-700, zp_out=250))
    c.append(reduce16_case(rng, "mean16_5d_axes_1_3", MEAN, (2, 3, 2, 4, 3), [1, 3], False))
    c.append(reduce16_case(rng, "sum16_hw_keepdims", SUM, (1, 4, 4, 3), [1, 2], True))
    c.append(reduce16_case(rng, "sum16_last_axis", SUM, (2, 3, 10), [-1], False))
    c.append(reduce16_case(rng, "sum16_all_axes", SUM, (2, 3, 4), [0, 1, 2], False))
    c.append(reduce16_case(rng, "sum16_axis0_dup", SUM, (5, 6), [0, -2], True))
    c.append(reduce16_case(rng, "sum16_same_quant_saturating", SUM, (1, 8, 8), [1], False,
                           same_quant=True))
    c.append(reduce16_case(rng, "sum16_zero_points", SUM, (3, 7), [0], True, zp_in=120, zp_out=-90))
    return c


def refused_cases():
    """(case, message piece, TFLM refuses it too)."""
    rng = np.random.default_rng(20268)
    return [
        (binary16_case(rng, "refuse_mul16_zero_point", MUL, (1, 6), (1, 6), zp=5),
         "MUL): int16 zero points must be 0", True),
        (pool16_case(rng, "refuse_avgpool16_out_scale", AVG, (1, 4, 4, 2), (2, 2), (2, 2), VALID,
                     out_scale=0.001), "input and output quantisation differ", True),
        (softmax16_case(rng, "refuse_softmax16_int8_out", (1, 8), 1.0, 4.0, out=(tw.INT8, 1.0 / 256, -128)),
         "SOFTMAX): output is int8, want int16", True),
        (softmax16_case(rng, "refuse_softmax16_out_scale", (1, 8), 1.0, 4.0, out=(I16, 1.0 / 65536, 0)),
         "int16 wants zero points 0 and output scale 1/32768", True),
        (softmax16_case(rng, "refuse_softmax16_in_zero_point", (1, 8), 1.0, 4.0, zp=4),
         "int16 wants zero points 0", True),
        (unary16_case(rng, "refuse_logistic16_out_scale", LOGISTIC, "LOGISTIC", (1, 8), 4.0, 32767.0 / 256),
         "int16 output scale must be 2^-15", True),
        (unary16_case(rng, "refuse_tanh16_zero_point", TANH, "TANH", (1, 8), 4.0, 1.0, zp_in=2),
         "TANH): int16 zero points must be 0", True),
        (unary16_case(rng, "refuse_relu16_zero_point", RELU_OP, "RELU", (1, 8), 4.0, 4.0, zp_out=3),
         "RELU): int16 zero points must be 0", True),
        # TFLM's int16 depthwise kernel reads no zero point; the engine refuses one, as for
        # the 16x8 CONV_2D
        (dw16_case(rng, "refuse_dw16_zero_point", (1, 5, 5, 2), 1, (3, 3), zp=3),
         "DEPTHWISE_CONV_2D): int16 zero points must be 0", False),
    ]


def main() -> int:
    return write_manifest(Path(sys.argv[1]), (cases(),), refused_cases())


if __name__ == "__main__":
    sys.exit(main())

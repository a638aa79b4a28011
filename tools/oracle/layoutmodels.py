#!/usr/bin/env python3
"""Models for the data-layout operators TensorFlow emits for ordinary Keras models with a
dynamic batch (host-tests/engine/layout-ops.test.ts): SHAPE, PACK, UNPACK, GATHER,
SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, TRANSPOSE and SUM, alone and in the chains the
converter writes (Flatten: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE; a dilated "same"
convolution: SPACE_TO_BATCH_ND -> CONV_2D -> BATCH_TO_SPACE_ND), and UNIDIRECTIONAL_SEQUENCE_LSTM
int8 and 16x8 (the latter as TFLM's int16 kernel takes it; the converter refuses to write it).

Usage: layoutmodels.py OUTDIR   writes OUTDIR/<case>.tflite and prints a JSON manifest
       layoutmodels.py --train OUTDIR   writes train_flatten_{dynamic,static}.tflite (a
                                        trainer test: the same CNN with either Flatten)
       [{name, op, file, inputs: [{shape, dtype, zero_point, high?}], refused?, tflm_refuses?,
         undefined_at?, undefined_value?, reference?}]
`high` bounds an int32 input (GATHER positions): the test draws it from [0, high);
`float_range` is a float32 input's quantisation range (the test draws beyond it too).
`undefined_at` lists output elements TFLM leaves undefined (SPACE_TO_BATCH_ND padding: it
writes an uninitialised byte) that must equal `undefined_value` (the zero point) instead;
`reference` is a model TFLM runs in place of this one (a dilated chain's direct CONV_2D).
TensorFlow is not installable here, so the models are written with tools/tflite_writer.py
(opmodels.Builder) as the converter lays them out; the same seed gives the same bytes.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import opmodels as om  # noqa: E402
import tflite_writer as tw  # noqa: E402
from layoutnets import (  # noqa: E402
    B2S, GATHER, O_B2S, O_GATHER, O_PACK, O_S2B, O_SHAPE, O_TRANSPOSE, O_UNPACK, PACK, S2B,
    SHAPE, SUM, TRANSPOSE, UNPACK, dilated_conv_case, fc_head, flatten_chain, float_edge_case,
    i32, i32_act, keras_dynamic_case, lstm_case, tconv_case, train_model)


def flatten_case(rng, name, shape, tail=-1, conv=False):
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    if conv:  # Conv2D -> Flatten -> Dense, the usual small CNN
        wq, sw = om.weights(rng, (4, 3, 3, shape[3]), 0, True)
        wt = b.const(wq, tw.INT8, sw, None, qdim=0)
        sb = s * sw.astype(np.float64)
        bt = b.const(np.round(rng.normal(0, 0.3, 4) * 9 * 64 * np.mean(sw) * s / sb), tw.INT32, sb)
        so, zo = om.out_q(rng, s, sw, 9 * shape[3], False)
        shape = [shape[0], shape[1], shape[2], 4]
        y = b.act(shape, scale=so, zp=zo)
        b.op(om.CONV, [x, wt, bt], [y], (om.O_CONV, 6, [(0, "i8", om.SAME), (1, "i32", 1),
                                                        (2, "i32", 1), (3, "i8", om.RELU),
                                                        (4, "i32", 1), (5, "i32", 1)]), 3)
        x = y
    flat = flatten_chain(b, x, shape, tail)
    fc_head(rng, b, flat, int(np.prod(shape[1:])), 6)
    return name, "SHAPE", b


def shape_output_case(rng, name, shape, begin=None, end=None, pack=False):
    """SHAPE (optionally sliced, optionally packed with a constant) as the model output: the
    folded value must still be there to read."""
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    sh = i32_act(b, [len(shape)])
    b.op(SHAPE, [x], [sh], (O_SHAPE, 1, [(0, "i8", tw.INT32)]), 1)
    op = "SHAPE"
    if begin is not None:
        n = end - begin
        part = i32_act(b, [n])
        b.op(om.SSLICE, [sh, i32(b, [begin]), i32(b, [end]), i32(b, [1])], [part],
             (om.O_SSLICE, 6, []), 2)
        sh, op = part, "STRIDED_SLICE"
        if pack:
            out = i32_act(b, [2, n])
            b.op(PACK, [sh, i32(b, [7] * n)], [out], (O_PACK, 2, [(0, "i32", 2), (1, "i32", 0)]), 1)
            op = "PACK"
    return name, op, b


def pack_case(rng, name, shape, count, axis, dtype=tw.INT8):
    b = om.Builder()
    s, zp = om.act_q(rng) if dtype == tw.INT8 else (0.001, 0)
    xs = [b.act(shape, dtype, s, zp, is_input=True) for _ in range(count)]
    a = axis % (len(shape) + 1)
    y = b.act(list(shape[:a]) + [count] + list(shape[a:]), dtype, s, zp)
    b.op(PACK, xs, [y], (O_PACK, 2, [(0, "i32", count), (1, "i32", axis)]), 2)
    return name, "PACK", b


def unpack_case(rng, name, shape, axis):
    """UNPACK into every slice, then CONCATENATION of the slices in reverse order (one model
    output that shows each of UNPACK's outputs)."""
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    a = axis % len(shape)
    n = shape[a]
    part = list(shape[:a]) + list(shape[a + 1:])
    outs = [b.act(part, scale=s, zp=zp) for _ in range(n)]
    b.op(UNPACK, [x], outs, (O_UNPACK, 2, [(0, "i32", n), (1, "i32", axis)]), 2)
    cat = list(part)
    cat[-1] *= n
    y = b.act(cat, scale=s, zp=zp)
    b.op(om.CONCAT, outs[::-1], [y], (om.O_CONCAT, 2, [(0, "i32", -1)]), 2)
    return name, "UNPACK", b


def gather_case(rng, name, shape, pos_shape, axis, batch_dims=0, const_pos=True, const_in=False):
    b = om.Builder()
    s, zp = om.act_q(rng)
    a = axis % len(shape)
    if const_in:
        x = b.const(rng.integers(-128, 128, shape), tw.INT8, [s], [zp])
    else:
        x = b.act(shape, scale=s, zp=zp, is_input=True)
    high = shape[a]
    if const_pos:
        pos = i32(b, rng.integers(0, high, pos_shape), pos_shape)
    else:
        pos = i32_act(b, pos_shape)
        b.inputs.append(pos)
    out = list(shape[:a]) + list(pos_shape[batch_dims:]) + list(shape[a + 1:])
    y = b.act(out, scale=s, zp=zp)
    b.op(GATHER, [x, pos], [y], (O_GATHER, 2, [(0, "i32", axis), (1, "i32", batch_dims)]), 5)
    if const_in and const_pos:  # a folded table lookup feeding a runtime ADD
        z = b.act(out, scale=s, zp=zp, is_input=True)
        so, zo = om.act_q(rng, -2 * s * 128, 2 * s * 128)
        w = b.act(out, scale=so, zp=zo)
        b.op(om.ADD, [y, z], [w], (om.O_ADD, 2, []), 2)
    return name, "GATHER", b, high


def s2b_padding_at(shape, block, pads) -> list[int]:
    """Output elements of SPACE_TO_BATCH_ND that are padding, from TF's definition in numpy
    (pad, split each spatial dim into (size / block, block), move the block offsets to the
    front of the batch). TFLM writes an uninitialised byte there; the engine, the zero point."""
    x = np.arange(int(np.prod(shape))).reshape(shape)
    if len(shape) == 3:
        x, block, pads = x[:, :, None, :], list(block) + [1], list(pads) + [[0, 0]]
    x = np.pad(x, [(0, 0), tuple(pads[0]), tuple(pads[1]), (0, 0)], constant_values=-1)
    n, h, w, c = x.shape
    bh, bw = block
    y = x.reshape(n, h // bh, bh, w // bw, bw, c).transpose(2, 4, 0, 1, 3, 5)
    return [int(i) for i in np.flatnonzero(y.reshape(-1) == -1)]


def space_batch_case(rng, name, shape, block, pads, to_batch=True):
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    m = len(shape) - 2
    if to_batch:
        sp = [(shape[1 + k] + pads[k][0] + pads[k][1]) // block[k] for k in range(m)]
        out = [shape[0] * int(np.prod(block))] + sp + [shape[-1]]
    else:
        sp = [shape[1 + k] * block[k] - pads[k][0] - pads[k][1] for k in range(m)]
        out = [shape[0] // int(np.prod(block))] + sp + [shape[-1]]
    y = b.act(out, scale=s, zp=zp)
    b.op(S2B if to_batch else B2S, [x, i32(b, block), i32(b, pads, (m, 2))], [y],
         (O_S2B if to_batch else O_B2S, 0, []), 2)
    if not to_batch:
        return name, "BATCH_TO_SPACE_ND", b, {}
    return name, "SPACE_TO_BATCH_ND", b, dict(undefined_at=s2b_padding_at(shape, block, pads),
                                              undefined_value=zp)


def transpose_case(rng, name, shape, perm, dtype=tw.INT8, const_in=False):
    b = om.Builder()
    s, zp = om.act_q(rng) if dtype == tw.INT8 else (0.001, 0)
    if const_in:
        x = b.const(rng.integers(-128, 128, shape), dtype, [s], [zp])
    else:
        x = b.act(shape, dtype, s, zp, is_input=True)
    y = b.act([shape[p] for p in perm], dtype, s, zp)
    b.op(TRANSPOSE, [x, i32(b, perm)], [y], (O_TRANSPOSE, 0, []), 2)
    if const_in:  # a folded constant transpose feeding a runtime MUL
        z = b.act(b.tensors[y]["shape"], dtype, s, zp, is_input=True)
        so, zo = om.act_q(rng, -s * s * 128 * 128 * 0.5, s * s * 128 * 128 * 0.5)
        w = b.act(b.tensors[y]["shape"], scale=so, zp=zo)
        b.op(om.MUL, [y, z], [w], (om.O_MUL, 1, []), 2)
    return name, "TRANSPOSE", b


def sum_case(rng, name, shape, axes, keep_dims):
    b = om.Builder()
    s, zp = om.act_q(rng)
    x = b.act(shape, scale=s, zp=zp, is_input=True)
    red = {a % len(shape) for a in axes}
    out = [1 if i in red else d for i, d in enumerate(shape) if keep_dims or i not in red]
    count = int(np.prod([shape[i] for i in red]))
    spread = s * 128 * math.sqrt(count) * rng.uniform(0.8, 2.0)
    so, zo = om.act_q(rng, -spread, spread)
    y = b.act(out, scale=so, zp=zo)
    b.op(SUM, [x, i32(b, axes)], [y], (om.O_REDUCER, 1, [(0, "bool", keep_dims)]), 1)
    return name, "SUM", b


def cases():
    rng = np.random.default_rng(20266)
    c = []
    c.append(flatten_case(rng, "flatten_dynamic_batch_dense", [1, 4, 4, 3]))
    c.append(flatten_case(rng, "flatten_dynamic_batch_fixed_tail", [1, 3, 5, 2], tail=30))
    c.append(flatten_case(rng, "conv_flatten_dynamic_batch_dense", [1, 6, 6, 2], conv=True))
    c.append(shape_output_case(rng, "shape_as_output", [1, 5, 3, 2]))
    c.append(shape_output_case(rng, "shape_slice_hw_as_output", [2, 7, 4, 3], 1, 3))
    c.append(shape_output_case(rng, "shape_slice_pack_as_output", [1, 6, 2], 1, 3, pack=True))
    c.append(pack_case(rng, "pack_axis0", (2, 3), 3, 0))
    c.append(pack_case(rng, "pack_axis1_4d", (2, 3, 4), 2, 1))
    c.append(pack_case(rng, "pack_axis_neg1", (5, 2), 4, -1))
    c.append(pack_case(rng, "pack_int16", (3, 4), 2, 1, tw.INT16))
    c.append(unpack_case(rng, "unpack_axis1", (3, 4, 2), 1))
    c.append(unpack_case(rng, "unpack_axis0", (2, 5), 0))
    c.append(unpack_case(rng, "unpack_axis_neg1_4d", (1, 2, 3, 3), -1))
    for case in (gather_case(rng, "gather_axis0_const", (7, 5), (4,), 0),
                 gather_case(rng, "gather_axis1_2d_positions", (3, 6, 4), (2, 3), 1),
                 gather_case(rng, "gather_axis_neg1", (2, 3, 9), (5,), -1),
                 gather_case(rng, "gather_batch_dims1", (2, 6, 3), (2, 4), 1, batch_dims=1),
                 gather_case(rng, "gather_embedding_runtime_positions", (10, 4), (1, 6), 0,
                             const_pos=False),
                 gather_case(rng, "gather_runtime_positions_axis1", (2, 8, 3), (5,), 1,
                             const_pos=False),
                 gather_case(rng, "gather_folded_table_into_add", (6, 3), (2,), 0, const_in=True)):
        name, op, b, high = case
        c.append((name, op, b, dict(high=high)))
    c.append(space_batch_case(rng, "s2b_4d_block2_pad", (1, 5, 6, 3), [2, 2], [[1, 0], [1, 1]]))
    c.append(space_batch_case(rng, "s2b_4d_block32_batch2", (2, 4, 4, 2), [3, 2], [[1, 1], [0, 2]]))
    c.append(space_batch_case(rng, "s2b_3d_block2", (1, 7, 4), [2], [[0, 1]]))
    c.append(space_batch_case(rng, "s2b_no_padding", (1, 4, 6, 2), [2, 3], [[0, 0], [0, 0]]))
    c.append(space_batch_case(rng, "b2s_4d_block2_crop", (4, 3, 4, 3), [2, 2], [[1, 0], [0, 1]], False))
    c.append(space_batch_case(rng, "b2s_4d_batch2_out", (12, 2, 3, 2), [3, 2], [[0, 1], [1, 1]], False))
    c.append(space_batch_case(rng, "b2s_3d_block2", (2, 4, 5), [2], [[1, 1]], False))
    c.append(dilated_conv_case(rng, "dilated_same_conv_rate2", (1, 9, 9, 3), 4, 3, 2))
    c.append(dilated_conv_case(rng, "dilated_same_conv_rate3_even", (1, 8, 10, 2), 3, 3, 3))
    c.append(transpose_case(rng, "transpose_2d", (5, 7), [1, 0]))
    c.append(transpose_case(rng, "transpose_3d_201", (2, 3, 4), [2, 0, 1]))
    c.append(transpose_case(rng, "transpose_4d_nhwc_nchw", (1, 4, 5, 3), [0, 3, 1, 2]))
    c.append(transpose_case(rng, "transpose_5d", (2, 1, 3, 2, 4), [4, 2, 0, 3, 1]))
    c.append(transpose_case(rng, "transpose_int16", (3, 4, 2), [1, 2, 0], tw.INT16))
    c.append(transpose_case(rng, "transpose_identity", (3, 4), [0, 1]))
    c.append(transpose_case(rng, "transpose_folded_const_into_mul", (2, 3), [1, 0], const_in=True))
    c.append(sum_case(rng, "sum_hw_keepdims", (1, 4, 4, 3), [1, 2], True))
    c.append(sum_case(rng, "sum_last_axis", (2, 3, 10), [-1], False))
    c.append(sum_case(rng, "sum_all_axes", (2, 3, 4), [0, 1, 2], False))
    c.append(sum_case(rng, "sum_axis0_dup", (5, 6), [0, -2], True))
    c.append(tconv_case(rng, "tconv_3x3_same_s2", (1, 4, 4, 3), 5, (3, 3), (2, 2)))
    c.append(tconv_case(rng, "tconv_3x3_valid_s2_relu", (1, 4, 5, 2), 4, (3, 3), (2, 2), om.VALID, om.RELU))
    c.append(tconv_case(rng, "tconv_2x2_same_s2_no_bias", (1, 3, 3, 4), 3, (2, 2), (2, 2), bias=False))
    c.append(tconv_case(rng, "tconv_3x3_same_s1_relu6", (1, 5, 5, 3), 4, (3, 3), (1, 1), act=om.RELU6))
    c.append(tconv_case(rng, "tconv_4x3_same_s21_per_tensor", (1, 3, 4, 2), 3, (4, 3), (2, 1),
                        per_channel=False))
    c.append(tconv_case(rng, "tconv_batch2_5x5_valid_s3", (2, 3, 3, 2), 2, (5, 5), (3, 3), om.VALID))
    c.append(tconv_case(rng, "tconv_dynamic_batch_output_shape", (1, 4, 4, 3), 4, (3, 3), (2, 2),
                        dynamic=True))
    c.append(tconv_case(rng, "tconv16x8_3x3_same_s2", (1, 4, 4, 3), 4, (3, 3), (2, 2), s16=True))
    c.append(tconv_case(rng, "tconv16x8_bias_at_4_valid_relu", (1, 3, 4, 2), 3, (3, 3), (2, 2),
                        om.VALID, om.RELU, s16=True, misalign=True))
    c.append(tconv_case(rng, "tconv16x8_no_bias_s1", (1, 5, 5, 2), 2, (2, 2), (1, 1), s16=True,
                        bias=False))
    c.append(keras_dynamic_case(rng, "keras_dynamic_batch_cnn"))
    c.append(lstm_case(rng, "lstm_batch1_t5", 1, 5, 3, 4))
    c.append(lstm_case(rng, "lstm_batch2_t4_clip", 2, 4, 5, 6, cell_clip=1.0))
    c.append(lstm_case(rng, "lstm_time_major_batch3", 3, 4, 3, 5, time_major=True))
    c.append(lstm_case(rng, "lstm_cell_scale_2p15", 1, 6, 4, 3, cell_pow=-15))
    c.append(float_edge_case(rng, "float_model_quantize_fc_dequantize", "model", (1, 16)))
    c.append(float_edge_case(rng, "quantize_f32_int8", "quantize", (3, 50)))
    c.append(float_edge_case(rng, "quantize_f32_int16", "quantize", (2, 40), tw.INT16))
    c.append(float_edge_case(rng, "dequantize_int8_f32", "dequantize", (4, 64)))
    c.append(float_edge_case(rng, "dequantize_int16_f32", "dequantize", (2, 33), tw.INT16))
    # 16x8 LSTM (TFLM's int16-activation kernel; the converter refuses a Keras LSTM as 16x8)
    c.append(lstm_case(rng, "lstm16x8_batch1_t5", 1, 5, 3, 4, s16=True))
    c.append(lstm_case(rng, "lstm16x8_batch2_t4_clip_bias_at_4", 2, 4, 5, 6, cell_clip=1.0,
                       s16=True, misalign=True))
    c.append(lstm_case(rng, "lstm16x8_time_major_batch3", 3, 4, 3, 5, time_major=True, s16=True))
    c.append(lstm_case(rng, "lstm16x8_cell_scale_2p15_t7", 1, 7, 6, 8, cell_pow=-15, s16=True))
    c.append(lstm_case(rng, "lstm16x8_zero_points", 2, 4, 3, 5, s16=True, zp16=(123, -45)))
    return [x if len(x) == 4 else x + ({},) for x in c]


def lstm16_int32_bias_case():
    """A 16x8 LSTM with int32 gate biases: TFLM's int16 kernel reads them as int64 (two
    biases as one, then past the buffer) and runs; we refuse it."""
    name, op, b = lstm_case(np.random.default_rng(1611), "refuse_lstm16x8_int32_bias", 1, 3, 3, 4,
                            s16=True)
    for t in b.tensors:
        if t["type"] == tw.INT64:
            b.buffers[t["buffer"]] = np.frombuffer(b.buffers[t["buffer"]], "<i8").astype("<i4").tobytes()
            t["type"] = tw.INT32
    return name, op, b


def refused_cases():
    """(case, message, tflm_refuses): models the engine refuses at init; TFLM's Prepare refuses
    the ones marked True, the others it runs on unchecked shapes or fails only at invoke."""
    i8, i32t, i64 = tw.INT8, tw.INT32, tw.INT64
    r = om._refuse_model
    return [
        (r("refuse_shape_int64", "SHAPE", SHAPE, [((1, 4, 3), i8, 0.05, 0)], ((3,), i64, 1.0, 0),
           (O_SHAPE, 1, [(0, "i8", i64)])), "SHAPE): output is int64, want int32", False),
        (r("refuse_pack_count", "PACK", PACK, [((2, 3), i8, 0.05, 0), ((2, 3), i8, 0.05, 0)],
           ((3, 2, 3), i8, 0.05, 0), (O_PACK, 2, [(0, "i32", 3), (1, "i32", 0)])),
         "PACK): values_count 3, 2 inputs", False),
        (r("refuse_unpack_num", "UNPACK", UNPACK, [((3, 2), i8, 0.05, 0)], ((2,), i8, 0.05, 0),
           (O_UNPACK, 2, [(0, "i32", 2), (1, "i32", 0)])), "UNPACK): num 2, 1 outputs", False),
        (r("refuse_gather_position_range", "GATHER", GATHER,
           [((4, 3), i8, 0.05, 0), ((2,), i32t, None, None)], ((2, 3), i8, 0.05, 0),
           (O_GATHER, 2, [(0, "i32", 0)]), 5, consts=[(1, np.array([1, 4], np.int32))]),
         "GATHER): position 1 is 4, outside [0, 4)", False),
        (r("refuse_gather_int64_positions", "GATHER", GATHER,
           [((4, 3), i8, 0.05, 0), ((2,), i64, None, None)], ((2, 3), i8, 0.05, 0),
           (O_GATHER, 2, [(0, "i32", 0)]), 5, consts=[(1, np.array([1, 2], np.int64))]),
         "GATHER): positions is int64, want int32", True),
        (r("refuse_s2b_shape", "SPACE_TO_BATCH_ND", S2B,
           [((1, 5, 4, 2), i8, 0.05, 0), ((2,), i32t, None, None), ((2, 2), i32t, None, None)],
           ((4, 2, 2, 2), i8, 0.05, 0), (O_S2B, 0, []), 2,
           consts=[(1, np.array([2, 2], np.int32)), (2, np.zeros((2, 2), np.int32))]),
         "SPACE_TO_BATCH_ND): output shape does not match block shape and paddings", False),
        (r("refuse_s2b_rank5", "SPACE_TO_BATCH_ND", S2B,
           [((1, 2, 2, 2, 1), i8, 0.05, 0), ((3,), i32t, None, None), ((3, 2), i32t, None, None)],
           ((8, 1, 1, 1, 1), i8, 0.05, 0), (O_S2B, 0, []), 2,
           consts=[(1, np.array([2, 2, 2], np.int32)), (2, np.zeros((3, 2), np.int32))]),
         "SPACE_TO_BATCH_ND): input rank 5", True),
        # blocks 2^62 and paddings that make the padded extent a multiple of them: the shape
        # check itself must not overflow int64
        (r("refuse_s2b_absurd_block", "SPACE_TO_BATCH_ND", S2B,
           [((4, 1, 1, 1), i8, 0.05, 0), ((2,), i32t, None, None), ((2, 2), i32t, None, None)],
           ((4, 1, 1, 1), i8, 0.05, 0), (O_S2B, 0, []), 2,
           consts=[(1, np.array([2147483647, 2147483647], np.int32)),
                   (2, np.array([[2147483646, 0], [2147483646, 0]], np.int32))]),
         "SPACE_TO_BATCH_ND): output shape does not match block shape and paddings", False),
        (r("refuse_b2s_crops", "BATCH_TO_SPACE_ND", B2S,
           [((4, 2, 2, 1), i8, 0.05, 0), ((2,), i32t, None, None), ((2, 2), i32t, None, None)],
           ((1, 4, 4, 1), i8, 0.05, 0), (O_B2S, 0, []), 2,
           consts=[(1, np.array([2, 2], np.int32)), (2, np.array([[1, 0], [0, 0]], np.int32))]),
         "BATCH_TO_SPACE_ND): output shape does not match block shape and crops", False),
        (r("refuse_transpose_perm_range", "TRANSPOSE", TRANSPOSE,
           [((2, 3), i8, 0.05, 0), ((2,), i32t, None, None)], ((3, 2), i8, 0.05, 0),
           (O_TRANSPOSE, 0, []), 2, consts=[(1, np.array([2, 0], np.int32))]),
         "TRANSPOSE): perm is not a permutation", True),
        (r("refuse_transpose_perm_repeat", "TRANSPOSE", TRANSPOSE,
           [((2, 2), i8, 0.05, 0), ((2,), i32t, None, None)], ((2, 2), i8, 0.05, 0),
           (O_TRANSPOSE, 0, []), 2, consts=[(1, np.array([0, 0], np.int32))]),
         "TRANSPOSE): perm is not a permutation", False),
        (r("refuse_transpose_perm_runtime", "TRANSPOSE", TRANSPOSE,
           [((2, 3), i8, 0.05, 0), ((2,), i32t, 1.0, 0)], ((3, 2), i8, 0.05, 0),
           (O_TRANSPOSE, 0, []), 2), "TRANSPOSE): perm must be constant int32", True),
        (lstm16_int32_bias_case(),
         "UNIDIRECTIONAL_SEQUENCE_LSTM): gate bias 12 must be constant int64 [4]", False),
    ]


def layout_entry(out: Path, case, f: Path) -> dict:
    """A layout case's manifest entry: its inputs' shape, dtype and zero point with the value
    range of int32 / float inputs, the undefined elements it names, and its reference model."""
    name, op, b, extra = case
    infos = [dict(shape=b.tensors[i]["shape"],
                  dtype={**om.DT, tw.FLOAT32: "float32"}[b.tensors[i]["type"]],
                  zero_point=b.tensors[i].get("zp", 0)) for i in b.inputs]
    for inf in infos:
        if inf["dtype"] == "int32":
            inf["high"] = extra["high"]
        if inf["dtype"] == "float32":
            inf["float_range"] = extra["float_range"]
    entry = dict(name=name, op=op, file=str(f), inputs=infos)
    for key in ("undefined_at", "undefined_value"):
        if key in extra:
            entry[key] = extra[key]
    if "reference" in extra:
        rf = out / f"{name}.reference.tflite"
        rf.write_bytes(extra["reference"].bytes(name + " reference"))
        entry["reference"] = str(rf)
    return entry


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--train":
        out = Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        for tag, dyn in (("dynamic", True), ("static", False)):
            (out / f"train_flatten_{tag}.tflite").write_bytes(train_model(dyn).bytes(tag))
        return 0
    return om.write_manifest(Path(sys.argv[1]), (cases(),), refused_cases(), layout_entry)


if __name__ == "__main__":
    sys.exit(main())

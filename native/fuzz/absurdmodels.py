#!/usr/bin/env python3
"""Single-operator models whose fields are well-formed flatbuffer values but absurd for the
operator (review finding 5: shape arithmetic from model fields must not overflow int32).
The flatbuffer-level corruption in the corrupt-model driver rarely lands on these exact
fields with these exact values, so they are built here on purpose, with tools/oracle/opmodels.py's
builder: huge strided-slice strides, begin/end at the int32 extremes, depthwise multipliers whose
product with the input depth wraps int32, dilations whose padding or window extent overflows
the kernels' int32 index math, FULLY_CONNECTED batches x rows that wraps int32 to a declared
output size.

Usage: absurdmodels.py OUTDIR   writes OUTDIR/<case>.tflite, prints a JSON manifest
                                [{name, file, expect}] with expect "refused" or "runs".
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "oracle"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import opmodels as om  # noqa: E402
import tflite_writer as tw  # noqa: E402

I32_MAX, I32_MIN = 2**31 - 1, -2**31


def sslice(shape, begin, end, strides, out, begin_mask=0, end_mask=0):
    b = om.Builder()
    x = b.act(shape, is_input=True)
    ins = [x] + [b.const(np.array(v, np.int64).astype(np.int32), tw.INT32) for v in (begin, end, strides)]
    y = b.act(out)
    b.op(om.SSLICE, ins, [y], (om.O_SSLICE, 6, [(0, "i32", begin_mask), (1, "i32", end_mask)]), 2)
    return b


def conv(in_shape, filt, out, padding, stride, dil, depthwise=False, mult=1):
    b = om.Builder()
    x = b.act(in_shape, is_input=True)
    cout = filt[3] if depthwise else filt[0]
    wt = b.const(np.ones(filt, np.int8), tw.INT8, [0.01] * cout, None, qdim=3 if depthwise else 0)
    bt = b.const(np.zeros(cout, np.int32), tw.INT32, [0.0005] * cout, None)
    y = b.act(out)
    if depthwise:
        opts = (om.O_DW, 7, [(0, "i8", padding), (1, "i32", stride[0]), (2, "i32", stride[1]),
                             (3, "i32", mult), (5, "i32", dil[0]), (6, "i32", dil[1])])
        b.op(om.DW, [x, wt, bt], [y], opts, 2)
    else:
        opts = (om.O_CONV, 6, [(0, "i8", padding), (1, "i32", stride[0]), (2, "i32", stride[1]),
                               (4, "i32", dil[0]), (5, "i32", dil[1])])
        b.op(om.CONV, [x, wt, bt], [y], opts, 3)
    return b


def pool(in_shape, k, stride, out):
    b = om.Builder()
    x = b.act(in_shape, is_input=True)
    y = b.act(out)
    b.op(om.AVG, [x], [y], (om.O_POOL, 6, [(0, "i8", om.SAME), (1, "i32", stride[0]), (2, "i32", stride[1]),
                                           (3, "i32", k[1]), (4, "i32", k[0])]), 2)
    return b


def fc(in_shape, rows, out):
    b = om.Builder()
    x = b.act(in_shape, is_input=True)
    depth = in_shape[-1]
    wt = b.const(np.ones((rows, depth), np.int8), tw.INT8, [0.01], None)
    y = b.act(out)
    b.op(om.FC, [x, wt, -1], [y], (om.O_FC, 5, [(0, "i8", 0)]), 4)
    return b


def act(code, q_in, q_out, alpha=None, shape=(1, 16)):
    """One int8 activation with extreme quantisation (or LEAKY_RELU alpha)."""
    opt = None if alpha is None else (om.O_LEAKY_RELU, 1, [(0, "f32", alpha)])
    return om.unary_case("absurd", code, "", shape, q_in, q_out, opt)[2]


def constant_input():
    """A graph input with bytes in the file: the caller would write the model's own (read-only)
    bytes, after the operators had validated their tables against them (the fuzzer found a
    SignalFilterBank reading out of bounds this way)."""
    b = om.Builder()
    x = b.const(np.zeros((1, 16), np.int8), tw.INT8, 0.05, 0)
    b.inputs.append(x)
    y = b.act([1, 16])
    b.op(om.RELU_OP, [x], [y])
    return b


def act_cases():
    """LOGISTIC / TANH input scales whose rescale exponent leaves TFLM's defined range or makes
    the input radius 0 (everything saturates), zero points far outside int8, RELU / LEAKY_RELU
    ratios past a 2^31 multiplier, RELU6 with 6 / scale past int32, non-finite and huge alphas,
    HARD_SWISH exponents at both ends. Zero points past the reader's bound never reach them."""
    lg, th = (1.0 / 256, -128), (1.0 / 128, 0)
    return [
        ("logistic_scale_1e30", "refused", act(om.LOGISTIC, (1e30, 0), lg)),
        ("logistic_scale_2_pow_m30", "refused", act(om.LOGISTIC, (2.0**-30, 0), lg)),
        ("logistic_scale_1e5_radius_0", "runs", act(om.LOGISTIC, (1e5, 0), lg)),
        ("tanh_scale_8_radius_0", "runs", act(om.TANH, (8.0, 0), th)),
        ("tanh_scale_4_radius_1", "runs", act(om.TANH, (4.0, 3), th)),
        ("relu_ratio_2_pow_40", "refused", act(om.RELU_OP, (2.0**20, 0), (2.0**-20, 0))),
        ("relu_ratio_2_pow_20_zp_1000", "runs", act(om.RELU_OP, (2.0**10, 1000), (2.0**-10, 1000))),
        ("relu6_six_past_int32", "runs", act(om.RELU6_OP, (1e-30, 1000), (1e-30, 1000))),
        ("leaky_alpha_inf", "refused", act(om.LEAKY_RELU, (0.05, 0), (0.05, 0), float("inf"))),
        ("leaky_alpha_nan", "refused", act(om.LEAKY_RELU, (0.05, 0), (0.05, 0), float("nan"))),
        ("leaky_alpha_1e30", "refused", act(om.LEAKY_RELU, (0.05, 0), (0.05, 0), 1e30)),
        ("hard_swish_reluish_exponent_37", "refused", act(om.HARD_SWISH, (2.0**30, 0), (2.0**24, 0))),
        ("hard_swish_reluish_exponent_27", "runs", act(om.HARD_SWISH, (1e6, 5), (1e5, -3))),
        ("hard_swish_tiny_scales", "runs", act(om.HARD_SWISH, (1e-30, 100), (1.0, -1000))),
        ("leaky_alpha_denormal_zp_1000", "runs", act(om.LEAKY_RELU, (0.05, 1000), (0.05, -1000), -1e-40)),
        ("logistic_in_zp_1000", "runs", act(om.LOGISTIC, (0.05, 1000), lg)),
        # zero points the model reader refuses before any operator sees them
        ("logistic_in_zp_1e5", "refused", act(om.LOGISTIC, (0.05, 100000), lg)),
        ("tanh_in_zp_int32_min", "refused", act(om.TANH, (0.05, I32_MIN), th)),
        ("leaky_alpha_denormal_zp_extreme", "refused", act(om.LEAKY_RELU, (0.05, I32_MAX), (0.05, I32_MIN), -1e-40)),
        ("hard_swish_tiny_scales_zp_40000", "refused", act(om.HARD_SWISH, (1e-30, 40000), (1.0, -40000))),
    ]


def cases():
    s = [1, 4, 4, 2]
    return [
        # STRIDED_SLICE: a stride past the dimension takes one element (valid, like TFLM) ...
        ("sslice_stride_int32_max", "runs", sslice(s, [0] * 4, s, [1, I32_MAX, 1, 1], [1, 1, 4, 2])),
        ("sslice_stride_int32_min", "refused", sslice(s, [0, -1, 0, 0], [1, -5, 4, 2], [1, I32_MIN, 1, 1], [1, 1, 4, 2])),
        # begin / end beyond the dimension are clamped (INT32_MIN itself is refused: -x overflows)
        ("sslice_begin_end_extremes", "runs", sslice(s, [-I32_MAX] * 4, [I32_MAX] * 4, [1] * 4, s)),
        ("sslice_begin_int32_min", "refused", sslice(s, [I32_MIN] * 4, [I32_MAX] * 4, [1] * 4, s)),
        # ... but the declared output must match what the stride gives
        ("sslice_stride_huge_output_mismatch", "refused", sslice(s, [0] * 4, s, [1, I32_MAX, 1, 1], s)),
        ("sslice_stride_zero", "refused", sslice(s, [0] * 4, s, [1, 0, 1, 1], s)),
        ("sslice_count_wraps", "refused", sslice(s, [-I32_MAX] * 4, [I32_MAX] * 4, [1, 2**30, 1, 1], [1, 3, 4, 2])),
        # DEPTHWISE multiplier: input depth x multiplier wraps int32 to the declared output depth
        ("dw_mult_int32_max", "refused", conv([1, 4, 4, 2], [1, 3, 3, 2], [1, 4, 4, 2], om.SAME, (1, 1), (1, 1), True, I32_MAX)),
        ("dw_mult_wraps_to_depth", "refused", conv([1, 4, 4, 2], [1, 3, 3, 2], [1, 4, 4, 2], om.SAME, (1, 1), (1, 1), True, 2**31 + 1 - 2**32)),
        ("dw_mult_negative", "refused", conv([1, 4, 4, 2], [1, 3, 3, 2], [1, 4, 4, 2], om.SAME, (1, 1), (1, 1), True, -1)),
        # dilation: SAME keeps the output size, so only the padding / window extent grows
        ("conv_dilation_int32_max_same", "refused", conv([1, 8, 8, 2], [4, 3, 3, 2], [1, 8, 8, 4], om.SAME, (1, 1), (I32_MAX, I32_MAX))),
        ("conv_dilation_2_30_same", "refused", conv([1, 8, 8, 2], [4, 3, 3, 2], [1, 8, 8, 4], om.SAME, (1, 1), (2**30, 2**30))),
        ("conv_dilation_huge_valid", "refused", conv([1, 8, 8, 2], [4, 3, 3, 2], [1, 1, 1, 4], om.VALID, (1, 1), (2**30, 2**30))),
        ("conv_stride_dilation_same", "refused", conv([1, 8, 8, 2], [4, 3, 3, 2], [1, 1, 1, 4], om.SAME, (I32_MAX, I32_MAX), (2**29, 2**29))),
        ("dw_dilation_int32_max_same", "refused", conv([1, 8, 8, 2], [1, 3, 3, 2], [1, 8, 8, 2], om.SAME, (1, 1), (I32_MAX, I32_MAX), True, 1)),
        ("dw_dilation_negative", "refused", conv([1, 8, 8, 2], [1, 3, 3, 2], [1, 8, 8, 2], om.SAME, (1, 1), (-1, -1), True, 1)),
        ("pool_filter_int32_max_same", "refused", pool([1, 8, 8, 2], (I32_MAX, I32_MAX), (1, 1), [1, 8, 8, 2])),
        ("pool_stride_int32_max_same", "refused", pool([1, 8, 8, 2], (2, 2), (I32_MAX, I32_MAX), [1, 1, 1, 2])),
        # a large but index-safe dilation still runs (most taps fall in the padding)
        ("conv_dilation_1000_same", "runs", conv([1, 8, 8, 2], [4, 3, 3, 2], [1, 8, 8, 4], om.SAME, (1, 1), (1000, 1000))),
        # FULLY_CONNECTED: batches x rows = 2^20 x 4096 = 2^32 wraps to 0 (declared output 0 x 4096)
        ("fc_batches_rows_wrap_zero", "refused", fc([2**20, 1], 4096, [0, 4096])),
        # 2^16 x 2^15 = 2^31 wraps to INT32_MIN; the declared output is small
        ("fc_batches_rows_wrap_negative", "refused", fc([2**16, 1], 2**15, [1, 2**15])),
        ("input_with_constant_data", "refused", constant_input()),
    ] + act_cases()


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, expect, b in cases():
        f = out / f"{name}.tflite"
        f.write_bytes(b.bytes(name))
        manifest.append(dict(name=name, file=str(f), expect=expect))
    print(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())

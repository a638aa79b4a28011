"""Single-operator models of the audio front end (TFLite Micro's Signal library custom ops,
CAST and int32 ADD / MUL / DIV / MINIMUM / MAXIMUM), with seeded inputs, for the engine vs
oracle test (host-tests/engine/signal-ops.test.ts).

Usage: signalmodels.py OUTDIR

Writes OUTDIR/NAME.tflite and OUTDIR/NAME.in (samples back to back, each the model's inputs
in order) for every case, and OUTDIR/cases.json: a list of
  {"name", "samples", "stream": bool, "compare": [lo, hi] or null (output element range to
   compare: SignalEnergy leaves bins outside [start, end) unwritten in TFLM),
   "element_bytes", "refuse": message part or null (the engine must refuse it; the oracle is
   not run, since TFLM would crash: kissfft's generic radix allocates, a 0 divisor traps)}.
Options cover the shapes, lengths and parameters the real model does not use: FFT lengths
whose halves factor into 2, 3, 4 and 5, partial frames, several frames per tensor, window
shifts, filter banks with negative weights, full-range inputs that make the fixed-point
arithmetic wrap.
"""
import json
import os
import sys

import numpy as np
from flatbuffers import flexbuffers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tflite_writer import write_model  # noqa: E402

INT8, INT16, INT32, UINT32, UINT64 = 9, 7, 2, 15, 12
NP = {INT8: "<i1", INT16: "<i2", INT32: "<i4", UINT32: "<u4", UINT64: "<u8"}
CUSTOM = 32
ADD, MUL, DIV, MINIMUM, MAXIMUM, CAST = 0, 18, 42, 57, 55, 53

cases = []


def tensor(name, shape, ttype, buffer=0):
    return {"name": name, "shape": list(shape), "type": ttype, "buffer": buffer}


def emit(out, name, tensors, ops, buffers, opcodes, inputs, outputs, samples, stream=False,
         compare=None, refuse=None):
    model = write_model(tensors, ops, buffers, opcodes, "signal op " + name, inputs, outputs)
    with open(os.path.join(out, name + ".tflite"), "wb") as f:
        f.write(model)
    with open(os.path.join(out, name + ".in"), "wb") as f:
        f.write(b"".join(samples))
    ob = np.dtype(NP[tensors[outputs[0]]["type"]]).itemsize
    cases.append({"name": name, "samples": len(samples), "stream": stream, "compare": compare,
                  "element_bytes": ob, "refuse": refuse})


def custom_op(out, name, code, opts, ins, outs, consts, samples, output_index=0, stream=False,
              compare=None, refuse=None):
    """ins / outs: (shape, type); consts: {input position: numpy array} (constant inputs)."""
    tensors, buffers, op_inputs = [], [b""], []
    model_inputs = []
    for k, (shape, ttype) in enumerate(ins):
        if k in consts:
            buffers.append(np.ascontiguousarray(consts[k], dtype=NP[ttype]).tobytes())
            tensors.append(tensor("c%d" % k, shape, ttype, len(buffers) - 1))
        else:
            tensors.append(tensor("in%d" % k, shape, ttype))
            model_inputs.append(len(tensors) - 1)
        op_inputs.append(len(tensors) - 1)
    op_outputs = []
    for k, (shape, ttype) in enumerate(outs):
        tensors.append(tensor("out%d" % k, shape, ttype))
        op_outputs.append(len(tensors) - 1)
    op = {"opcode": 0, "inputs": op_inputs, "outputs": op_outputs,
          "custom_options": flexbuffers.Dumps(opts)}
    emit(out, name, tensors, [op], buffers, [(CUSTOM, 1, code)], model_inputs,
         [op_outputs[output_index]], samples, stream, compare, refuse)


def i16(rng, n, kind):
    if kind == "full":
        v = rng.integers(-32768, 32768, n)
        v[:2] = [-32768, 32767]
    elif kind == "small":
        v = rng.integers(-40, 41, n)
    elif kind == "zero":
        v = np.zeros(n, dtype=np.int64)
    else:  # "min": every sample at the extreme, the FFT's worst wrap
        v = np.full(n, -32768)
    return v.astype("<i2").tobytes()


def u32(rng, n):
    v = np.concatenate([rng.integers(0, 1 << 32, n - n // 2, dtype=np.uint64),
                        rng.integers(0, 1 << rng.integers(1, 20), n // 2, dtype=np.uint64)])
    v[:4] = [0, 1, 2, (1 << 32) - 1][: min(4, n)]
    return v.astype("<u4").tobytes()


def window_cases(out, rng):
    for shift in (0, 7, 12, 15):
        w = rng.integers(-32768, 32768, 32)
        samples = [i16(rng, 128, k) for k in ("full", "small", "full", "min")]
        custom_op(out, "window_s%d" % shift, "SignalWindow", {"shift": shift},
                  [((4, 32), INT16), ((32,), INT16)], [((4, 32), INT16)], {1: w}, samples)


def auto_scale_cases(out, rng):
    for n in (480, 33):
        samples = [i16(rng, n, "zero"), i16(rng, n, "min"), i16(rng, n, "small"),
                   i16(rng, n, "full"), np.eye(1, n, 3, dtype="<i2").tobytes()]
        for which in (0, 1):
            custom_op(out, "auto_scale_%d_out%d" % (n, which), "SignalFftAutoScale", {},
                      [((n,), INT16)], [((n,), INT16), ((), INT32)], {}, samples, which)


def rfft_cases(out, rng):
    # halves: 2, 4 (4), 18 (2 3 3), 20 (4 5), 32, 48 (4 4 3), 60 (4 3 5), 80 (4 4 5), 256
    for n, frames, cut in ((4, 1, 0), (8, 2, 3), (36, 1, 5), (40, 2, 0), (64, 2, 16),
                           (96, 1, 0), (120, 2, 7), (160, 1, 40), (512, 1, 32)):
        length = n - cut
        samples = [i16(rng, frames * length, k) for k in ("full", "small", "zero", "min", "full")]
        custom_op(out, "rfft_%d_%dx%d" % (n, frames, length), "SignalRfft",
                  {"T": INT16, "fft_length": n}, [((frames, length), INT16)],
                  [((frames, n + 2), INT16)], {}, samples)
    custom_op(out, "rfft_refused_28", "SignalRfft", {"T": INT16, "fft_length": 28},
              [((28,), INT16)], [((30,), INT16)], {}, [i16(rng, 28, "small")],
              refuse="fft_length 28")


def energy_cases(out, rng):
    for k, start, end in ((257, 5, 241), (33, 0, 33), (33, 4, 4), (17, 1, 16)):
        samples = [i16(rng, 2 * k, kind) for kind in ("full", "min", "small")]
        custom_op(out, "energy_%d_%d_%d" % (k, start, end), "SignalEnergy",
                  {"start_index": start, "end_index": end}, [((2 * k,), INT16)],
                  [((k,), UINT32)], {}, samples, compare=[start, end])


def bank_cases(out, rng):
    for channels, length, negative in ((40, 257, False), (3, 64, True), (1, 16, True)):
        fs, ws, wd, at = [], [], [], 0
        for _ in range(channels + 1):
            w = int(rng.integers(0, 9))
            f0 = int(rng.integers(0, length - w + 1))
            fs.append(f0)
            ws.append(at)
            wd.append(w)
            at += w
        lo = -32768 if negative else 0
        weights = rng.integers(lo, 4097 if not negative else 32768, max(at, 1))
        unweights = rng.integers(lo, 4097 if not negative else 32768, max(at, 1))
        samples = [u32(rng, length) for _ in range(3)]
        custom_op(out, "bank_%d_%d" % (channels, length), "SignalFilterBank",
                  {"num_channels": channels},
                  [((length,), UINT32), ((len(weights),), INT16), ((len(unweights),), INT16),
                   ((channels + 1,), INT16), ((channels + 1,), INT16), ((channels + 1,), INT16)],
                  [((channels,), UINT64)],
                  {1: weights, 2: unweights, 3: np.array(fs), 4: np.array(ws), 5: np.array(wd)},
                  samples)


def sqrt_cases(out, rng):
    samples = []
    for bits in (0, 3, 15, 7):
        v = np.concatenate([rng.integers(0, 1 << 63, 8, dtype=np.uint64) * 2 + 1,
                            rng.integers(0, 1 << 32, 4, dtype=np.uint64),
                            np.array([0, 1, (1 << 32) - 1, 1 << 32], dtype=np.uint64)])
        v[3] = (1 << 64) - 1
        samples.append(v.astype("<u8").tobytes() + np.int32(bits).astype("<i4").tobytes())
    custom_op(out, "sqrt_16", "SignalFilterBankSquareRoot", {},
              [((16,), UINT64), ((), INT32)], [((16,), UINT32)], {}, samples)


def subtract_cases(out, rng):
    base = {"alternate_one_minus_smoothing": 15401, "alternate_smoothing": 983,
            "clamping": False, "min_signal_remaining": 819, "num_channels": 40,
            "one_minus_smoothing": 15975, "smoothing": 409, "smoothing_bits": 10,
            "spectral_subtraction_bits": 14}
    variants = [("micro", base, 40), ("clamp7", dict(base, clamping=True, num_channels=7), 7),
                ("odd5", dict(base, smoothing=3000, one_minus_smoothing=13384,
                              alternate_smoothing=16384, alternate_one_minus_smoothing=0,
                              min_signal_remaining=16000, smoothing_bits=4,
                              spectral_subtraction_bits=16, num_channels=5), 5)]
    for label, opts, ch in variants:
        samples = []
        for k in range(12):  # a stream: the noise estimate carries from frame to frame
            v = rng.integers(0, 1 << (8 + 2 * k), ch, dtype=np.uint64)
            samples.append(v.astype("<u4").tobytes())
        for which in (0, 1):
            custom_op(out, "subtract_%s_out%d" % (label, which),
                      "SignalFilterBankSpectralSubtraction", opts, [((ch,), UINT32)],
                      [((ch,), UINT32), ((ch,), UINT32)], {}, samples, which, stream=True)


def pcan_cases(out, rng):
    for shift, lut_n in ((6, 125), (0, 125), (20, 130)):
        lut = rng.integers(-32768, 32768, lut_n)
        samples = [u32(rng, 40) + u32(rng, 40) for _ in range(4)]
        custom_op(out, "pcan_s%d_%d" % (shift, lut_n), "SignalPCAN", {"snr_shift": shift},
                  [((40,), UINT32), ((40,), UINT32), ((lut_n,), INT16)], [((40,), UINT32)],
                  {2: lut}, samples)


def log_cases(out, rng):
    for bits, scale in ((3, 64), (0, 1600), (8, 70000), (31, 1)):
        samples = [u32(rng, 40) for _ in range(4)]
        custom_op(out, "log_b%d_s%d" % (bits, scale), "SignalFilterBankLog",
                  {"input_correction_bits": bits, "output_scale": scale}, [((40,), UINT32)],
                  [((40,), INT16)], {}, samples)


def full_range(rng, ttype, n):
    info = np.iinfo(np.dtype(NP[ttype]))
    v = rng.integers(int(info.min), int(info.max) + 1, n, dtype=np.int64)
    v[:2] = [info.min, info.max]
    return v.astype(NP[ttype]).tobytes()


def cast_cases(out, rng):
    types = {"int8": INT8, "int16": INT16, "int32": INT32, "uint32": UINT32}
    for a, ta in types.items():
        for b, tb in types.items():
            if a == b:
                continue
            tensors = [tensor("in", (2, 17), ta), tensor("out", (2, 17), tb)]
            ops = [{"opcode": 0, "inputs": [0], "outputs": [1]}]
            emit(out, "cast_%s_%s" % (a, b), tensors, ops, [b""], [(CAST, 1)], [0], [1],
                 [full_range(rng, ta, 34) for _ in range(3)])


def binary_cases(out, rng):
    acts = {"none": 0, "relu": 1, "relu_n1": 2, "relu6": 3}
    opts = {ADD: 11, MUL: 21, DIV: 29}
    names = {ADD: "add", MUL: "mul", DIV: "div", MINIMUM: "min", MAXIMUM: "max"}
    shapes = [((2, 3, 4), (4,), True), ((2, 3, 4), (), True), ((2, 3, 4), (2, 1, 4), False),
              ((5,), (5,), False)]
    for code in (ADD, MUL, DIV, MINIMUM, MAXIMUM):
        for si, (sa, sb, const_b) in enumerate(shapes):
            for act_name, act in acts.items():
                if act != 0 and (code not in (MUL, DIV) or si != 0):
                    continue
                if code == ADD and act == 0 and si == 0:
                    act = 1  # TFLM's int32 ADD ignores a fused RELU: check that we do too
                nb = int(np.prod(sb)) if sb else 1
                small = code in (MUL, DIV)
                def vals(n):
                    if code == DIV:
                        v = rng.integers(-(1 << 31) + 1, 1 << 31, n)
                    else:
                        v = rng.integers(-(1 << 31), 1 << 31, n)
                    if small:
                        v[: n // 2] = rng.integers(-50, 51, n // 2)
                    return v
                bvals = vals(nb)
                if code == DIV:
                    bvals[bvals == 0] = 7
                    bvals[: min(2, nb)] = [-3, 2][: min(2, nb)]
                buffers = [b""]
                tensors = [tensor("a", sa, INT32)]
                if const_b:
                    buffers.append(bvals.astype("<i4").tobytes())
                    tensors.append(tensor("b", sb, INT32, 1))
                    model_inputs = [0]
                else:
                    tensors.append(tensor("b", sb, INT32))
                    model_inputs = [0, 1]
                tensors.append(tensor("out", sa, INT32))
                op = {"opcode": 0, "inputs": [0, 1], "outputs": [2]}
                if code in opts:
                    op["options"] = (opts[code], 1, [(0, "i8", act)])
                na = int(np.prod(sa))
                samples = []
                for _ in range(3):
                    s = vals(na).astype("<i4").tobytes()
                    if not const_b:
                        bv = vals(nb)
                        if code == DIV:
                            bv[bv == 0] = 5
                        s += bv.astype("<i4").tobytes()
                    samples.append(s)
                emit(out, "%s_%d_%s" % (names[code], si, act_name), tensors, [op], buffers,
                     [(code, 1)], model_inputs, [2], samples)
    # a constant 0 divisor: TFLM traps on it, the engine refuses the model
    tensors = [tensor("a", (4,), INT32), tensor("b", (), INT32, 1), tensor("out", (4,), INT32)]
    emit(out, "div_refused_zero", tensors, [{"opcode": 0, "inputs": [0, 1], "outputs": [2],
                                             "options": (29, 1, [])}],
         [b"", np.int32(0).tobytes()], [(DIV, 1)], [0], [2], [np.zeros(4, "<i4").tobytes()],
         refuse="constant divisor 0")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261207)
    for make in (window_cases, auto_scale_cases, rfft_cases, energy_cases, bank_cases,
                 sqrt_cases, subtract_cases, pcan_cases, log_cases, cast_cases, binary_cases):
        make(out, rng)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()

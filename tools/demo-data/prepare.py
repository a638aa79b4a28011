#!/usr/bin/env python3
"""Prepare the demo's base model and data (issue 5, item 6) from scikit-learn's bundled digits.

Population task: real 8x8 handwritten digits (pad intensities 0..16), 10 classes.
New user: the same kind of digits read through a pad mounted one column to the right
(every reading shifted right by one pixel, the leftmost column reads 0, the rightmost is lost).

Writes into --out (default data/demo/, see its README.md):
  digits_mlp_int8.tflite   64-32-10 MLP, fully int8, written by the flatbuffer writer below
  mlp_float.npz            float32 weights of the same network (real input = raw 0..16)
  population_test.bin      SAMPLES.bin: records of uint8 label + 64 int8 (model input quantisation)
  population_replay.bin    SAMPLES.bin: 10 per class from population *train* (replay / Fisher seed)
  user_pool.bin            SAMPLES.bin: the new user's adaptation pool (same frames as the stream)
  user_test.bin            SAMPLES.bin: the new user's held-out test
  user_stream.epr          EPR1 recording of the user pool: 64 uint8 channels (raw 0..16), 2 Hz
  user_stream_labels.bin   one uint8 label per stream frame

Everything follows from --seed; running twice gives byte-identical files. The int8 model is
checked against the tflite-micro interpreter and the run fails if it loses > 2 points.
"""
from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import tflite_writer  # noqa: E402  (tools/tflite_writer.py, shared with tools/oracle/opmodels.py)

SEED = 2024
HIDDEN = 32
CLASSES = 10
PIXELS = 64
RAW_MAX = 16.0  # digits intensities are counts of set pixels in a 4x4 block: 0..16
STREAM_RATE_HZ = 2
CALIBRATION_PER_CLASS = 5  # the user's enrolment session at the head of the stream
REPLAY_PER_CLASS = 10
N_USER = 480  # samples that become the new user's (half pool, half test)
N_POP_TEST = 300
MAX_INT8_LOSS = 0.02


# ---------------------------------------------------------------- data and transform

def user_transform(raw: np.ndarray) -> np.ndarray:
    """The new user's pad is mounted one column to the right: pixel (r, c) reads what the
    population's pad reads at (r, c - 1). Column 0 sees nothing (0); column 7 is lost, which
    costs little because digits rarely touch the border. A pure permutation-with-loss of the
    inputs: the base MLP drops to ~40%, a low-rank correction of the first layer recovers most."""
    img = raw.reshape(-1, 8, 8)
    out = np.zeros_like(img)
    out[:, :, 1:] = img[:, :, :-1]
    return out.reshape(-1, PIXELS)


def shifted(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The pad mounted `rows` rows down and `cols` columns right (negative: up / left): pixel
    (r, c) reads what the population's pad reads at (r - rows, c - cols), 0 where that is off
    the pad. user_transform is shifted(raw, 0, 1)."""
    img = raw.reshape(-1, 8, 8)
    out = np.zeros_like(img)
    src = img[:, max(0, -rows):8 - max(0, rows), max(0, -cols):8 - max(0, cols)]
    out[:, max(0, rows):8 - max(0, -rows), max(0, cols):8 - max(0, -cols)] = src
    return out.reshape(-1, PIXELS)


# Users B and C of the three-user sequence A -> B -> C (bench/forgetting): the same pool and
# test digits as user A (whose pad is one column right), each on a pad mounted another way.
# Written after everything else and without random draws, so the files above do not change.
SEQUENCE_USERS = {"b": (1, 0), "c": (0, -1)}  # b: one row down; c: one column left


def split(y: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Disjoint index sets. The user's pool starts with a class-balanced enrolment block
    (CALIBRATION_PER_CLASS of each digit, shuffled) so the first labelled frames cover all
    classes, as a device would prompt a new user for each digit before relying on feedback."""
    perm = rng.permutation(len(y))
    user, pop = perm[:N_USER], perm[N_USER:]
    pop_test, pop_train = pop[:N_POP_TEST], pop[N_POP_TEST:]

    calib: list[int] = []
    for c in range(CLASSES):
        calib.extend(int(i) for i in user[y[user] == c][:CALIBRATION_PER_CLASS])
    calib_arr = rng.permutation(np.array(calib))
    taken = set(calib)
    rest = np.array([i for i in user if int(i) not in taken])
    n_pool = N_USER // 2
    user_pool = np.concatenate([calib_arr, rest[: n_pool - len(calib_arr)]])
    user_test = rest[n_pool - len(calib_arr):]

    replay = np.concatenate([pop_train[y[pop_train] == c][:REPLAY_PER_CLASS] for c in range(CLASSES)])
    replay = rng.permutation(replay)
    return {"pop_train": pop_train, "pop_test": pop_test, "user_pool": user_pool,
            "user_test": user_test, "pop_replay": replay}


# ---------------------------------------------------------------- float model

def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train_mlp(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
              epochs: int = 150, lr: float = 0.05, momentum: float = 0.9,
              weight_decay: float = 1e-4, batch: int = 32) -> list[np.ndarray]:
    """Minibatch SGD with momentum on softmax cross-entropy. x is normalised to 0..1 here
    for conditioning; the caller folds the 1/16 into W1 so the model's real input is raw."""
    w1 = rng.normal(0.0, np.sqrt(2.0 / PIXELS), (HIDDEN, PIXELS))  # He init for ReLU
    b1 = np.zeros(HIDDEN)
    w2 = rng.normal(0.0, np.sqrt(1.0 / HIDDEN), (CLASSES, HIDDEN))
    b2 = np.zeros(CLASSES)
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    onehot = np.eye(CLASSES)[y]
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for s in range(0, len(order), batch):
            i = order[s:s + batch]
            xb, tb = x[i], onehot[i]
            h = relu(xb @ w1.T + b1)
            g2 = (softmax(h @ w2.T + b2) - tb) / len(i)
            g1 = (g2 @ w2) * (h > 0)
            grads = [g1.T @ xb + weight_decay * w1, g1.sum(0), g2.T @ h + weight_decay * w2, g2.sum(0)]
            for k, g in enumerate(grads):
                velocity[k] = momentum * velocity[k] - lr * g
                params[k] += velocity[k]
    return params


def float_logits(p: dict[str, np.ndarray], raw: np.ndarray) -> np.ndarray:
    h = relu(raw @ p["w1"].astype(np.float64).T + p["b1"])
    return h @ p["w2"].astype(np.float64).T + p["b2"]


# ---------------------------------------------------------------- quantisation (TF converter rules)

def activation_qparams(lo: float, hi: float) -> tuple[np.float32, int]:
    """Asymmetric int8 from a calibrated [lo, hi] widened to contain 0, as the converter does."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(round(-128 - lo / float(scale)), -128, 127))
    return scale, zp


def weight_qparams(w: np.ndarray) -> tuple[np.float32, np.ndarray]:
    """Per-tensor symmetric, narrow range [-127, 127], zero point 0."""
    scale = np.float32(np.abs(w).max() / 127.0)
    q = np.clip(np.round(w.astype(np.float64) / float(scale)), -127, 127).astype(np.int8)
    return scale, q


def bias_quant(b: np.ndarray, s_in: np.float32, s_w: np.float32) -> tuple[np.float32, np.ndarray]:
    # float32 product, as the converter and TFLM's per-tensor FC check form it.
    scale = np.float32(s_in * s_w)
    return scale, np.round(b.astype(np.float64) / float(scale)).astype(np.int32)


def quantize_input(raw: np.ndarray, scale: np.float32, zp: int) -> np.ndarray:
    """TFLite's QUANTIZE / firmware/features/quantize.ts: round half away from zero of
    x / scale computed in double with the float32 scale, plus zp, saturated."""
    v = raw.astype(np.float64) / float(scale)
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zp
    return np.clip(q, -128, 127).astype(np.int8)


# ---------------------------------------------------------------- .tflite writer

TFL_INT8, TFL_INT32 = 9, 2
OP_FULLY_CONNECTED, OP_SOFTMAX = 9, 25
OPT_FULLY_CONNECTED, OPT_SOFTMAX = 8, 9  # BuiltinOptions union indices
ACT_NONE, ACT_RELU = 0, 1


def write_tflite(tensors: list[dict], operators: list[dict], buffers: list[bytes], description: str) -> bytes:
    """tensors: name, shape, type, buffer, scale, zp. operators: opcode (0 FC, 1 SOFTMAX),
    inputs, outputs, and either act (FC) or beta (SOFTMAX). The bytes come from the shared
    writer (tools/tflite_writer.py); versions as the converter records them for int8
    kernels (FC v4, SOFTMAX v2)."""
    ops = []
    for op in operators:
        if op["opcode"] == 0:
            options = (OPT_FULLY_CONNECTED, 5, [(0, "i8", op["act"])])  # FullyConnectedOptions
        else:
            options = (OPT_SOFTMAX, 1, [(0, "f32", op["beta"])])  # SoftmaxOptions: beta
        ops.append(dict(opcode=op["opcode"], inputs=op["inputs"], outputs=op["outputs"], options=options))
    return tflite_writer.write_model(tensors, ops, buffers, [(OP_FULLY_CONNECTED, 4), (OP_SOFTMAX, 2)],
                                     description)


def build_int8_model(p: dict[str, np.ndarray], calib_raw: np.ndarray) -> tuple[bytes, dict]:
    s_in, zp_in = activation_qparams(0.0, RAW_MAX)  # the sensor's full range, as calibrated
    return mlp_int8_model(p, calib_raw, s_in, zp_in, "edge-peft tools/demo-data/prepare.py digits 64-32-10")


def mlp_int8_model(p: dict[str, np.ndarray], calib_raw: np.ndarray, s_in: np.float32, zp_in: int,
                   description: str) -> tuple[bytes, dict]:
    """The two-layer MLP (FC + RELU, FC, SOFTMAX) as an int8 .tflite, the input quantisation given,
    the rest calibrated on calib_raw; widths from the weights (tools/imu-data/prepare.py too)."""
    width, inputs, classes = p["w1"].shape[0], p["w1"].shape[1], p["w2"].shape[0]
    hidden = relu(calib_raw @ p["w1"].astype(np.float64).T + p["b1"])
    logits = hidden @ p["w2"].astype(np.float64).T + p["b2"]
    s_h, zp_h = activation_qparams(0.0, float(hidden.max()))
    s_o, zp_o = activation_qparams(float(logits.min()), float(logits.max()))
    s_w1, q_w1 = weight_qparams(p["w1"])
    s_w2, q_w2 = weight_qparams(p["w2"])
    s_b1, q_b1 = bias_quant(p["b1"], s_in, s_w1)
    s_b2, q_b2 = bias_quant(p["b2"], s_h, s_w2)

    buffers = [b"", q_w1.tobytes(), q_b1.astype("<i4").tobytes(), q_w2.tobytes(), q_b2.astype("<i4").tobytes()]
    tensors = [
        dict(name="input", shape=[1, inputs], type=TFL_INT8, buffer=0, scale=s_in, zp=zp_in),
        dict(name="fc1/weights", shape=[width, inputs], type=TFL_INT8, buffer=1, scale=s_w1, zp=0),
        dict(name="fc1/bias", shape=[width], type=TFL_INT32, buffer=2, scale=s_b1, zp=0),
        dict(name="fc1/relu", shape=[1, width], type=TFL_INT8, buffer=0, scale=s_h, zp=zp_h),
        dict(name="fc2/weights", shape=[classes, width], type=TFL_INT8, buffer=3, scale=s_w2, zp=0),
        dict(name="fc2/bias", shape=[classes], type=TFL_INT32, buffer=4, scale=s_b2, zp=0),
        dict(name="fc2/logits", shape=[1, classes], type=TFL_INT8, buffer=0, scale=s_o, zp=zp_o),
        dict(name="softmax", shape=[1, classes], type=TFL_INT8, buffer=0, scale=np.float32(1 / 256), zp=-128),
    ]
    operators = [
        dict(opcode=0, inputs=[0, 1, 2], outputs=[3], act=ACT_RELU),
        dict(opcode=0, inputs=[3, 4, 5], outputs=[6], act=ACT_NONE),
        dict(opcode=1, inputs=[6], outputs=[7], beta=1.0),
    ]
    model = write_tflite(tensors, operators, buffers, description)
    info = {t["name"]: {"scale": float(t["scale"]), "zero_point": t["zp"]} for t in tensors}
    return model, info


def int8_predict(model: bytes, q: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime
    it = runtime.Interpreter.from_bytes(model)
    pred = np.empty(len(q), dtype=np.int64)
    for i, row in enumerate(q):
        it.set_input(row.reshape(1, -1), 0)
        it.invoke()
        pred[i] = int(np.argmax(it.get_output(0)))
    return pred


# ---------------------------------------------------------------- file writers

def samples_bin(labels: np.ndarray, q: np.ndarray) -> bytes:
    rec = np.empty((len(labels), 1 + q.shape[1]), dtype=np.uint8)
    rec[:, 0] = labels
    rec[:, 1:] = q.view(np.uint8)
    return rec.tobytes()


def epr1(frames: np.ndarray, rate_hz: int) -> bytes:
    assert frames.dtype == np.uint8 and frames.shape[1] == PIXELS
    header = b"EPR1" + struct.pack("<HHII", PIXELS, 3, rate_hz, len(frames))  # 3 = uint8
    return header + frames.tobytes()


def npz(arrays: dict[str, np.ndarray]) -> bytes:
    # np.savez stamps the current time into the zip; a fixed date keeps reruns byte-identical.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        for name, arr in arrays.items():
            body = io.BytesIO()
            np.lib.format.write_array(body, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, body.getvalue())
    return out.getvalue()


# ---------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "data" / "demo")
    args = ap.parse_args()

    from sklearn.datasets import load_digits  # here, not at import: tools/imu-data reuses the helpers without scikit-learn

    digits_x, digits_y = load_digits(return_X_y=True)
    raw = digits_x.astype(np.float64)  # 0..16 integers
    y = digits_y.astype(np.int64)
    rng = np.random.default_rng(args.seed)
    idx = split(y, rng)
    sets = [set(map(int, idx[k])) for k in ("pop_train", "pop_test", "user_pool", "user_test")]
    assert sum(map(len, sets)) == len(set().union(*sets)), "splits overlap"
    assert set(map(int, idx["pop_replay"])) <= sets[0]

    w1, b1, w2, b2 = train_mlp(raw[idx["pop_train"]] / RAW_MAX, y[idx["pop_train"]], rng)
    # Fold the 1/16 input normalisation into W1: the model's real input is the raw intensity.
    p = {"w1": (w1 / RAW_MAX).astype(np.float32), "b1": b1.astype(np.float32),
         "w2": w2.astype(np.float32), "b2": b2.astype(np.float32)}

    model, qinfo = build_int8_model(p, raw[idx["pop_train"]])
    s_in, zp_in = np.float32(qinfo["input"]["scale"]), qinfo["input"]["zero_point"]

    def raw_of(name: str) -> np.ndarray:
        r = raw[idx[name]]
        return user_transform(r) if name.startswith("user") else r

    acc: dict[str, dict[str, float]] = {}
    for name in ("pop_test", "user_pool", "user_test"):
        r, lab = raw_of(name), y[idx[name]]
        acc[name] = {
            "float": float((float_logits(p, r).argmax(1) == lab).mean()),
            "int8": float((int8_predict(model, quantize_input(r, s_in, zp_in)) == lab).mean()),
        }
        print(f"{name:10s} n={len(lab):4d}  float {acc[name]['float']:.4f}  int8 (tflite-micro) {acc[name]['int8']:.4f}")
    if acc["pop_test"]["float"] - acc["pop_test"]["int8"] > MAX_INT8_LOSS:
        print("int8 model loses more than 2 points on population test", file=sys.stderr)
        return 1

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "digits_mlp_int8.tflite": model,
        "mlp_float.npz": npz({**p, "input_scale": np.array(s_in, np.float32),
                              "input_zero_point": np.array(zp_in, np.int32)}),
        "user_stream.epr": epr1(raw_of("user_pool").astype(np.uint8), STREAM_RATE_HZ),
        "user_stream_labels.bin": y[idx["user_pool"]].astype(np.uint8).tobytes(),
    }
    for fname, key in (("population_test.bin", "pop_test"), ("population_replay.bin", "pop_replay"),
                       ("user_pool.bin", "user_pool"), ("user_test.bin", "user_test")):
        files[fname] = samples_bin(y[idx[key]], quantize_input(raw_of(key), s_in, zp_in))
    assert np.array_equal(shifted(raw[idx["user_test"]], 0, 1), raw_of("user_test"))
    for user, (dr, dc) in SEQUENCE_USERS.items():
        def raw_u(key: str) -> np.ndarray:
            return shifted(raw[idx[key]], dr, dc)
        for key in ("user_pool", "user_test"):
            lab = y[idx[key]]
            a = float((int8_predict(model, quantize_input(raw_u(key), s_in, zp_in)) == lab).mean())
            acc[f"{user}/{key}"] = {"int8": a}
            print(f"user {user} {key:10s} int8 (tflite-micro) {a:.4f}")
        files[f"users/{user}/user_stream.epr"] = epr1(raw_u("user_pool").astype(np.uint8), STREAM_RATE_HZ)
        files[f"users/{user}/user_stream_labels.bin"] = y[idx["user_pool"]].astype(np.uint8).tobytes()
        for fname, key in (("user_pool.bin", "user_pool"), ("user_test.bin", "user_test")):
            files[f"users/{user}/{fname}"] = samples_bin(y[idx[key]], quantize_input(raw_u(key), s_in, zp_in))
    for fname, data in files.items():
        (out / fname).parent.mkdir(parents=True, exist_ok=True)
        (out / fname).write_bytes(data)
        print(f"wrote {fname:24s} {len(data):6d} bytes")
    # a sequence user's folder is a whole agent data folder: the shared model and population
    # files are relative links, not copies
    for user in SEQUENCE_USERS:
        for fname in ("digits_mlp_int8.tflite", "population_test.bin", "population_replay.bin"):
            link = out / "users" / user / fname
            link.unlink(missing_ok=True)
            link.symlink_to(Path("..") / ".." / fname)

    summary = {"seed": args.seed, "accuracy": acc, "quantization": qinfo,
               "sizes": {k: len(v) for k, v in files.items()},
               "counts": {k: len(v) for k, v in idx.items()}}
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Prepare the IMU task (issue 14): a smart-watch activity classifier and a rotated watch.

Source: BasicMotions (UEA multivariate archive), real smart-watch data shipped inside the PyPI
wheel of sktime 1.2.0: four students wore a watch while standing, walking, running and playing
badminton; 3-axis accelerometer (m/s^2, gravity removed) and 3-axis gyroscope (rad/s) at 10 Hz,
100 frames per case; 40 TRAIN and 40 TEST cases, 10 per class each.

Population task: 2 s windows (20 frames x 6 channels) of the watch as worn by the students.
New user / physical shift: the same motions from a watch worn turned on its strap, rotated by
ROTATION_DEG about its z axis (the axis out of the watch face). A rigid rotation acts on the
accelerometer and the gyroscope alike: (x, y) -> (cos a x + sin a y, -sin a x + cos a y), z kept.

Writes into --out (default data/imu-watch/, see its README.md):
  imu_mlp_int8.tflite      120-32-4 MLP, fully int8 (tools/tflite_writer.py)
  mlp_float.npz            float32 weights (real input = raw m/s^2 and rad/s, frame-major)
  population_test.bin      SAMPLES.bin (uint8 label + 120 int8), unrotated windows of the user-test cases
  population_replay.bin    SAMPLES.bin, 10 windows per class from population train
  user_pool.bin            SAMPLES.bin, rotated windows of TEST cases 0-4 of each class
  user_test.bin            SAMPLES.bin, rotated windows of TEST cases 5-9 of each class

    python tools/imu-data/prepare.py [--source DIR_WITH_TS_FILES] [--out DIR]

Without --source it fetches the sktime wheel with `pip download` (no install) into a temporary
directory. Needs only numpy, flatbuffers and tflite-micro (the project's .venv). Deterministic:
running twice gives byte-identical files.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tools" / "demo-data"))
sys.path.insert(0, str(ROOT / "data" / "basicmotions"))
import tflite_writer  # noqa: E402,F401  (prepare.write_tflite uses it)
from make_recording import parse_ts  # noqa: E402  (the .ts reader of data/basicmotions)
from prepare import (activation_qparams, int8_predict, mlp_int8_model, npz, quantize_input,  # noqa: E402
                     relu, samples_bin, softmax)

SEED = 2026
CLASSES = ["Standing", "Walking", "Running", "Badminton"]
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
WINDOW = 20        # frames: 2 s at 10 Hz
STRIDE_TRAIN = 5   # overlapping windows of a case (never across cases)
STRIDE_EVAL = 10
HIDDEN = 32
INPUTS = WINDOW * len(CHANNELS)
ROTATION_DEG = 90.0
USER_POOL_CASES = 5  # of the 10 TEST cases per class; the other 5 are the user's test
REPLAY_PER_CLASS = 10
MAX_INT8_LOSS = 0.03
WHEEL = "sktime==1.2.0"
MEMBER = "sktime/datasets/data/BasicMotions/BasicMotions_{}.ts"


def read_sources(source: Path | None) -> dict[str, str]:
    if source is not None:
        return {s: (source / f"BasicMotions_{s}.ts").read_text() for s in ("TRAIN", "TEST")}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("sktime-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return {s: z.read(MEMBER.format(s)).decode() for s in ("TRAIN", "TEST")}


def rotate(frames: np.ndarray, deg: float) -> np.ndarray:
    """The watch turned by deg about its z axis: both sensors' x/y rotate together (float64)."""
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    out = frames.copy()
    for base in (0, 3):  # accelerometer, gyroscope
        x, y = frames[..., base], frames[..., base + 1]
        out[..., base], out[..., base + 1] = c * x + s * y, -s * x + c * y
    return out


def windows(cases: list[np.ndarray], labels: list[int], stride: int) -> tuple[np.ndarray, np.ndarray]:
    """cases: (100, 6) frame-major arrays. Windows are flattened frame-major: [t0 ch0..5, t1 ...]."""
    xs, ys = [], []
    for series, lab in zip(cases, labels):
        for s in range(0, series.shape[0] - WINDOW + 1, stride):
            xs.append(series[s:s + WINDOW].reshape(-1))
            ys.append(lab)
    return np.array(xs), np.array(ys, dtype=np.int64)


def train_mlp(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, scale: float,
              epochs: int = 200, lr: float = 0.02, momentum: float = 0.9,
              weight_decay: float = 1e-3, batch: int = 32) -> list[np.ndarray]:
    """Minibatch SGD with momentum on softmax cross-entropy, inputs divided by `scale` for
    conditioning (folded back into W1 by the caller)."""
    x = x / scale
    w1 = rng.normal(0.0, np.sqrt(2.0 / INPUTS), (HIDDEN, INPUTS))
    b1 = np.zeros(HIDDEN)
    w2 = rng.normal(0.0, np.sqrt(1.0 / HIDDEN), (len(CLASSES), HIDDEN))
    b2 = np.zeros(len(CLASSES))
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    onehot = np.eye(len(CLASSES))[y]
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
    w1, b1, w2, b2 = params
    return [w1 / scale, b1, w2, b2]


def float_logits(p: dict[str, np.ndarray], raw: np.ndarray) -> np.ndarray:
    h = relu(raw @ p["w1"].astype(np.float64).T + p["b1"])
    return h @ p["w2"].astype(np.float64).T + p["b2"]


def build_int8_model(p: dict[str, np.ndarray], calib: np.ndarray) -> tuple[bytes, dict]:
    s_in, zp_in = activation_qparams(float(calib.min()), float(calib.max()))
    return mlp_int8_model(p, calib, s_in, zp_in, "edge-peft tools/imu-data/prepare.py BasicMotions 120-32-4")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, help="directory holding BasicMotions_TRAIN.ts and _TEST.ts")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "imu-watch")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--rotation", type=float, default=ROTATION_DEG)
    args = ap.parse_args()

    text = read_sources(args.source)
    split = {s: parse_ts(t) for s, t in text.items()}
    cls = {name: i for i, name in enumerate(CLASSES)}
    train_cases = [s.T for _, s in split["TRAIN"]]
    train_labels = [cls[lab] for lab, _ in split["TRAIN"]]
    # TEST cases of each class in file order: the first USER_POOL_CASES are the user's pool, the rest the user's test
    pool_cases, pool_labels, test_cases, test_labels = [], [], [], []
    seen = {c: 0 for c in CLASSES}
    for lab, s in split["TEST"]:
        k = seen[lab]
        seen[lab] += 1
        (pool_cases if k < USER_POOL_CASES else test_cases).append(s.T)
        (pool_labels if k < USER_POOL_CASES else test_labels).append(cls[lab])

    rng = np.random.default_rng(args.seed)
    x_tr, y_tr = windows(train_cases, train_labels, STRIDE_TRAIN)
    scale = float(np.abs(x_tr).max())
    w1, b1, w2, b2 = train_mlp(x_tr, y_tr, rng, scale)
    p = {"w1": w1.astype(np.float32), "b1": b1.astype(np.float32), "w2": w2.astype(np.float32), "b2": b2.astype(np.float32)}
    model, qinfo = build_int8_model(p, x_tr)
    s_in, zp_in = np.float32(qinfo["input"]["scale"]), qinfo["input"]["zero_point"]

    rot = lambda cases: [rotate(c, args.rotation) for c in cases]  # noqa: E731
    sets = {
        "pop_train": (x_tr, y_tr),
        "pop_test": windows(test_cases, test_labels, STRIDE_EVAL),
        "user_pool": windows(rot(pool_cases), pool_labels, STRIDE_TRAIN),
        "user_test": windows(rot(test_cases), test_labels, STRIDE_EVAL),
    }
    # the user's pool in a seeded random order (a stream would see whole cases; the SAMPLES
    # order is what `train` cycles through)
    order = rng.permutation(len(sets["user_pool"][1]))
    sets["user_pool"] = (sets["user_pool"][0][order], sets["user_pool"][1][order])
    replay = np.concatenate([rng.permutation(np.flatnonzero(y_tr == c))[:REPLAY_PER_CLASS] for c in range(len(CLASSES))])
    replay = rng.permutation(replay)
    sets["pop_replay"] = (x_tr[replay], y_tr[replay])

    acc: dict[str, dict[str, float]] = {}
    for name, (x, y) in sets.items():
        acc[name] = {"float": float((float_logits(p, x).argmax(1) == y).mean()),
                     "int8": float((int8_predict(model, quantize_input(x, s_in, zp_in)) == y).mean())}
        print(f"{name:10s} n={len(y):4d}  float {acc[name]['float']:.4f}  int8 (tflite-micro) {acc[name]['int8']:.4f}")
    if acc["pop_test"]["float"] - acc["pop_test"]["int8"] > MAX_INT8_LOSS:
        print("int8 model loses more than 3 points on population test", file=sys.stderr)
        return 1

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "imu_mlp_int8.tflite": model,
        "mlp_float.npz": npz({**p, "input_scale": np.array(s_in, np.float32), "input_zero_point": np.array(zp_in, np.int32)}),
    }
    for fname, key in (("population_test.bin", "pop_test"), ("population_replay.bin", "pop_replay"),
                       ("user_pool.bin", "user_pool"), ("user_test.bin", "user_test")):
        x, y = sets[key]
        files[fname] = samples_bin(y, quantize_input(x, s_in, zp_in))
    # what a reuser needs without re-running this script (forgetting experiments, other shifts)
    meta = {"source": f"BasicMotions_TRAIN.ts / _TEST.ts from PyPI {WHEEL} (UEA archive)", "seed": args.seed,
            "classes": CLASSES, "channels": CHANNELS, "rateHz": 10, "windowFrames": WINDOW,
            "strideTrain": STRIDE_TRAIN, "strideEval": STRIDE_EVAL, "inputLayout": "frame-major [t][channel]",
            "shift": {"kind": "rotation about the watch z axis, accelerometer and gyroscope", "degrees": args.rotation},
            "userPoolCases": "TEST cases 0-4 of each class (file order)", "userTestCases": "TEST cases 5-9 of each class",
            "input": {"scale": float(s_in), "zeroPoint": int(zp_in)},
            "counts": {k: int(len(v[1])) for k, v in sets.items()},
            "accuracy": {k: {"float": round(v["float"], 4), "int8": round(v["int8"], 4)} for k, v in acc.items()}}
    files["meta.json"] = (json.dumps(meta, indent=1) + "\n").encode()
    for fname, data in files.items():
        (out / fname).write_bytes(data)
        print(f"wrote {fname:24s} {len(data):6d} bytes")
    summary = {"quantization": qinfo, "sizes": {k: len(v) for k, v in files.items()}}
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

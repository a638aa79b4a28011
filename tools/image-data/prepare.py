#!/usr/bin/env python3
"""The image task for the agent (issue 12 item 1): the demo's digits seen by another camera.

Source: scikit-learn's bundled digits (sklearn/datasets/data/digits.csv.gz inside the PyPI wheel
of scikit-learn 1.9.1, read without installing it): 1,797 real 8x8 handwritten digits, 0..16.
The original task, its base model and its population files are the demo's (data/demo, made by
tools/demo-data/prepare.py with seed 2024); this script reproduces the demo's split from the raw
digits, checks it against data/demo's files byte for byte, and writes only the new user's files.

Physical shift, "a cheaper camera": an out-of-focus lens (3x3 binomial blur, [1 2 1]/4 each
way, edges replicated), flare washing the image out (contrast x GAIN, + OFFSET levels of stray
light) and sensor read noise (Gaussian, NOISE levels), read out by the same 0..16 ADC (rounded
half to even by numpy.rint, clipped): camera(x) = clip(rint(GAIN * blur(x) + OFFSET + n), 0, 16).

Writes into --out (default data/digits-camera/, see its README.md):
  user_pool.bin            SAMPLES.bin, the demo's 240 user-pool digits through the camera
  user_test.bin            SAMPLES.bin, the demo's 240 user-test digits through the camera
  user_stream.epr          EPR1, 64 uint8 channels (the camera's 0..16 readings), 2 Hz, the pool
  user_stream_labels.bin   one uint8 label per stream frame
  meta.json                the shift, seeds, counts, int8 accuracies (tflite-micro)
and relative links to data/demo's digits_mlp_int8.tflite, population_test.bin, population_replay.bin.

    .venv/bin/python tools/image-data/prepare.py [--source DIR_WITH_digits.csv.gz] [--out DIR]

Without --source it fetches the scikit-learn wheel with `pip download --no-deps` (no install).
Deterministic: running twice gives byte-identical files.
"""
from __future__ import annotations

import argparse
import gzip
import io
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
from prepare import SEED, epr1, int8_predict, quantize_input, samples_bin, split, user_transform  # noqa: E402

WHEEL = "scikit-learn==1.9.1"  # tools/demo-data/requirements.txt's pin
MEMBER = "sklearn/datasets/data/digits.csv.gz"
GAIN, OFFSET, NOISE = 0.5, 4.0, 1.0
NOISE_SEED = 2612  # its own stream: the demo's seed-2024 stream is only used to reproduce the split
STREAM_RATE_HZ = 2
SHARED = ("digits_mlp_int8.tflite", "population_test.bin", "population_replay.bin")


def read_digits(source: Path | None) -> tuple[np.ndarray, np.ndarray]:
    if source is not None:
        blob = (source / "digits.csv.gz").read_bytes()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d", tmp], check=True)
            with zipfile.ZipFile(next(Path(tmp).glob("scikit_learn-*.whl"))) as z:
                blob = z.read(MEMBER)
    d = np.loadtxt(io.BytesIO(gzip.decompress(blob)), delimiter=",")  # as sklearn's load_digits
    return d[:, :-1], d[:, -1].astype(np.int64)


def blur(raw: np.ndarray) -> np.ndarray:
    """Defocus: separable [1 2 1]/4 binomial kernel over the 8x8 image, edges replicated."""
    img = np.pad(raw.reshape(-1, 8, 8), ((0, 0), (1, 1), (1, 1)), mode="edge")
    h = 0.25 * img[:, :, :-2] + 0.5 * img[:, :, 1:-1] + 0.25 * img[:, :, 2:]
    return (0.25 * h[:, :-2] + 0.5 * h[:, 1:-1] + 0.25 * h[:, 2:]).reshape(-1, 64)


def camera(raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = GAIN * blur(raw) + OFFSET + rng.normal(0.0, NOISE, raw.shape)
    return np.clip(np.rint(x), 0, 16)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, help="directory holding sklearn's digits.csv.gz")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "digits-camera")
    ap.add_argument("--demo", type=Path, default=ROOT / "data" / "demo")
    args = ap.parse_args()

    raw, y = read_digits(args.source)
    idx = split(y, np.random.default_rng(SEED))  # the demo's first draws: its split
    model = (args.demo / "digits_mlp_int8.tflite").read_bytes()
    f = np.load(args.demo / "mlp_float.npz")
    s_in, zp_in = np.float32(f["input_scale"]), int(f["input_zero_point"])
    rec = lambda key, x: samples_bin(y[idx[key]], quantize_input(x, s_in, zp_in))  # noqa: E731
    # the same digits as the demo: its population files and its (shifted-pad) user test, byte for byte
    for fname, key, x in (("population_test.bin", "pop_test", raw[idx["pop_test"]]),
                          ("population_replay.bin", "pop_replay", raw[idx["pop_replay"]]),
                          ("user_test.bin", "user_test", user_transform(raw[idx["user_test"]]))):
        if (args.demo / fname).read_bytes() != rec(key, x):
            print(f"{args.demo / fname}: not reproduced from the raw digits (another split?)", file=sys.stderr)
            return 1

    rng = np.random.default_rng(NOISE_SEED)
    cam = {key: camera(raw[idx[key]], rng) for key in ("user_pool", "user_test")}
    acc = {}
    for key, x in (("pop_test", raw[idx["pop_test"]]), ("user_pool", cam["user_pool"]), ("user_test", cam["user_test"])):
        acc[key] = round(float((int8_predict(model, quantize_input(x, s_in, zp_in)) == y[idx[key]]).mean()), 4)
        print(f"{key:10s} n={len(idx[key]):4d}  int8 (tflite-micro) {acc[key]:.4f}")

    files = {"user_pool.bin": rec("user_pool", cam["user_pool"]), "user_test.bin": rec("user_test", cam["user_test"]),
             "user_stream.epr": epr1(cam["user_pool"].astype(np.uint8), STREAM_RATE_HZ),
             "user_stream_labels.bin": y[idx["user_pool"]].astype(np.uint8).tobytes()}
    meta = {"source": f"{MEMBER} from PyPI {WHEEL}", "split": f"data/demo's (tools/demo-data/prepare.py, seed {SEED})",
            "shift": {"kind": "defocus (3x3 [1 2 1]/4 blur) + flare (contrast x gain + offset) + read noise, 0..16 ADC",
                      "gain": GAIN, "offset": OFFSET, "noiseSigma": NOISE, "noiseSeed": NOISE_SEED},
            "input": {"scale": float(s_in), "zeroPoint": zp_in},
            "counts": {k: int(len(idx[k])) for k in ("pop_test", "pop_replay", "user_pool", "user_test")},
            "first50_per_class": np.bincount(y[idx["user_pool"]][:50], minlength=10).tolist(),
            "accuracyInt8": acc}
    files["meta.json"] = (json.dumps(meta, indent=1) + "\n").encode()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        (out / fname).write_bytes(data)
        print(f"wrote {fname:24s} {len(data):6d} bytes")
    for fname in SHARED:  # the original task is the demo's: links, not copies
        link = out / fname
        link.unlink(missing_ok=True)
        link.symlink_to(Path("..") / "demo" / fname)
    return 0


if __name__ == "__main__":
    sys.exit(main())

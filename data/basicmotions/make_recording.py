"""Derive the minimal pipeline's recording from BasicMotions (real smart-watch IMU data).

BasicMotions (UEA multivariate time-series archive) is shipped inside the PyPI package sktime
(sktime/datasets/data/BasicMotions/BasicMotions_TRAIN.ts): four students wore a smart watch
while standing, walking, running and playing badminton; 3-axis accelerometer and 3-axis
gyroscope sampled at 10 Hz for 10 s per case.

This takes the first training case of each class, in the order standing, walking, running,
badminton, and writes them back to back as one EPR1 recording (6 float32 channels, 10 Hz,
400 frames) plus window-means.json: the float64 mean of each channel over each 100-frame case,
computed here with numpy from the float32 samples, the oracle of the pipeline test.

    python make_recording.py [path/to/BasicMotions_TRAIN.ts]

Without a path it fetches the sktime wheel with `pip download` (no install) and reads the file
from it.
"""
import io
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "sktime/datasets/data/BasicMotions/BasicMotions_TRAIN.ts"
ORDER = ["Standing", "Walking", "Running", "Badminton"]
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
RATE_HZ = 10
HERE = Path(__file__).resolve().parent


def read_source(argv):
    if len(argv) > 1:
        return Path(argv[1]).read_text()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "sktime==1.2.0", "--no-deps",
                        "-q", "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("sktime-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return z.read(MEMBER).decode()


def parse_ts(text):
    cases = []
    data = False
    for line in io.StringIO(text):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            data = True
            continue
        if not data:
            continue
        *dims, label = line.split(":")
        series = np.array([[float(v) for v in d.split(",")] for d in dims])  # (6, 100)
        cases.append((label, series))
    return cases


def main(argv):
    cases = parse_ts(read_source(argv))
    chosen = [next(s for lab, s in cases if lab == name) for name in ORDER]
    frames = np.concatenate([s.T for s in chosen]).astype("<f4")  # (400, 6) frame-major
    header = b"EPR1" + struct.pack("<HHII", len(CHANNELS), 4, RATE_HZ, frames.shape[0])
    (HERE / "basicmotions.epr1").write_bytes(header + frames.tobytes())
    per_case = frames.astype(np.float64).reshape(len(ORDER), -1, len(CHANNELS)).mean(axis=1)
    meta = {
        "source": "BasicMotions_TRAIN.ts from PyPI sktime 1.2.0 (UEA archive)",
        "classes": ORDER,
        "channels": CHANNELS,
        "rateHz": RATE_HZ,
        "framesPerCase": 100,
        "windowMeans": per_case.tolist(),
        "overallMean": frames.astype(np.float64).mean(axis=0).tolist(),
    }
    (HERE / "window-means.json").write_text(json.dumps(meta, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv)

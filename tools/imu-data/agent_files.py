#!/usr/bin/env python3
"""The agent's files for data/imu-watch (issue 12 item 1), made from that folder's existing files.

`targets/sim.ts --agent DIR` reads, besides the model, user_test.bin, population_test.bin and
population_replay.bin (all present), a user stream recording and its labels:

  user_stream.epr          EPR1, 120 float32 channels (one 2 s window of 20 frames x 6 channels,
                           frame-major, m/s^2 and rad/s), 2 Hz (the pool's training windows start
                           every 5 frames of a 10 Hz watch), 340 frames: user_pool.bin's records in
                           their order
  user_stream_labels.bin   one uint8 label per stream frame (user_pool.bin's labels)

The pool's raw windows are not in data/imu-watch (prepare.py keeps only the quantised records),
so each stream frame is its record dequantised, x = float32((q - zp) * s) with the model's input
scale and zero point: real values on the quantisation grid, which the firmware's features stage
(quantizeToInt8, round half away from zero) turns back into exactly the record's input; this
script checks that for every value. Nothing here reads or writes the folder's other files.

  .venv/bin/python tools/imu-data/agent_files.py [--dir data/imu-watch]
"""
import argparse
import json
import struct
from pathlib import Path

import numpy as np

INPUT = 120
RATE_HZ = 2  # stride 5 frames at 10 Hz (meta.json: rateHz, strideTrain)
FLOAT32 = 4  # EPR1 sample type


def read_samples(path: Path):
    raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if raw.size % (INPUT + 1):
        raise SystemExit(f"{path}: not {INPUT + 1}-byte records")
    rec = raw.reshape(-1, INPUT + 1)
    return rec[:, 0].copy(), rec[:, 1:].view(np.int8).astype(np.int64)


def round_half_away(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, -np.floor(-x + 0.5), np.floor(x + 0.5))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="data/imu-watch")
    d = Path(ap.parse_args().dir)
    meta = json.loads((d / "meta.json").read_text())
    if meta["rateHz"] * 1.0 / meta["strideTrain"] != RATE_HZ:
        raise SystemExit("meta.json: stream rate differs from 2 Hz")
    scale = float(np.float32(meta["input"]["scale"]))  # the model's float32 scale, as the engine reports it
    zp = int(meta["input"]["zeroPoint"])
    labels, q = read_samples(d / "user_pool.bin")
    frames = ((q - zp) * scale).astype(np.float32)
    # the firmware's quantizeToInt8: q = clamp(round_half_away(x / s) + zp), x / s in double
    back = np.clip(round_half_away(frames.astype(np.float64) / scale) + zp, -128, 127)
    if not np.array_equal(back, q):
        raise SystemExit("dequantised stream does not quantise back to user_pool.bin")
    header = b"EPR1" + struct.pack("<HHII", INPUT, FLOAT32, RATE_HZ, len(frames))
    (d / "user_stream.epr").write_bytes(header + frames.astype("<f4").tobytes())
    (d / "user_stream_labels.bin").write_bytes(labels.astype(np.uint8).tobytes())
    print(json.dumps({"frames": int(len(frames)), "channels": INPUT, "rateHz": RATE_HZ,
                      "stream_bytes": 16 + frames.size * 4, "labels_bytes": int(labels.size),
                      "first50_per_class": np.bincount(labels[:50], minlength=4).tolist()}))


if __name__ == "__main__":
    main()

"""SAMPLES.bin sets for person_detect built from the two real 96x96 grayscale images in
../shared/models/inputs (person.bmp, no_person.bmp) by seeded augmentation.

Only two real photographs exist, so every sample is an augmentation of one of them: a
horizontal flip, a circular-free shift (edge-replicated) of up to +-`shift` pixels, and a
domain transform for the "new camera": pixel' = gain * pixel + offset plus Gaussian sensor
noise. Labels follow TFLM's person_detection (0 = no person, 1 = person). The int8 input is
pixel - 128 (zero point -128), as TFLM's person_detection example feeds it.

Usage: person_data.py OUT.bin -n N --seed S [--gain G --offset O --noise SIGMA --shift K]
"""
import argparse

import numpy as np


def read_bmp8(path):
    raw = open(path, "rb").read()
    off = int.from_bytes(raw[10:14], "little")
    w = int.from_bytes(raw[18:22], "little", signed=True)
    h = int.from_bytes(raw[22:26], "little", signed=True)
    pal = np.frombuffer(raw, np.uint8, 1024, 54).reshape(256, 4)[:, :3].mean(axis=1)
    stride = (w + 3) & ~3
    img = np.frombuffer(raw, np.uint8, stride * abs(h), off).reshape(abs(h), stride)[:, :w]
    if h > 0:  # bottom-up rows
        img = img[::-1]
    return pal[img]  # grey levels 0..255, float


def augment(img, rng, gain, offset, noise, shift):
    x = img[:, ::-1] if rng.integers(2) else img
    dy, dx = rng.integers(-shift, shift + 1, size=2)
    x = np.pad(x, shift, mode="edge")[shift + dy: shift + dy + 96, shift + dx: shift + dx + 96]
    x = gain * x + offset + rng.normal(0.0, noise, size=x.shape)
    return np.clip(np.rint(x), 0, 255).astype(np.int64) - 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gain", type=float, default=1.0)
    ap.add_argument("--offset", type=float, default=0.0)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--shift", type=int, default=4)
    ap.add_argument("--images", default=None, help="directory of person.bmp / no_person.bmp")
    a = ap.parse_args()
    import os
    d = a.images or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "models", "inputs")
    imgs = [read_bmp8(os.path.join(d, "no_person.bmp")), read_bmp8(os.path.join(d, "person.bmp"))]
    rng = np.random.default_rng(a.seed)
    recs = []
    for i in range(a.n):
        label = i % 2
        x = augment(imgs[label], rng, a.gain, a.offset, a.noise, a.shift)
        recs.append(np.concatenate([[label], x.reshape(-1).astype(np.int8).view(np.uint8)]).astype(np.uint8))
    np.stack(recs).tofile(a.out)


if __name__ == "__main__":
    main()

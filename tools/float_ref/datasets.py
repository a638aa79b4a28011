"""Seeded synthetic SAMPLES.bin sets for trainer tests and benches.

SAMPLES.bin: records of a uint8 label followed by one int8 input tensor (the model's
input quantisation), back to back.

`prototypes`: a "new user" task for a frozen classifier: each class is a random input
pattern plus per-sample noise. The frozen model never saw these patterns, so its accuracy
starts near chance; an adapter on the head must learn the new input distribution.
`shift` applies a deterministic affine transform (gain, offset) to a data set, a
second-user/domain shift on top of the same classes.
"""
import argparse
import numpy as np


def prototypes(size, classes, n, seed, noise=24.0, lo=-128, hi=127, proto_seed=None):
    rng = np.random.default_rng(seed)
    prng = np.random.default_rng(seed if proto_seed is None else proto_seed)
    protos = prng.integers(lo, hi + 1, size=(classes, size)).astype(np.float64)
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    x = protos[labels] + rng.normal(0.0, noise, size=(n, size))
    x = np.clip(np.rint(x), -128, 127).astype(np.int8)
    return labels.astype(np.uint8), x


def shift(x, gain=0.8, offset=20.0):
    return np.clip(np.rint(x.astype(np.float64) * gain + offset), -128, 127).astype(np.int8)


def write(path, labels, x):
    with open(path, "wb") as f:
        for y, row in zip(labels, x):
            f.write(bytes([int(y)]))
            f.write(row.astype(np.int8).tobytes())


def read(path, size):
    raw = np.fromfile(path, dtype=np.uint8)
    rec = raw.reshape(-1, size + 1)
    return rec[:, 0].astype(np.int64), rec[:, 1:].view(np.int8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--proto-seed", type=int)
    ap.add_argument("--noise", type=float, default=24.0)
    ap.add_argument("--shift", action="store_true")
    a = ap.parse_args()
    y, x = prototypes(a.size, a.classes, a.n, a.seed, a.noise, proto_seed=a.proto_seed)
    if a.shift:
        x = shift(x)
    write(a.out, y, x)


if __name__ == "__main__":
    main()

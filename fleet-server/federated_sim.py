"""Federated LoRA on the digits demo with virtual devices (issue 10 item 5): each device holds
its own non-IID share of the new-user data (label skew from a Dirichlet split, and its own pad
gain on top of the fleet's one-column shift), trains locally from the round's global adapter
with the real integer trainer (`edge-peft train --init`), and sends what a device sends: the
update vector of the two EPAD images (firmware/fleet/adapter-delta.ts), encoded
(update_encoding.py) and, with DP, noised by its discrete Gaussian share (discrete_gaussian.py,
variance local_variance(z, c, n)). The server gets the sum mod 2^32, which is what
secagg.unmask returns for these encoded vectors (its tests prove the two equal), decodes the
weighted average (secagg.decode_average) and applies it (adapter_average.apply_average) with a
server learning rate. Epsilon per round from privacy.py's accountant for exactly these
parameters; the PrivacyBudget admits each round.

Centralised baseline: the same adapter trained by the same trainer on the union of the devices'
data. Accuracy: the global adapter on the held-out user_test.bin, each sample under the gain of
one device (cycled), so the test has the fleet's mix of shifts.

python fleet-server/federated_sim.py --json [--rounds R --devices N ...]  -> JSON result
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import struct
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import privacy  # noqa: E402
from adapter_average import apply_average, records  # noqa: E402
from discrete_gaussian import add_discrete_gaussian, local_variance  # noqa: E402
from secagg import MOD, decode_average  # noqa: E402
from update_encoding import encode_update  # noqa: E402

ROOT = os.path.dirname(HERE)
DEMO = os.path.join(ROOT, "data", "demo")
MODEL = os.path.join(DEMO, "digits_mlp_int8.tflite")
CLI = os.path.join(ROOT, "build", "bin", "edge-peft")
SPEC = "lora:rank=4,alpha=8,layers=0+bias:layers=0..1"
IN_SCALE = 16 / 255  # the model's input quantisation (data/demo/README.md): q = round(x / s) - 128


@dataclass
class Config:
    devices: int = 64
    rounds: int = 20
    local_steps: int = 80
    lr: float = 0.001
    server_lr: float = 3.0  # the average update is applied x this (FedAvg with a server step)
    server_momentum: float = 0.5  # FedAvgM: v = beta v + average, applied x server_lr (post-processing of the sum)
    clip: float = 0.1  # S, in the update's real units
    clip_steps: int = 1024  # c = S / gamma
    sample_cap: int = 10
    alpha: float = 0.5  # Dirichlet label skew
    noise_multiplier: float = 0.0  # z; 0 = no DP
    dp_clip: float = 0.05  # S for the DP run (--dp): below the median update norm, so the noise (prop. to S) is smaller
    dp_server_lr: float = 2.0  # server step for the DP run: momentum 0.5 at x3 amplifies the noise too
    min_survivors: int = 0  # t for the accounting; 0 = 90% of the devices
    delta: float = 1e-5
    epsilon_max: float = 8.0
    central_steps: int = 0  # 0: the best of a grid of (lr, steps), below
    seed: int = 7


def read_samples(path: str) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 65)
    return raw[:, 0].copy(), raw[:, 1:].view(np.int8).copy()


def write_samples(path: str, labels: np.ndarray, x: np.ndarray) -> None:
    out = np.empty((len(labels), 65), dtype=np.uint8)
    out[:, 0] = labels
    out[:, 1:] = x.view(np.uint8)
    out.tofile(path)


def shift_right(x: np.ndarray) -> np.ndarray:
    """The fleet's mounting: one column to the right, column 0 reads 0 (int8 -128)."""
    img = x.reshape(-1, 8, 8)
    out = np.full_like(img, -128)
    out[:, :, 1:] = img[:, :, :-1]
    return out.reshape(-1, 64)


def gain(x: np.ndarray, g: float) -> np.ndarray:
    """A pad of sensitivity g: raw intensity x g, saturating at 16, quantised as the firmware does."""
    raw = np.minimum(16.0, (x.astype(np.float64) + 128) * IN_SCALE * g)
    return np.clip(np.floor(raw / IN_SCALE + 0.5) - 128, -128, 127).astype(np.int8)


def demo_pool():
    """(labels, inputs): user_pool plus the population sets under the same shift (640 samples)."""
    parts = [read_samples(os.path.join(DEMO, "user_pool.bin"))]
    for f in ("population_test.bin", "population_replay.bin"):
        y, x = read_samples(os.path.join(DEMO, f))
        parts.append((y, shift_right(x)))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def split(cfg: Config):
    """(per-device (labels, inputs)), test (labels, inputs): the demo pool split by class with
    Dirichlet(alpha) shares."""
    rng = np.random.default_rng(cfg.seed)
    y, x = demo_pool()
    gains = rng.permutation(np.linspace(0.6, 1.4, cfg.devices))
    while True:
        owner = np.empty(len(y), dtype=np.int64)
        for c in range(10):
            idx = rng.permutation(np.flatnonzero(y == c))
            share = rng.dirichlet([cfg.alpha] * cfg.devices)
            cuts = (np.cumsum(share)[:-1] * len(idx)).astype(int)
            for d, chunk in enumerate(np.split(idx, cuts)):
                owner[chunk] = d
        if all((owner == d).any() for d in range(cfg.devices)):
            break
    devices = [(y[owner == d], gain(x[owner == d], gains[d])) for d in range(cfg.devices)]
    ty, tx = read_samples(os.path.join(DEMO, "user_test.bin"))
    tx = np.concatenate([gain(tx[i:i + 1], gains[i % cfg.devices]) for i in range(len(ty))])
    return devices, (ty, tx), gains


def run_cli(*args: str) -> dict:
    return json.loads(subprocess.run([CLI, *args, "--json"], check=True, capture_output=True, text=True).stdout)


def accuracy(adapter: str, test: str) -> float:
    return run_cli("eval", MODEL, "--data", test, "--adapter", adapter)["accuracy"]


def adapter_delta(base: bytes, trained: bytes) -> list[float]:
    """firmware/fleet/adapter-delta.ts: (trained - base) x unit per element, in record order."""
    out = []
    for (at, eb, n, unit), (at2, _, _, _) in zip(records(base), records(trained)):
        fmt = f"<{n}{ {1: 'b', 2: 'h', 4: 'i'}[eb]}"
        a, b = struct.unpack_from(fmt, base, at), struct.unpack_from(fmt, trained, at2)
        out += [(t - s) * unit for s, t in zip(a, b)]
    return out


def accountant(cfg: Config, dimension: int) -> privacy.RoundAccountant:
    t = cfg.min_survivors or max(1, (9 * cfg.devices) // 10)
    noise = privacy.DiscreteNoise(clip_steps=cfg.clip_steps, dimension=dimension, devices=cfg.devices, min_survivors=t)
    return privacy.RoundAccountant(cfg.noise_multiplier, 1.0, cfg.delta, noise)


def smallest_multiplier(cfg: Config, dimension: int) -> float:
    """The least z (to 0.01) whose run of cfg.rounds rounds stays within epsilon_max (PLD)."""
    lo, hi = 0.1, 50.0
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        c = Config(**{**asdict(cfg), "noise_multiplier": mid})
        lo, hi = (lo, mid) if accountant(c, dimension).epsilon_pld(cfg.rounds) <= cfg.epsilon_max else (mid, hi)
    return round(hi + 0.005, 2)


def federated(cfg: Config, work: str, devices, test_path: str, init: str) -> dict:
    rng = random.Random(cfg.seed * 7919 + int(cfg.noise_multiplier * 1000))
    paths = []
    for d, (y, x) in enumerate(devices):
        paths.append(os.path.join(work, f"dev{d}.bin"))
        write_samples(paths[-1], y, x)
    with open(init, "rb") as f:
        glob = f.read()
    dim = len(adapter_delta(glob, glob))
    step = cfg.clip / cfg.clip_steps
    dp = cfg.noise_multiplier > 0
    budget = privacy.PrivacyBudget(accountant(cfg, dim), cfg.epsilon_max) if dp else None
    variance = local_variance(cfg.noise_multiplier, cfg.clip_steps, cfg.devices) if dp else None
    gpath = os.path.join(work, "global.bin")
    with open(gpath, "wb") as f:
        f.write(glob)
    rows = [{"round": 0, "accuracy": accuracy(gpath, test_path), "epsilon_pld": 0.0, "epsilon_rdp": 0.0}]
    clipped = 0
    norms: list[float] = []
    velocity = [0.0] * dim
    for r in range(1, cfg.rounds + 1):
        eps = budget.admit_round() if budget else None
        if budget and eps is None:
            break
        total = [0] * (dim + 1)
        for d, path in enumerate(paths):
            out = os.path.join(work, f"dev{d}.out")
            run_cli("train", MODEL, "--data", path, "--adapter", SPEC, "--steps", str(cfg.local_steps), "--seed", str(r * 1000 + d),
                    "--lr", str(cfg.lr), "--init", gpath, "--out", out)
            with open(out, "rb") as f:
                values = adapter_delta(glob, f.read())
            n = len(devices[d][0])
            w = min(n, cfg.sample_cap) / cfg.sample_cap
            norms.append(sum(v * v for v in values) ** 0.5 * w)
            clipped += norms[-1] > cfg.clip
            enc = encode_update(values, n, cfg.clip, step, cfg.sample_cap, rng.randbytes(4 * dim))
            if variance is not None:
                enc = add_discrete_gaussian(rng.randbytes, enc, variance)
            total = [(a + b) % MOD for a, b in zip(total, enc)]
        average, _ = decode_average(total, step, cfg.sample_cap)
        velocity = [cfg.server_momentum * v + a for v, a in zip(velocity, average)]
        glob = apply_average(glob, [cfg.server_lr * v for v in velocity])
        with open(gpath, "wb") as f:
            f.write(glob)
        rows.append({"round": r, "accuracy": accuracy(gpath, test_path),
                     "epsilon_pld": eps.pld if eps else 0.0, "epsilon_rdp": eps.rdp if eps else 0.0})
    return {"rows": rows, "dimension": dim, "clipped_fraction": clipped / max(1, cfg.devices * (len(rows) - 1)),
            "update_norms": [float(q) for q in np.quantile(norms, [0.1, 0.5, 0.9])] if norms else [],
            "local_variance": str(variance) if variance is not None else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k, v in asdict(Config()).items():
        p.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    p.add_argument("--dp", action="store_true", help="also a DP run at the smallest z within epsilon-max")
    p.add_argument("--json", action="store_true")
    args = vars(p.parse_args(argv))
    want_dp, _ = args.pop("dp"), args.pop("json")
    cfg = Config(**args)
    logging.getLogger("absl").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as work:
        devices, (ty, tx), gains = split(cfg)
        test_path = os.path.join(work, "test.bin")
        write_samples(test_path, ty, tx)
        union = os.path.join(work, "union.bin")
        write_samples(union, np.concatenate([d[0] for d in devices]), np.concatenate([d[1] for d in devices]))
        init = os.path.join(work, "init.bin")
        run_cli("train", MODEL, "--data", union, "--adapter", SPEC, "--steps", "0", "--seed", str(cfg.seed), "--out", init)
        central = os.path.join(work, "central.bin")
        # the centralised reference at its best: a small grid, scored on the test set itself
        # (optimistic for it, so the federated fraction of its gain is if anything understated)
        grid = [(cfg.lr, cfg.central_steps)] if cfg.central_steps else [(lr, st) for lr in (0.0005, 0.001) for st in (6000, 12000, 24000)]
        best = None
        for lr, st in grid:
            run_cli("train", MODEL, "--data", union, "--adapter", SPEC, "--steps", str(st), "--seed", str(cfg.seed),
                    "--lr", str(lr), "--init", init, "--out", central)
            acc = accuracy(central, test_path)
            if best is None or acc > best[0]:
                best = (acc, lr, st)
        out = {"config": asdict(cfg), "samples": [int(len(d[0])) for d in devices], "gains": [float(g) for g in gains],
               "base_accuracy": accuracy(init, test_path), "central_accuracy": best[0],
               "central": {"lr": best[1], "steps": best[2], "samples": int(sum(len(d[0]) for d in devices))},
               "no_dp": federated(Config(**{**asdict(cfg), "noise_multiplier": 0.0}), work, devices, test_path, init)}
        if want_dp:
            cfg = Config(**{**asdict(cfg), "clip": cfg.dp_clip, "server_lr": cfg.dp_server_lr})
            z = cfg.noise_multiplier or smallest_multiplier(cfg, out["no_dp"]["dimension"])
            dpc = Config(**{**asdict(cfg), "noise_multiplier": z})
            out["dp"] = federated(dpc, work, devices, test_path, init)
            out["dp"]["noise_multiplier"] = z
            out["dp"]["clip"], out["dp"]["server_lr"] = dpc.clip, dpc.server_lr
            acc = accountant(dpc, out["no_dp"]["dimension"])
            out["dp"]["effective_multiplier"] = acc.effective_multiplier
            out["dp"]["min_survivors"] = dpc.min_survivors or max(1, (9 * cfg.devices) // 10)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

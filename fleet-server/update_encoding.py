"""The devices' update encoding (firmware/fleet/update-encoding.ts) in Python, operation for
operation in IEEE doubles, so a host can emulate devices (virtual fleets, Flower's Simulation
Engine) and the tests can hold the firmware to it: clip to L2 <= S, weight w = min(n, cap) / cap,
stochastic rounding onto the grid of step gamma into Z_2^32, then the weight word min(n, cap).
`coins` are the 4 bytes per value the device draws from its generator (little-endian uint32).
"""
from __future__ import annotations

import math

MOD = 1 << 32


def encode_update(values: list[float], samples: int, clip: float, step: float, sample_cap: int, coins: bytes) -> list[int]:
    if len(coins) < 4 * len(values):
        raise ValueError(f"{len(coins)} coin bytes for {len(values)} values")
    sq = 0.0
    for x in values:
        sq += x * x
    norm = math.sqrt(sq)
    weight = min(samples, sample_cap)
    # The same association as the firmware: ((clip factor) * (weight / cap)) / step.
    scale = ((clip / norm if norm > clip else 1.0) * (weight / sample_cap)) / step
    out = []
    for k, x in enumerate(values):
        v = x * scale
        f = math.floor(v)
        u = int.from_bytes(coins[4 * k:4 * k + 4], "little")
        out.append((f + (1 if u < (v - f) * 4294967296 else 0)) % MOD)
    out.append(weight)
    return out

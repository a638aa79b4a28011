"""The devices' update encoding (firmware/fleet/update-encoding.ts) in Python, operation for
operation in IEEE doubles, so a host can emulate devices (virtual fleets, Flower's Simulation
Engine) and the tests can hold the firmware to it: weight w = min(n, cap) / cap, clip the
weighted update to L2 <= S, stochastic rounding onto the grid of step gamma into Z_2^32, then
the weight word min(n, cap).
`coins` are the 4 bytes per value the device draws from its generator (little-endian uint32).
"""
from __future__ import annotations

import math

MOD = 1 << 32


def encode_update(values: list[float], samples: int, clip: float, step: float, sample_cap: int, coins: bytes) -> list[int]:
    if len(coins) < 4 * len(values):
        raise ValueError(f"{len(coins)} coin bytes for {len(values)} values")
    w = min(samples, sample_cap) / sample_cap
    sq = 0.0
    for x in values:
        wx = x * w
        sq += wx * wx
    norm = math.sqrt(sq)
    clipped = clip / norm if norm > clip else 1.0
    out = []
    for k, x in enumerate(values):
        v = (x * w * clipped) / step  # the firmware's association
        f = math.floor(v)
        u = int.from_bytes(coins[4 * k:4 * k + 4], "little")
        out.append((f + (1 if u < (v - f) * 4294967296 else 0)) % MOD)
    out.append(min(samples, sample_cap))
    return out

"""FedAvg across cohorts: each cohort's unmasked sum (secagg.unmask) is the sum of its
survivors' encoded updates, each already weighted by its capped sample count and carrying
that weight in its last word; the cohort sums added mod 2^32 and decoded (secagg.decode_average)
are the sample-weighted average over the whole round, with no device's update in the clear."""
import math

MOD = 1 << 32


def add_mod(vectors: list[list[int]]) -> list[int]:
    if not vectors:
        raise ValueError("no vectors to add")
    n = len(vectors[0])
    if any(len(v) != n for v in vectors):
        raise ValueError("vectors of different lengths")
    return [sum(col) % MOD for col in zip(*vectors)]


def apply(global_elements: list[int], units: list[float], average: list[float]) -> list[int]:
    """The new global adapter's elements: old + the average (real units) / unit, rounded half
    away from zero (saturation to int8 is the image writer's)."""
    if not len(global_elements) == len(units) == len(average):
        raise ValueError("update and adapter differ in length")
    return [g + int(math.copysign(math.floor(abs(a / u) + 0.5), a)) for g, u, a in zip(global_elements, units, average)]

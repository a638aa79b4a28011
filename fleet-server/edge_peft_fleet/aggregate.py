"""Sums of masked uploads and FedAvg across cohorts. A cohort's masked vectors, added mod 2^32,
are its plain sum once every pairwise mask has cancelled (no device of the cohort missing);
each upload already carries its sample count n_i as the last word and n_i * clip(update) in
fixed point before it, so the total over cohorts divided by the total count is the
sample-weighted average (FedAvg) without any single device's update ever being in the clear."""
import math

MOD = 1 << 32


def add_mod(vectors: list[list[int]]) -> list[int]:
    if not vectors:
        raise ValueError("no vectors to add")
    n = len(vectors[0])
    if any(len(v) != n for v in vectors):
        raise ValueError("vectors of different lengths")
    return [sum(col) % MOD for col in zip(*vectors)]


def signed(word: int) -> int:
    return word - MOD if word >= 1 << 31 else word


def fedavg(cohort_sums: list[list[int]], fraction_bits: int) -> tuple[int, list[float]]:
    """(total sample count, the weighted average update in adapter view units)."""
    total = add_mod(cohort_sums)
    count = total[-1]
    if count == 0:
        raise ValueError("no samples in the round")
    scale = float(1 << fraction_bits) * count
    return count, [signed(w) / scale for w in total[:-1]]


def apply(global_elements: list[int], average: list[float]) -> list[int]:
    """The new global adapter's elements: old + the average rounded half away from zero
    (saturation to int8 is the image writer's)."""
    if len(global_elements) != len(average):
        raise ValueError("update and adapter differ in length")
    return [g + int(math.copysign(math.floor(abs(a) + 0.5), a)) for g, a in zip(global_elements, average)]


def neighbours(ids: list[str]) -> dict[str, list[str]]:
    """SecAgg+'s sparse graph: devices on a ring in id order, each joined to the ceil(log2 n) / 2
    nearest on either side (at least one), so every device masks with ~log n others."""
    ring = sorted(ids)
    n = len(ring)
    half = max(1, math.ceil(math.log2(n) / 2)) if n > 1 else 0
    out: dict[str, list[str]] = {}
    for i, ident in enumerate(ring):
        near = {ring[(i + d) % n] for k in range(1, half + 1) for d in (k, -k)} - {ident}
        out[ident] = sorted(near)
    return out

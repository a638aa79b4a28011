"""FedAvg across cohorts: each cohort's unmasked sum (secagg.unmask) is the sum of its
survivors' encoded updates, each already weighted by its capped sample count and carrying
that weight in its last word; the cohort sums added mod 2^32 and decoded (secagg.decode_average)
are the sample-weighted average over the whole round, with no device's update in the clear."""
MOD = 1 << 32


def add_mod(vectors: list[list[int]]) -> list[int]:
    if not vectors:
        raise ValueError("no vectors to add")
    n = len(vectors[0])
    if any(len(v) != n for v in vectors):
        raise ValueError("vectors of different lengths")
    return [sum(col) % MOD for col in zip(*vectors)]

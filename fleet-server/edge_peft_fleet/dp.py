"""Differential privacy of the Flower rounds (docs/fleet.md "Differential privacy"): the server
calibrates the devices' discrete Gaussian noise shares and accounts every round with
privacy.py (dp-accounting's RDP and PLD accountants).

Per cohort c of n_c devices asked, with Shamir threshold t_c, on the grid of C = S / gamma steps:
each device adds N_Z(0, ceil((z C)^2) / n_c) steps^2 (discrete_gaussian.local_variance), so a
cohort sum with all n_c devices surviving carries (z C)^2. A device that drops before its masked
vector takes its share with it: s survivors carry s / n_c of that variance. The accountant
counts only t_c survivors' noise, the fewest the server unmasks a cohort with, so the epsilon
printed holds for every dropout pattern the round survives (a round with fewer than t_c
survivors is not unmasked at all). The server sees each cohort's sum, and cohorts hold disjoint
devices: a device's epsilon is its cohort's, the run's the worst cohort's.

z is the run config's `noise-multiplier`, or else the least z (to 0.01) whose `dp-rounds`
rounds stay within `dp-epsilon` at `dp-delta` in the worst cohort (PLD, as the budget uses).
Every registered device is asked every round: sampling rate q = 1, no amplification assumed.
Rounds before `first-round` are counted as spent with the same noise (epsilon after round r is
the r-fold composition).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

import privacy  # noqa: E402  (fleet-server/privacy.py, at the app's root)
from discrete_gaussian import local_variance  # noqa: E402


@dataclass(frozen=True)
class CohortNoise:
    devices: int
    threshold: int
    variance: Fraction
    accountant: privacy.RoundAccountant


@dataclass(frozen=True)
class Plan:
    noise_multiplier: float
    delta: float
    epsilon_max: float
    clip_steps: int
    cohorts: dict[int, CohortNoise]

    def epsilon(self, rounds: int) -> tuple[float, float]:
        """(PLD, RDP) epsilon at delta after `rounds` rounds: the worst cohort's."""
        pld = max(c.accountant.epsilon_pld(rounds) for c in self.cohorts.values())
        rdp = max(c.accountant.epsilon_rdp(rounds) for c in self.cohorts.values())
        return pld, rdp

    def admit(self, round_: int) -> Optional[tuple[float, float]]:
        """(PLD, RDP) epsilon after round `round_` (rounds 1..round_ composed) if that stays
        within epsilon_max (PLD, as privacy.PrivacyBudget), else None: the run stops before it."""
        pld, rdp = self.epsilon(round_)
        return (pld, rdp) if pld <= self.epsilon_max else None


def _accountants(z: float, delta: float, c: int, d: int, sizes: dict[int, tuple[int, int]],
                 pld_interval: float = 1e-4) -> dict[tuple[int, int], privacy.RoundAccountant]:
    """One accountant per distinct cohort (n_c, t_c)."""
    return {(n, t): privacy.RoundAccountant(z, 1.0, delta, privacy.DiscreteNoise(clip_steps=c, dimension=d, devices=n, min_survivors=t),
                                            pld_interval=pld_interval)
            for n, t in set(sizes.values())}


def _worst_pld(z: float, delta: float, c: int, d: int, sizes: dict[int, tuple[int, int]], rounds: int, pld_interval: float) -> float:
    try:
        return max(a.epsilon_pld(rounds) for a in _accountants(z, delta, c, d, sizes, pld_interval).values())
    except privacy.PrivacyArgumentError:
        return math.inf  # a z too small for the discrete mechanism's bounds (local stddev < 1/2 step)


def calibrate(epsilon: float, delta: float, rounds: int, c: int, d: int, sizes: dict[int, tuple[int, int]]) -> float:
    """The least z (to 0.01) whose `rounds` rounds stay within epsilon in every cohort. The search
    runs on a coarser PLD grid (pessimistic: its epsilon is never below the fine one's), then the
    answer is stepped down while the accountant's own grid still admits it."""
    coarse = 1e-3
    lo, hi = 0.01, 1.0
    while _worst_pld(hi, delta, c, d, sizes, rounds, coarse) > epsilon:
        lo, hi = hi, hi * 2
        if hi > 1e4:
            raise ValueError(f"no noise multiplier up to 1e4 keeps {rounds} rounds within epsilon {epsilon}")
    while hi - lo > 0.005:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _worst_pld(mid, delta, c, d, sizes, rounds, coarse) <= epsilon else (mid, hi)
    z = math.ceil(hi * 100) / 100
    while z > 0.01 and _worst_pld(z - 0.01, delta, c, d, sizes, rounds, 1e-4) <= epsilon:
        z = round(z - 0.01, 2)
    if _worst_pld(z, delta, c, d, sizes, rounds, 1e-4) > epsilon:
        raise AssertionError(f"calibrated z={z} exceeds epsilon {epsilon}")
    return z


def plan(cfg: dict, dimension: int, sizes: dict[int, tuple[int, int]], last_round: int) -> Optional[Plan]:
    """The run's noise and accounting, or None without DP. sizes: cohort -> (n_c, t_c)."""
    z, target = float(cfg.get("noise-multiplier", 0.0)), float(cfg.get("dp-epsilon", 0.0))
    if z <= 0 and target <= 0:
        return None
    logging.getLogger("absl").setLevel(logging.ERROR)  # dp_accounting logs each RDP order it drops
    delta = float(cfg.get("dp-delta", 1e-5))
    steps = float(cfg["clip"]) / float(cfg["step"])
    c = round(steps)
    if c < 1 or steps != c:
        raise ValueError(f"with DP, clip / step must be a whole number of grid steps (got {steps})")
    if z <= 0:
        rounds = int(cfg.get("dp-rounds", 0)) or last_round
        z = calibrate(target, delta, rounds, c, dimension, sizes)
    epsilon_max = float(cfg.get("epsilon-max", 0.0)) or target or math.inf
    acc = _accountants(z, delta, c, dimension, sizes)
    cohorts = {k: CohortNoise(n, t, local_variance(z, c, n), acc[(n, t)]) for k, (n, t) in sizes.items()}
    return Plan(z, delta, epsilon_max, c, cohorts)


def variance_text(v: Fraction) -> str:
    """The variance as the setup request carries it ("p/q", firmware/fleet/discrete-gaussian.ts parseVariance)."""
    return f"{v.numerator}/{v.denominator}"

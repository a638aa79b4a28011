"""Differential-privacy accounting of the federated rounds (docs/fleet.md, "Differential privacy").

Each round sums, under secure aggregation, the updates of the devices sampled with
probability q; every device clips its update to L2 <= S, rounds it stochastically onto the
integer grid of step gamma and adds discrete Gaussian noise of variance sigma^2 / n, so the
sum of n devices carries sigma^2. The round is accounted as a Poisson-sampled Gaussian with
noise multiplier z = sigma / S, made smaller (more pessimistic) for what the discrete version
costs, with the bounds of Kairouz, Liu, Steinke, "The Distributed Discrete Gaussian Mechanism
for Federated Learning with Secure Aggregation", ICML 2021 (arXiv:2102.06387):
- rounding inflates the norm bound: Theorem 1 / Proposition 22 (conditional rounding);
- a sum of discrete Gaussians is not one: Theorem 1 / Proposition 14 (the tau terms);
- only t devices may survive: their noise alone is what the sum carries.
Both dp_accounting accountants run on that: RDP and PLD (pessimistic estimate).

CLI: python fleet-server/privacy.py --noise-multiplier Z --sampling-rate Q --rounds R
     --delta D [--epsilon-max E] [--dimension d --clip-steps c --devices n --min-survivors t]
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import dp_accounting
from dp_accounting.pld import privacy_loss_distribution
from dp_accounting.rdp import rdp_privacy_accountant


class PrivacyArgumentError(ValueError):
    """A parameter out of its domain; `name` is the parameter's CLI name."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PrivacyArgumentError(name, f"must be a finite number > 0 (got {value!r})")
    return float(value)


def _count(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PrivacyArgumentError(name, f"must be an integer >= {minimum} (got {value!r})")
    return value


def _probability(name: str, value: float, *, one_allowed: bool) -> float:
    _positive(name, value)
    if value > 1 or (value == 1 and not one_allowed):
        raise PrivacyArgumentError(name, f"must be in (0, 1{']' if one_allowed else ')'} (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class DiscreteNoise:
    """How the devices quantise and noise, in integer steps of the grid (step gamma).

    clip_steps: c = S / gamma, the L2 clip on the grid; dimension: d coordinates;
    devices: n, each adds variance sigma^2 / n; min_survivors: t, the fewest honest devices
    whose noise is in a sum the server accepts (the secure-aggregation threshold);
    beta: conditional rounding (re-round until the norm bound holds, failure <= beta);
    0 means plain stochastic rounding, whose bound c + sqrt(d) holds always.
    """

    clip_steps: float
    dimension: int
    devices: int
    min_survivors: int
    beta: float = 0.0

    def __post_init__(self) -> None:
        _positive("clip-steps", self.clip_steps)
        _count("dimension", self.dimension)
        _count("devices", self.devices)
        _count("min-survivors", self.min_survivors)
        if self.min_survivors > self.devices:
            raise PrivacyArgumentError("min-survivors", f"must be <= devices ({self.min_survivors} > {self.devices})")
        if isinstance(self.beta, bool) or not isinstance(self.beta, (int, float)) or not 0 <= self.beta < 1:
            raise PrivacyArgumentError("beta", f"must be in [0, 1) (got {self.beta!r})")


def rounded_l2_bound(clip_steps: float, dimension: int, beta: float) -> float:
    """L2 norm bound after stochastic rounding of a vector of norm <= c (Kairouz et al. 2021,
    Theorem 1 / Proposition 22): each coordinate moves by < 1, so c + sqrt(d) always; with
    conditional rounding at beta > 0 also sqrt(c^2 + d/4 + sqrt(2 ln(1/beta)) (c + sqrt(d)/2))."""
    always = clip_steps + math.sqrt(dimension)
    if beta == 0:
        return always
    conditional = math.sqrt(clip_steps ** 2 + dimension / 4
                            + math.sqrt(2 * math.log(1 / beta)) * (clip_steps + math.sqrt(dimension) / 2))
    return min(always, conditional)


def sum_tau(local_stddev_steps: float, contributors: int) -> float:
    """tau of Kairouz et al. 2021 Theorem 1: how far a sum of `contributors` discrete
    Gaussians N_Z(0, s^2) is from one discrete Gaussian; 0 for a single contributor."""
    s2 = local_stddev_steps ** 2
    return 10 * sum(math.exp(-2 * math.pi ** 2 * s2 * k / (k + 1)) for k in range(1, contributors))


def local_noise_stddev(noise_multiplier: float, noise: DiscreteNoise) -> float:
    """The stddev in grid steps each of the n devices' discrete Gaussian has in this accounting:
    sigma / sqrt(n), sigma = z c. The devices are given discrete_gaussian.local_variance (z, c, n),
    its square rounded up to ceil((z c)^2) / n, never less."""
    return _positive("noise-multiplier", noise_multiplier) * noise.clip_steps / math.sqrt(noise.devices)


def effective_noise_multiplier(noise_multiplier: float, noise: Optional[DiscreteNoise]) -> float:
    """The Gaussian noise multiplier the round is accounted with: z itself for ideal continuous
    noise; for the devices' discrete noise, 1 / eps where the t surviving devices' sum is
    eps^2/2-zCDP (Kairouz et al. 2021 Proposition 14, its two terms linear in the order:
    eps^2 = min(a2^2 + 2 a1 tau + tau^2 d, (a2 + sqrt(d) tau)^2), a_p = Delta_p / stddev of the
    sum). Rho-zCDP is the Renyi curve of a Gaussian with multiplier 1/sqrt(2 rho)."""
    z = _positive("noise-multiplier", noise_multiplier)
    if noise is None:
        return z
    c, d = noise.clip_steps, noise.dimension
    local = local_noise_stddev(z, noise)
    if local < 0.5:
        # Theorem 1 needs each device's discrete Gaussian to have stddev >= 1/2 on the grid
        raise PrivacyArgumentError("noise-multiplier",
                                   f"local noise stddev {local:.4g} steps < 0.5: refine the grid (clip-steps)")
    survivors_std = local * math.sqrt(noise.min_survivors)
    l2 = rounded_l2_bound(c, d, noise.beta)
    l1 = l2 * min(math.sqrt(d), l2)  # integer coordinates: L1 <= L2^2, and L1 <= sqrt(d) L2
    a2, a1 = l2 / survivors_std, l1 / survivors_std
    tau = sum_tau(local, noise.min_survivors)
    eps = min(math.sqrt(a2 ** 2 + 2 * a1 * tau + tau ** 2 * d), a2 + math.sqrt(d) * tau)
    return 1 / eps


@dataclass(frozen=True)
class RoundEpsilon:
    round: int
    rdp: float
    pld: float


class RoundAccountant:
    """epsilon(delta) after each round, by dp_accounting's RDP and PLD accountants.

    One round's RDP curve and privacy-loss distribution are built once (the PLD by
    dp_accounting's own constructor, pessimistic estimate, as its PLDAccountant does);
    R rounds are their R-fold composition."""

    def __init__(self, noise_multiplier: float, sampling_rate: float, delta: float,
                 noise: Optional[DiscreteNoise] = None, pld_interval: float = 1e-4):
        _positive("noise-multiplier", noise_multiplier)
        self.sampling_rate = _probability("sampling-rate", sampling_rate, one_allowed=True)
        self.delta = _probability("delta", delta, one_allowed=False)
        self.pld_interval = _positive("pld-interval", pld_interval)
        self.noise_multiplier = float(noise_multiplier)
        self.effective_multiplier = effective_noise_multiplier(noise_multiplier, noise)
        gaussian = dp_accounting.GaussianDpEvent(self.effective_multiplier)
        self.round_event: dp_accounting.DpEvent = (
            gaussian if self.sampling_rate == 1 else dp_accounting.PoissonSampledDpEvent(self.sampling_rate, gaussian))
        rdp = rdp_privacy_accountant.RdpAccountant()
        rdp.compose(self.round_event)
        self._orders, self._round_rdp = rdp.orders, rdp.rdp
        self._round_pld = privacy_loss_distribution.from_gaussian_mechanism(
            standard_deviation=self.effective_multiplier, sensitivity=1, pessimistic_estimate=True,
            value_discretization_interval=self.pld_interval, sampling_prob=self.sampling_rate)

    def epsilon_rdp(self, rounds: int) -> float:
        r = _count("rounds", rounds)
        return float(rdp_privacy_accountant.compute_epsilon(self._orders, self._round_rdp * r, self.delta)[0])

    def epsilon_pld(self, rounds: int) -> float:
        r = _count("rounds", rounds)
        return float(self._round_pld.self_compose(r).get_epsilon_for_delta(self.delta))

    def per_round(self, rounds: int) -> Iterator[RoundEpsilon]:
        """Cumulative epsilon after rounds 1..R, composing one round at a time."""
        _count("rounds", rounds)
        pld = self._round_pld
        for r in range(1, rounds + 1):
            if r > 1:
                pld = pld.compose(self._round_pld)
            yield RoundEpsilon(r, self.epsilon_rdp(r), float(pld.get_epsilon_for_delta(self.delta)))


class PrivacyBudget:
    """Admits a round only if epsilon after it stays <= epsilon_max; a refused round spends
    nothing, and once refused the run is over (later rounds would cost at least as much)."""

    def __init__(self, accountant: RoundAccountant, epsilon_max: float, use: str = "pld"):
        if use not in ("pld", "rdp"):
            raise PrivacyArgumentError("budget-accountant", f"must be 'pld' or 'rdp' (got {use!r})")
        self.epsilon_max = _positive("epsilon-max", epsilon_max)
        self.use = use
        self.rounds_done = 0
        self.spent = 0.0
        self.stopped = False
        self._rounds = accountant.per_round(sys.maxsize)
        self._next: Optional[RoundEpsilon] = None

    def peek(self) -> RoundEpsilon:
        """epsilon after the next round, were it admitted."""
        if self._next is None:
            self._next = next(self._rounds)
        return self._next

    def admit_round(self) -> Optional[RoundEpsilon]:
        """The next round's cumulative epsilon if it is admitted (and spent), else None."""
        if self.stopped:
            return None
        nxt = self.peek()
        eps = nxt.pld if self.use == "pld" else nxt.rdp
        if eps > self.epsilon_max:
            self.stopped = True
            return None
        self.rounds_done, self.spent, self._next = nxt.round, eps, None
        return nxt


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="epsilon(delta) per federated round and in total "
                                "(Poisson-sampled Gaussian, dp_accounting RDP and PLD)")
    p.add_argument("--noise-multiplier", type=float, required=True, help="z = sigma / S")
    p.add_argument("--sampling-rate", type=float, required=True, help="q: each device joins a round with probability q")
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--delta", type=float, required=True)
    p.add_argument("--epsilon-max", type=float, help="stop before the round that would exceed it")
    p.add_argument("--budget-accountant", default="pld", help="pld (default) or rdp")
    g = p.add_argument_group("discrete noise on the devices (all four, or none for ideal continuous noise)")
    g.add_argument("--clip-steps", type=float, help="c = S / gamma")
    g.add_argument("--dimension", type=int, help="d, coordinates of the update")
    g.add_argument("--devices", type=int, help="n, devices the noise is split over")
    g.add_argument("--min-survivors", type=int, help="t, fewest honest devices in an accepted sum")
    g.add_argument("--beta", type=float, default=0.0, help="conditional rounding failure bound (0: none)")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    # dp_accounting logs each fractional RDP order it drops (still a valid bound); keep the table readable
    logging.getLogger("absl").setLevel(logging.ERROR)
    try:
        discrete = [args.clip_steps, args.dimension, args.devices, args.min_survivors]
        if any(v is not None for v in discrete) and any(v is None for v in discrete):
            missing = [n for n, v in zip(("clip-steps", "dimension", "devices", "min-survivors"), discrete) if v is None]
            raise PrivacyArgumentError(missing[0], "the discrete-noise options go together: give all four")
        noise = None if args.clip_steps is None else DiscreteNoise(
            args.clip_steps, args.dimension, args.devices, args.min_survivors, args.beta)
        acc = RoundAccountant(args.noise_multiplier, args.sampling_rate, args.delta, noise)
        _count("rounds", args.rounds)
        budget = None if args.epsilon_max is None else PrivacyBudget(acc, args.epsilon_max, args.budget_accountant)
    except PrivacyArgumentError as e:
        print(f"privacy.py: error: {e}", file=sys.stderr)
        return 2
    kind = "continuous (ideal)" if noise is None else "distributed discrete, corrected"
    print(f"mechanism: Poisson-sampled Gaussian, q={acc.sampling_rate:g}, z={acc.noise_multiplier:g}, "
          f"effective z={acc.effective_multiplier:.6g} ({kind}), delta={acc.delta:g}")
    print(f"{'round':>6} {'eps_rdp':>10} {'eps_pld':>10}")
    last: Optional[RoundEpsilon] = None
    rows = acc.per_round(args.rounds)
    for _ in range(args.rounds):
        e = next(rows) if budget is None else budget.admit_round()
        if e is None:
            assert budget is not None
            nxt = budget.peek()
            print(f"stop: round {nxt.round} would exceed epsilon-max {budget.epsilon_max:g} "
                  f"({budget.use} epsilon {nxt.pld if budget.use == 'pld' else nxt.rdp:.6g}); "
                  f"the run stops after {budget.rounds_done} rounds")
            break
        print(f"{e.round:>6} {e.rdp:>10.6f} {e.pld:>10.6f}")
        last = e
    if last is not None:
        print(f"total after {last.round} rounds: eps_rdp={last.rdp:.6f} eps_pld={last.pld:.6f} delta={acc.delta:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

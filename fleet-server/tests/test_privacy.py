"""fleet-server/privacy.py against independent oracles: prv-accountant (Gopi et al. 2021),
the exact Gaussian mechanism curve (Balle & Wang 2018), Abadi et al. 2016's published figure,
and the exact Renyi divergence of a sum of discrete Gaussians computed here with numpy.

Run: .venv/bin/python -m unittest discover -s fleet-server/tests -v
"""

import io
import logging
import math
import os
import subprocess
import sys
import unittest

import numpy as np
from prv_accountant.dpsgd import DPSGDAccountant
from scipy import special

import dp_accounting

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.dirname(HERE)
sys.path.insert(0, SERVER)
import privacy  # noqa: E402

logging.getLogger("absl").setLevel(logging.ERROR)


def prv_bounds(z, q, rounds, delta):
    """(low, estimate, high) of prv-accountant at eps_error 0.01."""
    acc = DPSGDAccountant(noise_multiplier=z, sampling_probability=q, max_steps=rounds,
                          eps_error=0.01, delta_error=delta / 1000)
    return acc.compute_epsilon(delta=delta, num_steps=rounds)


def exact_gaussian_epsilon(z, rounds, delta):
    """Balle & Wang 2018, Theorem 8: R rounds of the Gaussian mechanism with multiplier z are
    one with mu = sqrt(R) / z; delta(eps) = Phi(mu/2 - eps/mu) - e^eps Phi(-mu/2 - eps/mu)."""
    mu = math.sqrt(rounds) / z
    phi = lambda x: 0.5 * special.erfc(-x / math.sqrt(2))
    d = lambda e: phi(mu / 2 - e / mu) - math.exp(e) * phi(-mu / 2 - e / mu)
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if d(mid) > delta else (lo, mid)
    return hi


def discrete_gaussian_sum_log_pmf(s, contributors):
    """log pmf of the sum of `contributors` N_Z(0, s^2), convolved in the log domain so the
    far tails that high orders weigh keep their relative precision. Each pmf is cut at
    |x| > 40 s + 3, mass below e^-800."""
    w = int(40 * s) + 3
    x = np.arange(-w, w + 1).astype(np.float64)
    one = -x ** 2 / (2 * s * s)
    one -= special.logsumexp(one)
    acc = one
    for _ in range(contributors - 1):
        out = np.full(len(acc) + len(one) - 1, -np.inf)
        for i, v in enumerate(acc):
            out[i:i + len(one)] = np.logaddexp(out[i:i + len(one)], v + one)
        acc = out
    return acc


def renyi_shift(log_p, shift, order):
    """D_order(P(. - shift) || P) on the grid, P given as a log pmf (both directions alike)."""
    a, b = log_p[shift:], log_p[:-shift]  # Q(x) and P(x - shift) on the overlap
    return special.logsumexp(order * b + (1 - order) * a) / (order - 1)


class PublishedAndLibraryFigures(unittest.TestCase):
    def test_matches_prv_accountant_within_its_error_bounds(self):
        for z, q, rounds, delta in [(0.8, 5e-3, 1000, 1e-6), (1.0, 0.01, 200, 1e-5),
                                    (1.5, 0.05, 100, 1e-5), (0.7, 0.2, 30, 1e-5)]:
            with self.subTest(z=z, q=q, rounds=rounds):
                low, _, high = prv_bounds(z, q, rounds, delta)
                acc = privacy.RoundAccountant(z, q, delta)
                pld, rdp = acc.epsilon_pld(rounds), acc.epsilon_rdp(rounds)
                self.assertGreaterEqual(pld, low)
                self.assertLessEqual(pld, high)
                self.assertGreaterEqual(rdp, low)  # an upper bound too, only looser

    def test_abadi_2016_moments_accountant_figure(self):
        # Abadi et al. 2016, section 3.1: q = 0.01, sigma = 4, delta = 1e-5, T = 10,000 gives
        # eps ~ 1.26 by the moments accountant (9.34 by strong composition). RDP with fractional
        # orders and PLD are tighter; prv-accountant brackets the tight value.
        acc = privacy.RoundAccountant(4.0, 0.01, 1e-5)
        rdp, pld = acc.epsilon_rdp(10_000), acc.epsilon_pld(10_000)
        low, _, high = prv_bounds(4.0, 0.01, 10_000, 1e-5)
        self.assertLessEqual(rdp, 1.26)
        self.assertGreater(rdp, 0.8 * 1.26)
        self.assertTrue(low <= pld <= high, (low, pld, high))

    def test_unsampled_rounds_match_the_exact_gaussian_curve(self):
        for z, rounds in [(2.0, 10), (5.0, 50), (1.0, 1)]:
            with self.subTest(z=z, rounds=rounds):
                exact = exact_gaussian_epsilon(z, rounds, 1e-5)
                acc = privacy.RoundAccountant(z, 1.0, 1e-5)
                pld = acc.epsilon_pld(rounds)
                self.assertGreaterEqual(pld, exact - 1e-9)  # pessimistic estimate
                self.assertLess(pld - exact, 1e-3 * exact + 2e-4)
                self.assertGreaterEqual(acc.epsilon_rdp(rounds), exact)


class AccountantProperties(unittest.TestCase):
    def test_rdp_is_an_upper_bound_on_pld(self):
        for z, q, rounds in [(0.6, 0.02, 50), (1.0, 0.1, 10), (3.0, 0.5, 5), (1.2, 1.0, 3)]:
            with self.subTest(z=z, q=q, rounds=rounds):
                acc = privacy.RoundAccountant(z, q, 1e-5)
                self.assertGreater(acc.epsilon_rdp(rounds), acc.epsilon_pld(rounds))

    def test_epsilon_grows_with_every_round_and_per_round_agrees(self):
        acc = privacy.RoundAccountant(1.0, 0.05, 1e-5)
        rows = list(acc.per_round(30))
        self.assertEqual([r.round for r in rows], list(range(1, 31)))
        for a, b in zip(rows, rows[1:]):
            self.assertGreater(b.rdp, a.rdp)
            self.assertGreater(b.pld, a.pld)
        self.assertAlmostEqual(rows[-1].rdp, acc.epsilon_rdp(30), places=12)
        self.assertAlmostEqual(rows[-1].pld, acc.epsilon_pld(30), delta=1e-3)
        # the same thing through dp_accounting's own accountant API, composed 30 times
        event = dp_accounting.PoissonSampledDpEvent(0.05, dp_accounting.GaussianDpEvent(1.0))
        lib = dp_accounting.pld.PLDAccountant()
        lib.compose(event, 30)
        self.assertAlmostEqual(rows[-1].pld, lib.get_epsilon(1e-5), delta=1e-3)


class DiscreteNoiseCorrections(unittest.TestCase):
    def test_rounded_norm_bound_follows_kairouz_et_al(self):
        # c = 3, d = 16: each coordinate moves < 1, so 3 + 4 = 7; conditional rounding at
        # beta = e^-1/2: sqrt(9 + 16/4 + sqrt(2 * 1/2) * (3 + 4/2)) = sqrt(18)
        self.assertEqual(privacy.rounded_l2_bound(3.0, 16, 0.0), 7.0)
        self.assertAlmostEqual(privacy.rounded_l2_bound(3.0, 16, math.exp(-0.5)), math.sqrt(18), places=12)

    def test_corrections_only_ever_lower_the_noise_multiplier(self):
        z, q = 1.0, 0.1
        ideal = privacy.RoundAccountant(z, q, 1e-5)
        noise = privacy.DiscreteNoise(clip_steps=1000, dimension=10_000, devices=100, min_survivors=80)
        real = privacy.RoundAccountant(z, q, 1e-5, noise)
        # tau is ~0 at 100 steps of local noise: rounding (1000 + 100) and the 80 % survivors remain
        self.assertAlmostEqual(real.effective_multiplier, z * 1000 * math.sqrt(0.8) / 1100, places=9)
        self.assertGreater(real.epsilon_pld(10), ideal.epsilon_pld(10))
        fewer = privacy.DiscreteNoise(clip_steps=1000, dimension=10_000, devices=100, min_survivors=50)
        self.assertLess(privacy.effective_noise_multiplier(z, fewer), real.effective_multiplier)

    def test_bound_holds_against_the_exact_divergence_of_a_discrete_gaussian_sum(self):
        # d = 1, c = 2: a rounded update moves the sum by at most 3 grid steps. The noise of
        # t devices, each N_Z(0, s^2), is summed exactly; its Renyi divergence under that shift
        # must stay below the effective multiplier's Gaussian curve alpha / (2 z_eff^2).
        for s, t in [(0.5, 2), (0.6, 5), (1.0, 3), (3.0, 5)]:
            with self.subTest(s=s, t=t):
                z = s * math.sqrt(t) / 2  # sigma = z c spread over n = t devices: local stddev s
                noise = privacy.DiscreteNoise(clip_steps=2.0, dimension=1, devices=t, min_survivors=t)
                z_eff = privacy.effective_noise_multiplier(z, noise)
                log_p = discrete_gaussian_sum_log_pmf(s, t)
                ratios, over_naive = [], []
                for order in (2, 4, 8, 16, 32):
                    exact = renyi_shift(log_p, 3, order)
                    self.assertTrue(math.isfinite(exact), order)
                    bound = order / (2 * z_eff ** 2)
                    self.assertLessEqual(exact, bound * (1 + 1e-9), order)  # ties at tau ~ 0
                    ratios.append(exact / bound)
                    # what a continuous Gaussian of the same variance would claim: 3^2 / (2 t s^2)
                    over_naive.append(exact - order * 9 / (2 * t * s * s))
                if s >= 3:  # tau ~ 0 here: the bound is the continuous one and nearly tight
                    self.assertGreater(min(ratios), 0.95)
                if s <= 0.6:  # here the sum leaks more than the continuous claim: tau is needed
                    self.assertGreater(max(over_naive), 1e-3)

    def test_too_little_local_noise_is_refused(self):
        noise = privacy.DiscreteNoise(clip_steps=1.0, dimension=4, devices=100, min_survivors=100)
        with self.assertRaises(privacy.PrivacyArgumentError) as cm:
            privacy.effective_noise_multiplier(1.0, noise)  # local stddev 0.1 steps
        self.assertEqual(cm.exception.name, "noise-multiplier")


class Budget(unittest.TestCase):
    def test_stops_exactly_before_the_round_that_would_exceed(self):
        z, q, delta = 1.0, 0.05, 1e-5
        event = dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(z))

        def lib_eps(rounds):
            acc = dp_accounting.pld.PLDAccountant()
            acc.compose(event, rounds)
            return acc.get_epsilon(delta)

        k = 12
        eps_max = (lib_eps(k) + lib_eps(k + 1)) / 2
        budget = privacy.PrivacyBudget(privacy.RoundAccountant(z, q, delta), eps_max)
        for r in range(1, k + 1):
            admitted = budget.admit_round()
            self.assertIsNotNone(admitted, r)
            self.assertEqual(admitted.round, r)
        spent = budget.spent
        self.assertLessEqual(spent, eps_max)
        self.assertIsNone(budget.admit_round())
        self.assertIsNone(budget.admit_round())
        self.assertEqual((budget.rounds_done, budget.spent), (k, spent))
        self.assertGreater(budget.peek().pld, eps_max)

    def test_rdp_budget_is_the_stricter(self):
        acc = privacy.RoundAccountant(1.0, 0.05, 1e-5)
        pld, rdp = privacy.PrivacyBudget(acc, 2.0, "pld"), privacy.PrivacyBudget(acc, 2.0, "rdp")
        while pld.admit_round():
            pass
        while rdp.admit_round():
            pass
        self.assertGreater(pld.rounds_done, rdp.rounds_done)
        self.assertGreater(rdp.rounds_done, 0)

    def test_a_first_round_over_budget_runs_nothing(self):
        budget = privacy.PrivacyBudget(privacy.RoundAccountant(0.5, 0.5, 1e-5), 0.1)
        self.assertIsNone(budget.admit_round())
        self.assertEqual((budget.rounds_done, budget.spent), (0, 0.0))


class BadArguments(unittest.TestCase):
    def assert_refused(self, name, make):
        with self.assertRaises(privacy.PrivacyArgumentError) as cm:
            make()
        self.assertEqual(cm.exception.name, name)
        self.assertIn(name, str(cm.exception))

    def test_each_bad_argument_is_refused_by_name(self):
        R = privacy.RoundAccountant
        D = privacy.DiscreteNoise
        self.assert_refused("noise-multiplier", lambda: R(0.0, 0.1, 1e-5))
        self.assert_refused("noise-multiplier", lambda: R(float("nan"), 0.1, 1e-5))
        self.assert_refused("sampling-rate", lambda: R(1.0, 0.0, 1e-5))
        self.assert_refused("sampling-rate", lambda: R(1.0, 1.5, 1e-5))
        self.assert_refused("delta", lambda: R(1.0, 0.1, 1.0))
        self.assert_refused("delta", lambda: R(1.0, 0.1, -1e-5))
        self.assert_refused("rounds", lambda: R(1.0, 0.1, 1e-5).epsilon_rdp(0))
        self.assert_refused("rounds", lambda: R(1.0, 0.1, 1e-5).epsilon_pld(2.5))
        self.assert_refused("epsilon-max", lambda: privacy.PrivacyBudget(R(1.0, 0.1, 1e-5), 0))
        self.assert_refused("budget-accountant", lambda: privacy.PrivacyBudget(R(1.0, 0.1, 1e-5), 1, "moments"))
        self.assert_refused("clip-steps", lambda: D(-1, 10, 10, 5))
        self.assert_refused("dimension", lambda: D(100, 0, 10, 5))
        self.assert_refused("devices", lambda: D(100, 10, 0, 1))
        self.assert_refused("min-survivors", lambda: D(100, 10, 10, 11))
        self.assert_refused("beta", lambda: D(100, 10, 10, 5, beta=1.0))


def run_cli(*args):
    return subprocess.run([sys.executable, os.path.join(SERVER, "privacy.py"), *args],
                          capture_output=True, text=True, check=False)


class Cli(unittest.TestCase):
    def test_prints_each_round_the_total_and_where_it_stops(self):
        acc = privacy.RoundAccountant(1.0, 0.05, 1e-5)
        e4, e5 = acc.epsilon_pld(4), acc.epsilon_pld(5)
        eps_max = (e4 + e5) / 2
        out = run_cli("--noise-multiplier", "1", "--sampling-rate", "0.05", "--rounds", "10",
                      "--delta", "1e-5", "--epsilon-max", repr(eps_max))
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [line.split() for line in out.stdout.splitlines() if line.split() and line.split()[0].isdigit()]
        self.assertEqual([int(r[0]) for r in rows], [1, 2, 3, 4])
        self.assertAlmostEqual(float(rows[3][1]), acc.epsilon_rdp(4), places=5)
        self.assertAlmostEqual(float(rows[3][2]), e4, delta=1e-3)
        self.assertIn("stop: round 5 would exceed epsilon-max", out.stdout)
        self.assertIn("the run stops after 4 rounds", out.stdout)
        self.assertIn("total after 4 rounds", out.stdout)

    def test_without_a_budget_every_round_is_printed(self):
        out = run_cli("--noise-multiplier", "2", "--sampling-rate", "0.1", "--rounds", "3", "--delta", "1e-5")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("total after 3 rounds", out.stdout)
        self.assertNotIn("stop:", out.stdout)

    def test_bad_arguments_exit_2_naming_the_argument(self):
        base = ["--noise-multiplier", "1", "--sampling-rate", "0.1", "--rounds", "3", "--delta", "1e-5"]
        for name, value in [("--noise-multiplier", "-1"), ("--sampling-rate", "2"), ("--rounds", "0"),
                            ("--delta", "0"), ("--epsilon-max", "-3")]:
            with self.subTest(name=name):
                args = list(base)
                if name in args:
                    args[args.index(name) + 1] = value
                else:
                    args += [name, value]
                out = run_cli(*args)
                self.assertEqual(out.returncode, 2)
                self.assertIn(name[2:], out.stderr)
                self.assertEqual(out.stdout, "")
        out = run_cli(*base, "--clip-steps", "100")
        self.assertEqual(out.returncode, 2)
        self.assertIn("dimension", out.stderr)


if __name__ == "__main__":
    unittest.main()

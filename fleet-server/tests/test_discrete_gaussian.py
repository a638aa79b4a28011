"""fleet-server/discrete_gaussian.py (the virtual devices' sampler, byte for byte the firmware's:
host-tests/fleet/discrete-gaussian.test.ts holds the two together) against exact laws computed
here with numpy/scipy: Bernoulli(exp(-gamma)) against exp(-gamma) (binomial test), the discrete
Laplace and the discrete Gaussian against their normalised pmfs (chi-square at 0.1%); and the
round's noise parameter against what privacy.py accounts.
"""
import math
import os
import sys
import unittest
from fractions import Fraction

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import discrete_gaussian as dg  # noqa: E402
import privacy  # noqa: E402


def stream() -> dg.RandomStream:
    return dg.RandomStream(os.urandom)


def chi2_fit(samples, xs, pmf):
    """(statistic, 0.1% critical value) of integer samples against pmf on xs, tails pooled to >= 5 expected."""
    n = len(samples)
    values, counts = np.unique(np.asarray(samples), return_counts=True)
    assert set(values.tolist()) <= set(xs.tolist()), "a sample outside the support checked"
    obs = np.zeros(len(xs))
    obs[np.searchsorted(xs, values)] = counts
    exp = pmf * n
    keep = exp >= 5
    o = np.append(obs[keep], obs[~keep].sum())
    e = np.append(exp[keep], exp[~keep].sum())
    return float(((o - e) ** 2 / e).sum()), float(stats.chi2.ppf(0.999, len(o) - 1))


class Components(unittest.TestCase):
    def test_bernoulli_exp_matches_exp_minus_gamma(self):
        rs = stream()
        for num, den in [(3, 10), (1, 1), (27, 10), (0, 5), (123456789, 98765432)]:
            with self.subTest(gamma=f"{num}/{den}"):
                n = 20000
                hits = sum(dg.bernoulli_exp(rs, num, den) for _ in range(n))
                p = math.exp(-num / den)
                if p == 1:
                    self.assertEqual(hits, n)
                else:
                    self.assertGreater(stats.binomtest(hits, n, p).pvalue, 1e-3, f"{hits}/{n} vs {p}")

    def test_discrete_laplace_pmf(self):
        rs = stream()
        t = 3
        samples = [dg.discrete_laplace(rs, t) for _ in range(40000)]
        xs = np.arange(-200, 201)
        pmf = np.exp(-np.abs(xs) / t)
        pmf /= pmf.sum()
        chi2, crit = chi2_fit(samples, xs, pmf)
        self.assertLess(chi2, crit)

    def test_discrete_gaussian_pmf_mean_variance(self):
        rs = stream()
        for var in [Fraction(7, 2), Fraction(1, 5), Fraction(1000)]:
            with self.subTest(variance=str(var)):
                g = dg.DiscreteGaussian(var)
                samples = np.array([g.sample(rs) for _ in range(30000)])
                s2 = float(var)
                w = int(60 * math.sqrt(s2)) + 10
                xs = np.arange(-w, w + 1)
                logp = -xs.astype(float) ** 2 / (2 * s2)
                pmf = np.exp(logp - logp.max())
                pmf /= pmf.sum()
                chi2, crit = chi2_fit(samples, xs, pmf)
                self.assertLess(chi2, crit)
                true_var = float((xs ** 2 * pmf).sum())
                mu4 = float((xs ** 4 * pmf).sum())
                self.assertLess(abs(samples.mean()) / math.sqrt(true_var / len(samples)), 4)
                self.assertLess(abs(samples.var() - true_var) / math.sqrt((mu4 - true_var ** 2) / len(samples)), 4)
                # the wrong law is rejected by the same statistic (power)
                pmf_wrong = np.exp(-xs.astype(float) ** 2 / (2 * s2 * 1.15))
                pmf_wrong /= pmf_wrong.sum()
                self.assertGreater(chi2_fit(samples, xs, pmf_wrong)[0], crit)


class RoundNoise(unittest.TestCase):
    def test_local_variance_is_what_privacy_accounts_rounded_up(self):
        for z, c, n in [(1.0, 1024, 20), (1.3, 4096, 7), (0.7, 65536, 1000), (2.9, 1000, 32)]:
            with self.subTest(z=z, c=c, n=n):
                v = dg.local_variance(z, c, n)
                noise = privacy.DiscreteNoise(clip_steps=c, dimension=426, devices=n, min_survivors=n)
                accounted = privacy.local_noise_stddev(z, noise) ** 2
                self.assertGreaterEqual(float(v) * (1 + 1e-12), accounted)
                self.assertLess(float(v) - accounted, 1 / n + 1e-9 * accounted)
                self.assertEqual(v * n, math.ceil((Fraction(z) * c) ** 2))

    def test_noise_leaves_the_weight_word_and_wraps_mod_2_32(self):
        enc = [0, (1 << 32) - 1, 5, 17]
        out = dg.add_discrete_gaussian(os.urandom, enc, Fraction(10 ** 6))
        self.assertEqual(out[-1], 17)
        self.assertTrue(all(0 <= w < 1 << 32 for w in out))
        self.assertNotEqual(out[:-1], enc[:-1])

    def test_noised_updates_through_the_real_unmask_sum_to_their_plain_sum(self):
        """Encoded and noised updates of 9 devices (one dropping after sharing) through
        secagg.unmask, with the test suite's SecAgg+ devices: the unmasked sum is the plain sum mod
        2^32 of the survivors' noised vectors, and its weight word their total (noise spares it)."""
        sys.path.insert(0, HERE)
        import secagg
        from test_secagg import Fleet
        from update_encoding import encode_update
        rng = np.random.default_rng(5)
        clip, steps, cap = 0.1, 1024, 10
        var = dg.local_variance(2.0, steps, 9)
        fleet = Fleet(n=9, k=4, t=3, d=41, round_=2, seed=3)
        for i in fleet.ids:
            enc = encode_update(list(rng.normal(0, 0.01, 40)), 5, clip, clip / steps, cap, os.urandom(160))
            fleet.x[i] = dg.add_discrete_gaussian(os.urandom, enc, var)
        keys, masked, reveals, survivors, dropped = fleet.run(after_shares=[fleet.ids[4]])
        total, surv, drop = secagg.unmask(fleet.round, 3, fleet.device_keys, keys, list(masked.values()), list(reveals.values()))
        self.assertEqual(drop, [fleet.ids[4]])
        self.assertEqual(total, fleet.plain_sum(surv))
        average, weight = secagg.decode_average(total, clip / steps, cap)
        self.assertEqual(weight, 5 * len(surv))

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            dg.DiscreteGaussian(Fraction(0))
        with self.assertRaises(ValueError):
            dg.add_discrete_gaussian(os.urandom, [3], Fraction(1))
        for args in [(0.0, 10, 2), (float("nan"), 10, 2), (1.0, 0, 2), (1.0, 10, 0), (1.0, 1.5, 2)]:
            with self.subTest(args=args), self.assertRaises(ValueError):
                dg.local_variance(*args)
        with self.assertRaises(ValueError):
            dg.RandomStream(lambda n: b"\0" * (n - 1)).byte()


if __name__ == "__main__":
    unittest.main()

"""fleet-server/edge_peft_fleet/dp.py (the ServerApp's noise calibration and budget) against
dp-accounting called here directly, not through privacy.py: the multiplier of t survivors' noise
over the rounded update's L2 bound c + sqrt(d) (privacy.py's tau terms vanish at this noise).

Run: .venv/bin/python -m unittest discover -s fleet-server/tests -v
"""
import logging
import math
import os
import sys
import unittest
from fractions import Fraction

import dp_accounting
from dp_accounting.pld import pld_privacy_accountant
from dp_accounting.rdp import rdp_privacy_accountant

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from edge_peft_fleet import dp  # noqa: E402

C, D, DELTA = 4096, 426, 1e-5
CFG = {"clip": 0.25, "step": 0.25 / C, "dp-delta": DELTA}


def oracle(z: float, n: int, t: int, rounds: int) -> tuple[float, float]:
    mult = z * C * math.sqrt(t / n) / (C + math.sqrt(D))
    r = rdp_privacy_accountant.RdpAccountant()
    r.compose(dp_accounting.GaussianDpEvent(mult), rounds)
    p = pld_privacy_accountant.PLDAccountant()
    p.compose(dp_accounting.GaussianDpEvent(mult), rounds)
    return p.get_epsilon(DELTA), r.get_epsilon(DELTA)


class Calibration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        logging.getLogger("absl").setLevel(logging.ERROR)

    def test_least_multiplier_within_the_target_for_the_worst_cohort(self):
        sizes = {0: (20, 6), 1: (12, 7)}  # cohort 0 is worse: 6 of 20 survivors' noise
        plan = dp.plan({**CFG, "dp-epsilon": 4.0, "dp-rounds": 3}, D, sizes, 1)
        z = plan.noise_multiplier
        self.assertLessEqual(oracle(z, 20, 6, 3)[0], 4.0 * (1 + 2e-3))
        self.assertGreater(oracle(z - 0.01, 20, 6, 3)[0], 4.0)
        self.assertLessEqual(oracle(z, 12, 7, 3)[0], 4.0)
        for rounds in (1, 3):
            pld, rdp = plan.epsilon(rounds)
            want = oracle(z, 20, 6, rounds)
            self.assertAlmostEqual(pld, want[0], delta=2e-3 * want[0])
            self.assertAlmostEqual(rdp, want[1], delta=1e-6 * want[1])
        # each cohort's devices: ceil((z c)^2) / n_c, so n_c of them carry at least (z c)^2
        for c, (n, _) in sizes.items():
            self.assertEqual(plan.cohorts[c].variance * n, math.ceil((Fraction(z) * C) ** 2))
        self.assertEqual(dp.variance_text(plan.cohorts[0].variance), f"{plan.cohorts[0].variance.numerator}/{plan.cohorts[0].variance.denominator}")

    def test_the_run_stops_before_the_round_past_epsilon_max(self):
        plan = dp.plan({**CFG, "noise-multiplier": 3.0, "epsilon-max": 5.0}, D, {0: (16, 9)}, 10)
        eps = [oracle(3.0, 16, 9, r)[0] for r in range(1, 12)]
        last = max(r for r, e in enumerate(eps, 1) if e <= 5.0)
        self.assertGreater(last, 1)
        self.assertIsNotNone(plan.admit(last))
        self.assertIsNone(plan.admit(last + 1))

    def test_no_dp_and_bad_grids(self):
        self.assertIsNone(dp.plan(dict(CFG), D, {0: (10, 6)}, 1))
        with self.assertRaisesRegex(ValueError, "whole number of grid steps"):
            dp.plan({"clip": 0.17, "step": 2 ** -20, "dp-epsilon": 8.0}, D, {0: (10, 6)}, 1)


if __name__ == "__main__":
    unittest.main()

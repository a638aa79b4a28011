"""The fleet-size search (fleet-server/fleet_size.py, which bench/federated prints) on a short
config: the honest split (validation split off the training pool, test held out), the virtual
fleet's devices, z the least within the budget by privacy.py's accountant for each size, the
printed epsilon the accountant's, the fractions of the centralised gain recomputed from the
accuracies, the centralised (lr, steps) the validation's best, and the search stopping at the
first size whose validation fraction reaches the goal. Needs build/bin/edge-peft (make).
"""
import json
import os
import subprocess
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.dirname(HERE)
sys.path.insert(0, SERVER)
import fleet_size  # noqa: E402
import privacy  # noqa: E402

CLI = os.path.join(os.path.dirname(SERVER), "build", "bin", "edge-peft")
SHORT = ["--sizes", "8,24", "--rounds", "3", "--tails", "1,2,5", "--local-steps", "20", "--central-grid", "0.001:500,0.001:3000", "--json"]


def sweep(*extra):
    out = subprocess.run([sys.executable, os.path.join(SERVER, "fleet_size.py"), *SHORT, *extra], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


class Split(unittest.TestCase):
    def test_validation_is_split_off_and_fleets_are_resampled(self):
        (ty, tx), (vy, vx) = fleet_size.pools(7)
        self.assertEqual((len(ty), len(vy)), (512, 128))
        rows = lambda y, x: {bytes([a]) + b.tobytes() for a, b in zip(y, x)}  # noqa: E731
        # no validation sample is in the training pool (the set has no duplicates to hide behind)
        self.assertEqual(len(rows(ty, tx) | rows(vy, vx)), 640)
        self.assertEqual(set(np.unique(vy)), set(range(10)))
        devices, gains = fleet_size.fleet(40, 10, 0.5, 7, (ty, tx))
        self.assertEqual(len(devices), 40)
        self.assertEqual(len(set(np.round(gains, 6))), 40)
        for y, x in devices:
            self.assertEqual(len(y), 10)
        # label skew: the devices' class histograms differ
        hists = {tuple(np.bincount(y, minlength=10)) for y, _ in devices}
        self.assertGreater(len(hists), 30)


@unittest.skipUnless(os.path.exists(CLI), "build/bin/edge-peft missing (run make)")
class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.miss = sweep("--goal", "2")  # unreachable: every size runs
        cls.hit = sweep("--goal=-10")  # reached by the first size: the search stops there

    def test_z_and_epsilon_are_the_accountants(self):
        cfg = self.miss["config"]
        self.assertEqual([r["devices"] for r in self.miss["runs"]], [8, 24])
        self.assertIsNone(self.miss["found"])
        zs = []
        for r in self.miss["runs"]:
            n, z = r["devices"], r["noise_multiplier"]
            self.assertEqual(r["min_survivors"], (9 * n) // 10)

            def acc(m):
                noise = privacy.DiscreteNoise(clip_steps=cfg["clip_steps"], dimension=r["dimension"], devices=n, min_survivors=(9 * n) // 10)
                return privacy.RoundAccountant(m, 1.0, cfg["delta"], noise)
            self.assertLessEqual(acc(z).epsilon_pld(cfg["rounds"]), cfg["epsilon_max"])
            self.assertGreater(acc(round(z - 0.01, 2)).epsilon_pld(cfg["rounds"]), cfg["epsilon_max"])
            self.assertEqual(len(r["rows"]), cfg["rounds"] + 1)
            self.assertLess(abs(r["epsilon_pld"] - acc(z).epsilon_pld(cfg["rounds"])), 1e-6 * r["epsilon_pld"])
            self.assertAlmostEqual(r["epsilon_rdp"], acc(z).epsilon_rdp(cfg["rounds"]), places=9)
            zs.append(z)
        self.assertEqual((cfg["clip"], cfg["server_lr"]), (0.1, 3.0))  # federated_sim.py's no-DP pair, chosen on validation

    def test_fractions_and_central_choice(self):
        r = self.miss
        self.assertEqual(r["central"], max(r["central_grid"], key=lambda g: g["validation"]))
        for run in r["runs"]:
            last = run["rows"][-1]
            frac = lambda acc, k: (acc - r["base"][k]) / (r["central"][k] - r["base"][k])  # noqa: E731
            for k in ("validation", "test"):
                self.assertAlmostEqual(run[f"last_{k}_fraction"], frac(last[k], k), places=12)
            # the tail of one round is the last round's adapter itself (the mean rounds back onto its grid)
            one = next(t for t in run["tails"] if t["k"] == 1)
            self.assertEqual((one["validation"], one["test"]), (last["validation"], last["test"]))
            # the chosen tail is the validation's best (ties: the shorter), and its fractions are reported
            pick = max(run["tails"], key=lambda t: (t["validation"], -t["k"]))
            self.assertEqual(run["tail"], pick["k"])
            for k in ("validation", "test"):
                self.assertAlmostEqual(run[f"{k}_fraction"], frac(pick[k], k), places=12)
            self.assertEqual([t["rounds"] for t in run["tails"]], [min(k, r["config"]["rounds"]) for k in r["config"]["tails"]])
            self.assertEqual(run["rows"][0]["test"], r["base"]["test"])  # round 0 is the initial adapter
            self.assertNotEqual(last["test"], r["base"]["test"])  # the DP run moved it

    def test_search_stops_at_the_first_size_reaching_the_goal(self):
        self.assertEqual(self.hit["found"], 8)
        self.assertEqual([r["devices"] for r in self.hit["runs"]], [8])
        # the same run as in the unreachable search (same seeds), so the stop is the goal's doing
        self.assertEqual(self.hit["runs"][0]["rows"], self.miss["runs"][0]["rows"])


if __name__ == "__main__":
    unittest.main()

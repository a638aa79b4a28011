"""A short federated run (fleet-server/federated_sim.py, the CLI bench/federated calls): the
global adapter improves over the base on the held-out set, without DP and with it; the epsilon
it prints per round is dp-accounting's through privacy.py for the run's own parameters; the
noise the devices were given is ceil((z c)^2) / n (computed here from z, c, n).
Needs build/bin/edge-peft (make).
"""
import json
import math
import os
import subprocess
import sys
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.dirname(HERE)
sys.path.insert(0, SERVER)
import privacy  # noqa: E402

CLI = os.path.join(os.path.dirname(SERVER), "build", "bin", "edge-peft")


@unittest.skipUnless(os.path.exists(CLI), "build/bin/edge-peft missing (run make)")
class ShortRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.z = 0.3
        out = subprocess.run([sys.executable, os.path.join(SERVER, "federated_sim.py"), "--devices", "8", "--rounds", "4",
                              "--central-steps", "2000", "--noise-multiplier", str(cls.z), "--epsilon-max", "1000", "--dp", "--json"],
                             check=True, capture_output=True, text=True).stdout
        cls.r = json.loads(out)

    def test_global_adapter_improves_over_the_base(self):
        base = self.r["base_accuracy"]
        self.assertAlmostEqual(self.r["no_dp"]["rows"][0]["accuracy"], base)
        self.assertGreater(self.r["no_dp"]["rows"][-1]["accuracy"], base + 0.10, self.r["no_dp"]["rows"])
        self.assertGreater(self.r["central_accuracy"], base + 0.10)
        # the DP run (z = 0.3: little noise, a large epsilon) still moves the adapter the right way, and is not the no-DP run
        self.assertGreater(self.r["dp"]["rows"][-1]["accuracy"], base + 0.05, self.r["dp"]["rows"])
        self.assertNotEqual([r["accuracy"] for r in self.r["dp"]["rows"]], [r["accuracy"] for r in self.r["no_dp"]["rows"]])

    def test_server_momentum_changes_the_run(self):
        # FedAvgM (v = beta v + average) against plain FedAvg (beta 0) on the same devices and coins
        self.assertEqual(self.r["config"]["server_momentum"], 0.5)
        out = subprocess.run([sys.executable, os.path.join(SERVER, "federated_sim.py"), "--devices", "8", "--rounds", "4",
                              "--central-steps", "10", "--server-momentum", "0", "--json"], check=True, capture_output=True, text=True).stdout
        plain = json.loads(out)["no_dp"]["rows"]
        self.assertEqual(plain[1]["accuracy"], self.r["no_dp"]["rows"][1]["accuracy"])  # round 1: v = average
        self.assertNotEqual([r["accuracy"] for r in plain], [r["accuracy"] for r in self.r["no_dp"]["rows"]])

    def test_printed_epsilon_is_privacy_py_for_the_run(self):
        cfg, dp = self.r["config"], self.r["dp"]
        noise = privacy.DiscreteNoise(clip_steps=cfg["clip_steps"], dimension=self.r["no_dp"]["dimension"],
                                      devices=cfg["devices"], min_survivors=math.floor(0.9 * cfg["devices"]))
        acc = privacy.RoundAccountant(self.z, 1.0, cfg["delta"], noise)
        self.assertEqual(dp["noise_multiplier"], self.z)
        self.assertEqual(len(dp["rows"]), cfg["rounds"] + 1)
        for row in dp["rows"][1:]:
            # the run composes one round at a time, epsilon_pld(R) self-composes R rounds at once:
            # the same PLD up to its discretisation
            self.assertLess(abs(row["epsilon_pld"] - acc.epsilon_pld(row["round"])), 1e-6 * row["epsilon_pld"])
            self.assertAlmostEqual(row["epsilon_rdp"], acc.epsilon_rdp(row["round"]), places=9)
        self.assertLess(dp["rows"][1]["epsilon_pld"], dp["rows"][-1]["epsilon_pld"])
        # what each device added: ceil((z c)^2) / n steps^2
        self.assertEqual(Fraction(dp["local_variance"]), Fraction(math.ceil((Fraction(self.z) * cfg["clip_steps"]) ** 2), cfg["devices"]))

    def test_budget_stops_the_run(self):
        out = subprocess.run([sys.executable, os.path.join(SERVER, "federated_sim.py"), "--devices", "4", "--rounds", "5",
                              "--central-steps", "10", "--local-steps", "5", "--noise-multiplier", "1.0", "--epsilon-max", "6",
                              "--dp", "--json"], check=True, capture_output=True, text=True).stdout
        rows = json.loads(out)["dp"]["rows"]
        noise = privacy.DiscreteNoise(clip_steps=1024, dimension=426, devices=4, min_survivors=3)
        acc = privacy.RoundAccountant(1.0, 1.0, 1e-5, noise)
        allowed = max(r for r in range(1, 6) if acc.epsilon_pld(r) <= 6)
        self.assertLess(allowed, 5)
        self.assertEqual(rows[-1]["round"], allowed)


if __name__ == "__main__":
    unittest.main()

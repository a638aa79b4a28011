"""The ServerApp under Flower's Simulation Engine (fleet-server/flower_sim.py): `flwr run` on a
SuperLink in simulation mode (Ray backend) with two virtual gateway SuperNodes, 24 virtual
devices running the device's SecAgg+ protocol in Python, 15% of them dropping out at random
stages. Oracle: the plain sum of the survivors' encoded updates mod 2^32, computed without
masking; the survivors must be exactly the devices that sent a masked vector. Needs
build/bin/edge-peft (make) for the round's adapter and flwr[simulation] (requirements.txt).
"""
import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.dirname(HERE)
sys.path.insert(0, SERVER)
import flower_sim  # noqa: E402
import virtual_devices  # noqa: E402
from pairwise_masks import MOD  # noqa: E402

CLI = os.path.join(os.path.dirname(SERVER), "build", "bin", "edge-peft")


@unittest.skipUnless(os.path.exists(CLI), "build/bin/edge-peft missing (run make)")
@unittest.skipUnless(importlib.util.find_spec("ray"), "ray missing (flwr[simulation] in requirements.txt)")
class SimulationEngine(unittest.TestCase):
    def test_round_under_flwr_run_sums_exactly(self):
        res = flower_sim.run(devices=24, cohorts=2, dropout=0.15, neighbours=6, rounds=1, seed=3, cpus=2, timeout=300)
        self.assertTrue(res["exact"])
        (r,) = res["rounds"]
        ids = flower_sim.device_ids(24)
        stages = [virtual_devices.dropout_stage(3, 1, i, 0.15) for i in ids]
        self.assertGreater(sum(s in (1, 2, 3) for s in stages), 0, "some devices drop before masking")
        # every cohort aggregated (the seed gives t revealing neighbours everywhere), all maskers counted
        self.assertEqual(sorted(r["cohorts"]), ["0", "1"])
        self.assertEqual(r["survivors"], sum(s in (0, 4) for s in stages))
        self.assertGreater(r["seconds"], 0)

    def test_the_check_catches_a_wrong_sum_or_survivor_list(self):
        cfg = {"clip": 0.1, "step": 0.1 / 1024, "sample-cap": 10, "neighbours": 4}
        ids = flower_sim.device_ids(8)
        plain = [0] * 6
        for i in ids:
            plain = [(a + b) % MOD for a, b in zip(plain, virtual_devices.encoded_update(5, 1, i, 5, 0.1, 0.1 / 1024, 10))]
        good = {"round": 1, "cohorts": {"0": {"survivors": ids, "sum": plain}}}
        self.assertEqual(flower_sim.check_round(good, ids, 1, 5, 0.0, 5, cfg)["cohorts"]["0"]["survivors"], 8)
        bad = {"round": 1, "cohorts": {"0": {"survivors": ids, "sum": [plain[0] + 1] + plain[1:]}}}
        with self.assertRaisesRegex(AssertionError, "differs from the plain sum"):
            flower_sim.check_round(bad, ids, 1, 5, 0.0, 5, cfg)
        with self.assertRaisesRegex(AssertionError, "survivors"):
            flower_sim.check_round({"round": 1, "cohorts": {"0": {"survivors": ids[1:], "sum": plain}}}, ids, 1, 5, 0.0, 5, cfg)
        with self.assertRaisesRegex(AssertionError, "not aggregated, though"):
            flower_sim.check_round({"round": 1, "cohorts": {}}, ids, 1, 5, 0.0, 5, cfg)


if __name__ == "__main__":
    unittest.main()

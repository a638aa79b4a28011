"""Server figures of secure aggregation (issue 10 item 6): one round's secagg.unmask (every
frame's signature checked, Shamir rebuilds checked against the commitments, self masks and the
dropped devices' pairwise masks removed) plus decode_average, timed in one process (one core),
per cohort size. The devices are the test suite's (fleet-server/tests/test_secagg.py Fleet:
keys from cryptography, shares from pycryptodome, masks by pairwise_masks.py, the devices'
derivation); building them is not timed. 5% of the devices drop after sharing, so their masks
are rebuilt from revealed key shares. Sizes that would take too long to build here are
extrapolated from the largest measured one, linearly in devices (unmask's work is per survivor
and per dropped neighbour, both linear in n at fixed k), and marked so.

python fleet-server/server_bench.py --json [--sizes 100,1000 --extrapolate 10000]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "tests"))
import secagg  # noqa: E402
from test_secagg import Fleet  # noqa: E402

DIM = 426  # the digits adapter's update (LoRA r4 on FC1 + biases)


def measure(n: int, k: int) -> dict:
    t = secagg.min_threshold(k)
    fleet = Fleet(n=n, k=k, t=t, d=DIM + 1, round_=3, seed=n)
    late = fleet.ids[:: 20]  # 5%, spread round the ring
    keys, masked, reveals, survivors, dropped = fleet.run(after_shares=late)
    start = time.perf_counter()
    total, surv, drop = secagg.unmask(fleet.round, t, fleet.device_keys, keys, list(masked.values()), list(reveals.values()))
    total[-1] = len(surv)  # a weight word so decode runs (the test fleet's last word is random)
    secagg.decode_average(total, 1 / 1024, 10)
    seconds = time.perf_counter() - start
    assert total[:-1] == fleet.plain_sum(surv)[:-1], "unmasked sum differs from the plain sum"
    return {"devices": n, "neighbours": k, "threshold": t, "dropped": len(drop), "dimension": DIM + 1,
            "seconds": seconds, "per_second": len(surv) / seconds, "measured": True}


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100,1000")
    p.add_argument("--extrapolate", default="10000")
    p.add_argument("--neighbours", type=int, default=10)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    rows = [measure(int(n), a.neighbours) for n in a.sizes.split(",")]
    big = rows[-1]
    for n in (int(x) for x in a.extrapolate.split(",") if x):
        rows.append({**big, "devices": n, "dropped": round(big["dropped"] * n / big["devices"]),
                     "seconds": big["seconds"] * n / big["devices"], "measured": False})
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fleet's ServerApp (its own SecAgg+ workflow, edge_peft_fleet/server_app.py) under Flower's
Simulation Engine: `flwr run fleet-server` on a SuperLink started here in simulation mode
(`flower-superlink --simulation`, Ray backend), with one virtual SuperNode per cohort. Each
SuperNode is a virtual gateway (edge_peft_fleet/gateway_app.py without a broker) whose cohort's
devices are virtual devices running the device's protocol in Python (virtual_devices.py), some
dropping out at a random stage. Checked after the run, for every round and cohort: the server's
unmasked sum equals the plain sum of the survivors' encoded updates mod 2^32 (computed here
without any masking), and the survivors are exactly the devices that sent a masked vector.

Prints per round: devices, survivors, round latency (the ServerApp's own timing of the four
stages and the unmasking, excluding Flower and Ray start-up), updates aggregated per second
per core (survivors / latency / cores the run had), and the whole `flwr run` wall time.

python fleet-server/flower_sim.py --devices 100 --cohorts 2 [--dropout 0.1 --neighbours 10 --rounds 1 --json]
Needs build/bin/edge-peft (the round's global adapter is the digits LoRA adapter, 426 values).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import secagg  # noqa: E402
import virtual_devices  # noqa: E402
from adapter_average import records  # noqa: E402
from edge_peft_fleet.registry import cohort_of  # noqa: E402
from federated_sim import DEMO, MODEL, SPEC, run_cli  # noqa: E402
from pairwise_masks import MOD, public_bytes  # noqa: E402

BIN = os.path.dirname(sys.executable)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def device_ids(n: int) -> list[str]:
    return [f"v{i:05d}" for i in range(n)]


def make_fleet(work: str, n: int, cohorts: int, seed: int) -> dict:
    """Registry (ids, provisioned public keys), fleet key pair, the global adapter."""
    key = ec.generate_private_key(ec.SECP256R1())
    paths = {k: os.path.join(work, f) for k, f in (("registry", "devices.json"), ("fleet-key", "fleet.key"), ("fleet-public", "fleet.pub"),
                                                     ("adapter", "global.epad"), ("out", "rounds"))}
    with open(paths["fleet-key"], "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    with open(paths["fleet-public"], "wb") as f:
        f.write(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    devices = [{"id": i, "publicKey": public_bytes(virtual_devices.device_key(seed, i)).hex()} for i in device_ids(n)]
    with open(paths["registry"], "w", encoding="utf8") as f:
        json.dump({"fleet": "sim-1", "cohorts": cohorts, "devices": devices}, f)
    run_cli("train", MODEL, "--data", os.path.join(DEMO, "user_pool.bin"), "--adapter", SPEC, "--steps", "0", "--seed", "1", "--out", paths["adapter"])
    return paths


def check_round(report: dict, ids: list[str], cohorts: int, seed: int, dropout: float, elements: int, cfg: dict) -> dict:
    """The server's sums against the plain sums of the survivors' encoded updates, per cohort."""
    r = report["round"]
    out = {"round": r, "cohorts": {}}
    for c in range(cohorts):
        members = [i for i in ids if cohort_of(i, cohorts) == c]
        want = sorted(i for i in members if virtual_devices.dropout_stage(seed, r, i, dropout) in (0, 4))
        got = report["cohorts"].get(str(c))
        if got is None:
            # Only dropouts past the threshold excuse a cohort: some device that shared has fewer
            # than t neighbours left to reveal its shares (the graph and t are the server's, public).
            stage = {i: virtual_devices.dropout_stage(seed, r, i, dropout) for i in members}
            graph = secagg.neighbour_graph(members, cfg["neighbours"], r)
            t = secagg.min_threshold(min(len(v) for v in graph.values()))
            short = [i for i in members if stage[i] in (0, 3, 4) and sum(stage[j] == 0 for j in graph[i]) < t]
            if not short:
                raise AssertionError(f"round {r} cohort {c}: not aggregated, though every device has t = {t} revealing neighbours")
            out["cohorts"][str(c)] = {"devices": len(members), "left_out": f"{short[0]}: fewer than t = {t} of its neighbours reveal"}
            continue
        if sorted(got["survivors"]) != want:
            raise AssertionError(f"round {r} cohort {c}: survivors {got['survivors']} are not the devices that masked {want}")
        plain = [0] * (elements + 1)
        for i in want:
            enc = virtual_devices.encoded_update(seed, r, i, elements, cfg["clip"], cfg["step"], cfg["sample-cap"])
            plain = [(a + b) % MOD for a, b in zip(plain, enc)]
        if got["sum"] != plain:
            raise AssertionError(f"round {r} cohort {c}: the unmasked sum differs from the plain sum of its {len(want)} survivors")
        out["cohorts"][str(c)] = {"devices": len(members), "survivors": len(want), "dropped_before_masking": len(members) - len(want),
                                  "silent_at_reveal": sum(virtual_devices.dropout_stage(seed, r, i, dropout) == 4 for i in members)}
    return out


def run(devices: int, cohorts: int, dropout: float, neighbours: int, rounds: int, seed: int, cpus: int, timeout: float) -> dict:
    work = tempfile.mkdtemp(prefix="flower-sim-")
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = {**os.environ, "FLWR_HOME": home, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "RAY_DEDUP_LOGS": "0"}
    port, fleet_port = free_port(), free_port()
    procs: list[subprocess.Popen] = []
    try:
        paths = make_fleet(work, devices, cohorts, seed)
        with open(paths["adapter"], "rb") as f:
            elements = sum(n for _, _, n, _ in records(f.read()))
        with open(os.path.join(home, "config.toml"), "w", encoding="utf8") as f:
            f.write(f'[superlink]\ndefault = "sim"\n\n[superlink.sim]\naddress = "127.0.0.1:{port}"\ninsecure = true\n'
                    f'options.num-supernodes = {cohorts}\n'
                    f'options.backend.client-resources.num-cpus = 1\noptions.backend.init-args.num-cpus = {cpus}\n')
        cfg = {"registry": paths["registry"], "fleet-key": paths["fleet-key"], "fleet-public": paths["fleet-public"], "adapter": paths["adapter"],
               "out": paths["out"], "first-round": 1, "rounds": rounds, "clip": 0.1, "step": 0.1 / 1024, "sample-cap": 10,
               "max-devices": max(1000, devices), "neighbours": neighbours, "threshold": 0, "stage-deadline": max(60.0, devices * 0.05),  # the ServerApp waits this + 60 s per stage
                "min-devices": 3,
               "publish": "none", "virtual-seed": seed, "virtual-dropout": dropout}
        run_config = os.path.join(work, "run-config.toml")
        with open(run_config, "w", encoding="utf8") as f:
            f.write("\n".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in cfg.items()) + "\n")
        log = open(os.path.join(work, "superlink.log"), "w", encoding="utf8")  # noqa: SIM115
        procs.append(subprocess.Popen([os.path.join(BIN, "flower-superlink"), "--insecure", "--simulation", "--host", "127.0.0.1", "--port", str(port),
                                       "--fleet-api-address", f"127.0.0.1:{fleet_port}",
                                       "--disable-runtime-dependency-installation"],
                                      env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        end = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if procs[0].poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"flower-superlink did not start: {open(log.name, encoding='utf8').read()[-2000:]}")
            time.sleep(0.2)
        start = time.monotonic()
        p = subprocess.run([os.path.join(BIN, "flwr"), "run", HERE, "sim", "--stream", "--run-config", run_config],
                           env=env, cwd=home, capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - start
        text = p.stdout + p.stderr
        if p.returncode != 0 or "fleet-server: done" not in text:
            raise RuntimeError(f"flwr run failed ({p.returncode}):\n{text[-4000:]}\nsuperlink:\n{open(log.name, encoding='utf8').read()[-3000:]}")
        latency = {int(m[1]): (int(m[2]), float(m[3])) for m in re.finditer(r"fleet-server: round (\d+): (\d+) updates aggregated in ([0-9.]+) s", text)}
        ids = device_ids(devices)
        out_rounds = []
        for r in range(1, rounds + 1):
            if r not in latency:
                raise AssertionError(f"round {r}: no ServerApp timing line")
            with open(os.path.join(paths["out"], f"round-{r}.json"), encoding="utf8") as f:
                try:
                    checked = check_round(json.load(f), ids, cohorts, seed, dropout, elements, cfg)
                except AssertionError as e:
                    server = "\n".join(ln for ln in text.splitlines() if "fleet-server:" in ln)
                    raise AssertionError(f"{e}\nthe ServerApp said:\n{server}") from None
            survivors, seconds = latency[r]
            if survivors != sum(c.get("survivors", 0) for c in checked["cohorts"].values()):
                raise AssertionError(f"round {r}: the ServerApp's count {survivors} differs from the check's")
            out_rounds.append({**checked, "survivors": survivors, "seconds": seconds, "per_second_per_core": survivors / seconds / cpus})
        return {"devices": devices, "cohorts": cohorts, "neighbours": neighbours, "dropout": dropout, "elements": elements, "cpus": cpus,
                "rounds": out_rounds, "flwr_run_seconds": wall, "exact": True}
    finally:
        for q in procs:
            if q.poll() is None:
                # the SuperLink's session: it and the SuperExec / simulation runtime it started
                os.killpg(q.pid, 15)
                try:
                    q.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(q.pid, 9)
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--devices", type=int, default=100)
    p.add_argument("--cohorts", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.1, help="fraction of devices that drop out, each at a random stage")
    p.add_argument("--neighbours", type=int, default=10)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cpus", type=int, default=os.cpu_count() or 1, help="CPUs given to Ray")
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    res = run(a.devices, a.cohorts, a.dropout, a.neighbours, a.rounds, a.seed, a.cpus, a.timeout)
    print(json.dumps(res) if a.json else res)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fleet's Flower ServerApp: secure-aggregation rounds over the cohorts' gateway SuperNodes.

Per round: stage 1 (keys) sends each gateway the signed KEYS_REQUEST and gets back the devices'
signed round keys; stage 2 (mask) sends each device its neighbours' keys (SecAgg+ graph within
the cohort) and gets back masked vectors; a cohort whose every masked vector arrived is summed
mod 2^32 (the masks cancel); FedAvg across cohorts by the sample counts inside the vectors;
the new global adapter is written, signed as an EPDL delta and (run config `publish`) rolled out.
Until dropout recovery lands (secagg), a cohort with a device missing at stage 2 is left out of
the round: its partial sum would still carry masks.

Run config (pyproject.toml [tool.flwr.app.config], override with flwr run --run-config):
registry, fleet-key (PEM), adapter (the current global EPAD), out (directory), first-round,
rounds, clip, fraction-bits, local-steps, stage-deadline, min-devices, publish ("none" |
"sign" | "rollout"), repo (for tools/edge-peft.js), model, spec, version, sequence.
"""
import hashlib
import json
import os
import subprocess
import time

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from . import adapter, aggregate, frames
from .registry import read_registry

app = ServerApp()


def say(text: str) -> None:
    print(f"fleet-server: {text}", flush=True)


def _stage(grid: Grid, kind: str, per_node: dict[int, ConfigRecord], round_: int, timeout: float) -> dict[int, ConfigRecord]:
    msgs = [Message(RecordDict({"stage": c}), dst_node_id=n, message_type=f"query.{kind}", group_id=str(round_)) for n, c in per_node.items()]
    out: dict[int, ConfigRecord] = {}
    for r in grid.send_and_receive(msgs, timeout=timeout):
        if r.has_error():
            say(f"round {round_} {kind}: gateway {r.metadata.src_node_id} failed: {r.error.reason}")
            continue
        out[r.metadata.src_node_id] = r.content["stage"]
    return out


def _frames_of(c: ConfigRecord) -> list[tuple[str, bytes]]:
    return list(zip(c["from"], c["frames"])) if int(c["count"]) > 0 else []


def _gateways(grid: Grid, cohorts: int, fleet: str, wait_s: float) -> dict[int, int]:
    """cohort -> SuperNode id, asked of every connected gateway."""
    end = time.monotonic() + wait_s
    found: dict[int, int] = {}
    while time.monotonic() < end:
        nodes = [n for n in grid.get_node_ids() if n not in found.values()]
        if nodes:
            msgs = [Message(RecordDict({}), dst_node_id=n, message_type="query.hello", group_id="hello") for n in nodes]
            for r in grid.send_and_receive(msgs, timeout=30):
                if not r.has_error() and r.content["gateway"]["fleet"] == fleet:
                    found[int(r.content["gateway"]["cohort"])] = r.metadata.src_node_id
        if all(c in found for c in range(cohorts)):
            return found
        time.sleep(0.5)
    raise RuntimeError(f"gateways found for cohorts {sorted(found)} of {cohorts} within {wait_s} s")


def run_round(grid: Grid, cfg: dict, key, devices: dict, gateways: dict[int, int], global_image: bytes, round_: int) -> dict:
    n = len(adapter.elements(global_image))
    params = frames.RoundParams(n, float(cfg["clip"]), int(cfg["fraction-bits"]), int(cfg["local-steps"]), hashlib.sha256(global_image).digest())
    deadline = float(cfg["stage-deadline"])
    timeout = deadline + 60  # the gateway's ClientApp process starts per stage
    members = {c: sorted(d.id for d in devices.values() if d.cohort == c) for c in gateways}
    cohort_of_node = {nid: c for c, nid in gateways.items()}

    # Stage 1: round keys.
    per_node = {}
    for c, nid in gateways.items():
        req = frames.encode(frames.Frame(frames.KEYS_REQUEST, round_, c, "", frames.keys_request_body(params)), key)
        per_node[nid] = ConfigRecord({"round": round_, "request": req, "deadline": deadline, "expected": len(members[c]),
                                      **({"expect": members[c]} if members[c] else {})})
    keys: dict[int, dict[str, bytes]] = {c: {} for c in gateways}
    for nid, rec in _stage(grid, "keys", per_node, round_, timeout).items():
        c = cohort_of_node[nid]
        for ident, data in _frames_of(rec):
            d = devices.get(ident)
            if ident in keys[c]:
                continue  # already have a verified one (a later frame is a duplicate or a forgery)
            try:
                if d is None or d.cohort != c:
                    raise frames.FrameError("unknown-device", f"{ident} is not in cohort {c}")
                f = frames.verify(data, d.public_key)
                if (f.stage, f.round, f.cohort, f.device_id) != (frames.KEYS_REPLY, round_, c, ident):
                    raise frames.FrameError("wrong-frame", "not this round's key reply from this device")
                keys[c][ident] = frames.round_key(f.body)
            except frames.FrameError as e:
                say(f"round {round_} cohort {c}: {ident}: {e}")

    # Stage 2: masked vectors, from every device that sent a key.
    per_node = {}
    graphs = {}
    for c, nid in gateways.items():
        alive = sorted(keys[c])
        if len(alive) < int(cfg["min-devices"]):
            say(f"round {round_} cohort {c}: {len(alive)} device(s) with keys, fewer than min-devices {cfg['min-devices']}: left out")
            continue
        graphs[c] = aggregate.neighbours(alive)
        reqs = [frames.encode(frames.Frame(frames.MASK_REQUEST, round_, c, i,
                                           frames.mask_request_body([(j, keys[c][j]) for j in graphs[c][i]])), key) for i in alive]
        per_node[nid] = ConfigRecord({"round": round_, "to": alive, "requests": reqs, "deadline": deadline})
    sums: dict[int, list[int]] = {}
    report: dict = {"round": round_, "cohorts": {}}
    for nid, rec in _stage(grid, "mask", per_node, round_, timeout).items():
        c = cohort_of_node[nid]
        vectors = {}
        for ident, data in _frames_of(rec):
            if ident in vectors:
                continue
            try:
                if ident not in graphs[c]:
                    raise frames.FrameError("unknown-device", f"{ident} was not asked in cohort {c}")
                f = frames.verify(data, devices[ident].public_key)
                if (f.stage, f.round, f.cohort, f.device_id) != (frames.MASK_REPLY, round_, c, ident):
                    raise frames.FrameError("wrong-frame", "not this round's masked vector from this device")
                vectors[ident] = frames.masked_words(f.body, n)
            except frames.FrameError as e:
                say(f"round {round_} cohort {c}: {ident}: {e}")
        missing = sorted(set(graphs[c]) - set(vectors))
        if missing:
            say(f"round {round_} cohort {c}: no masked vector from {', '.join(missing)}: the cohort's masks cannot be removed without dropout recovery; left out")
            continue
        sums[c] = aggregate.add_mod([vectors[i] for i in sorted(vectors)])
        report["cohorts"][str(c)] = {"devices": sorted(vectors), "neighbours": graphs[c], "sum": sums[c]}
        say(f"round {round_} cohort {c}: {len(vectors)} masked vectors summed, {sums[c][-1]} samples")
    if not sums:
        raise RuntimeError(f"round {round_}: no cohort completed")
    count, average = aggregate.fedavg([sums[c] for c in sorted(sums)], params.fraction_bits)
    # Each word of the total is at most count * S * 2^f in magnitude: beyond 2^31 its sign is lost mod 2^32.
    if count * params.clip * (1 << params.fraction_bits) >= 1 << 31:
        raise RuntimeError(f"round {round_}: {count} samples x clip {params.clip} x 2^{params.fraction_bits} overflows the signed 32-bit sum; lower clip or fraction-bits")
    new_elements = aggregate.apply(adapter.elements(global_image), average)
    report.update({"samples": count, "average": average, "elements": new_elements})
    say(f"round {round_}: FedAvg over cohorts {sorted(sums)} ({count} samples), mean |update| {sum(map(abs, average)) / n:.4f} view units")
    return report


def _publish(cfg: dict, path: str, round_: int, cohorts: int) -> None:
    mode = str(cfg["publish"])
    if mode == "none":
        return
    cli = os.path.join(str(cfg["repo"]), "tools", "edge-peft.js")
    delta = path.replace(".epad", ".epdl")
    version, sequence = int(cfg["version"]) + round_ - int(cfg["first-round"]), int(cfg["sequence"]) + round_ - int(cfg["first-round"])
    subprocess.run(["node", cli, "delta", "sign", "--key", str(cfg["fleet-key"]), "--model", str(cfg["model"]), "--adapter", path,
                    "--spec", str(cfg["spec"]), "--version", str(version), "--sequence", str(sequence), "--out", delta], check=True)
    say(f"round {round_}: signed {delta} (version {version}, sequence {sequence})")
    if mode == "rollout":
        # One rollout per cohort, in parallel, through the operator tool's staged path (docs/deploy.md).
        procs = [subprocess.Popen(["node", cli, "fleet", "publish", "--key", str(cfg["fleet-key"]), "--delta", delta, "--broker", f"mqtt://{cfg['broker']}",
                                   "--registry", str(cfg["registry"]), "--cohort", str(c), "--stages", "100",
                                   "--stage-timeout", str(int(float(cfg["stage-deadline"])))], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for c in range(cohorts)]
        for c, p in enumerate(procs):
            out, _ = p.communicate()
            say(f"round {round_}: rollout to cohort {c}: {out.strip().splitlines()[-1] if out.strip() else ''}")
            if p.returncode != 0:
                raise RuntimeError(f"rollout of {delta} to cohort {c} failed ({p.returncode}): {out}")


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = dict(context.run_config)
    fleet, cohorts, devices = read_registry(str(cfg["registry"]))
    with open(str(cfg["fleet-key"]), "rb") as f:
        key = load_pem_private_key(f.read(), password=None)
    with open(str(cfg["adapter"]), "rb") as f:
        image = f.read()
    out = str(cfg["out"])
    os.makedirs(out, exist_ok=True)
    gateways = _gateways(grid, cohorts, fleet, float(cfg["stage-deadline"]) + 60)
    say(f"fleet {fleet}: {len(devices)} devices in {cohorts} cohorts; gateways {gateways}")
    first = int(cfg["first-round"])
    for r in range(first, first + int(cfg["rounds"])):
        report = run_round(grid, cfg, key, devices, gateways, image, r)
        image = adapter.with_elements(image, report["elements"])
        path = os.path.join(out, f"global-{r}.epad")
        with open(path, "wb") as f:
            f.write(image)
        with open(os.path.join(out, f"round-{r}.json"), "w", encoding="utf8") as f:
            json.dump(report, f)
        _publish(cfg, path, r, cohorts)
    say("done")

"""The fleet's Flower ServerApp: secure-aggregation rounds over the cohorts' gateway SuperNodes.

Per round and cohort (all cohorts in parallel, one Flower message per gateway and stage): the
SecAgg+ stages of docs/fleet.md, setup -> key frames, neighbours' key frames -> encrypted shares
(routed by recipient), shares -> masked vectors, survivors and dropped -> revealed shares; then
secagg.unmask gives the cohort's sum of encoded updates (dropouts at any stage down to the
threshold t). FedAvg across cohorts: the cohort sums added mod 2^32 and decoded by the weights
inside them; the new global adapter is written, signed as an EPDL delta and (run config
`publish`) rolled out.

Run config (pyproject.toml [tool.flwr.app.config], override with flwr run --run-config):
registry, fleet-key (PEM), adapter (the current global EPAD), out (directory), first-round,
rounds, clip, step, sample-cap, max-devices, neighbours (k), threshold (at least k/2 + 1),
local-steps, stage-deadline, min-devices, publish ("none" |
"sign" | "rollout"), repo (for tools/edge-peft.js), model, spec, version, sequence; DP (dp.py):
dp-epsilon (target over dp-rounds, 0 = no noise), dp-delta, dp-rounds (0 = the run's last
round), noise-multiplier (z, instead of calibrating), epsilon-max (stop; 0 = dp-epsilon).
"""
import hashlib
import json
import os
import subprocess
import time

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from . import aggregate, dp, frames
from .registry import read_registry

# fleet-server/secagg.py, adapter_average.py (and pairwise_masks.py) sit at the app's root, on the path of the
# app's processes (the FAB root) and of the tests alike.
import adapter_average  # noqa: E402  pylint: disable=wrong-import-position
import secagg  # noqa: E402  pylint: disable=wrong-import-position

app = ServerApp()


def say(text: str) -> None:
    print(f"fleet-server: {text}", flush=True)


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


def _relay(grid: Grid, round_: int, stage: int, asks: dict[int, list[tuple[str, bytes, int]]], gateways: dict[int, int],
           keys: dict[str, bytes], deadline: float) -> dict[int, list[tuple[str, bytes]]]:
    """One stage: per cohort, (device, request, frames it owes) out through its gateway; the
    devices' (id, EPSA frame) pairs back, unverified."""
    msgs = []
    for c, items in asks.items():
        if items:
            msgs.append(Message(RecordDict({"stage": ConfigRecord({
                "round": round_, "kind": frames.REPLY_KIND[stage], "deadline": deadline,
                "to": [i for i, _, _ in items], "requests": [q for _, q, _ in items], "owe": [o for _, _, o in items],
                "keys": [keys[i] for i, _, _ in items]})}),
                dst_node_id=gateways[c], message_type="query.relay", group_id=f"{round_}.{stage}"))
    cohort_of = {nid: c for c, nid in gateways.items()}
    out: dict[int, list[tuple[str, bytes]]] = {c: [] for c in asks}
    start = time.monotonic()
    # The gateway's ClientApp process starts per stage: allow it a minute over the deadline.
    for r in grid.send_and_receive(msgs, timeout=deadline + 60):
        c = cohort_of[r.metadata.src_node_id]
        if r.has_error():
            say(f"round {round_} stage {stage} cohort {c}: gateway failed: {r.error.reason}")
            continue
        rec = r.content["stage"]
        if int(rec["count"]) > 0:
            out[c] = list(zip(rec["from"], rec["frames"]))
    say(f"round {round_} stage {stage}: {sum(len(v) for v in out.values())} frames from {sum(len(v) for v in asks.values())} devices in {time.monotonic() - start:.1f} s")
    return out


def _verified(pairs: list[tuple[str, bytes]], kind: str, round_: int, keys: dict[str, bytes], members: set[str], label: str) -> dict[str, list[bytes]]:
    """The frames that verify as `kind` of this round from the device whose topic they came on."""
    out: dict[str, list[bytes]] = {}
    for ident, data in pairs:
        try:
            sender, _ = secagg.open_frame(data, kind, round_, keys)
            if sender != ident or sender not in members:
                raise secagg.SecAggError("wrong-sender", f"a frame signed by {sender} on the topic of {ident}")
            out.setdefault(sender, []).append(data)
        except secagg.SecAggError as e:
            say(f"{label}: {ident}: refused ({e.code}): {e}")
    return out


def _members(devices: dict, cohorts) -> dict[int, list[str]]:
    return {c: sorted(i for i, d in devices.items() if d.cohort == c) for c in cohorts}


def _cohort_graph(cfg: dict, ids: list[str], round_: int) -> tuple[dict[str, list[str]], int]:
    """The cohort's neighbour graph for the round and its Shamir threshold t."""
    graph = secagg.neighbour_graph(ids, int(cfg["neighbours"]), round_)
    degree = min(len(v) for v in graph.values())
    return graph, max(int(cfg["threshold"]), secagg.min_threshold(degree))


def run_cohorts(grid: Grid, cfg: dict, key, devices: dict, gateways: dict[int, int], image: bytes, round_: int,
                noise: dict[int, str] | None = None) -> dict:
    """The four SecAgg+ stages for every cohort at once, then each cohort unmasked on its own.
    noise: cohort -> the variance ("p/q") of each device's discrete Gaussian share (dp.py)."""
    n = sum(count for _, _, count, _ in adapter_average.records(image))
    deadline = float(cfg["stage-deadline"])
    keys = {i: d.public_key for i, d in devices.items()}
    members = _members(devices, gateways)
    graph: dict[int, dict[str, list[str]]] = {}
    threshold: dict[int, int] = {}
    asks: dict[int, list[tuple[str, bytes, int]]] = {}
    for c, ids in members.items():
        if len(ids) < int(cfg["min-devices"]):
            say(f"round {round_} cohort {c}: {len(ids)} devices, fewer than min-devices {cfg['min-devices']}: left out")
            continue
        graph[c], threshold[c] = _cohort_graph(cfg, ids, round_)
        p = frames.Params(float(cfg["clip"]), float(cfg["step"]), int(cfg["sample-cap"]), int(cfg["max-devices"]), int(cfg["local-steps"]),
                          n, threshold[c], hashlib.sha256(image).digest(), (noise or {}).get(c, ""))
        asks[c] = [(i, frames.request(frames.SETUP, round_, c, i, frames.setup_body(p, [(j, keys[j]) for j in graph[c][i]]), key), 1) for i in ids]
    label = lambda c: f"round {round_} cohort {c}"  # noqa: E731
    # 1. keys
    got = _relay(grid, round_, frames.SETUP, asks, gateways, keys, deadline)
    key_frames = {c: {i: f[0] for i, f in _verified(got[c], "keys", round_, keys, set(members[c]), label(c)).items()} for c in asks}
    # 2. shares: each device gets its neighbours' key frames, and owes one share per neighbour with keys
    asks = {}
    for c in key_frames:
        asks[c] = []
        for i in key_frames[c]:
            peers = [key_frames[c][j] for j in graph[c][i] if j in key_frames[c]]
            if len(peers) >= threshold[c]:
                asks[c].append((i, frames.request(frames.KEYS, round_, c, i, frames.frame_list(peers), key), len(peers)))
    got = _relay(grid, round_, frames.KEYS, asks, gateways, keys, deadline)
    inbox: dict[int, dict[str, list[bytes]]] = {c: {} for c in asks}
    share_senders: dict[int, set[str]] = {c: set() for c in asks}
    for c in asks:
        routed = set()
        for ident, data in got[c]:
            try:
                sender, recipient = secagg.share_route(data, round_, keys)
                if sender != ident or recipient not in graph[c].get(sender, []) or (sender, recipient) in routed:
                    raise secagg.SecAggError("wrong-route", f"share from {sender} to {recipient} on the topic of {ident}")
                routed.add((sender, recipient))
                inbox[c].setdefault(recipient, []).append(data)
                share_senders[c].add(sender)
            except secagg.SecAggError as e:
                say(f"{label(c)}: {ident}: share refused ({e.code}): {e}")
    # 3. masked vectors: each device that shared gets the shares addressed to it
    asks = {c: [(i, frames.request(frames.SHARES, round_, c, i, frames.frame_list(inbox[c].get(i, [])), key), 1)
                for i in sorted(share_senders[c]) if len(inbox[c].get(i, [])) >= threshold[c]] for c in inbox}
    got = _relay(grid, round_, frames.SHARES, asks, gateways, keys, deadline)
    masked = {c: {i: f[0] for i, f in _verified(got[c], "masked", round_, keys, set(members[c]), label(c)).items()} for c in asks}
    # 4. reveal: survivors' self-mask shares, dropped devices' mask-key shares
    lists = {}
    for c in masked:
        survivors, dropped = secagg.unmask_request(sorted(share_senders[c]), sorted(masked[c]))
        try:
            # Fewer than t survivors: no reveal is asked for, so not even the server could unmask them.
            secagg.check_survivors(survivors, threshold[c], label(c))
        except secagg.SecAggError as e:
            say(f"{label(c)}: refused ({e.code}): {e}; left out")
            continue
        lists[c] = (survivors, dropped)
    asks = {c: [(i, frames.request(frames.REVEAL, round_, c, i, frames.reveal_lists(*lists[c]), key), 1) for i in lists[c][0]] for c in lists}
    got = _relay(grid, round_, frames.REVEAL, asks, gateways, keys, deadline)
    clear = [Message(RecordDict({"stage": ConfigRecord({"count": len(members[c]), **({"to": members[c]} if members[c] else {})})}),
                     dst_node_id=gateways[c], message_type="query.clear", group_id=f"{round_}.clear") for c in gateways]
    for r in grid.send_and_receive(clear, timeout=60):
        if r.has_error():
            say(f"round {round_}: a gateway could not clear the round's requests: {r.error.reason}")
    report: dict = {"round": round_, "cohorts": {}}
    sums = []
    for c in asks:
        reveals = [f[0] for f in _verified(got[c], "reveal", round_, keys, set(members[c]), label(c)).values()]
        try:
            total, survivors, dropped = secagg.unmask(round_, threshold[c], keys, list(key_frames[c].values()), list(masked[c].values()), reveals)
        except secagg.SecAggError as e:
            say(f"{label(c)}: cannot unmask ({e.code}): {e}; left out")
            continue
        sums.append(total)
        report["cohorts"][str(c)] = {"survivors": survivors, "dropped": dropped, "threshold": threshold[c], "neighbours": graph[c], "sum": total}
        say(f"{label(c)}: {len(survivors)} survivors unmasked ({', '.join(dropped) or 'none'} dropped), weight {total[-1]}")
    if not sums:
        raise RuntimeError(f"round {round_}: no cohort completed")
    total = aggregate.add_mod(sums)
    average, weight = secagg.decode_average(total, float(cfg["step"]), int(cfg["sample-cap"]))
    report.update({"weight": weight, "average": average})
    say(f"round {round_}: FedAvg over cohorts {sorted(report['cohorts'])} (weight {weight} samples)")
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
    first, last = int(cfg["first-round"]), int(cfg["first-round"]) + int(cfg["rounds"]) - 1
    elements = sum(count for _, _, count, _ in adapter_average.records(image))
    sizes = {c: (len(ids), _cohort_graph(cfg, ids, first)[1]) for c, ids in _members(devices, gateways).items() if len(ids) >= int(cfg["min-devices"])}
    privacy_plan = dp.plan(cfg, elements, sizes, last)
    noise: dict[int, str] = {}
    if privacy_plan:
        p = privacy_plan
        noise = {c: dp.variance_text(cn.variance) for c, cn in p.cohorts.items()}
        say(f"privacy: distributed discrete Gaussian, z={p.noise_multiplier:g} on {p.clip_steps} clip steps, delta={p.delta:g}, "
            f"epsilon-max={p.epsilon_max:g}, sampling rate 1 (every device asked)")
        for c, cn in sorted(p.cohorts.items()):
            say(f"privacy: cohort {c}: {cn.devices} devices, each adds N_Z(0, {noise[c]}) steps^2; accounted with t={cn.threshold} survivors "
                f"(effective z={cn.accountant.effective_multiplier:.6g})")
    spent: tuple[int, float, float] | None = None
    for r in range(first, last + 1):
        if privacy_plan:
            admitted = privacy_plan.admit(r)
            if admitted is None:
                say(f"privacy: stop: round {r} would take epsilon to {privacy_plan.epsilon(r)[0]:.6f} (PLD) > epsilon-max {privacy_plan.epsilon_max:g}")
                break
            pld, rdp = admitted
        started = time.monotonic()
        report = run_cohorts(grid, cfg, key, devices, gateways, image, r, noise)
        survivors = sum(len(c["survivors"]) for c in report["cohorts"].values())
        say(f"round {r}: {survivors} updates aggregated in {time.monotonic() - started:.3f} s")
        if privacy_plan:
            report["privacy"] = {"noise-multiplier": privacy_plan.noise_multiplier, "delta": privacy_plan.delta, "clip-steps": privacy_plan.clip_steps,
                                 "variance": {str(c): v for c, v in noise.items()},
                                 "threshold": {str(c): cn.threshold for c, cn in privacy_plan.cohorts.items()},
                                 "epsilon-pld": pld, "epsilon-rdp": rdp}
            spent = (r, pld, rdp)
            say(f"privacy: round {r}: epsilon={pld:.6f} (PLD) {rdp:.6f} (RDP) at delta={privacy_plan.delta:g} after {r} rounds")
        image = adapter_average.apply_average(image, report["average"])
        path = os.path.join(out, f"global-{r}.epad")
        with open(path, "wb") as f:
            f.write(image)
        with open(os.path.join(out, f"round-{r}.json"), "w", encoding="utf8") as f:
            json.dump(report, f)
        _publish(cfg, path, r, cohorts)
    if spent:
        say(f"privacy: total after {spent[0]} rounds: epsilon={spent[1]:.6f} (PLD) {spent[2]:.6f} (RDP) at delta={privacy_plan.delta:g}")
    say("done")

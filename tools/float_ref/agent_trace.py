"""Float twin of an agent run (issue 12 item 6): the agent's training trace replayed in float64.

The XS simulator's agent with `--trace 1` (firmware/continual/trace-engine.ts) logs every call
that changed its integer trainer, with the bytes it got: the initial adapter, the task boundary's
Fisher batch, every trainStep batch (its labels: feedback labels, the agent's pseudo-labels,
replayed labels), every distillation step's soft targets, and the guard's checkpoint exports and
imports (a rollback). This replays the same calls through ref.py's float adapter (the float
reference bench/forgetting/float-ref.ts uses: dequantised frozen layers, float forward and
backward, softmax cross-entropy, per-example SGD, no rounding) with the engine's EWC rule in
float (Fisher = the mean squared per-example gradient on the boundary's batch under its labels,
anchor = the parameters there; each step adds lr lambda F (theta - theta*), never stepping past
theta*). So the float run is the same method on the same data, with the integer run's
pseudo-labels, replay draws and commit / rollback decisions (the float twin does not re-decide
them). Prints JSON: per evaluation set, the float adapted and float base model's top class and
top probability per record, for the caller's accuracies and routing rules.

  agent_trace.py MODEL --trace RUN.txt --lr X [--ewc-lambda L] --eval NAME=SAMPLES.bin ...
"""
import argparse
import json
import sys

import numpy as np

from ref import Adapter, forward_backward, load_model, parse_adapter, read_latents


def _copy(p):
    return {k: v.copy() for k, v in p.items()}


def _records(data_hex, width):
    raw = np.frombuffer(bytes.fromhex(data_hex), dtype=np.int8)
    return raw.reshape(-1, width)


def replay(layers, beta, lines, lr, lam):
    """The trace's calls in order; returns the final float adapter and the initial one."""
    ad = init = None
    width = None
    snaps, fisher, anchor = {}, None, None
    counts = dict(steps=0, soft=0, fisher=0, loads=0)

    def update(x, label, target):
        _, _, g = forward_backward(layers, beta, ad, x, label, target=target)
        for k, v in g.items():
            p = ad.p[k]
            new = p - lr * v
            if fisher is not None and lam > 0:
                diff = p - anchor[k]
                pen = lr * lam * fisher[k] * diff
                pen = np.where(np.abs(pen) > np.abs(diff), diff, pen)  # never past theta*
                new = new - pen
            ad.p[k] = new

    for line in lines:
        f = line.split()
        kind = f[1]
        if kind == "init":
            ad = Adapter(parse_adapter(bytes.fromhex(f[2])), layers)
            init = _copy(ad.p)
            width = layers[ad.lowest]["inp"] * layers[ad.lowest]["pos"]
            continue
        if ad is None:
            raise SystemExit("trace: no init line before the first call")
        if kind == "fisher":
            labels = np.frombuffer(bytes.fromhex(f[2]), dtype=np.uint8)
            xs = _records(f[3], width)
            acc = {k: np.zeros_like(v) for k, v in ad.p.items()}
            for x, y in zip(xs, labels):
                _, _, g = forward_backward(layers, beta, ad, x, int(y))
                for k, v in g.items():
                    acc[k] += v * v
            fisher = {k: v / len(labels) for k, v in acc.items()}
            anchor = _copy(ad.p)
            counts["fisher"] += len(labels)
        elif kind == "step":
            labels = np.frombuffer(bytes.fromhex(f[2]), dtype=np.uint8)
            for x, y in zip(_records(f[3], width), labels):
                update(x, int(y), None)
                counts["steps"] += 1
        elif kind == "soft":
            xs = _records(f[3], width)
            t = np.frombuffer(bytes.fromhex(f[2]), dtype=np.uint8).astype(np.float64).reshape(len(xs), -1) / 256.0
            for x, target in zip(xs, t):
                update(x, int(np.argmax(target)), target)
                counts["soft"] += 1
        elif kind == "snap":
            snaps[f[2]] = _copy(ad.p)
        elif kind == "load":
            if f[2] not in snaps:
                raise SystemExit(f"trace: checkpoint {f[2]} imported but never exported in the trace")
            ad.p = _copy(snaps[f[2]])
            counts["loads"] += 1
        elif kind == "reset":
            ad.p = _copy(init)
        else:
            raise SystemExit(f"trace: '{kind}' (an imported adapter or EWC image, new rates, a Fisher merge) has no float twin here")
    if ad is None:
        raise SystemExit("trace: no trace lines (run the agent with --trace 1)")
    return ad, init, counts


def answers(layers, beta, ad, path):
    labels, lat = read_latents(path, layers[ad.lowest]["inp"] * layers[ad.lowest]["pos"])
    top, prob = [], []
    for y, x in zip(labels, lat):
        _, logits, _ = forward_backward(layers, beta, ad, x, int(y), want_grad=False)
        z = beta * logits
        e = np.exp(z - z.max())
        top.append(int(np.argmax(z)))
        prob.append(float(e.max() / e.sum()))
    return dict(labels=[int(v) for v in labels], top=top, prob=prob)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--trace", required=True, help="the simulator's stdout of an agent run with --trace 1")
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--ewc-lambda", type=float, default=0.0)
    ap.add_argument("--eval", action="append", default=[], help="NAME=SAMPLES.bin")
    a = ap.parse_args()
    layers, beta = load_model(a.model)
    lines = [ln for ln in open(a.trace) if ln.startswith("trace ")]
    # the router's report (withBaseModel: snap, reset, load) comes after the run's last step:
    # replaying it leaves the parameters as they were
    ad, init, counts = replay(layers, beta, lines, a.lr, a.ewc_lambda)
    base = Adapter.__new__(Adapter)
    base.alpha_r, base.lowest, base.p = ad.alpha_r, ad.lowest, init
    out = dict(counts=counts, sets={})
    for e in a.eval:
        name, path = e.split("=", 1)
        out["sets"][name] = dict(adapted=answers(layers, beta, ad, path), base=answers(layers, beta, base, path))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

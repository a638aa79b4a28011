"""Float (numpy, float64) reference of edge-peft's adapter training.

Independent of the C trainer's arithmetic: the frozen layers are dequantised from the
.tflite (read with TFLite Micro's generated schema), the adapters from the documented
adapter format (docs/formats.md), and forward, softmax cross-entropy, backward and SGD run
in float with no requantisation, rounding or saturation.

Commands (JSON on stdout):
  grads MODEL --dump G.jsonl --latents L.bin
      for each step line written by `edge-peft train --grad-dump`, recompute the gradient
      at the dumped adapter and report the cosine with the C trainer's gradient.
  train MODEL --init INIT.bin --latents L.bin --steps N --lr X [--eval-latents E.bin]
      SGD in float from the same initial adapter, samples in file order (cycling), and
      accuracy before/after on the training and evaluation latents. --soft-targets T.bin: each
      step against its record's row of T (distillation, as `edge-peft train --soft-targets`).
  train-many MODEL --jobs JOBS.json
      `train` for each {init, latents, eval_latents, steps, lr[, int8_range, soft_targets]} of the list, in
      one process. int8_range / --int8-range: the logits stay in the model's int8 output range.
"""
import argparse
import json
import struct
import sys

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

AVGPOOL, CONV, FC, SOFTMAX, RESHAPE, MEAN = 1, 3, 9, 25, 22, 40
# activation operators the trainer passes (its EPT_LAYER_ACT, native/train/prepare.c)
LOGISTIC, RELU_OP, RELU6_OP, TANH, LEAKY_RELU, HARD_SWISH = 14, 19, 21, 28, 98, 117
ACT_OPS = (LOGISTIC, RELU_OP, RELU6_OP, TANH, LEAKY_RELU, HARD_SWISH)
KIND_A, KIND_B, KIND_BIAS, KIND_PROMPT, KIND_W, KIND_D, KIND_U = 0, 1, 2, 3, 4, 5, 6


def opcode(m, op):
    c = m.operatorCodes[op.opcodeIndex]
    return max(c.builtinCode, c.deprecatedBuiltinCode)


def load_model(path):
    """Adaptable layers (FC, 1x1 stride-1 CONV_2D) in order, each with the frozen global
    average pools (or MEANs over H, W) and activation operators that follow it, in order
    ("post": ("pool",) or ("act", code, alpha)), and the softmax beta."""
    m = schema.ModelT.InitFromPackedBuf(open(path, "rb").read(), 0)
    sg = m.subgraphs[0]

    def q(ti):
        t = sg.tensors[ti]
        return np.asarray(t.quantization.scale, np.float64), np.asarray(t.quantization.zeroPoint, np.int64)

    def data(ti, dt):
        return np.frombuffer(bytes(bytearray(m.buffers[sg.tensors[ti].buffer].data)), dtype=dt)

    layers, beta = [], None
    for op in sg.operators:
        code = opcode(m, op)
        shape = list(sg.tensors[op.inputs[1]].shape) if len(op.inputs) > 1 else []
        conv1 = (code == CONV and shape[1:3] == [1, 1] and op.builtinOptions.strideW == 1
                 and op.builtinOptions.strideH == 1)
        if code == FC or conv1:
            sx, zx = q(op.inputs[0])
            sw, _ = q(op.inputs[1])
            sy, zy = q(op.outputs[0])
            out, inp = shape[0], shape[-1]
            ish = list(sg.tensors[op.inputs[0]].shape)
            pos = int(np.prod(ish[1:3])) if conv1 else 1
            w = data(op.inputs[1], np.int8).reshape(out, inp).astype(np.float64)
            sw_rows = sw if sw.size == out else np.full(out, sw[0])
            b = np.zeros(out)
            if len(op.inputs) > 2 and op.inputs[2] >= 0:
                b = data(op.inputs[2], np.int32).astype(np.float64) * sx[0] * sw_rows
            layers.append(dict(W=w * sw_rows[:, None], b=b, sx=sx[0], zx=int(zx[0]), sy=sy[0],
                               zy=int(zy[0]), act=op.builtinOptions.fusedActivationFunction,
                               sw=sw_rows, out=out, inp=inp, pos=pos, post=[]))
        elif code in (AVGPOOL, MEAN) and layers:
            # global pool, or MEAN over H and W (the trainer takes no other): mean over positions
            layers[-1]["post"].append(("pool",))
        elif code in ACT_OPS and layers:
            alpha = op.builtinOptions.alpha if code == LEAKY_RELU else 0.0
            layers[-1]["post"].append(("act", code, alpha))
        elif code == SOFTMAX:
            beta = op.builtinOptions.beta or 1.0
    return layers, beta


def parse_adapter(buf):
    assert buf[:4] == b"EPAD", "not an adapter"
    ver, hdr, kinds, rank, alpha = struct.unpack_from("<HHIHH", buf, 4)
    count = struct.unpack_from("<H", buf, 30)[0]
    at, tensors = hdr, []
    for _ in range(count):
        kind, layer, eb = buf[at], buf[at + 1], buf[at + 2]
        rows, cols, param = struct.unpack_from("<HHi", buf, at + 4)
        scale = struct.unpack_from("<d", buf, at + 12)[0]
        n = rows * cols
        raw = np.frombuffer(buf, dtype={1: np.int8, 2: "<i2", 4: "<i4"}[eb], count=n, offset=at + 20)
        tensors.append(dict(kind=kind, layer=layer, rows=rows, cols=cols, param=param,
                            scale=scale, q=raw.astype(np.int64).reshape(rows, cols)))
        at += 20 + ((n * eb + 3) & ~3)
    return dict(rank=rank, alpha=alpha, tensors=tensors)


class Adapter:
    """Float adapter parameters keyed by (fc index, kind)."""

    def __init__(self, ad, layers):
        self.alpha_r = ad["alpha"] / max(ad["rank"], 1)
        self.p = {}
        for t in ad["tensors"]:
            L = layers[t["layer"]]
            if t["kind"] == KIND_BIAS:  # int32 deltas in accumulator units (s_x * s_w[i])
                v = t["q"][:, 0] * L["sx"] * L["sw"]
            elif t["kind"] == KIND_W:  # full fine-tune: the whole weight matrix, row scales s_w[i]
                v = t["q"].astype(np.float64) * L["sw"][:, None]
            else:
                v = t["q"].astype(np.float64) * t["scale"]
                if t["kind"] == KIND_PROMPT:
                    v = v[:, 0]
            self.p[(t["layer"], t["kind"])] = v
        self.lowest = min(k[0] for k in self.p)


def act_fn(act, v):
    return np.maximum(v, 0.0) if act == 1 else (np.clip(v, 0.0, 6.0) if act == 3 else v)


def act_slope(act, v):
    return (v > 0) if act == 1 else (((v > 0) & (v < 6)) if act == 3 else np.ones_like(v, dtype=bool))


def op_fn(code, alpha, v):
    if code == LOGISTIC:
        return 1.0 / (1.0 + np.exp(-v))
    if code == TANH:
        return np.tanh(v)
    if code == RELU_OP:
        return np.maximum(v, 0.0)
    if code == RELU6_OP:
        return np.clip(v, 0.0, 6.0)
    if code == LEAKY_RELU:
        return np.where(v > 0, v, alpha * v)
    return v * np.clip(v + 3.0, 0.0, 6.0) / 6.0  # HARD_SWISH


def op_slope(code, alpha, v):
    if code == LOGISTIC:
        s = 1.0 / (1.0 + np.exp(-v))
        return s * (1.0 - s)
    if code == TANH:
        return 1.0 - np.tanh(v) ** 2
    if code == RELU_OP:
        return (v > 0).astype(np.float64)
    if code == RELU6_OP:
        return ((v > 0) & (v < 6)).astype(np.float64)
    if code == LEAKY_RELU:
        return np.where(v > 0, 1.0, alpha)
    return np.where(v <= -3, 0.0, np.where(v >= 3, 1.0, (2.0 * v + 3.0) / 6.0))


def forward_backward(layers, beta, ad, x8, label, want_grad=True, out_range=False, target=None):
    """x8: int8 latent at the input of layer ad.lowest (flattened positions x features).
    target: a soft target distribution (distillation, the trainer's ept_step_soft): the
    gradient is beta (p - target) instead of beta (p - onehot(label)).
    out_range: the logits stay in the range of the model's int8 output tensor, as every
    int8 deployment of the model sees them (clamped; at the clamp only the gradient component
    that pushes further out is dropped, the trainer's straight-through rule).
    Activations are [positions, features] matrices; a 1x1 conv is the FC at every position,
    a global average pool the mean over positions."""
    L0 = layers[ad.lowest]
    x = (x8.astype(np.float64) - L0["zx"]) * L0["sx"]
    cache = []
    for li in range(ad.lowest, len(layers)):
        L = layers[li]
        if (li, KIND_PROMPT) in ad.p:  # offsets the first features of the flattened input
            p = ad.p[(li, KIND_PROMPT)]
            x = x.reshape(-1).copy()
            x[: p.size] += p
        X = x.reshape(L["pos"], L["inp"])
        W = ad.p.get((li, KIND_W), L["W"])  # a full fine-tune replaces the frozen W
        Z = X @ W.T + L["b"]
        H = None
        if (li, KIND_BIAS) in ad.p:
            Z = Z + ad.p[(li, KIND_BIAS)]
        if (li, KIND_A) in ad.p:
            H = X @ ad.p[(li, KIND_A)].T
            Z = Z + ad.alpha_r * (H @ ad.p[(li, KIND_B)].T)
        Y = act_fn(L["act"], Z)
        BN = None
        if (li, KIND_D) in ad.p:  # bottleneck adapter on the output, the layer's clamp again
            # its input is the layer's output as the int8 model holds it: within the int8 range
            # (the one saturation kept here: frozen logits far below the range would otherwise
            # feed D values no int8 tensor can carry)
            Y0 = np.clip(Y, (-128 - L["zy"]) * L["sy"], (127 - L["zy"]) * L["sy"])
            HB = np.maximum(Y0 @ ad.p[(li, KIND_D)].T, 0.0)
            P = Y0 + HB @ ad.p[(li, KIND_U)].T
            Y = act_fn(L["act"], P)
            BN = (Y0, HB, P)
        posts = []
        for post in L["post"]:
            posts.append(Y)
            if post[0] == "pool":
                Y = Y.mean(axis=0, keepdims=True)
            else:
                Y = op_fn(post[1], post[2], Y)
        cache.append((li, X, H, Z, BN, posts))
        x = Y
    x = x.reshape(-1)
    top, bottom = np.zeros(x.size, bool), np.zeros(x.size, bool)
    if out_range:
        Lt = layers[-1]
        lo, hi = (-128 - Lt["zy"]) * Lt["sy"], (127 - Lt["zy"]) * Lt["sy"]
        top, bottom = x >= hi, x <= lo
        x = np.clip(x, lo, hi)
    logits = beta * x
    e = np.exp(logits - logits.max())
    prob = e / e.sum()
    loss = -np.log(max(prob[label], 1e-300))
    if not want_grad:
        return loss, x, None
    g = {}
    d = prob.copy()
    if target is None:
        d[label] -= 1.0
    else:
        d = d - target
    d = d * beta
    d[top & (d < 0)] = 0.0
    d[bottom & (d > 0)] = 0.0
    d = d[None, :]
    for li, X, H, Z, BN, posts in reversed(cache):
        L = layers[li]
        for post, Yin in zip(reversed(L["post"]), reversed(posts)):
            if post[0] == "pool":  # mean -> equal share per position
                d = np.repeat(d.reshape(1, -1), Yin.shape[0], axis=0) / Yin.shape[0]
            else:
                d = d.reshape(Yin.shape) * op_slope(post[1], post[2], Yin)
        d = d.reshape(-1, L["out"])
        if BN is not None:
            Y0, HB, P = BN
            D, U = ad.p[(li, KIND_D)], ad.p[(li, KIND_U)]
            d = d * act_slope(L["act"], P)
            g[(li, KIND_U)] = d.T @ HB
            GB = (d @ U) * (HB > 0)
            g[(li, KIND_D)] = GB.T @ Y0
            d = d + GB @ D
        if L["act"] == 1:
            d = d * (Z > 0)
        elif L["act"] == 3:
            d = d * ((Z > 0) & (Z < 6))
        W = ad.p.get((li, KIND_W), L["W"])
        if (li, KIND_W) in ad.p:
            g[(li, KIND_W)] = d.T @ X
        if (li, KIND_A) in ad.p:
            A, B = ad.p[(li, KIND_A)], ad.p[(li, KIND_B)]
            g[(li, KIND_B)] = ad.alpha_r * (d.T @ H)
            GH = ad.alpha_r * (d @ B)
            g[(li, KIND_A)] = GH.T @ X
            dx = d @ W + GH @ A
        else:
            dx = d @ W
        if (li, KIND_BIAS) in ad.p:
            g[(li, KIND_BIAS)] = d.sum(axis=0)
        if (li, KIND_PROMPT) in ad.p:
            g[(li, KIND_PROMPT)] = dx.reshape(-1)[: ad.p[(li, KIND_PROMPT)].size].copy()
        d = dx
    return loss, x, g


def read_latents(path, size):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, size + 1)
    return raw[:, 0].astype(np.int64), raw[:, 1:].view(np.int8)


def mirror_task(src, train_out, test_out, split):
    """Second new-user task for EWC: the 8x8 pad mounted upside down (rows reversed)."""
    r = np.fromfile(src, dtype=np.uint8).reshape(-1, 65)
    img = r[:, 1:].reshape(-1, 8, 8)[:, ::-1, :].reshape(-1, 64)
    out = np.concatenate([r[:, :1], img], axis=1)
    out[:split].tofile(train_out)
    out[split:].tofile(test_out)


def cmd_grads(a):
    layers, beta = load_model(a.model)
    out = []
    for line in open(a.dump):
        rec = json.loads(line)
        ad = Adapter(parse_adapter(bytes.fromhex(rec["adapter"])), layers)
        labels, lat = read_latents(a.latents, layers[ad.lowest]["inp"] * layers[ad.lowest]["pos"])
        i = rec["step"] % len(labels)
        # soft targets (x 256) as the trainer used them; the label is then their top class
        target = np.asarray(rec["target"], np.float64) / 256.0 if "target" in rec else None
        label = int(rec["label"]) if target is not None else int(labels[i])
        loss, logits, g = forward_backward(layers, beta, ad, lat[i], label, target=target)
        L = layers[-1]
        # int8 saturation of the logits that matters for p: a logit above the range, or the
        # label's logit below it (classes far below the range have p ~ 0 either way)
        ql = logits / L["sy"] + L["zy"]
        sat = bool(np.any(ql > 127.5) or ql[label] < -128.5)
        mant = np.asarray(rec["grad"], np.float64)
        at, ours, refs, per = 0, [], [], []
        for lay in rec["layout"]:
            n = lay["size"]
            c = mant[at: at + n] * lay["scale"] * 2.0 ** lay["exp"]
            r = g[(lay["layer"], lay["kind"])].reshape(-1)
            at += n
            ours.append(c)
            refs.append(r)
            per.append(cosine(c, r))
        out.append(dict(step=rec["step"], cosine=cosine(np.concatenate(ours), np.concatenate(refs)),
                        per_tensor=per, loss=float(loss), saturated=sat,
                        norm=float(np.linalg.norm(np.concatenate(refs))),
                        int_norm=float(np.linalg.norm(np.concatenate(ours))),
                        # soft targets: total variation |p - target|_1 of the float model's p
                        tv=None if target is None else float(np.abs(_softmax(beta * logits) - target).sum())))
    json.dump(out, sys.stdout)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def cosine(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 and nb == 0.0:
        return 1.0
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(a @ b / (na * nb))


def accuracy(layers, beta, ad, labels, lat, out_range=False):
    ok = 0
    for y, x in zip(labels, lat):
        _, logits, _ = forward_backward(layers, beta, ad, x, int(y), want_grad=False, out_range=out_range)
        ok += int(np.argmax(logits) == y)
    return ok / max(len(labels), 1)


def train_one(layers, beta, init, latents, steps, lr, eval_latents=None, out_range=False, soft_targets=None):
    """soft_targets: a file of one row of `classes` bytes (probability x 256) per latents
    record, as `edge-peft train --soft-targets` reads it: every step is then against its
    record's row (distillation), not the record's label."""
    ad = Adapter(parse_adapter(open(init, "rb").read()), layers)
    size = layers[ad.lowest]["inp"] * layers[ad.lowest]["pos"]
    labels, lat = read_latents(latents, size)
    targets = None
    if soft_targets:
        targets = np.fromfile(soft_targets, dtype=np.uint8).astype(np.float64) / 256.0
        if targets.size % len(labels):
            raise SystemExit(f"{soft_targets}: {targets.size} bytes, not a row per latents record ({len(labels)})")
        targets = targets.reshape(len(labels), -1)
    ev = read_latents(eval_latents, size) if eval_latents else None
    res = dict(train_before=accuracy(layers, beta, ad, labels, lat, out_range))
    if ev is not None:
        res["eval_before"] = accuracy(layers, beta, ad, *ev, out_range)
    losses = []
    for s in range(steps):
        i = s % len(labels)
        loss, _, g = forward_backward(layers, beta, ad, lat[i], int(labels[i]), out_range=out_range,
                                      target=None if targets is None else targets[i])
        losses.append(float(loss))
        for k, v in g.items():
            ad.p[k] = ad.p[k] - lr * v
    res["train_after"] = accuracy(layers, beta, ad, labels, lat, out_range)
    if ev is not None:
        res["eval_after"] = accuracy(layers, beta, ad, *ev, out_range)
    res["losses"] = losses
    return res


def cmd_train(a):
    layers, beta = load_model(a.model)
    json.dump(train_one(layers, beta, a.init, a.latents, a.steps, a.lr, a.eval_latents, a.int8_range, a.soft_targets), sys.stdout)


def cmd_train_many(a):
    """Several `train` runs on one model in one process (sweeps: no interpreter start per run)."""
    layers, beta = load_model(a.model)
    jobs = json.load(open(a.jobs))
    json.dump([train_one(layers, beta, j["init"], j["latents"], int(j["steps"]), float(j["lr"]),
                         j.get("eval_latents"), bool(j.get("int8_range")), j.get("soft_targets")) for j in jobs], sys.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("grads")
    g.add_argument("model")
    g.add_argument("--dump", required=True)
    g.add_argument("--latents", required=True)
    t = sub.add_parser("train")
    t.add_argument("model")
    t.add_argument("--init", required=True)
    t.add_argument("--latents", required=True)
    t.add_argument("--eval-latents")
    t.add_argument("--steps", type=int, required=True)
    t.add_argument("--lr", type=float, required=True)
    t.add_argument("--soft-targets", help="per latents record: classes bytes, probability x 256 (distillation)")
    t.add_argument("--int8-range", action="store_true",
                   help="logits clamped to the model's int8 output range (forward_backward out_range)")
    tm = sub.add_parser("train-many")
    tm.add_argument("model")
    tm.add_argument("--jobs", required=True)
    m = sub.add_parser("mirror")
    m.add_argument("src")
    m.add_argument("train_out")
    m.add_argument("test_out")
    m.add_argument("--split", type=int, default=200)
    a = ap.parse_args()
    if a.cmd == "mirror":
        mirror_task(a.src, a.train_out, a.test_out, a.split)
        return
    {"grads": cmd_grads, "train": cmd_train, "train-many": cmd_train_many}[a.cmd](a)


if __name__ == "__main__":
    main()

// numpy's fold of a LoRA + bias adapter into its layers, the oracle of the merge tests
// (merge.test.ts on FCs, merge-conv.test.ts on 1x1 convs, whose [out, 1, 1, in] filter is the
// same out x in matrix): argv MODEL ADAPTER MERGED LAYERS_JSON; checks each merged layer's
// int8 weights against round(W + (alpha/r) s_A s_B (B A) / s_w), its bias against base +
// delta, its scales against the model's, and writes MERGED.wOP / MERGED.bOP for modeledit.
export interface NumpyCheck { weights: number; weight_mismatch: number; ties: number; bias_mismatch: number; scale_mismatch: number; max_abs_change: number }

export const numpyMerge = `
import json, struct, sys
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
model_path, adapter_path, merged_path, layers = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
mb = open(model_path, "rb").read(); ad = open(adapter_path, "rb").read(); mg = open(merged_path, "rb").read()
m = fb.Model.GetRootAsModel(mb, 0); sg = m.Subgraphs(0)
def const(op, k):
    t = sg.Tensors(sg.Operators(op).Inputs(k)); b = m.Buffers(t.Buffer())
    return t, bytes(b.DataAsNumpy().tobytes())
assert ad[:4] == b"EPAD"
rank, alpha = struct.unpack_from("<HH", ad, 12); count = struct.unpack_from("<H", ad, 30)[0]
recs, off = {}, 76
for _ in range(count):
    kind, layer, elem, _r, rows, cols, _sh, unit = struct.unpack_from("<BBBBHHid", ad, off)
    n = rows * cols * elem
    data = np.frombuffer(ad[off + 20:off + 20 + n], {1: np.int8, 2: "<i2", 4: "<i4"}[elem]).reshape(rows, cols)
    recs[(kind, layer)] = (data.astype(np.float64), unit)
    off += 20 + (n + 3) // 4 * 4
res = dict(weights=0, weight_mismatch=0, ties=0, bias_mismatch=0, scale_mismatch=0, max_abs_change=0)
p = 0
for L in layers:
    out_, in_ = L["out"], L["in"]
    wt, wraw = const(L["op"], 1); _, braw = const(L["op"], 2)
    W = np.frombuffer(wraw, np.int8).reshape(out_, in_).astype(np.float64)
    bias = np.frombuffer(braw, "<i4").astype(np.int64)
    sw = np.array(wt.Quantization().ScaleAsNumpy(), np.float32).astype(np.float64)
    sw = np.broadcast_to(sw if sw.size > 1 else sw[0], (out_,))
    real = W.copy()
    if (0, L["fc"]) in recs:
        (A, sa), (B, sb) = recs[(0, L["fc"])], recs[(1, L["fc"])]
        real = W + (alpha / rank) * sa * sb * (B @ A) / sw[:, None]
    want = np.clip(np.sign(real) * np.floor(np.abs(real) + 0.5), -128, 127)
    ties = np.abs(np.abs(real - np.trunc(real)) - 0.5) < 1e-9
    wbytes = out_ * in_
    got = np.frombuffer(mg[p:p + wbytes], np.int8).reshape(out_, in_).astype(np.float64)
    p += (wbytes + 3) // 4 * 4
    gbias = np.frombuffer(mg[p:p + 4 * out_], "<i4").astype(np.int64); p += 4 * out_
    gscale = np.frombuffer(mg[p:p + 4 * out_], "<f4"); p += 4 * out_
    delta = recs[(2, L["fc"])][0][:, 0].astype(np.int64) if (2, L["fc"]) in recs else 0
    res["weights"] += wbytes
    res["weight_mismatch"] += int(((got != want) & ~ties).sum())
    res["ties"] += int(ties.sum())
    res["bias_mismatch"] += int((gbias != bias + delta).sum())
    res["scale_mismatch"] += int((gscale != sw.astype(np.float32)).sum())
    res["max_abs_change"] = max(res["max_abs_change"], int(np.abs(got - W).max()))
    open(merged_path + ".w%d" % L["op"], "wb").write(got.astype(np.int8).tobytes())
    open(merged_path + ".b%d" % L["op"], "wb").write(gbias.astype("<i4").tobytes())
assert p == len(mg), (p, len(mg))
json.dump(res, sys.stdout)
`;

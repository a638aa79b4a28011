"""Rebuilds an MLP model (FULLY_CONNECTED and SOFTMAX operators) with each merged layer's
weights, bias and row scales as a per-channel FULLY_CONNECTED (qdim 0), from `edge-peft merge
--out` bytes and its --json layers: the model stock TFLite Micro runs to check a merged session.

Usage: merge_rebuild.py MODEL MERGED LAYERS_JSON OUT.tflite
"""
import json, sys
import numpy as np
import os
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..")); sys.path.insert(0, os.path.join(here, "..", "demo-data"))
from prepare import write_tflite
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
model_path, merged_path, layers, out_path = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
mb = open(model_path, "rb").read(); mg = open(merged_path, "rb").read()
m = fb.Model.GetRootAsModel(mb, 0); sg = m.Subgraphs(0)
tensors, buffers = [], [b""]
for i in range(sg.TensorsLength()):
    t = sg.Tensors(i); q = t.Quantization(); b = m.Buffers(t.Buffer())
    data = bytes(b.DataAsNumpy().tobytes()) if b.DataLength() else b""
    if data: buffers.append(data)
    sc = [float(x) for x in q.ScaleAsNumpy()]; zp = [int(x) for x in q.ZeroPointAsNumpy()]
    tensors.append(dict(name=t.Name().decode(), shape=t.ShapeAsNumpy().tolist(), type=t.Type(),
                        buffer=len(buffers) - 1 if data else 0, scale=np.float32(sc[0]), zp=zp[0]))
p = 0
for L in layers:
    op = sg.Operators(L["op"]); out_, in_ = L["out"], L["in"]
    w = mg[p:p + out_ * in_]; p += (out_ * in_ + 3) // 4 * 4
    bias = mg[p:p + 4 * out_]; p += 4 * out_
    scale = np.frombuffer(mg[p:p + 4 * out_], "<f4"); p += 4 * out_
    s_in = np.float32(tensors[op.Inputs(0)]["scale"])
    tw, tb = tensors[op.Inputs(1)], tensors[op.Inputs(2)]
    buffers[tw["buffer"]] = w; buffers[tb["buffer"]] = bias
    tw.update(scale=[float(x) for x in scale], zp=[0] * out_, qdim=0)
    tb.update(scale=[float(np.float32(s_in * x)) for x in scale], zp=[0] * out_, qdim=0)
assert p == len(mg)
ops = []
for i in range(sg.OperatorsLength()):
    op = sg.Operators(i); code = m.OperatorCodes(op.OpcodeIndex()).BuiltinCode()
    ins = op.InputsAsNumpy().tolist(); outs = op.OutputsAsNumpy().tolist()
    if code == 9:
        o = fb.FullyConnectedOptions(); t = op.BuiltinOptions(); o.Init(t.Bytes, t.Pos)
        ops.append(dict(opcode=0, inputs=ins, outputs=outs, act=o.FusedActivationFunction()))
    elif code == 25:
        o = fb.SoftmaxOptions(); t = op.BuiltinOptions(); o.Init(t.Bytes, t.Pos)
        ops.append(dict(opcode=1, inputs=ins, outputs=outs, beta=o.Beta()))
    else:
        raise SystemExit("unexpected operator %d" % code)
open(out_path, "wb").write(write_tflite(tensors, ops, buffers, "merged per-channel"))

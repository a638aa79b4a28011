"""Derive test variants of a .tflite model by editing the flatbuffer in place.

Nothing moves, so each variant is a valid model that the oracle and our engine both run:
- --output-tensor N: subgraph 0's outputs[0] becomes tensor N, so an intermediate
  activation is what both report as output 0;
- --bias-shift S: every constant int32 tensor (the biases) is shifted right by S bits.
  keyword_scrambled_8bit's scrambled biases are random int32s that saturate every layer, so
  its output is the same for all inputs; shifted biases make the outputs depend on the input.
- --negate-first-weights: the int8 weights of the first operator whose input 1 is a constant
  int8 tensor are negated (-128 -> 127): same shapes and scales, another model (an adapter
  trained for the original must be refused by its base-model identity, not by its shapes);
- --set-const OP:INPUT:FILE (repeatable): the constant tensor at input INPUT of operator OP
  takes FILE's bytes, which must be exactly as long (a merged LoRA layer's weights and bias
  written into the base model, so stock TFLite Micro runs the merged model);
- --set-scale OP:INPUT:FILE (repeatable): the quantisation scales of the tensor at input INPUT
  of operator OP take FILE's float32 LE values, as many as it has (a merged layer's re-derived
  per-channel row scales, for a layer that is per-channel already);
- --batch T:N (repeatable): dimension 0 of tensor T's static shape becomes N (the converter
  writes a dynamic-batch SPACE_TO_BATCH_ND's output, and the convolution after it, with
  batch 1 where the block makes it 4: the corrected model is what the converter meant);
--ops prints, as JSON, each operator's builtin code, first output tensor and MACs and output
shape (MACs computed here from the tensor shapes, for FULLY_CONNECTED, CONV_2D,
DEPTHWISE_CONV_2D and SVDF; else null).

Usage: modeledit.py MODEL [--ops] [--output-tensor N] [--bias-shift S] [-o OUT.tflite]
"""

import argparse
import json
import struct
import sys

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema_fb

SUBGRAPH_OUTPUTS = 8  # vtable offset of SubGraph.outputs
BUFFER_DATA = 4       # vtable offset of Buffer.data


def _subgraph(buf):
    model = schema_fb.Model.GetRootAsModel(buf, 0)
    return model, model.Subgraphs(0)


def _macs(sg, op, builtin):
    shape = lambda t: [int(d) for d in (sg.Tensors(t).ShapeAsNumpy() if sg.Tensors(t).ShapeLength() else [])]  # noqa: E731
    out = int(np.prod(shape(op.Outputs(0))))
    w = shape(op.Inputs(1)) if op.InputsLength() > 1 else []
    if builtin == schema_fb.BuiltinOperator.FULLY_CONNECTED:
        return out * w[1]                 # weights [units, depth]
    if builtin == schema_fb.BuiltinOperator.CONV_2D:
        return out * w[1] * w[2] * w[3]   # filter [Cout, kh, kw, Cin]
    if builtin == schema_fb.BuiltinOperator.DEPTHWISE_CONV_2D:
        return out * w[1] * w[2]          # filter [1, kh, kw, Cout]
    if builtin == schema_fb.BuiltinOperator.SVDF:  # feature [F, in] and time [F, mem] matmuls
        return shape(op.Inputs(0))[0] * w[0] * (w[1] + shape(op.Inputs(2))[1])
    return None


def operators(model_bytes):
    model, sg = _subgraph(model_bytes)
    ops = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        oc = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        out = int(op.Outputs(0))
        shape = sg.Tensors(out).ShapeAsNumpy() if sg.Tensors(out).ShapeLength() > 0 else []
        ops.append({"index": i, "builtin": builtin, "output": out,
                    "shape": [int(d) for d in shape],
                    "macs": _macs(sg, op, builtin)})
    return ops


def outputs_at(model_bytes):
    """File position of subgraph 0's outputs[0] (an int32 tensor index)."""
    _, sg = _subgraph(model_bytes)
    field = sg._tab.Offset(SUBGRAPH_OUTPUTS)
    if field == 0 or sg.OutputsLength() < 1:
        raise ValueError("subgraph 0 has no outputs")
    return sg._tab.Vector(field)


def retarget_output(model_bytes, tensor):
    buf = bytearray(model_bytes)
    _, sg = _subgraph(buf)
    if not 0 <= tensor < sg.TensorsLength():
        raise ValueError("tensor %d out of range" % tensor)
    struct.pack_into("<i", buf, outputs_at(buf), tensor)
    return bytes(buf)


def shift_biases(model_bytes, shift):
    buf = bytearray(model_bytes)
    model, sg = _subgraph(buf)
    for t in range(sg.TensorsLength()):
        tensor = sg.Tensors(t)
        data = model.Buffers(tensor.Buffer())
        if tensor.Type() != schema_fb.TensorType.INT32 or data.DataLength() == 0:
            continue
        pos, n = data._tab.Vector(data._tab.Offset(BUFFER_DATA)), data.DataLength()
        values = np.frombuffer(bytes(buf[pos:pos + n]), "<i4") >> shift
        buf[pos:pos + n] = values.astype("<i4").tobytes()
    return bytes(buf)


def negate_first_weights(model_bytes):
    buf = bytearray(model_bytes)
    model, sg = _subgraph(buf)
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        if op.InputsLength() < 2:
            continue
        tensor = sg.Tensors(op.Inputs(1))
        data = model.Buffers(tensor.Buffer())
        if tensor.Type() != schema_fb.TensorType.INT8 or data.DataLength() == 0:
            continue
        pos, n = data._tab.Vector(data._tab.Offset(BUFFER_DATA)), data.DataLength()
        w = np.frombuffer(bytes(buf[pos:pos + n]), np.int8).astype(np.int16)
        buf[pos:pos + n] = np.clip(-w, -128, 127).astype(np.int8).tobytes()
        return bytes(buf)
    sys.exit("modeledit: no operator with constant int8 weights")


def _op_input(sg, op_index, input_index):
    """The tensor at input INPUT of operator OP, or exit naming which index is out of range."""
    if not 0 <= op_index < sg.OperatorsLength():
        sys.exit(f"modeledit: no operator {op_index}")
    op = sg.Operators(op_index)
    if not 0 <= input_index < op.InputsLength():
        sys.exit(f"modeledit: operator {op_index} has no input {input_index}")
    return sg.Tensors(op.Inputs(input_index))


def set_const(model_bytes, op_index, input_index, raw):
    buf = bytearray(model_bytes)
    model, sg = _subgraph(buf)
    data = model.Buffers(_op_input(sg, op_index, input_index).Buffer())
    if data.DataLength() != len(raw):
        sys.exit(f"modeledit: operator {op_index} input {input_index} holds {data.DataLength()} bytes, "
                 f"not {len(raw)} (not a constant of that size)")
    pos = data._tab.Vector(data._tab.Offset(BUFFER_DATA))
    buf[pos:pos + len(raw)] = raw
    return bytes(buf)


QUANT_SCALE = 8        # vtable offset of QuantizationParameters.scale (after min, max)


def set_scale(model_bytes, op_index, input_index, raw):
    buf = bytearray(model_bytes)
    _, sg = _subgraph(buf)
    q = _op_input(sg, op_index, input_index).Quantization()
    field = q._tab.Offset(QUANT_SCALE) if q is not None else 0
    if field == 0 or q.ScaleLength() * 4 != len(raw):
        sys.exit(f"modeledit: operator {op_index} input {input_index} has "
                 f"{q.ScaleLength() if q is not None else 0} scales, not {len(raw) // 4}")
    pos = q._tab.Vector(field)
    buf[pos:pos + len(raw)] = raw
    return bytes(buf)


def set_batch(model_bytes, tensor, n):
    buf = bytearray(model_bytes)
    _, sg = _subgraph(buf)
    if not 0 <= tensor < sg.TensorsLength():
        sys.exit(f"modeledit: no tensor {tensor}")
    t = sg.Tensors(tensor)
    field = t._tab.Offset(4)  # vtable offset of Tensor.shape
    if field == 0 or t.ShapeLength() < 1:
        sys.exit(f"modeledit: tensor {tensor} has no static shape")
    struct.pack_into("<i", buf, t._tab.Vector(field), n)
    return bytes(buf)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--ops", action="store_true")
    ap.add_argument("--output-tensor", type=int)
    ap.add_argument("--bias-shift", type=int)
    ap.add_argument("--negate-first-weights", action="store_true")
    ap.add_argument("--set-const", action="append", default=[], metavar="OP:INPUT:FILE")
    ap.add_argument("--set-scale", action="append", default=[], metavar="OP:INPUT:FILE")
    ap.add_argument("--batch", action="append", default=[], metavar="T:N")
    ap.add_argument("-o", "--out")
    args = ap.parse_args()
    with open(args.model, "rb") as f:
        data = f.read()
    if args.ops:
        json.dump({"outputs_at": outputs_at(data), "ops": operators(data)}, sys.stdout)
        sys.stdout.write("\n")
        return
    if args.bias_shift is not None:
        data = shift_biases(data, args.bias_shift)
    if args.negate_first_weights:
        data = negate_first_weights(data)
    for spec in args.set_const:
        op, inp, path = spec.split(":", 2)
        with open(path, "rb") as f:
            data = set_const(data, int(op), int(inp), f.read())
    for spec in args.set_scale:
        op, inp, path = spec.split(":", 2)
        with open(path, "rb") as f:
            data = set_scale(data, int(op), int(inp), f.read())
    for spec in args.batch:
        t, n = spec.split(":", 1)
        data = set_batch(data, int(t), int(n))
    if args.output_tensor is not None:
        data = retarget_output(data, args.output_tensor)
    if not args.out:
        sys.exit("modeledit: -o OUT.tflite is required")
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()

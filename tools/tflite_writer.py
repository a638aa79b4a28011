"""Minimal TFLite flatbuffer writer on the PyPI `flatbuffers` Builder (schema.fbs slots).

Shared by tools/demo-data/prepare.py (the demo MLP) and tools/oracle/opmodels.py (single-op
models for the oracle coverage test). Objects are built in one fixed order (buffers, tensors,
operators, subgraph, operator codes, model) so a given description always gives the same
bytes; prepare.py's committed model depends on that.

tensors:   dicts with name, shape, type, buffer, and optionally scale / zp (a number or a
           list for per-channel), qdim (quantized_dimension), variable (bool).
operators: dicts with opcode (index into `opcodes`), inputs, outputs and optionally
           options = (union_type, field_count, [(slot, kind, value), ...]) where kind is
           one of i8, u8, bool, i32, f32, or vi32 (a vector of int32, e.g. squeeze_dims;
           written whenever given, even empty); a scalar field equal to 0 is left out (schema
           default semantics are the reader's; write non-zero defaults such as stride 1
           explicitly).
opcodes:   (builtin_code, version) per operator code, or (32, version, custom_code) for a
           custom operator, whose operators then carry "custom_options" (flexbuffer bytes).
"""
from __future__ import annotations

import flatbuffers

# schema TensorType
INT8, INT16, INT32, INT64, FLOAT32 = 9, 7, 2, 4, 0


def vector(b: flatbuffers.Builder, values, kind: str) -> int:
    size, prepend = {"i32": (4, b.PrependInt32), "i64": (8, b.PrependInt64),
                     "f32": (4, b.PrependFloat32), "off": (4, b.PrependUOffsetTRelative)}[kind]
    b.StartVector(size, len(values), size)
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def aligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    # Buffer.data is force_align 16 in the schema: a zero-copy reader may load int32 bias
    # (or SIMD-load weights) straight from flash, so honour it. The builder keeps the final
    # size a multiple of its largest alignment, so end-relative alignment is absolute.
    b.StartVector(1, len(data), 16)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def misaligned_bytes(b: flatbuffers.Builder, data: bytes) -> int:
    # As the converter places some int64 bias buffers: 4-byte aligned but not 8 (data start
    # = 4 mod 16). The builder's final size is a multiple of 16, so end-relative is absolute.
    b.Prep(16, len(data) + 4)
    b.StartVector(1, len(data), 4)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    return b.EndVector()


def _as_list(v) -> list:
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _options(b: flatbuffers.Builder, spec) -> int:
    _, count, fields = spec
    # Vectors are built before the table that refers to them.
    vecs = {slot: vector(b, [int(v) for v in value], "i32")
            for slot, kind, value in fields if kind == "vi32"}
    b.StartObject(count)
    for slot, kind, value in fields:
        if kind == "vi32":
            b.PrependUOffsetTRelativeSlot(slot, vecs[slot], 0)
        elif kind == "i8":
            b.PrependInt8Slot(slot, int(value), 0)
        elif kind in ("u8", "bool"):
            b.PrependUint8Slot(slot, int(value), 0)
        elif kind == "i32":
            b.PrependInt32Slot(slot, int(value), 0)
        elif kind == "f32":
            b.PrependFloat32Slot(slot, float(value), 0.0)
        else:
            raise ValueError(f"option kind {kind}")
    return b.EndObject()


def write_model(tensors: list[dict], operators: list[dict], buffers: list[bytes],
                opcodes: list[tuple[int, int]], description: str,
                inputs: list[int] | None = None, outputs: list[int] | None = None,
                misalign: frozenset[int] = frozenset()) -> bytes:
    b = flatbuffers.Builder(4096)

    buf_offs = []
    for data in buffers:
        data_off = None
        if data:
            data_off = misaligned_bytes(b, data) if len(buf_offs) in misalign else aligned_bytes(b, data)
        b.StartObject(3)  # Buffer: data, offset, size
        if data_off is not None:
            b.PrependUOffsetTRelativeSlot(0, data_off, 0)
        buf_offs.append(b.EndObject())

    tensor_offs = []
    for t in tensors:
        name = b.CreateString(t["name"])
        shape = vector(b, t["shape"], "i32")
        quant = None
        if t.get("scale") is not None:
            scale = vector(b, [float(s) for s in _as_list(t["scale"])], "f32")
            zp = vector(b, [int(z) for z in _as_list(t["zp"])], "i64")
            b.StartObject(7)  # QuantizationParameters: min, max, scale, zero_point, details_type, details, qdim
            b.PrependUOffsetTRelativeSlot(2, scale, 0)
            b.PrependUOffsetTRelativeSlot(3, zp, 0)
            b.PrependInt32Slot(6, int(t.get("qdim", 0)), 0)
            quant = b.EndObject()
        b.StartObject(6)  # Tensor: shape, type, buffer, name, quantization, is_variable
        b.PrependUOffsetTRelativeSlot(0, shape, 0)
        b.PrependInt8Slot(1, t["type"], 0)
        b.PrependUint32Slot(2, t["buffer"], 0)
        b.PrependUOffsetTRelativeSlot(3, name, 0)
        if quant is not None:
            b.PrependUOffsetTRelativeSlot(4, quant, 0)
        b.PrependBoolSlot(5, bool(t.get("variable", False)), False)
        tensor_offs.append(b.EndObject())

    op_offs = []
    for op in operators:
        spec = op.get("options")
        options = _options(b, spec) if spec is not None else None
        op_inputs = vector(b, op["inputs"], "i32")
        op_outputs = vector(b, op["outputs"], "i32")
        custom = op.get("custom_options")
        custom_off = b.CreateByteVector(custom) if custom is not None else None
        b.StartObject(6)  # Operator: opcode_index, inputs, outputs, builtin_options_type, builtin_options, custom_options
        b.PrependUint32Slot(0, op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(1, op_inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, op_outputs, 0)
        if options is not None:
            b.PrependUint8Slot(3, spec[0], 0)
            b.PrependUOffsetTRelativeSlot(4, options, 0)
        if custom_off is not None:
            b.PrependUOffsetTRelativeSlot(5, custom_off, 0)
        op_offs.append(b.EndObject())

    sg_name = b.CreateString("main")
    sg_tensors = vector(b, tensor_offs, "off")
    sg_inputs = vector(b, inputs if inputs is not None else [0], "i32")
    sg_outputs = vector(b, outputs if outputs is not None else [len(tensors) - 1], "i32")
    sg_ops = vector(b, op_offs, "off")
    b.StartObject(5)  # SubGraph: tensors, inputs, outputs, operators, name
    b.PrependUOffsetTRelativeSlot(0, sg_tensors, 0)
    b.PrependUOffsetTRelativeSlot(1, sg_inputs, 0)
    b.PrependUOffsetTRelativeSlot(2, sg_outputs, 0)
    b.PrependUOffsetTRelativeSlot(3, sg_ops, 0)
    b.PrependUOffsetTRelativeSlot(4, sg_name, 0)
    subgraph = b.EndObject()

    code_offs = []
    for entry in opcodes:
        code, version = entry[0], entry[1]
        custom_name = b.CreateString(entry[2]) if len(entry) > 2 else None
        b.StartObject(4)  # OperatorCode: deprecated_builtin_code, custom_code, version, builtin_code
        if custom_name is not None:
            b.PrependUOffsetTRelativeSlot(1, custom_name, 0)
        # Codes above 127 keep the placeholder 127 in the deprecated int8 field.
        b.PrependInt8Slot(0, min(code, 127), 0)
        b.PrependInt32Slot(2, version, 1)
        b.PrependInt32Slot(3, code, 0)
        code_offs.append(b.EndObject())

    desc = b.CreateString(description)
    codes = vector(b, code_offs, "off")
    subgraphs = vector(b, [subgraph], "off")
    bufs = vector(b, buf_offs, "off")
    b.StartObject(5)  # Model: version, operator_codes, subgraphs, description, buffers
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(1, codes, 0)
    b.PrependUOffsetTRelativeSlot(2, subgraphs, 0)
    b.PrependUOffsetTRelativeSlot(3, desc, 0)
    b.PrependUOffsetTRelativeSlot(4, bufs, 0)
    b.Finish(b.EndObject(), file_identifier=b"TFL3")
    return bytes(b.Output())

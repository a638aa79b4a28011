"""List the structural fields of a .tflite flatbuffer, for the corrupt-model driver.

Walks the tables of the TFLite schema (../shared/models/schema.fbs) from the root and prints
one line per field that a reader must check before use: "POS WIDTH KIND", where KIND is
  uoffset  a uoffset_t to a table, vector or string (the root offset, table fields, vector
           elements of table vectors)
  soffset  a table's soffset_t to its vtable
  vlen     the length word of a vector or string
  vtable   a vtable's size words and field entries (uint16)
  u64      Buffer.offset / Buffer.size (external data, 64-bit)
  data     (WIDTH = length) the bytes of a Buffer's data: constants, not structure
Union members (operator options) are listed as uoffsets; their contents are not walked.
Plain Python, no dependencies.  Usage: fbfields.py MODEL > FIELDS.txt
"""

import struct
import sys

# table -> {field id: kind}; kinds: ("table", T), ("tables", T), "vector", "string",
# "union", "u64".  Scalars are omitted.
SCHEMA = {
    "Model": {1: ("tables", "OperatorCode"), 2: ("tables", "SubGraph"), 3: "string",
              4: ("tables", "Buffer"), 5: "vector", 6: ("tables", "Metadata"),
              7: ("tables", "SignatureDef")},
    "OperatorCode": {1: "string"},
    "SubGraph": {0: ("tables", "Tensor"), 1: "vector", 2: "vector",
                 3: ("tables", "Operator"), 4: "string"},
    "Tensor": {0: "vector", 3: "string", 4: ("table", "QuantizationParameters"),
               6: "union", 7: "vector", 9: "union"},
    "QuantizationParameters": {0: "vector", 1: "vector", 2: "vector", 3: "vector",
                               5: "union"},
    "Operator": {1: "vector", 2: "vector", 4: "union", 5: "vector", 7: "vector",
                 8: "vector", 9: "u64", 10: "u64", 12: "union"},
    "Buffer": {0: "vector", 1: "u64", 2: "u64"},
    "Metadata": {0: "string"},
    "SignatureDef": {0: ("tables", "TensorMap"), 1: ("tables", "TensorMap"), 2: "string"},
    "TensorMap": {0: "string"},
}


class Walker:
    def __init__(self, data):
        self.d = data
        self.out = []
        self.seen = set()

    def u32(self, pos):
        return struct.unpack_from("<I", self.d, pos)[0] if 0 <= pos <= len(self.d) - 4 else None

    def emit(self, pos, width, kind):
        if 0 <= pos and pos + width <= len(self.d) and (pos, kind) not in self.seen:
            self.seen.add((pos, kind))
            self.out.append((pos, width, kind))

    def target(self, pos):
        off = self.u32(pos)
        self.emit(pos, 4, "uoffset")
        return None if off is None or pos + off >= len(self.d) else pos + off

    def table(self, pos, name):
        if pos is None or pos + 4 > len(self.d):
            return
        self.emit(pos, 4, "soffset")
        vt = pos - struct.unpack_from("<i", self.d, pos)[0]
        if not 0 <= vt <= len(self.d) - 4:
            return
        vt_size, _ = struct.unpack_from("<HH", self.d, vt)
        for k in range(0, min(vt_size, len(self.d) - vt) - 1, 2):
            self.emit(vt + k, 2, "vtable")
        for fid, kind in SCHEMA.get(name, {}).items():
            slot = 4 + 2 * fid
            if slot + 2 > vt_size:
                continue
            field_off = struct.unpack_from("<H", self.d, vt + slot)[0]
            if field_off == 0:
                continue
            fpos = pos + field_off
            if kind == "u64":
                self.emit(fpos, 8, "u64")
                continue
            dest = self.target(fpos)
            if dest is None:
                continue
            if kind in ("vector", "string"):
                self.emit(dest, 4, "vlen")
                n = self.u32(dest) or 0
                if name == "Buffer" and n and dest + 4 + n <= len(self.d):
                    self.emit(dest + 4, n, "data")
            elif kind == "union":
                self.table(dest, "")
            elif kind[0] == "table":
                self.table(dest, kind[1])
            else:
                self.emit(dest, 4, "vlen")
                n = self.u32(dest) or 0
                for i in range(min(n, (len(self.d) - dest - 4) // 4)):
                    self.table(self.target(dest + 4 + 4 * i), kind[1])


def fields(data):
    w = Walker(data)
    w.table(w.target(0), "Model")
    return sorted(w.out)


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        for pos, width, kind in fields(f.read()):
            print(pos, width, kind)

"""The round's new global adapter: the base EPAD v3 image (docs/formats.md) plus the averaged
update that secagg.decode_average returns. The inverse of the devices'
firmware/fleet/adapter-delta.ts: value k of the update is (trained - base) x unit for element k
in record order, so element k of the new adapter is base + round(average / unit) (half to even: no
drift over many elements), clamped to the element's type (int8 A and prompt views, int16 B masters, int32 bias deltas). Header and scales stay the base's; the
CRC-32 is recomputed. The result is what the server signs and publishes as an EPDL delta.

python fleet-server/adapter_average.py BASE.epad AVERAGE.json OUT.epad  (AVERAGE.json: [floats])
"""
from __future__ import annotations

import json
import struct
import sys
import zlib

HEAD = 76
HEAD_EXT = 88  # full fine-tune (kind bit 3) / bottleneck adapter (bit 4): docs/formats.md "Header extension"
EXT_KINDS = (1 << 3) | (1 << 4)
RECORD = 20


class AdapterAverageError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(f"adapter average: {message}")
        self.code = code


def records(image: bytes):
    """(offset of data, element bytes, count, unit) per record, the image checked first."""
    if len(image) < HEAD + 4 or image[:4] != b"EPAD":
        raise AdapterAverageError("bad-magic", "not an EPAD adapter")
    version, head, kinds = struct.unpack_from("<HHI", image, 4)
    if version != 3:
        raise AdapterAverageError("bad-version", f"EPAD version {version}")
    want = HEAD_EXT if kinds & EXT_KINDS else HEAD
    if head != want or len(image) < head + 4:
        raise AdapterAverageError("bad-header", f"header {head} bytes, kinds {kinds} need {want}")
    if struct.unpack_from("<I", image, 40)[0] != len(image):
        raise AdapterAverageError("bad-length", "total bytes field disagrees")
    if zlib.crc32(image[:-4]) != struct.unpack_from("<I", image, len(image) - 4)[0]:
        raise AdapterAverageError("bad-crc", "CRC-32 mismatch")
    (count,) = struct.unpack_from("<H", image, 30)
    at, out = head, []
    for r in range(count):
        if at + RECORD > len(image) - 4:
            raise AdapterAverageError("truncated", f"record {r} runs past the end")
        eb = image[at + 2]
        rows, cols = struct.unpack_from("<HH", image, at + 4)
        (unit,) = struct.unpack_from("<d", image, at + 12)
        if eb not in (1, 2, 4) or not unit > 0:
            raise AdapterAverageError("bad-record", f"record {r}: element bytes {eb}, unit {unit}")
        n = rows * cols
        out.append((at + RECORD, eb, n, unit))
        at += RECORD + ((n * eb + 3) & ~3)
    if at != len(image) - 4:
        raise AdapterAverageError("bad-length", "bytes after the last record")
    return out


def apply_average(base: bytes, average: list[float]) -> bytes:
    recs = records(base)
    total = sum(n for _, _, n, _ in recs)
    if len(average) != total:
        raise AdapterAverageError("bad-dimension", f"{len(average)} values for an adapter of {total} elements")
    out = bytearray(base)
    k = 0
    for at, eb, n, unit in recs:
        fmt, lo, hi = {1: ("<b", -128, 127), 2: ("<h", -(1 << 15), (1 << 15) - 1), 4: ("<i", -(1 << 31), (1 << 31) - 1)}[eb]
        for e in range(n):
            (old,) = struct.unpack_from(fmt, base, at + e * eb)
            struct.pack_into(fmt, out, at + e * eb, max(lo, min(hi, old + round(average[k] / unit))))
            k += 1
    struct.pack_into("<I", out, len(out) - 4, zlib.crc32(bytes(out[:-4])))
    return bytes(out)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 64
    with open(argv[1], "rb") as f:
        base = f.read()
    with open(argv[2]) as f:
        average = json.load(f)
    try:
        image = apply_average(base, average)
    except AdapterAverageError as e:
        print(f"{e} ({e.code})", file=sys.stderr)
        return 2
    with open(argv[3], "wb") as f:
        f.write(image)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

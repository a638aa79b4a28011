"""The adapter image (EPAD v2, docs/formats.md) as the vector a round averages: every tensor
record's elements in file order (int8 views of LoRA A/B and prompts, int32 bias deltas), the
order of the devices' adapterDelta (firmware/fleet/adapter-delta.ts), with each record's unit.
The scales are fixed by the model and configuration, so the average update in real units
divided by the unit is the change of each view element."""
import struct
import zlib

HEAD = 76
RECORD_HEAD = 20


def _records(image: bytes):
    if len(image) < HEAD + 4 or image[:4] != b"EPAD":
        raise ValueError("adapter: not an EPAD image")
    version, header, = struct.unpack_from("<HH", image, 4)
    if version != 2 or header != HEAD:
        raise ValueError(f"adapter: version {version} / header {header}, this reader reads 2 / {HEAD}")
    total, = struct.unpack_from("<I", image, 40)
    if total != len(image) or zlib.crc32(image[:-4]) != struct.unpack_from("<I", image, len(image) - 4)[0]:
        raise ValueError("adapter: length or CRC-32 mismatch")
    count, = struct.unpack_from("<H", image, 30)
    at = HEAD
    for _ in range(count):
        if at + RECORD_HEAD > len(image) - 4:
            raise ValueError("adapter: record head past the end")
        elem, rows, cols = image[at + 2], *struct.unpack_from("<HH", image, at + 4)
        if elem not in (1, 4):
            raise ValueError(f"adapter: element bytes {elem}")
        n = rows * cols
        data = at + RECORD_HEAD
        size = (n * elem + 3) // 4 * 4
        if data + size > len(image) - 4:
            raise ValueError("adapter: record data past the end")
        unit, = struct.unpack_from("<d", image, at + 12)
        yield data, n, elem, unit
        at = data + size
    if at != len(image) - 4:
        raise ValueError("adapter: bytes after the last record")


def elements(image: bytes) -> list[int]:
    out: list[int] = []
    for data, n, elem, _ in _records(image):
        out.extend(struct.unpack_from(f"<{n}{'b' if elem == 1 else 'i'}", image, data))
    return out


def units(image: bytes) -> list[float]:
    """Each element's real value of one unit (the record's; bias: the nominal one, as the
    devices' adapterDelta uses it), so a real-valued average maps back onto view units."""
    out: list[float] = []
    for _, n, _, unit in _records(image):
        out.extend([unit] * n)
    return out


def with_elements(image: bytes, values: list[int]) -> bytes:
    """The image with its elements replaced (int8 saturated to -128..127), CRC-32 renewed."""
    out = bytearray(image)
    i = 0
    for data, n, elem, _ in _records(image):
        chunk = values[i:i + n]
        if len(chunk) != n:
            raise ValueError("adapter: fewer values than elements")
        if elem == 1:
            struct.pack_into(f"<{n}b", out, data, *[max(-128, min(127, v)) for v in chunk])
        else:
            struct.pack_into(f"<{n}i", out, data, *[max(-(1 << 31), min((1 << 31) - 1, v)) for v in chunk])
        i += n
    if i != len(values):
        raise ValueError(f"adapter: {len(values)} values for {i} elements")
    struct.pack_into("<I", out, len(out) - 4, zlib.crc32(bytes(out[:-4])))
    return bytes(out)

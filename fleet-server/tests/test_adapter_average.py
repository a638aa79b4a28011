"""fleet-server/adapter_average.py on a hand-built EPAD v2 image (docs/formats.md): rounding,
clamping to the element type, the recomputed CRC (zlib), refusals by name.

Run: .venv/bin/python -m unittest discover -s fleet-server/tests -v
"""
import os
import struct
import sys
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import adapter_average as aa  # noqa: E402


def image(int8s, int32s, unit8=0.5, unit32=0.25):
    """Header, one int8 record (rows = len) and one int32 record, CRC: laid out by hand."""
    def record(kind, eb, values, unit):
        head = struct.pack("<BBBBHHid", kind, 0, eb, 0, len(values), 1, 0, unit)
        data = struct.pack(f"<{len(values)}{'b' if eb == 1 else 'i'}", *values)
        return head + data + bytes((-len(data)) % 4)
    recs = record(1, 1, int8s, unit8) + record(2, 4, int32s, unit32)
    total = 76 + len(recs) + 4
    head = b"EPAD" + struct.pack("<HHI", 2, 76, 3) + bytes(18) + struct.pack("<HIII", 2, 7, 30, total) + bytes(32)
    assert len(head) == 76
    body = head + recs
    return body + struct.pack("<I", zlib.crc32(body))


class AdapterAverage(unittest.TestCase):
    def test_round_clamp_crc(self):
        base = image([1, -2, 120], [10, -10])
        out = aa.apply_average(base, [0.75, -0.25, 10.0, 1.0, -0.125])
        # int8 unit 0.5: +1.5 -> +2 (half to even), -0.5 -> 0, +20 -> clamped at 127; int32 unit 0.25: +4, -0.5 -> 0.
        self.assertEqual(out, image([3, -2, 127], [14, -10]))
        self.assertEqual(struct.unpack_from("<I", out, len(out) - 4)[0], zlib.crc32(out[:-4]))

    def test_refusals(self):
        base = image([1], [2])
        for bad, code in [(b"XPAD" + base[4:], "bad-magic"), (base[:-1] + bytes([base[-1] ^ 1]), "bad-crc"),
                          (base[:40], "bad-magic")]:
            with self.assertRaises(aa.AdapterAverageError) as e:
                aa.apply_average(bad, [0, 0])
            self.assertEqual(e.exception.code, code)
        with self.assertRaises(aa.AdapterAverageError) as e:
            aa.apply_average(base, [0.0])
        self.assertEqual(e.exception.code, "bad-dimension")


if __name__ == "__main__":
    unittest.main()

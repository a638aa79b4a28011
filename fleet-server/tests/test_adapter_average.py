"""fleet-server/adapter_average.py on a hand-built EPAD v3 image (docs/formats.md): rounding,
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


def image(int8s, int32s, int16s=(), unit8=0.5, unit32=0.25, unit16=0.125):
    """Header, one int8 record (rows = len), one int32 record and one int16 record (LoRA B's
    master, EPAD v3), CRC: laid out by hand."""
    def record(kind, eb, values, unit):
        head = struct.pack("<BBBBHHid", kind, 0, eb, 0, len(values), 1, 0, unit)
        data = struct.pack(f"<{len(values)}{ {1: 'b', 2: 'h', 4: 'i'}[eb]}", *values)
        return head + data + bytes((-len(data)) % 4)
    recs = record(0, 1, int8s, unit8) + record(2, 4, int32s, unit32) + record(1, 2, int16s, unit16)
    total = 76 + len(recs) + 4
    head = b"EPAD" + struct.pack("<HHI", 3, 76, 3) + bytes(18) + struct.pack("<HIII", 3, 7, 30, total) + bytes(32)
    assert len(head) == 76
    body = head + recs
    return body + struct.pack("<I", zlib.crc32(body))


class AdapterAverage(unittest.TestCase):
    def test_round_clamp_crc(self):
        base = image([1, -2, 120], [10, -10], [100, -32760])
        out = aa.apply_average(base, [0.75, -0.25, 10.0, 1.0, -0.125, 0.3125, -10.0])
        # int8 unit 0.5: +1.5 -> +2 (half to even), -0.5 -> 0, +20 -> clamped at 127; int32 unit 0.25: +4, -0.5 -> 0;
        # int16 unit 0.125: +2.5 -> +2 (half to even), -80 -> clamped at -32768.
        self.assertEqual(out, image([3, -2, 127], [14, -10], [102, -32768]))
        self.assertEqual(struct.unpack_from("<I", out, len(out) - 4)[0], zlib.crc32(out[:-4]))

    def test_refusals(self):
        base = image([1], [2])
        for bad, code in [(b"XPAD" + base[4:], "bad-magic"), (base[:-1] + bytes([base[-1] ^ 1]), "bad-crc"),
                          (base[:40], "bad-magic")]:
            with self.assertRaises(aa.AdapterAverageError) as e:
                aa.apply_average(bad, [0, 0])
            self.assertEqual(e.exception.code, code)
        v2 = bytearray(base)  # a version-2 image (int8 B): refused by name, not misread
        struct.pack_into("<H", v2, 4, 2)
        struct.pack_into("<I", v2, len(v2) - 4, zlib.crc32(bytes(v2[:-4])))
        with self.assertRaises(aa.AdapterAverageError) as e:
            aa.apply_average(bytes(v2), [0, 0])
        self.assertEqual(e.exception.code, "bad-version")
        with self.assertRaises(aa.AdapterAverageError) as e:
            aa.apply_average(base, [0.0])
        self.assertEqual(e.exception.code, "bad-dimension")


if __name__ == "__main__":
    unittest.main()

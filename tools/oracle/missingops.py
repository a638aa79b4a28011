#!/usr/bin/env python3
"""One model chaining one operator per builtin code given (int8 [1, 8] in and out, no
options), for host-tests/engine/ops-table.test.ts: `edge-peft plan` must name every operator
the engine lacks at once. The model is never run, only checked against the supported list.

Usage: missingops.py OUT.tflite CODE [CODE ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from opmodels import Builder  # noqa: E402


def main() -> int:
    codes = [int(c) for c in sys.argv[2:]]
    b = Builder()
    x = b.act((1, 8), scale=0.05, zp=0, is_input=True)
    for code in codes:
        y = b.act((1, 8), scale=0.05, zp=0)
        b.op(code, [x], [y], None, 1)
        x = y
    Path(sys.argv[1]).write_bytes(b.bytes("missing operators"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

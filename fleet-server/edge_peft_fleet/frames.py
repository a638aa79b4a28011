"""The server's requests in a round (EPRD v2, as firmware/fleet/round-frames.ts reads them),
signed by the fleet key; the devices answer with EPSA frames (fleet-server/secagg.py reads
those). Little-endian:

  0 "EPRD" | 4 u16 version 2 | 6 u8 stage | 7 u8 0 | 8 u32 round | 12 u32 cohort
  16 u8 id bytes N (the device it is for) | 17 u8 0 | 18 u16 0 | 20 u32 body bytes B
  24 id | 24+N body | then u8[64] ECDSA P-256 r||s over SHA-256 of all before

Bodies: see setup_body, frame_list and reveal_lists below (docs/formats.md).
"""
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

MAGIC = b"EPRD"
VERSION = 2
SETUP, KEYS, SHARES, REVEAL = 1, 2, 3, 4
# The EPSA kind a device answers each stage with (secagg.py KIND).
REPLY_KIND = {SETUP: "keys", KEYS: "share", SHARES: "masked", REVEAL: "reveal"}
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_NEIGHBOURS = 64


class FrameError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(f"round frame: {code}: {message}")
        self.code = code


def check_name(what: str, name: str) -> None:
    if not NAME.match(name):
        raise FrameError("bad-name", f'{what} "{name}" must be 1..64 characters of A-Z a-z 0-9 _ . -')


def _name(s: str) -> bytes:
    check_name("device id", s)
    return bytes([len(s)]) + s.encode("ascii")


def request(stage: int, round_: int, cohort: int, device_id: str, body: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    ident = device_id.encode("ascii")
    check_name("device id", device_id)
    signed = MAGIC + struct.pack("<HBBIIBBHI", VERSION, stage, 0, round_, cohort, len(ident), 0, 0, len(body)) + ident + body
    r, s = decode_dss_signature(key.sign(hashlib.sha256(signed).digest(), ec.ECDSA(Prehashed(hashes.SHA256()))))
    return signed + r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass(frozen=True)
class Params:
    """A round's parameters as every device gets them in its setup: L2 clip S and grid step
    gamma (the update's real units), the sample cap of full weight, the most devices one sum
    may hold, local training steps (0 = one pass over the device's samples), the update's
    element count, Shamir threshold t, the SHA-256 of the global adapter to start from, and the
    variance of the device's discrete Gaussian noise share in grid steps^2 as "p/q" ("" = none)."""
    clip: float
    step: float
    sample_cap: int
    max_devices: int
    local_steps: int
    elements: int
    threshold: int
    global_sha256: bytes
    noise: str = ""


def setup_body(p: Params, neighbours: list[tuple[str, bytes]]) -> bytes:
    if not 1 <= len(neighbours) <= MAX_NEIGHBOURS:
        raise FrameError("bad-neighbours", f"{len(neighbours)} neighbours outside 1..{MAX_NEIGHBOURS}")
    if not re.fullmatch(r"([0-9]+(/[0-9]+)?)?", p.noise) or len(p.noise) > 255:
        raise FrameError("bad-noise", f"noise variance {p.noise!r} is not p/q in decimal integers")
    out = struct.pack("<ddIIIIB", p.clip, p.step, p.sample_cap, p.max_devices, p.local_steps, p.elements, p.threshold) + p.global_sha256
    out += bytes([len(p.noise)]) + p.noise.encode("ascii")
    out += bytes([len(neighbours)])
    for ident, key in neighbours:
        if len(key) != 65:
            raise FrameError("bad-key", f"{ident}: device key of {len(key)} bytes")
        out += _name(ident) + key
    return out


def frame_list(frames: list[bytes]) -> bytes:
    if len(frames) > 255:
        raise FrameError("too-many-frames", f"{len(frames)} frames in one request")
    return bytes([len(frames)]) + b"".join(struct.pack("<I", len(f)) + f for f in frames)


def reveal_lists(survivors: list[str], dropped: list[str]) -> bytes:
    return b"".join(struct.pack("<H", len(lst)) + b"".join(_name(i) for i in lst) for lst in (survivors, dropped))

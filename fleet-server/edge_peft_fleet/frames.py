"""Round frames (EPRD v1), the bytes of one secure-aggregation round on MQTT; the same layout as
firmware/fleet/round-frames.ts (docs/fleet.md). Little-endian:

  0 "EPRD" | 4 u16 version 1 | 6 u8 stage | 7 u8 reserved 0 | 8 u32 round | 12 u32 cohort
  16 u8 id bytes N (the device it is from or to; 0 for a broadcast) | 17 u8 + 18 u16 reserved 0
  20 u32 body bytes B | 24 id | 24+N body | then u8[64] ECDSA P-256 r||s over SHA-256 of all before

Requests (stages KEYS_REQUEST, MASK_REQUEST) are signed by the fleet key, replies by the
device key, so a gateway or broker can neither forge nor alter one unnoticed.
"""
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature, encode_dss_signature

MAGIC = b"EPRD"
VERSION = 1
HEAD = 24
KEYS_REQUEST, KEYS_REPLY, MASK_REQUEST, MASK_REPLY = 1, 2, 3, 4
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_NEIGHBOURS = 64


class FrameError(ValueError):
    """A frame that is malformed, for another round or stage, or not signed by who it claims."""

    def __init__(self, code: str, message: str):
        super().__init__(f"round frame: {code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Frame:
    stage: int
    round: int
    cohort: int
    device_id: str
    body: bytes


@dataclass(frozen=True)
class RoundParams:
    """What a KEYS_REQUEST tells every device: the update's element count, the L2 clip S (in
    adapter view units), the fixed-point fraction bits of the upload, local training steps
    (0 = one pass over the device's own samples), and the SHA-256 of the global adapter image
    the update must start from (a device running another refuses the round)."""
    elements: int
    clip: float
    fraction_bits: int
    local_steps: int
    global_sha256: bytes


def check_name(what: str, name: str) -> None:
    if not NAME.match(name):
        raise FrameError("bad-name", f'{what} "{name}" must be 1..64 characters of A-Z a-z 0-9 _ . -')


def _digest(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def encode(frame: Frame, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    ident = frame.device_id.encode("ascii")
    if ident:
        check_name("device id", frame.device_id)
    body = MAGIC + struct.pack("<HBBIIBBHI", VERSION, frame.stage, 0, frame.round, frame.cohort, len(ident), 0, 0, len(frame.body)) + ident + frame.body
    der = private_key.sign(_digest(body), ec.ECDSA(Prehashed(hashes.SHA256())))
    r, s = decode_dss_signature(der)
    return body + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def peek(data: bytes) -> Frame:
    """The fields of a frame, not yet verified (to find whose key checks it)."""
    if len(data) < HEAD + 64:
        raise FrameError("truncated", f"{len(data)} bytes is shorter than a frame")
    if data[:4] != MAGIC:
        raise FrameError("bad-magic", "not an EPRD frame")
    version, stage, r0, round_, cohort, n, r1, r2, b = struct.unpack_from("<HBBIIBBHI", data, 4)
    if version != VERSION:
        raise FrameError("bad-version", f"format version {version}, this reader reads {VERSION}")
    if r0 or r1 or r2:
        raise FrameError("reserved-nonzero", "reserved bytes must be zero")
    if HEAD + n + b + 64 != len(data):
        raise FrameError("bad-length", f"{len(data)} bytes, fields say {HEAD + n + b + 64}")
    ident = data[HEAD:HEAD + n].decode("ascii", errors="replace")
    if n:
        check_name("device id", ident)
    return Frame(stage, round_, cohort, ident, bytes(data[HEAD + n:HEAD + n + b]))


def verify(data: bytes, public_sec1: bytes) -> Frame:
    frame = peek(data)
    sig = data[-64:]
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_sec1)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        key.verify(der, _digest(data[:-64]), ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        raise FrameError("bad-signature", "signature does not verify with the expected key") from None
    return frame


def keys_request_body(p: RoundParams) -> bytes:
    if len(p.global_sha256) != 32:
        raise FrameError("bad-digest", "the global adapter digest is 32 bytes")
    return struct.pack("<IdBBHI", p.elements, p.clip, p.fraction_bits, 0, 0, p.local_steps) + p.global_sha256


def mask_request_body(neighbours: list[tuple[str, bytes]]) -> bytes:
    if len(neighbours) > MAX_NEIGHBOURS:
        raise FrameError("too-many-neighbours", f"{len(neighbours)} > {MAX_NEIGHBOURS}")
    out = struct.pack("<HH", len(neighbours), 0)
    for ident, key in neighbours:
        check_name("device id", ident)
        if len(key) != 65:
            raise FrameError("bad-key", f"{ident}: key of {len(key)} bytes")
        out += bytes([len(ident)]) + ident.encode("ascii") + key
    return out


def round_key(body: bytes) -> bytes:
    """The round's key-agreement public key a KEYS_REPLY carries."""
    if len(body) != 65 or body[0] != 4:
        raise FrameError("bad-key", "a key reply holds one 65-byte SEC1 uncompressed point")
    return body


def masked_words(body: bytes, elements: int) -> list[int]:
    """The masked upload of a MASK_REPLY: elements + 1 uint32 words (the last is the count)."""
    if len(body) != 4 * (elements + 1):
        raise FrameError("bad-length", f"masked vector of {len(body)} bytes, the round has {elements} + 1 words")
    return list(struct.unpack(f"<{elements + 1}I", body))

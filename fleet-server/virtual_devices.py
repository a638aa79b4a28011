"""Virtual devices for host-side fleets (Flower's Simulation Engine, the server tests): the
device's half of a SecAgg+ round (docs/fleet.md, EPSA frames in docs/formats.md) on Python's
`cryptography` (ECDH/ECDSA P-256, HKDF-SHA256, ChaCha20-Poly1305) and pycryptodome's
`Shamir.split`, the masks by pairwise_masks.py, the update by update_encoding.py and, with DP,
discrete_gaussian.py. Transport-free: a server request (EPRD v2, edge_peft_fleet/frames.py) in,
the device's EPSA frames out, the round state as bytes between stages (a Flower node keeps it in
its Context between messages, as a board keeps it in flash).

A virtual device's update is drawn from a generator seeded by (seed, round, id), so a test can
compute the plain sum of the survivors' encoded updates without the masking; its device key
comes from (seed, id) (`device_key`), so the registry and the gateway agree without a key file.
A device drops out at a stage drawn the same way (`dropout_stage`): it stops answering there.
"""
from __future__ import annotations

import hashlib
import json
import random
import struct
from dataclasses import dataclass
from fractions import Fraction

from Crypto.Protocol.SecretSharing import Shamir
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import secagg
from discrete_gaussian import add_discrete_gaussian
from pairwise_masks import MOD, expand_mask, mask_update, public_bytes
from update_encoding import encode_update

SHARE_SALT = b"edge-peft/secagg/v1/share"
SETUP, KEYS, SHARES, REVEAL = 1, 2, 3, 4  # EPRD stages (edge_peft_fleet/frames.py)
CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def name(s: str) -> bytes:
    return bytes([len(s)]) + s.encode("ascii")


def frame(kind: str, round_: int, sender: str, body: bytes, priv: ec.EllipticCurvePrivateKey) -> bytes:
    """An EPSA v1 frame signed with the device key."""
    head = struct.pack("<4sHBBII", b"EPSA", 1, secagg.KIND[kind], len(sender), round_, len(body)) + sender.encode() + body
    r, s = decode_dss_signature(priv.sign(head, ec.ECDSA(hashes.SHA256())))
    return head + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def split_secrets(t: int, n: int, b: bytes, s_private: ec.EllipticCurvePrivateKey) -> list[tuple[bytes, bytes]]:
    """Shares of the self-mask seed b and of the mask key, one (b-share, s-share) per holder
    position 1..n: pycryptodome's Shamir.split on the 16-byte halves, halves in order."""
    sk = s_private.private_numbers().private_value.to_bytes(32, "big")
    halves = [Shamir.split(t, n, sec[h:h + 16]) for sec in (b, sk) for h in (0, 16)]
    return [(halves[0][p][1] + halves[1][p][1], halves[2][p][1] + halves[3][p][1]) for p in range(n)]


def device_key(seed: int, ident: str) -> ec.EllipticCurvePrivateKey:
    """A virtual device's provisioned key, from the fleet's seed and its id."""
    d = int.from_bytes(hashlib.sha256(f"edge-peft/virtual/{seed}/{ident}".encode()).digest(), "big")
    return ec.derive_private_key(d % (CURVE_ORDER - 1) + 1, ec.SECP256R1())


def _rng(seed: int, round_: int, ident: str, what: str) -> random.Random:
    return random.Random(f"{seed}/{round_}/{ident}/{what}")


def dropout_stage(seed: int, round_: int, ident: str, rate: float) -> int:
    """0: answers every stage; 1..4: silent from that stage on (setup, keys, shares, reveal)."""
    r = _rng(seed, round_, ident, "dropout")
    return r.randint(1, 4) if r.random() < rate else 0


def encoded_update(seed: int, round_: int, ident: str, elements: int, clip: float, step: float, cap: int, noise: str = "") -> list[int]:
    """The device's encoded (and, with noise "p/q", noised) update: values uniform in
    [-clip, clip] / sqrt(elements) x 3 (so some are clipped), 1..2 cap samples."""
    r = _rng(seed, round_, ident, "update")
    scale = 3 * clip / elements ** 0.5
    values = [r.uniform(-scale, scale) for _ in range(elements)]
    enc = encode_update(values, r.randint(1, 2 * cap), clip, step, cap, r.randbytes(4 * elements))
    return add_discrete_gaussian(r.randbytes, enc, Fraction(noise)) if noise else enc


@dataclass
class Request:
    stage: int
    round: int
    cohort: int
    device: str
    body: bytes


def read_request(data: bytes, fleet_public: ec.EllipticCurvePublicKey | None) -> Request:
    """An EPRD v2 request, its fleet signature checked when the fleet's public key is given."""
    if len(data) < 24 + 64 or data[:4] != b"EPRD":
        raise secagg.SecAggError("bad-magic", "not an EPRD request")
    version, stage, _, round_, cohort, n, _, _, blen = struct.unpack_from("<HBBIIBBHI", data, 4)
    if version != 2 or 24 + n + blen + 64 != len(data):
        raise secagg.SecAggError("bad-length", "EPRD version or length")
    if fleet_public is not None:
        sig = data[-64:]
        fleet_public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                            hashlib.sha256(data[:-64]).digest(), ec.ECDSA(Prehashed(hashes.SHA256())))
    return Request(stage, round_, cohort, data[24:24 + n].decode("ascii"), data[24 + n:24 + n + blen])


def _frames(body: bytes) -> list[bytes]:
    count, at, out = body[0], 1, []
    for _ in range(count):
        (n,) = struct.unpack_from("<I", body, at)
        out.append(body[at + 4:at + 4 + n])
        at += 4 + n
    return out


def _names(body: bytes, at: int) -> tuple[list[str], int]:
    (count,) = struct.unpack_from("<H", body, at)
    at += 2
    out = []
    for _ in range(count):
        n = body[at]
        out.append(body[at + 1:at + 1 + n].decode("ascii"))
        at += 1 + n
    return out, at


def _share_key(mine: ec.EllipticCurvePrivateKey, peer_c: bytes, round_: int, sender: str, recipient: str) -> tuple[bytes, bytes]:
    """(key, info) of the share frame sender -> recipient (docs/formats.md, share)."""
    info = round_.to_bytes(4, "little") + b"\0" + sender.encode("ascii") + b"\0" + recipient.encode("ascii")
    shared = mine.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_c))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SHARE_SALT, info=info).derive(shared), info


def _priv(hex_value: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(hex_value, 16), ec.SECP256R1())


def _hex_priv(key: ec.EllipticCurvePrivateKey) -> str:
    return f"{key.private_numbers().private_value:064x}"


class VirtualDevice:
    """One device of the fleet seed: `answer(request bytes, state bytes)` -> (frames, state bytes)."""

    def __init__(self, seed: int, ident: str, fleet_public: ec.EllipticCurvePublicKey | None = None):
        self.seed, self.id, self.fleet_public = seed, ident, fleet_public
        self.key = device_key(seed, ident)

    def answer(self, data: bytes, state: bytes) -> tuple[list[bytes], bytes]:
        q = read_request(data, self.fleet_public)
        if q.device != self.id:
            raise secagg.SecAggError("wrong-device", f"request for {q.device} reached {self.id}")
        st = json.loads(state) if state else {}
        if q.stage != SETUP and st.get("round") != q.round:
            raise secagg.SecAggError("wrong-round", f"{self.id}: no state for round {q.round}")
        return {SETUP: self._setup, KEYS: self._keys, SHARES: self._shares, REVEAL: self._reveal}[q.stage](q, st)

    def _setup(self, q: Request, _st: dict):
        clip, step, cap, _maxd, _steps, elements, t = struct.unpack_from("<ddIIIIB", q.body, 0)
        at = struct.calcsize("<ddIIIIB") + 32
        noise = q.body[at + 1:at + 1 + q.body[at]].decode("ascii")
        at += 1 + q.body[at]
        neighbours = {}
        for _ in range(q.body[at]):
            n = q.body[at + 1]
            ident = q.body[at + 2:at + 2 + n].decode("ascii")
            neighbours[ident] = q.body[at + 2 + n:at + 2 + n + 65].hex()
            at += 1 + n + 65
        c, s = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        b = random.SystemRandom().randbytes(32)
        st = {"round": q.round, "clip": clip, "step": step, "cap": cap, "elements": elements, "t": t, "noise": noise,
              "neighbours": neighbours, "c": _hex_priv(c), "s": _hex_priv(s), "b": b.hex()}
        body = public_bytes(c) + public_bytes(s) + hashlib.sha256(b).digest()
        return [frame("keys", q.round, self.id, body, self.key)], json.dumps(st).encode()

    def _keys(self, q: Request, st: dict):
        nkeys = {i: bytes.fromhex(k) for i, k in st["neighbours"].items()}
        peers = {}
        for f in _frames(q.body):
            sender, body = secagg.open_frame(f, "keys", q.round, nkeys)
            peers[sender] = (body[:65].hex(), body[65:130].hex())
        order = sorted(peers)
        if len(order) < st["t"]:
            raise secagg.SecAggError("too-few-neighbours", f"{self.id}: {len(order)} keyed neighbours, t = {st['t']}")
        c, s = _priv(st["c"]), _priv(st["s"])
        out = []
        for pos, (bsh, ssh) in enumerate(split_secrets(st["t"], len(order), bytes.fromhex(st["b"]), s)):
            to = order[pos]
            key, info = _share_key(c, bytes.fromhex(peers[to][0]), q.round, self.id, to)
            sealed = ChaCha20Poly1305(key).encrypt(bytes(12), bytes([pos + 1]) + bsh + ssh, info)
            out.append(frame("share", q.round, self.id, name(to) + sealed, self.key))
        st["peers"] = peers
        return out, json.dumps(st).encode()

    def _shares(self, q: Request, st: dict):
        nkeys = {i: bytes.fromhex(k) for i, k in st["neighbours"].items()}
        c = _priv(st["c"])
        held = {}
        for f in _frames(q.body):
            sender, body = secagg.open_frame(f, "share", q.round, nkeys)
            if sender not in st["peers"]:
                raise secagg.SecAggError("not-a-neighbour", f"share from {sender}")
            n = body[0]
            if body[1:1 + n].decode("ascii") != self.id:
                raise secagg.SecAggError("bad-share", f"share for {body[1:1 + n]!r} reached {self.id}")
            key, info = _share_key(c, bytes.fromhex(st["peers"][sender][0]), q.round, sender, self.id)
            plain = ChaCha20Poly1305(key).decrypt(bytes(12), body[1 + n:], info)
            held[sender] = [plain[0], plain[1:33].hex(), plain[33:65].hex()]
        mw = sorted(held)
        x = encoded_update(self.seed, q.round, self.id, st["elements"], st["clip"], st["step"], st["cap"], st["noise"])
        y = mask_update(x, _priv(st["s"]), self.id, [(p, bytes.fromhex(st["peers"][p][1])) for p in mw], q.round)
        y = [(a + m) % MOD for a, m in zip(y, expand_mask(bytes.fromhex(st["b"]), len(x)))]
        body = bytes([len(mw)]) + b"".join(name(p) for p in mw) + struct.pack(f"<I{len(y)}I", len(y), *y)
        st["held"] = held
        return [frame("masked", q.round, self.id, body, self.key)], json.dumps(st).encode()

    def _reveal(self, q: Request, st: dict):
        survivors, at = _names(q.body, 0)
        dropped, _ = _names(q.body, at)
        if set(survivors) & set(dropped):
            raise secagg.SecAggError("both-shares", f"{self.id}: a device in both lists")
        if self.id in dropped:
            raise secagg.SecAggError("self-dropped", f"{self.id} listed as dropped")
        held = st.get("held", {})
        entries = [(secagg.REVEAL_SELF_MASK, x, o, bytes.fromhex(b)) for o, (x, b, _) in sorted(held.items()) if o in survivors] + \
                  [(secagg.REVEAL_MASK_KEY, x, o, bytes.fromhex(s)) for o, (x, _, s) in sorted(held.items()) if o in dropped]
        body = struct.pack("<H", len(entries)) + b"".join(bytes([w, x]) + name(o) + sh for w, x, o, sh in entries)
        return [frame("reveal", q.round, self.id, body, self.key)], json.dumps(st).encode()


def cohort_relay(seed: int, dropout: float, fleet_public, to: list[str], requests: list[bytes], states: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """One stage for the virtual devices of a cohort: (id, frame) pairs of those that answer;
    states (id -> bytes) updated in place. A device at its dropout stage stays silent from then on."""
    out = []
    for ident, data in zip(to, requests):
        q = read_request(data, None)
        drop = dropout_stage(seed, q.round, ident, dropout)
        if drop and q.stage >= drop:
            continue
        try:
            frames_, states[ident] = VirtualDevice(seed, ident, fleet_public).answer(data, states.get(ident, b""))
        except secagg.SecAggError:
            continue  # an honest device's refusal: it sends nothing, its state stays as it was
        out += [(ident, f) for f in frames_]
    return out

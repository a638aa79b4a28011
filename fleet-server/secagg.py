"""Secure aggregation, server core (SecAgg+ with dropouts; the devices' half is
firmware/fleet/secagg-device.ts, the frames are EPSA v1 in docs/formats.md). Transport-free:
frames in, the sum out. The server sees only signed frames: key frames (C_i, S_i, SHA-256(b_i)),
masked vectors y_i, and the shares the survivors reveal. From them it

- rebuilds b_j of every survivor and the mask key s_j of every dropped device with
  pycryptodome's Shamir.combine (GF(2^128), 16-byte halves; the devices' sharing is ours,
  this is the independent library), and checks each against what the device committed to
  (SHA-256(b_j), S_j) so a wrong share is caught, not summed;
- removes the survivors' self masks PRG(b_j) and, for each dropped device j, the pairwise masks
  its surviving neighbours added with it (fleet-server/pairwise_masks.py);
- returns the sum mod 2^32 and decodes it to the weighted average (decode_average).

Errors are SecAggError with a `code`: unknown-device, duplicate-device, bad-signature,
wrong-kind, wrong-round, bad-length, bad-body, too-few-shares, too-few-survivors,
inconsistent-shares, both-shares, bad-dimension, bad-masks, bad-key.

A cohort with fewer than t surviving devices (masked vectors) is never unmasked
(check_survivors): the sum of so few updates says too much about each, and the DP accounting
(edge_peft_fleet/dp.py) counts the noise of t survivors.

CLI (for the tests): python fleet-server/secagg.py < request.json -> result JSON, exit 0; a
SecAggError -> {"error": code, "message": ...} on stdout, exit 2. request: {"round", "threshold",
"device_keys": {id: hex65}, "keys": [hex], "masked": [hex], "reveals": [hex],
optionally "step", "sample_cap" (to decode)}.
"""
from __future__ import annotations

import hashlib
import json
import random
import struct
import sys
from dataclasses import dataclass

from Crypto.Protocol.SecretSharing import Shamir
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pairwise_masks import MOD, expand_mask, pairwise_seed, private_key, public_bytes

MAGIC = b"EPSA"
VERSION = 1
KIND = {"keys": 1, "share": 2, "masked": 3, "reveal": 4}
REVEAL_SELF_MASK = 1
REVEAL_MASK_KEY = 2


class SecAggError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(f"secagg: {message}")
        self.code = code


def open_frame(data: bytes, kind: str, round_: int, device_keys: dict[str, bytes]) -> tuple[str, bytes]:
    """Sender and body of a frame of `kind` for `round_`, its signature checked with the sender's device key."""
    if len(data) < 16 + 1 + 64:
        raise SecAggError("bad-length", f"{len(data)} bytes is shorter than a frame")
    magic, version, k, n, rnd, b = struct.unpack_from("<4sHBBII", data, 0)
    if magic != MAGIC:
        raise SecAggError("bad-magic", "not an EPSA frame")
    if version != VERSION:
        raise SecAggError("bad-version", f"format version {version}")
    if not 1 <= n <= 64 or 16 + n + b + 64 != len(data):
        raise SecAggError("bad-length", f"{len(data)} bytes, fields say {16 + n + b + 64}")
    sender = data[16:16 + n].decode("ascii", "replace")
    key = device_keys.get(sender)
    if key is None:
        raise SecAggError("unknown-device", f"no device key for {sender}")
    signed, sig = data[:16 + n + b], data[16 + n + b:]
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key).verify(
            encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SecAggError("bad-signature", f"frame from {sender} does not verify with its device key") from None
    if k != KIND[kind]:
        raise SecAggError("wrong-kind", f"expected a {kind} frame from {sender}, got kind {k}")
    if rnd != round_:
        raise SecAggError("wrong-round", f"frame from {sender} is for round {rnd}, this is round {round_}")
    return sender, data[16 + n:16 + n + b]


class _Reader:
    def __init__(self, body: bytes, what: str):
        self.b, self.at, self.what = body, 0, what

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.b):
            raise SecAggError("bad-body", f"{self.what} body ends early")
        out = self.b[self.at:self.at + n]
        self.at += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def name(self) -> str:
        raw = self.take(self.u8())
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise SecAggError("bad-body", f"{self.what}: a name that is not ASCII") from None

    def end(self) -> None:
        if self.at != len(self.b):
            raise SecAggError("bad-body", f"{self.what} body has {len(self.b) - self.at} bytes left over")


@dataclass(frozen=True)
class RoundKeys:
    c: bytes  # share-encryption public key C_i
    s: bytes  # mask public key S_i
    b_hash: bytes  # SHA-256 of the self-mask seed b_i


@dataclass(frozen=True)
class Masked:
    masked_with: tuple[str, ...]
    words: tuple[int, ...]


@dataclass(frozen=True)
class Revealed:
    holder: str
    what: int
    x: int
    owner: str
    share: bytes


def _each(frames: list[bytes], kind: str, round_: int, device_keys: dict[str, bytes]):
    seen = set()
    for f in frames:
        sender, body = open_frame(f, kind, round_, device_keys)
        if sender in seen:
            raise SecAggError("duplicate-device", f"two {kind} frames from {sender}")
        seen.add(sender)
        yield sender, _Reader(body, kind)


def read_keys(frames, round_, device_keys) -> dict[str, RoundKeys]:
    out = {}
    for sender, r in _each(frames, "keys", round_, device_keys):
        k = RoundKeys(r.take(65), r.take(65), r.take(32))
        r.end()
        for point in (k.c, k.s):
            try:
                ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            except ValueError:
                raise SecAggError("bad-key", f"a round key of {sender} is not a P-256 point") from None
        out[sender] = k
    return out


def read_masked(frames, round_, device_keys) -> dict[str, Masked]:
    out = {}
    for sender, r in _each(frames, "masked", round_, device_keys):
        peers = tuple(r.name() for _ in range(r.u8()))
        (count,) = struct.unpack("<I", r.take(4))
        words = struct.unpack(f"<{count}I", r.take(4 * count))
        r.end()
        out[sender] = Masked(peers, words)
    return out


def read_reveals(frames, round_, device_keys) -> list[Revealed]:
    out = []
    for sender, r in _each(frames, "reveal", round_, device_keys):
        (count,) = struct.unpack("<H", r.take(2))
        for _ in range(count):
            what, x = r.u8(), r.u8()
            if x == 0:
                raise SecAggError("bad-body", f"share index 0 from {sender} (indices start at 1)")
            out.append(Revealed(sender, what, x, r.name(), r.take(32)))
        r.end()
    return out


def combine32(shares: list[tuple[int, bytes]], threshold: int, owner: str) -> bytes:
    """A 32-byte secret from its (x, 32-byte) shares: pycryptodome's Shamir.combine on each half.
    Every share past the first t is checked against the first t (a lying holder is caught)."""
    by_x: dict[int, bytes] = {}
    for x, s in shares:
        if by_x.get(x, s) != s:
            raise SecAggError("inconsistent-shares", f"two different shares {x} of {owner}")
        by_x[x] = s
    points = sorted(by_x.items())
    if len(points) < threshold:
        raise SecAggError("too-few-shares", f"{len(points)} shares of {owner}, threshold is {threshold}")

    def rebuild(subset):
        return b"".join(Shamir.combine([(x, s[h:h + 16]) for x, s in subset]) for h in (0, 16))

    secret = rebuild(points[:threshold])
    for extra in points[threshold:]:
        if rebuild(points[:threshold - 1] + [extra]) != secret:
            raise SecAggError("inconsistent-shares", f"share {extra[0]} of {owner} disagrees with the others")
    return secret


def check_survivors(survivors: list[str], threshold: int, label: str = "the cohort") -> None:
    """Refuse a cohort with fewer than `threshold` survivors, before anything is revealed or summed."""
    if threshold < 1:
        raise SecAggError("bad-setup", f"threshold {threshold} must be at least 1")
    if len(survivors) < threshold:
        raise SecAggError("too-few-survivors", f"{label} has {len(survivors)} surviving devices, fewer than the threshold t={threshold}: not unmasked")


def unmask(round_: int, threshold: int, device_keys: dict[str, bytes], key_frames: list[bytes],
           masked_frames: list[bytes], reveal_frames: list[bytes]) -> tuple[list[int], list[str], list[str]]:
    """(sum of the survivors' encoded updates mod 2^32, survivors, dropped)."""
    keys = read_keys(key_frames, round_, device_keys)
    masked = read_masked(masked_frames, round_, device_keys)
    reveals = read_reveals(reveal_frames, round_, device_keys)
    named = [p for m in masked.values() for p in m.masked_with]
    for who in list(masked) + named + [r.holder for r in reveals] + [r.owner for r in reveals]:
        if who not in keys:
            raise SecAggError("unknown-device", f"{who} sent no key frame this round")
    if not masked:
        raise SecAggError("too-few-shares", "no masked vector to sum")
    dims = {len(m.words) for m in masked.values()}
    if len(dims) != 1:
        raise SecAggError("bad-dimension", f"masked vectors of lengths {sorted(dims)}")
    (dim,) = dims
    survivors = sorted(masked)
    check_survivors(survivors, threshold)
    dropped = sorted({p for m in masked.values() for p in m.masked_with} - set(masked))
    for i in survivors:
        for j in masked[i].masked_with:
            if j in masked and i not in masked[j].masked_with:
                raise SecAggError("bad-masks", f"{i} masked with {j} but {j} not with {i}")
    b_shares: dict[str, list] = {}
    s_shares: dict[str, list] = {}
    for r in reveals:
        if r.what == REVEAL_SELF_MASK:
            b_shares.setdefault(r.owner, []).append((r.x, r.share))
        elif r.what == REVEAL_MASK_KEY:
            s_shares.setdefault(r.owner, []).append((r.x, r.share))
        else:
            raise SecAggError("bad-body", f"reveal of kind {r.what} from {r.holder}")
    both = sorted(set(b_shares) & set(s_shares))
    if both:
        raise SecAggError("both-shares", f"both secrets of {', '.join(both)} revealed")

    total = [0] * dim
    for i in survivors:
        total = [(t + w) % MOD for t, w in zip(total, masked[i].words)]
    for j in survivors:
        b = combine32(b_shares.get(j, []), threshold, j)
        if hashlib.sha256(b).digest() != keys[j].b_hash:
            raise SecAggError("inconsistent-shares", f"the rebuilt self-mask seed of {j} is not the one it committed to")
        total = [(t - m) % MOD for t, m in zip(total, expand_mask(b, dim))]
    for j in dropped:
        s = combine32(s_shares.get(j, []), threshold, j)
        try:
            sj = private_key(s.hex())
        except ValueError:
            raise SecAggError("inconsistent-shares", f"the rebuilt mask key of {j} is not a P-256 key") from None
        if public_bytes(sj) != keys[j].s:
            raise SecAggError("inconsistent-shares", f"the rebuilt mask key of {j} does not match its key frame")
        for i in survivors:
            if j not in masked[i].masked_with:
                continue
            mask = expand_mask(pairwise_seed(sj, j, keys[i].s, i, round_), dim)
            sign = -1 if i < j else 1  # i added the mask when i < j: take it out
            total = [(t + sign * m) % MOD for t, m in zip(total, mask)]
    return total, survivors, dropped


def unmask_request(share_senders: list[str], masked_senders: list[str]) -> tuple[list[str], list[str]]:
    """What the server asks the survivors to reveal: (survivors, dropped). A device that sent
    shares but no masked vector is dropped; one that never shared is in nobody's masks."""
    survivors = sorted(set(masked_senders))
    return survivors, sorted(set(share_senders) - set(survivors))


def share_route(frame: bytes, round_: int, device_keys: dict[str, bytes]) -> tuple[str, str]:
    """(sender, recipient) of a share frame, its signature checked: where a gateway forwards it.
    The encrypted share inside stays opaque to the server."""
    sender, body = open_frame(frame, "share", round_, device_keys)
    r = _Reader(body, "share")
    recipient = r.name()
    r.take(65 + 16)
    r.end()
    return sender, recipient


def neighbour_graph(ids: list[str], k: int, seed: int) -> dict[str, list[str]]:
    """SecAgg+'s neighbourhoods (Bell et al. 2020): the devices on a ring in an order shuffled by
    `seed` (public: the graph is no secret), each linked to k/2 on either side; symmetric.
    With k >= n - 1 every device neighbours every other. Devices then share with threshold
    t >= k/2 + 1 (min_threshold)."""
    if k < 2 or k % 2:
        raise SecAggError("bad-setup", f"neighbour count {k} must be even and >= 2")
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise SecAggError("bad-setup", "at least two distinct device ids")
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n = len(order)
    if k >= n - 1:
        return {i: sorted(set(ids) - {i}) for i in ids}
    return {order[p]: sorted({order[(p + d) % n] for d in range(-(k // 2), k // 2 + 1) if d}) for p in range(n)}


def min_threshold(k: int) -> int:
    """The least t the devices accept for k neighbours: more than half (two disjoint halves of a
    neighbourhood cannot both rebuild one secret)."""
    return k // 2 + 1


def decode_average(total: list[int], step: float, sample_cap: int) -> tuple[list[float], int]:
    """The weighted average from the sum of encoded updates (firmware/fleet/update-encoding.ts):
    words 0..d-1 are sum_k round(clip_S(w_k u_k) / step) as int32, w_k = min(n_k, cap) / cap; the
    last word is sum_k min(n_k, cap). Returns (average update, total weight in samples)."""
    if len(total) < 2:
        raise SecAggError("bad-dimension", "an encoded sum has at least one value and the weight")
    weight = total[-1]
    if weight == 0:
        raise SecAggError("bad-dimension", "the weights sum to zero")
    signed = [w - MOD if w >= 1 << 31 else w for w in total[:-1]]
    return [v * step * sample_cap / weight for v in signed], weight


def main() -> int:
    req = json.load(sys.stdin)
    h = bytes.fromhex
    try:
        total, survivors, dropped = unmask(req["round"], req["threshold"], {k: h(v) for k, v in req["device_keys"].items()},
                                           [h(f) for f in req["keys"]], [h(f) for f in req["masked"]], [h(f) for f in req["reveals"]])
        out = {"sum": total, "survivors": survivors, "dropped": dropped}
        if "step" in req:
            out["average"], out["weight"] = decode_average(total, req["step"], req["sample_cap"])
    except SecAggError as e:
        json.dump({"error": e.code, "message": str(e)}, sys.stdout)
        return 2
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

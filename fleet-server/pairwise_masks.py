"""Pairwise secure-aggregation masks, server side (the same derivation as the devices'
firmware/fleet/pairwise-masks.ts), from Python's `cryptography`: ECDH P-256, HKDF-SHA256 and
ChaCha20. The server needs it to remove the masks of devices that drop out after masking (from
their reconstructed keys); the tests use it as an independent implementation of the devices'.

python fleet-server/pairwise_masks.py < request.json  ->  {"masked": {id: [uint32...]}}
request: {"round": R, "devices": [{"id", "private": hex32, "update": [uint32...]}], "neighbours": {id: [ids]}}
"""
import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT = b"edge-peft/secagg/v1"
MOD = 1 << 32


def private_key(hex32: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(hex32, 16), ec.SECP256R1())


def public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def pairwise_seed(mine: ec.EllipticCurvePrivateKey, my_id: str, peer_public: bytes, peer_id: str, round_: int) -> bytes:
    if my_id == peer_id:
        raise ValueError(f"a device is not its own neighbour ({my_id})")
    lo, hi = sorted([my_id, peer_id])
    info = round_.to_bytes(4, "little") + b"\0" + lo.encode("ascii") + b"\0" + hi.encode("ascii")
    shared = mine.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_public))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=info).derive(shared)


def expand_mask(seed: bytes, n: int) -> list[int]:
    # cryptography's ChaCha20 nonce is 16 bytes: the 32-bit block counter (LE), then the 96-bit nonce.
    stream = Cipher(algorithms.ChaCha20(seed, bytes(16)), mode=None).encryptor().update(bytes(4 * n))
    return [int.from_bytes(stream[4 * i:4 * i + 4], "little") for i in range(n)]


def mask_update(update: list[int], mine, my_id: str, peers: list[tuple[str, bytes]], round_: int) -> list[int]:
    out = list(update)
    for peer_id, peer_public in peers:
        mask = expand_mask(pairwise_seed(mine, my_id, peer_public, peer_id, round_), len(update))
        sign = 1 if my_id < peer_id else -1
        out = [(x + sign * m) % MOD for x, m in zip(out, mask)]
    return out


def main() -> int:
    req = json.load(sys.stdin)
    keys = {d["id"]: private_key(d["private"]) for d in req["devices"]}
    masked = {}
    for d in req["devices"]:
        peers = [(p, public_bytes(keys[p])) for p in req["neighbours"][d["id"]]]
        masked[d["id"]] = mask_update(d["update"], keys[d["id"]], d["id"], peers, req["round"])
    json.dump({"masked": masked}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The operator's device registry (devices.json, as tools/fleet/registry.ts reads it) and the
cohort a device id falls in (firmware/fleet/cohorts.ts: first 4 bytes, big-endian, of
SHA-256("edge-peft/cohort/" + id), mod the cohort count)."""
import hashlib
import json
import re
from dataclasses import dataclass

from .frames import check_name


@dataclass(frozen=True)
class Device:
    id: str
    cohort: int
    public_key: bytes


def cohort_of(device_id: str, cohorts: int) -> int:
    check_name("device id", device_id)
    d = hashlib.sha256(b"edge-peft/cohort/" + device_id.encode("ascii")).digest()
    return int.from_bytes(d[:4], "big") % cohorts


def read_registry(path: str) -> tuple[str, int, dict[str, Device]]:
    with open(path, encoding="utf8") as f:
        doc = json.load(f)
    fleet, cohorts = doc.get("fleet"), doc.get("cohorts")
    if not isinstance(fleet, str):
        raise ValueError(f'{path}: "fleet" must be a name')
    check_name("fleet", fleet)
    if not (isinstance(cohorts, int) and cohorts >= 1):
        raise ValueError(f'{path}: "cohorts" must be a whole number >= 1')
    devices: dict[str, Device] = {}
    for i, e in enumerate(doc.get("devices", [])):
        ident, key = e.get("id"), e.get("publicKey")
        if not isinstance(ident, str) or not isinstance(key, str) or not re.fullmatch(r"04[0-9a-f]{128}", key):
            raise ValueError(f'{path}: device {i} needs "id" and "publicKey" (130 hex digits, SEC1 uncompressed)')
        if ident in devices:
            raise ValueError(f"{path}: device {ident} listed twice")
        devices[ident] = Device(ident, cohort_of(ident, cohorts), bytes.fromhex(key))
    return fleet, cohorts, devices

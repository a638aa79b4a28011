"""The gateway's MQTT side (paho-mqtt): publish the server's request frames on the cohort's
topics, collect the devices' reply frames for this stage and round until every expected device
has answered or the stage deadline passes. Frames pass through as opaque bytes: the gateway
checks the devices' signatures (public keys) to drop forgeries and stale frames; it holds no
key that opens a share or unmasks a vector."""
import threading
import time

import paho.mqtt.client as mqtt

from . import frames

import secagg  # noqa: E402  (fleet-server/secagg.py, at the app's root)


class Topics:
    """Round topics under edge-peft/<fleet>/round/<cohort>/ (docs/fleet.md):
    to/<id> (retained: the current stage's request for one device), reply/<id> (device -> gateway)."""

    def __init__(self, fleet: str, cohort: int):
        frames.check_name("fleet", fleet)
        self.root = f"edge-peft/{fleet}/round/{cohort}"

    def to(self, device_id: str) -> str:
        frames.check_name("device id", device_id)
        return f"{self.root}/to/{device_id}"

    def replies(self) -> str:
        return f"{self.root}/reply/+"


def relay(broker: str, client_id: str, publish: list[tuple[str, bytes]], reply_filter: str,
          kind: str, round_: int, expect: dict[str, int], keys: dict[str, bytes], deadline_s: float) -> list[tuple[str, bytes]]:
    """(device id, frame) pairs in arrival order: EPSA frames of `kind` and `round_` from the
    devices in `expect` (id -> frames each owes this stage), each signature checked with the
    device's public key (`keys`), so a forged, stale or replayed frame on a device's topic is
    dropped here and cannot stand in for the real one. The stage ends early when every expected
    device has sent what it owes; the server checks every frame again."""
    host, port = broker.rsplit(":", 1)
    got: list[tuple[str, bytes]] = []
    per: dict[str, int] = {}
    done = threading.Event()
    subscribed = threading.Event()
    lock = threading.Lock()

    def on_message(_c, _u, msg):
        device = msg.topic.rsplit("/", 1)[-1]
        if device not in expect:
            return
        try:
            sender, _ = secagg.open_frame(bytes(msg.payload), kind, round_, {device: keys[device]})
        except secagg.SecAggError:
            return  # forged, another stage or round, or malformed
        if sender != device:
            return
        with lock:
            if per.get(device, 0) >= expect[device]:
                return
            per[device] = per.get(device, 0) + 1
            got.append((device, bytes(msg.payload)))
            if all(per.get(i, 0) >= n for i, n in expect.items()):
                done.set()

    if not expect:
        done.set()  # nothing to collect (clearing the requests)

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
    c.on_message = on_message
    c.on_subscribe = lambda *_a: subscribed.set()
    c.connect(host, int(port), keepalive=30)
    c.loop_start()
    try:
        c.subscribe(reply_filter, qos=1)
        if not subscribed.wait(10):
            raise TimeoutError(f"broker {broker} did not acknowledge the subscription")
        for topic, payload in publish:
            c.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
        end = time.monotonic() + deadline_s
        while not done.is_set() and time.monotonic() < end:
            done.wait(0.05)
    finally:
        c.disconnect()
        c.loop_stop()
    with lock:
        return list(got)

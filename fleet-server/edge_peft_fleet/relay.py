"""The gateway's MQTT side (paho-mqtt): publish the server's request frames on the cohort's
topics, collect the devices' reply frames for this stage and round until every expected device
has answered or the stage deadline passes. Frames pass through as opaque bytes: the gateway
only reads a frame's head to drop stale ones; it never holds a key to open or forge one."""
import threading
import time

import paho.mqtt.client as mqtt

from . import frames

PER_DEVICE_SPARE = 4


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
          kind: int, round_: int, expect: dict[str, int], deadline_s: float) -> list[tuple[str, bytes]]:
    """(device id, frame) pairs in arrival order, for EPSA frames of `kind` and `round_` from the
    devices in `expect` (id -> frames each owes this stage). The gateway cannot check signatures,
    so a forged frame under a device's topic must not shut out the real one: up to
    PER_DEVICE_SPARE frames beyond what a device owes pass on, and the server keeps those that
    verify. The stage ends early when every expected device has sent what it owes."""
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
        head = frames.epsa_head(msg.payload)
        if head is None or head != (kind, round_, device):
            return  # stale (another stage or round) or malformed: the server would refuse it
        with lock:
            if per.get(device, 0) >= expect[device] + PER_DEVICE_SPARE:
                return
            per[device] = per.get(device, 0) + 1
            got.append((device, bytes(msg.payload)))
            if all(per.get(i, 0) >= n for i, n in expect.items()):
                done.set()

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

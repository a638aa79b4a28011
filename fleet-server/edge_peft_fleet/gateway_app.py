"""The MQTT gateway of one cohort, a Flower ClientApp run by that cohort's SuperNode
(flower-supernode --node-config 'cohort=0 broker="127.0.0.1:1883" fleet="plant-3"').
Every stage of a round is one Flower message (query.relay): the gateway publishes the server's
fleet-signed requests on the devices' topics and returns the devices' signed EPSA frames,
their signatures checked, as opaque bytes. It holds no private key and sees only public keys,
encrypted shares, masked vectors and the revealed shares the server asks for.

Under Flower's Simulation Engine (a node config with partition-id, no broker) the SuperNode is
a virtual gateway: cohort = partition-id, and its cohort's devices (the registry's) are virtual
devices (fleet-server/virtual_devices.py, run config virtual-seed and virtual-dropout) run in
this process, their round state kept in the node's Context between stages."""
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

from .registry import read_registry
from .relay import Topics, relay

import virtual_devices  # noqa: E402  (fleet-server/virtual_devices.py, at the app's root)

app = ClientApp()


def _node(context: Context) -> tuple[str, int, str]:
    nc = context.node_config
    if "partition-id" in nc and "broker" not in nc:
        fleet, _, _ = read_registry(str(context.run_config["registry"]))
        return fleet, int(nc["partition-id"]), ""
    return str(nc["fleet"]), int(nc["cohort"]), str(nc["broker"])


def _virtual_stage(c, context: Context) -> list[tuple[str, bytes]]:
    """A stage for this virtual gateway's devices; their states in context.state["virtual"]."""
    rc = context.run_config
    pub = None
    if str(rc.get("fleet-public", "")):
        with open(str(rc["fleet-public"]), "rb") as f:
            pub = load_pem_public_key(f.read())
    rec = context.state.get("virtual")
    states = {k: bytes(v) for k, v in rec.items()} if rec is not None else {}
    got = virtual_devices.cohort_relay(int(rc["virtual-seed"]), float(rc["virtual-dropout"]), pub, list(c["to"]), [bytes(r) for r in c["requests"]], states)
    context.state["virtual"] = ConfigRecord(states) if states else ConfigRecord({})
    return got


@app.query("hello")
def hello(msg: Message, context: Context) -> Message:
    fleet, cohort, _ = _node(context)
    return Message(RecordDict({"gateway": ConfigRecord({"fleet": fleet, "cohort": cohort})}), reply_to=msg)


@app.query("relay")
def relay_stage(msg: Message, context: Context) -> Message:
    """content["stage"]: round, kind (the EPSA kind the devices answer with), deadline, to (ids),
    requests (one per id), owe (frames each id owes), keys (each id's device public key)."""
    fleet, cohort, broker = _node(context)
    c = msg.content["stage"]
    if not broker:
        got = _virtual_stage(c, context)
        rec = ConfigRecord({"count": len(got)})
        if got:
            rec["from"] = [i for i, _ in got]
            rec["frames"] = [f for _, f in got]
        return Message(RecordDict({"stage": rec}), reply_to=msg)
    t = Topics(fleet, cohort)
    ids, reqs, owe, keys = list(c["to"]), list(c["requests"]), list(c["owe"]), list(c["keys"])
    got = relay(broker, f"gateway-{fleet}-{cohort}", [(t.to(i), bytes(r)) for i, r in zip(ids, reqs)], t.replies(),
                str(c["kind"]), int(c["round"]), dict(zip(ids, owe)), dict(zip(ids, map(bytes, keys))), float(c["deadline"]))
    # ConfigRecord lists must not be empty: the count says how many follow.
    rec = ConfigRecord({"count": len(got)})
    if got:
        rec["from"] = [i for i, _ in got]
        rec["frames"] = [f for _, f in got]
    return Message(RecordDict({"stage": rec}), reply_to=msg)


@app.query("clear")
def clear(msg: Message, context: Context) -> Message:
    """After a round: the retained requests on the devices' topics removed (an empty retained
    message), so a device that boots later does not find a finished round's last stage."""
    fleet, cohort, broker = _node(context)
    if not broker:  # virtual devices: no retained requests to clear
        return Message(RecordDict({"stage": ConfigRecord({"count": 0})}), reply_to=msg)
    t = Topics(fleet, cohort)
    ids = list(msg.content["stage"]["to"]) if int(msg.content["stage"]["count"]) > 0 else []
    relay(broker, f"gateway-{fleet}-{cohort}", [(t.to(i), b"") for i in ids], t.replies(), "keys", 0, {}, {}, 0)
    return Message(RecordDict({"stage": ConfigRecord({"count": len(ids)})}), reply_to=msg)

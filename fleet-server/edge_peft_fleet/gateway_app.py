"""The MQTT gateway of one cohort, a Flower ClientApp run by that cohort's SuperNode
(flower-supernode --node-config 'cohort=0 broker="127.0.0.1:1883" fleet="plant-3"').
Every stage of a round is one Flower message: the gateway publishes the server's signed
request frames on the cohort's topics and returns the devices' signed reply frames as opaque
bytes. It holds no key and sees only public keys and masked vectors."""
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

from . import frames
from .relay import Topics, relay

app = ClientApp()


def _node(context: Context) -> tuple[str, int, str]:
    nc = context.node_config
    return str(nc["fleet"]), int(nc["cohort"]), str(nc["broker"])


def _reply(msg: Message, got: list[tuple[str, bytes]]) -> Message:
    # ConfigRecord lists must not be empty: the count says how many follow.
    rec = ConfigRecord({"count": len(got)})
    if got:
        rec["from"] = [i for i, _ in got]
        rec["frames"] = [f for _, f in got]
    return Message(RecordDict({"stage": rec}), reply_to=msg)


def _expect(c: ConfigRecord) -> set[str]:
    return set(c["expect"]) if int(c["expected"]) > 0 else set()


@app.query("hello")
def hello(msg: Message, context: Context) -> Message:
    fleet, cohort, _ = _node(context)
    return Message(RecordDict({"gateway": ConfigRecord({"fleet": fleet, "cohort": cohort})}), reply_to=msg)


@app.query("keys")
def keys(msg: Message, context: Context) -> Message:
    """Stage 1: broadcast the round's KEYS_REQUEST; collect each device's signed round key."""
    fleet, cohort, broker = _node(context)
    c = msg.content["stage"]
    t = Topics(fleet, cohort)
    got = relay(broker, f"gateway-{fleet}-{cohort}", [(t.request(), bytes(c["request"]))], t.replies(),
                frames.KEYS_REPLY, int(c["round"]), _expect(c), float(c["deadline"]))
    return _reply(msg, got)


@app.query("mask")
def mask(msg: Message, context: Context) -> Message:
    """Stage 2: each device's MASK_REQUEST (its neighbours' keys) to it; collect masked vectors."""
    fleet, cohort, broker = _node(context)
    c = msg.content["stage"]
    t = Topics(fleet, cohort)
    ids, reqs = list(c["to"]), list(c["requests"])
    got = relay(broker, f"gateway-{fleet}-{cohort}", [(t.to(i), bytes(r)) for i, r in zip(ids, reqs)], t.replies(),
                frames.MASK_REPLY, int(c["round"]), set(ids), float(c["deadline"]))
    return _reply(msg, got)

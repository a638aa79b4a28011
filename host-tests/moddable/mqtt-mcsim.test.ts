// Ecma419MqttTransport (firmware/platform/moddable/ecma419-mqtt-transport.ts over the SDK's
// ECMA-419 MQTT client and lin's TCP sockets) run for real in mcsim against mosquitto: a
// retained message larger than one socket read arrives whole, the app's QoS 1 publish reaches a
// Node subscriber (the npm mqtt client), and after the broker restarts the transport reconnects,
// renews its subscription and goes on. Skipped, saying why, where the SDK is not built.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import mqtt from "mqtt";
import { Broker } from "../support/broker.js";
import { buildApp, CREATION, McSim, repoModules, sdkMissing, type McApp } from "./mcsim.js";

describe("Transport port: Ecma419MqttTransport (SDK MQTT client) in mcsim", function () {
  this.timeout(600000);
  const broker = new Broker();
  let app: McApp | undefined;
  let sim: McSim | undefined;
  let client: mqtt.MqttClient | undefined;
  const got = new Map<string, Buffer>();
  const arrived = (topic: string, ms = 60000) => new Promise<Buffer>((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const b = got.get(topic);
      if (b) { clearInterval(poll); resolve(b); } else if (Date.now() - t0 > ms) {
        clearInterval(poll);
        reject(new Error(`no ${topic} in ${ms} ms; mcsim trace:\n${sim?.text.slice(-2000)}`));
      }
    }, 50);
  });
  const publish = (topic: string, payload: Buffer, retain: boolean) => new Promise<void>((resolve, reject) =>
    client!.publish(topic, payload, { qos: 1, retain }, (e) => (e ? reject(e) : resolve())));

  before(async function () {
    if (sdkMissing) {
      console.log(`      skipped: the Moddable SDK is not here (${sdkMissing}); see docs/moddable.md`);
      this.skip();
    }
    await broker.start();
    app = buildApp("mqttcheck", {
      include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/manifest_typings.json",
        "$(MODDABLE)/examples/io/tcp/mqttclient/manifest_mqttclient.json"],
      typescript: { tsconfig: { compilerOptions: { strict: true } } },
      modules: {
        ...repoModules(["firmware/platform/transport", "firmware/platform/clock", "firmware/platform/log",
          "firmware/platform/moddable/ecma419-mqtt-transport", "firmware/platform/moddable/timer-clock",
          "firmware/platform/moddable/trace-log"]),
        main: "./main",
      },
      creation: CREATION,
    }, `import { Ecma419MqttTransport } from "firmware/platform/moddable/ecma419-mqtt-transport";
import { TimerClock } from "firmware/platform/moddable/timer-clock";
import { TraceLog } from "firmware/platform/moddable/trace-log";
const t = new Ecma419MqttTransport({ host: "127.0.0.1", port: ${broker.port}, clientId: "mcsim-check", maxPayload: 8192,
  provider: device.network.mqtt, reconnectMs: 300 }, new TimerClock(), new TraceLog());
// echo every message on ep/in/<x> to ep/out/<x>, QoS 1
t.subscribe("ep/in/+", (topic, payload) => {
  trace("GOT " + topic + " " + payload.byteLength + "\\n");
  t.publish("ep/out/" + topic.slice(6), payload, 1, false);
});
trace("READY\\n");
`);
    client = await mqtt.connectAsync(broker.url, { clientId: "node-check", clean: true, reconnectPeriod: 200 });
    client.on("message", (topic, payload) => got.set(topic, Buffer.from(payload)));
    await client.subscribeAsync("ep/out/+", { qos: 1 });
  });

  after(async () => {
    sim?.stop();
    await client?.endAsync(true).catch(() => undefined);
    await broker.remove();
    app?.remove();
  });

  it("a retained 3,000-byte message arrives whole and the QoS 1 echo reaches a Node subscriber", async () => {
    const big = randomBytes(3000);
    await publish("ep/in/a", big, true);
    sim = new McSim(app!.so);
    await sim.wait(/READY/);
    assert.ok((await arrived("ep/out/a")).equals(big));
    assert.match(sim.text, /GOT ep\/in\/a 3000/);
  });

  it("after a broker restart it reconnects, renews the subscription and echoes again", async () => {
    await broker.stop();
    await sim!.wait(/connection lost/, 60000);
    await broker.start();
    const small = randomBytes(100);
    // the Node client reconnects by itself; its subscription is renewed here (clean session)
    await new Promise<void>((resolve) => (client!.connected ? resolve() : client!.once("connect", () => resolve())));
    await client!.subscribeAsync("ep/out/+", { qos: 1 });
    await publish("ep/in/b", small, true);
    assert.ok((await arrived("ep/out/b")).equals(small));
  });
});

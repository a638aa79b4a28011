// The simulator's MQTT transport (native/xs/mqtt over libmosquitto, firmware/platform/sim/
// mosquitto-transport.ts) against a real mosquitto and the npm mqtt client on the other side.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bus } from "../../tools/fleet/bus.js";
import { connectBus } from "../../tools/fleet/mqtt-bus.js";
import { Broker } from "../support/broker.js";
import { repoRoot } from "../support/paths.js";

const js = (p: string) => join(repoRoot, "build", "js", p);
const sim = join(repoRoot, "build", "bin", "edge-peft-sim");

/** A sim app: echoes t/in/<x> to t/out/<x>; t/in/later answers 1.5 s later (retained), t/in/big tries 5000 bytes. */
function app(port: number): string {
  return `import { MosquittoTransport } from "${js("firmware/platform/sim/mosquitto-transport.js")}";
import { SimClock } from "${js("firmware/platform/sim/sim-clock.js")}";
import { TraceLog } from "${js("firmware/platform/sim/trace-log.js")}";
const clock = new SimClock();
const t = new MosquittoTransport({ host: "127.0.0.1", port: ${port}, clientId: "sim-probe", maxPayload: 4096 }, clock, new TraceLog());
t.subscribe("t/in/#", (topic, payload) => {
  const rest = topic.slice(5);
  trace("GOT " + topic + " " + payload.byteLength + "\\n");
  if (rest === "later") clock.schedule(() => t.publish("t/out/later", payload, 1, true), 1500);
  else if (rest === "big") { try { t.publish("t/out/big", new Uint8Array(5000).buffer, 1); } catch (e) { t.publish("t/out/big-refused", new Uint8Array([1]).buffer, 1); trace("REFUSED " + e.message + "\\n"); } }
  else t.publish("t/out/" + rest, payload, 1);
});
t.subscribe("r/+/x", (topic, payload) => trace("RETAINED " + topic + " " + new Uint8Array(payload)[0] + "\\n"));
t.publish("t/out/ready", new Uint8Array([7]).buffer, 1, true);
`;
}

describe("simulator MQTT transport over libmosquitto", function () {
  this.timeout(120000);
  let dir: string;
  let broker: Broker;
  let bus: Bus;
  let proc: ChildProcess;
  let out = "";
  const got = new Map<string, Uint8Array>();
  const waitFor = async (topic: string, ms = 10000) => {
    for (let t = 0; t < ms && !got.has(topic); t += 50) await new Promise((r) => setTimeout(r, 50));
    assert.ok(got.has(topic), `${topic} not received; sim said:\n${out}`);
    return got.get(topic)!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-mqtt-"));
    broker = new Broker();
    await broker.start();
    bus = await connectBus(broker.url, "node-side");
    await bus.publish("r/a/x", new Uint8Array([42]), true); // retained before the sim subscribes
    await bus.subscribe("t/out/#", (topic, payload) => got.set(topic, payload));
    writeFileSync(join(dir, "app.js"), app(broker.port));
    proc = spawn(sim, ["--realtime", "--board", "boards/sim.json", "--", join(dir, "app.js")], { cwd: repoRoot });
    proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor("t/out/ready");
  });
  after(async () => {
    proc.kill("SIGTERM");
    await bus.close();
    await broker.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exchanges QoS 1 messages both ways, through a # subscription, and receives what was retained before it subscribed", async () => {
    await bus.publish("t/in/a/b", new Uint8Array([1, 2, 3]), false);
    assert.deepEqual([...await waitFor("t/out/a/b")], [1, 2, 3]);
    const big = new Uint8Array(4096).map((_, i) => i & 255);
    await bus.publish("t/in/full", big, false);
    assert.deepEqual(await waitFor("t/out/full"), big, "a payload at the limit arrives whole");
    assert.match(out, /RETAINED r\/a\/x 42/);
  });

  it("refuses a payload over the board's limit by name, in both directions", async () => {
    await bus.publish("t/in/big", new Uint8Array([0]), false);
    await waitFor("t/out/big-refused");
    assert.match(out, /REFUSED mqtt: payload of 5000 bytes over this board's limit of 4096/);
    assert.equal(got.has("t/out/big"), false);
    await bus.publish("t/in/huge", new Uint8Array(5000), false);
    for (let t = 0; t < 5000 && !/over this board's payload limit dropped/.test(out); t += 50) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /mqtt: 1 message\(s\) over this board's payload limit dropped/);
    assert.doesNotMatch(out, /GOT t\/in\/huge/);
  });

  it("survives a broker restart: reconnects, resubscribes, and sends what it published while the broker was away", async () => {
    await bus.publish("t/in/later", new Uint8Array([9, 9]), false);
    await new Promise((r) => setTimeout(r, 200));
    await bus.publish("t/out/kept", new Uint8Array([3]), true); // retained: must survive the restart (persistence)
    await new Promise((r) => setTimeout(r, 100));
    got.delete("t/out/kept");
    await bus.close();
    await broker.stop(); // the sim's delayed answer now finds no broker: it waits in the outbox
    await new Promise((r) => setTimeout(r, 2000));
    await broker.start();
    bus = await connectBus(broker.url, "node-side-2");
    await bus.subscribe("t/out/#", (topic, payload) => got.set(topic, payload));
    assert.deepEqual([...await waitFor("t/out/later")], [9, 9]);
    assert.deepEqual([...await waitFor("t/out/kept")], [3], "the broker kept its retained message across the restart");
    await bus.publish("t/in/after", new Uint8Array([5]), false);
    assert.deepEqual([...await waitFor("t/out/after")], [5], "its subscription was renewed");
    assert.match(out, /mqtt: connection to the broker lost, reconnecting/);
    assert.match(out, /mqtt: reconnected/);
  });

  it("names an unreachable broker", () => {
    const probe = join(dir, "probe.js");
    writeFileSync(probe, app(1));
    const r = spawnSync(sim, ["--realtime", "--board", "boards/sim.json", "--", probe], { cwd: repoRoot, encoding: "utf8", timeout: 20000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /mqtt: broker 127\.0\.0\.1:1 unreachable: Connection refused/);
  });
});

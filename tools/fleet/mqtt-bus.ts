// Bus over the npm mqtt client (MQTT 3.1.1, QoS 1). Reconnects by itself; subscriptions are
// renewed on reconnect by the client (resubscribe: true), so a broker restart only delays.
import mqtt from "mqtt";
import { topicMatches } from "../../firmware/platform/transport.js";
import type { Bus } from "./bus.js";

export async function connectBus(url: string, clientId: string, connectTimeoutMs = 5000): Promise<Bus> {
  const client = mqtt.connect(url, {
    clientId, protocolVersion: 4, clean: true, reconnectPeriod: 200, connectTimeout: connectTimeoutMs, resubscribe: true,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error(`MQTT broker ${url} unreachable (no CONNACK within ${connectTimeoutMs} ms)`));
    }, connectTimeoutMs);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const handlers: { filter: string; handler: (topic: string, payload: Uint8Array) => void }[] = [];
  client.on("message", (topic, payload) => {
    for (const h of handlers) if (topicMatches(h.filter, topic)) h.handler(topic, new Uint8Array(payload));
  });
  return {
    publish: (topic, payload, retain) => client.publishAsync(topic, Buffer.from(payload), { qos: 1, retain }).then(() => undefined),
    subscribe: async (filter, handler) => {
      handlers.push({ filter, handler });
      await client.subscribeAsync(filter, { qos: 1 });
    },
    close: () => client.endAsync(),
  };
}

import { Link, MqttClient } from "../../../native/xs/mqtt/mqtt.js";
import type { Clock, TimerHandle } from "../clock.js";
import type { Log } from "../log.js";
import { topicMatches, type MessageHandler, type Transport } from "../transport.js";

/**
 * The Transport port in the simulator: MQTT 3.1.1 through libmosquitto (native/xs/mqtt), polled
 * every `pollMs` from the Clock (run the simulator with --realtime, so the poll is wall time).
 * Publishes made while the broker is away wait in a bounded outbox and go out on reconnect;
 * every subscription is renewed on reconnect (the broker then sends retained messages again).
 */
export class MosquittoTransport implements Transport {
  readonly #client: MqttClient;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #pollMs: number;
  readonly #subscriptions = new Map<string, MessageHandler>();
  readonly #outbox: { topic: string; payload: ArrayBuffer; qos: 0 | 1; retain: boolean }[] = [];
  readonly #outboxLimit: number;
  #timer: TimerHandle | undefined;
  #down = false;
  #connectedOnce = false;

  constructor(options: { host: string; port: number; clientId: string; maxPayload: number; pollMs?: number; outbox?: number }, clock: Clock, log: Log) {
    this.#client = new MqttClient(options.host, options.port, options.clientId, 30, options.maxPayload);
    this.#clock = clock;
    this.#log = log;
    this.#pollMs = options.pollMs ?? 10;
    this.#outboxLimit = options.outbox ?? 32;
    this.#timer = clock.schedule(() => this.#tick(), this.#pollMs);
  }

  publish(topic: string, payload: ArrayBuffer, qos: 0 | 1 = 0, retain = false): void {
    if (topic.includes("+") || topic.includes("#")) throw new TypeError("wildcards are not allowed in a published topic");
    if (this.#client.publish(topic, payload, qos, retain)) return;
    if (qos === 0) return; // at most once: an offline QoS 0 message is simply lost
    if (this.#outbox.length >= this.#outboxLimit) throw new RangeError(`mqtt: offline and ${this.#outboxLimit} messages already wait to be sent`);
    this.#outbox.push({ topic, payload: payload.slice(0), qos, retain });
  }

  subscribe(filter: string, handler: MessageHandler): void {
    this.#subscriptions.set(filter, handler);
    this.#client.subscribe(filter); // offline: renewed on reconnect
  }

  unsubscribe(filter: string): void {
    this.#subscriptions.delete(filter);
    this.#client.unsubscribe(filter);
  }

  close(): void {
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#subscriptions.clear();
    this.#client.close();
  }

  #tick(): void {
    this.#timer = undefined;
    const link = this.#client.poll();
    if (link === Link.down && !this.#down) this.#log.warn("mqtt: connection to the broker lost, reconnecting");
    this.#down = link === Link.down;
    if (link === Link.upAgain) {
      if (this.#connectedOnce) this.#log.info("mqtt: reconnected");
      this.#connectedOnce = true;
      for (const filter of this.#subscriptions.keys()) this.#client.subscribe(filter);
      while (this.#outbox.length > 0) {
        const m = this.#outbox[0]!;
        if (!this.#client.publish(m.topic, m.payload, m.qos, m.retain)) break;
        this.#outbox.shift();
      }
    }
    const dropped = this.#client.dropped();
    if (dropped > 0) this.#log.warn(`mqtt: ${dropped} message(s) over this board's payload limit dropped`);
    for (let m = this.#client.next(); m !== undefined; m = this.#client.next()) {
      const [topic, payload] = m;
      for (const [filter, handler] of [...this.#subscriptions]) {
        if (topicMatches(filter, topic) && this.#subscriptions.get(filter) === handler) handler(topic, payload);
      }
    }
    this.#timer = this.#clock.schedule(() => this.#tick(), this.#pollMs);
  }
}

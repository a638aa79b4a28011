import { topicMatches, type MessageHandler, type Transport } from "./transport.js";

/**
 * An in-process broker: a publish reaches every matching subscription of every transport
 * opened on the same LoopbackBus. For targets without a network and for tests.
 */
export class LoopbackBus {
  readonly members = new Set<LoopbackTransport>();
  /** Last retained payload per topic (an empty retained payload clears it, as in MQTT). */
  readonly retained = new Map<string, ArrayBuffer>();

  deliver(topic: string, payload: ArrayBuffer, retain = false): void {
    if (retain) {
      if (payload.byteLength === 0) this.retained.delete(topic);
      else this.retained.set(topic, payload);
    }
    for (const member of this.members) member.receive(topic, payload);
  }
}

export class LoopbackTransport implements Transport {
  readonly #bus: LoopbackBus;
  readonly #subscriptions = new Map<string, MessageHandler>();

  constructor(bus: LoopbackBus) {
    this.#bus = bus;
    bus.members.add(this);
  }

  publish(topic: string, payload: ArrayBuffer, _qos?: 0 | 1, retain = false): void {
    if (topic.includes("+") || topic.includes("#")) throw new TypeError("wildcards are not allowed in a published topic");
    this.#bus.deliver(topic, payload.slice(0), retain);
  }

  subscribe(filter: string, handler: MessageHandler): void {
    this.#subscriptions.set(filter, handler);
    for (const [topic, payload] of this.#bus.retained) if (topicMatches(filter, topic)) handler(topic, payload.slice(0));
  }

  unsubscribe(filter: string): void {
    this.#subscriptions.delete(filter);
  }

  close(): void {
    this.#subscriptions.clear();
    this.#bus.members.delete(this);
  }

  /** Called by the bus. */
  receive(topic: string, payload: ArrayBuffer): void {
    for (const [filter, handler] of this.#subscriptions) if (topicMatches(filter, topic)) handler(topic, payload);
  }
}

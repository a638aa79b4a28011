import { topicMatches, type MessageHandler, type Transport } from "./transport.js";

/**
 * An in-process broker: a publish reaches every matching subscription of every transport
 * opened on the same LoopbackBus. For targets without a network and for tests.
 */
export class LoopbackBus {
  readonly members = new Set<LoopbackTransport>();

  deliver(topic: string, payload: ArrayBuffer): void {
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

  publish(topic: string, payload: ArrayBuffer): void {
    if (topic.includes("+") || topic.includes("#")) throw new TypeError("wildcards are not allowed in a published topic");
    this.#bus.deliver(topic, payload.slice(0));
  }

  subscribe(filter: string, handler: MessageHandler): void {
    this.#subscriptions.set(filter, handler);
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

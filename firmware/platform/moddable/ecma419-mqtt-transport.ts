import MQTTClient from "embedded:network/mqtt/client";
import type { Clock, TimerHandle } from "../clock.js";
import type { Log } from "../log.js";
import { topicMatches, type MessageHandler, type Transport } from "../transport.js";

/** What the SDK's client passes to onControl (its typings declare another signature). */
interface ControlMessage {
  readonly operation: number;
  readonly id?: number;
}

export interface Ecma419MqttOptions {
  readonly host: string;
  readonly port?: number;
  readonly clientId: string;
  readonly maxPayload: number;
  /** The host's MQTT provider (device.network.mqtt): its dns and socket constructors. */
  readonly provider: { readonly dns: Record<string, unknown>; readonly socket: Record<string, unknown> };
  readonly reconnectMs?: number;
  readonly outbox?: number;
}

/**
 * The Transport port on a Moddable board over ECMA-419's `embedded:network/mqtt/client` (the
 * SDK's examples/io/tcp/mqttclient). Persistent session (clean false, fixed id), QoS 1. Incoming
 * messages arrive in fragments (onReadable with `more`) and are assembled up to maxPayload;
 * larger ones are read and dropped. Outgoing messages leave in fragments too: the SDK's client
 * takes a PUBLISH only if its first fragment fits the socket's free space (else it throws
 * "overflow"), so a payload larger than that space is written as a first fragment with the
 * whole length and the rest as the space frees up (onWritable), one message at a time; a
 * SUBSCRIBE asked for meanwhile waits for the message to end. A closed or failed connection is
 * reopened after reconnectMs (a message cut off is sent again whole); on every CONNACK all
 * subscriptions are renewed and the outbox is sent. Runs in mcsim against mosquitto
 * (host-tests/moddable/mqtt-mcsim.test.ts); the desktop simulator uses MosquittoTransport.
 */
/** Bytes of a PUBLISH before its payload, at most: fixed byte, 4 length bytes, topic length, packet id. */
const PUBLISH_HEADER = 1 + 4 + 2 + 2;

interface Outgoing { readonly topic: string; readonly payload: ArrayBuffer; readonly qos: 0 | 1; readonly retain: boolean }
export class Ecma419MqttTransport implements Transport {
  readonly #o: Ecma419MqttOptions;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #subscriptions = new Map<string, MessageHandler>();
  readonly #outbox: Outgoing[] = [];
  /** SUBSCRIBE / UNSUBSCRIBE waiting for a fragmented message to end. */
  readonly #controls: { operation: number; items: { topic: string; QoS?: number }[] }[] = [];
  /** The message whose fragments are being written, and how far. */
  #sending: { readonly m: Outgoing; at: number } | undefined;
  /** What the client can take now: its last write()'s or onWritable's figure. */
  #room = 0;
  #client: MQTTClient | undefined;
  #connected = false;
  #closed = false;
  #retry: TimerHandle | undefined;
  #incoming: { topic: string; bytes: Uint8Array | undefined; at: number } | undefined;

  constructor(options: Ecma419MqttOptions, clock: Clock, log: Log) {
    this.#o = options;
    this.#clock = clock;
    this.#log = log;
    this.#open();
  }

  publish(topic: string, payload: ArrayBuffer, qos: 0 | 1 = 0, retain = false): void {
    if (topic.includes("+") || topic.includes("#")) throw new TypeError("wildcards are not allowed in a published topic");
    if (payload.byteLength > this.#o.maxPayload) {
      throw new RangeError(`mqtt: payload of ${payload.byteLength} bytes over this board's limit of ${this.#o.maxPayload}`);
    }
    if (qos === 0 && !this.#connected) return;
    if (this.#outbox.length >= (this.#o.outbox ?? 16)) throw new RangeError("mqtt: outbox full");
    // a copy: the caller may reuse its buffer before the last fragment leaves
    this.#outbox.push({ topic, payload: payload.slice(0), qos, retain });
    this.#flush();
  }

  subscribe(filter: string, handler: MessageHandler): void {
    this.#subscriptions.set(filter, handler);
    if (this.#connected) this.#control(MQTTClient.SUBSCRIBE, [{ topic: filter, QoS: 1 }]);
  }

  unsubscribe(filter: string): void {
    this.#subscriptions.delete(filter);
    if (this.#connected) this.#control(MQTTClient.UNSUBSCRIBE, [{ topic: filter }]);
  }

  close(): void {
    this.#closed = true;
    if (this.#retry) this.#clock.cancel(this.#retry);
    this.#client?.close();
    this.#client = undefined;
    this.#subscriptions.clear();
  }

  #open(): void {
    const self = this;
    this.#client = new MQTTClient({
      ...this.#o.provider,
      host: this.#o.host,
      port: this.#o.port ?? 1883,
      id: this.#o.clientId,
      clean: false,
      keepAlive: 30_000,
      onControl: ((msg: ControlMessage) => self.#onControl(msg)) as unknown as (opcode: number, message: { operation: number; id: number }) => void,
      onReadable(this: MQTTClient, count: number, options: { more: boolean; topic?: string; byteLength?: number }) {
        self.#onReadable(this, count, options);
      },
      onWritable: (count: number) => {
        self.#room = count;
        self.#flush();
      },
      onClose: () => self.#lost("closed by the broker"),
      onError: (error: unknown) => self.#lost(`error ${String(error)}`),
    });
  }

  #onControl(msg: ControlMessage): void {
    if (msg.operation !== MQTTClient.CONNACK) return;
    this.#connected = true;
    const items = [...this.#subscriptions.keys()].map((topic) => ({ topic, QoS: 1 }));
    if (items.length > 0) this.#control(MQTTClient.SUBSCRIBE, items);
    this.#flush();
  }

  #onReadable(client: MQTTClient, count: number, options: { more: boolean; topic?: string; byteLength?: number }): void {
    if (options.topic !== undefined) {
      const size = options.byteLength ?? count;
      const fits = size <= this.#o.maxPayload;
      if (!fits) this.#log.warn(`mqtt: message of ${size} bytes on ${options.topic} over this board's payload limit dropped`);
      this.#incoming = { topic: options.topic, bytes: fits ? new Uint8Array(size) : undefined, at: 0 };
    }
    const m = this.#incoming;
    const chunk = client.read(count);
    if (!m) return;
    if (m.bytes) {
      const part = new Uint8Array(chunk);
      if (m.at + part.length > m.bytes.length) {
        this.#incoming = undefined;
        this.#log.warn(`mqtt: message on ${m.topic} longer than announced: dropped`);
        return;
      }
      m.bytes.set(part, m.at);
    }
    m.at += chunk.byteLength;
    if (options.more) return;
    this.#incoming = undefined;
    if (!m.bytes) return;
    const payload = m.bytes.buffer as ArrayBuffer;
    for (const [filter, handler] of [...this.#subscriptions]) if (topicMatches(filter, m.topic)) handler(m.topic, payload);
  }

  /** One write to the client; false when it has no room ("overflow"): onWritable comes later. */
  #write(data: ArrayBuffer, options: { topic: string; QoS: number; retain: boolean; byteLength: number } | undefined): boolean {
    const client = this.#client;
    if (!client) return false;
    try {
      this.#room = client.write(data, options as unknown as Parameters<MQTTClient["write"]>[1]);
      return true;
    } catch {
      this.#room = 0;
      return false;
    }
  }

  #control(operation: number, items: { topic: string; QoS?: number }[]): void {
    if (this.#sending) {
      this.#controls.push({ operation, items });
      return;
    }
    try {
      this.#client?.write(null as unknown as ArrayBuffer, { operation, items, topic: "" });
    } catch (error: unknown) {
      this.#log.warn(`mqtt: ${operation === MQTTClient.SUBSCRIBE ? "subscribe" : "unsubscribe"} not sent (${String(error)}); renewed on reconnect`);
    }
  }

  #flush(): void {
    while (this.#connected) {
      const s = this.#sending;
      if (s) {
        const n = Math.min(s.m.payload.byteLength - s.at, this.#room);
        if (n <= 0 || !this.#write(s.m.payload.slice(s.at, s.at + n), undefined)) return;
        s.at += n;
        if (s.at < s.m.payload.byteLength) continue;
        this.#sending = undefined;
        for (const c of this.#controls.splice(0)) this.#control(c.operation, c.items);
        continue;
      }
      const m = this.#outbox[0];
      if (!m) return;
      const header = PUBLISH_HEADER + m.topic.length;
      const n = Math.min(m.payload.byteLength, this.#room - header);
      if (n < 0 || (n === 0 && m.payload.byteLength > 0)) return;
      if (!this.#write(m.payload.slice(0, n), { topic: m.topic, QoS: m.qos, retain: m.retain, byteLength: m.payload.byteLength })) return;
      this.#outbox.shift();
      if (n < m.payload.byteLength) this.#sending = { m, at: n };
    }
  }

  #lost(why: string): void {
    if (this.#closed) return;
    this.#log.warn(`mqtt: connection lost (${why}), reconnecting`);
    this.#connected = false;
    this.#incoming = undefined;
    this.#room = 0;
    // a message cut off mid-way goes again whole (QoS 1 allows the duplicate); controls are renewed on CONNACK
    if (this.#sending) this.#outbox.unshift(this.#sending.m);
    this.#sending = undefined;
    this.#controls.length = 0;
    try {
      this.#client?.close();
    } catch {
      // already closed
    }
    this.#client = undefined;
    if (this.#retry) return;
    this.#retry = this.#clock.schedule(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#open();
    }, this.#o.reconnectMs ?? 1000);
  }
}

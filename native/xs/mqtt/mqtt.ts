// JS face of the simulator's MQTT binding (native/xs/mqtt/mqtt.c over libmosquitto): a
// persistent-session MQTT 3.1.1 client polled from a timer on the XS thread.

const open = native("xs_mqtt") as (this: MqttClient, host: string, port: number, clientId: string, keepalive: number, maxPayload: number) => void;
const close = native("xs_mqtt_close") as (this: MqttClient) => void;
const publish = native("xs_mqtt_publish") as (this: MqttClient, topic: string, payload: ArrayBuffer | Uint8Array, qos: number, retain: boolean) => boolean;
const subscribe = native("xs_mqtt_subscribe") as (this: MqttClient, filter: string) => boolean;
const unsubscribe = native("xs_mqtt_unsubscribe") as (this: MqttClient, filter: string) => boolean;
const poll = native("xs_mqtt_poll") as (this: MqttClient) => number;
const next = native("xs_mqtt_next") as (this: MqttClient) => [string, ArrayBuffer] | undefined;
const dropped = native("xs_mqtt_dropped") as (this: MqttClient) => number;

/** Connection state poll() reports. */
export const Link = { up: 0, down: 1, upAgain: 2 } as const; // upAgain: also the first CONNACK

export class MqttClient extends Native("xs_mqtt_destructor") {
  /** Connects once (blocking); throws "mqtt: broker H:P unreachable: ..." when it cannot. */
  constructor(host: string, port: number, clientId: string, keepaliveSeconds: number, maxPayload: number) {
    super();
    open.call(this, host, port, clientId, keepaliveSeconds, maxPayload);
  }
  /** False when offline (nothing was queued). Payloads over maxPayload throw RangeError. */
  publish(topic: string, payload: ArrayBuffer | Uint8Array, qos: 0 | 1, retain: boolean): boolean {
    return publish.call(this, topic, payload, qos, retain);
  }
  subscribe(filter: string): boolean {
    return subscribe.call(this, filter);
  }
  unsubscribe(filter: string): boolean {
    return unsubscribe.call(this, filter);
  }
  poll(): number {
    return poll.call(this);
  }
  next(): [string, ArrayBuffer] | undefined {
    return next.call(this);
  }
  /** Messages refused for size since the last call. */
  dropped(): number {
    return dropped.call(this);
  }
  close(): void {
    close.call(this);
  }
}

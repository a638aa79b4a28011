// What the fleet tools need from an MQTT connection; tools/fleet/mqtt-bus.ts provides it over
// the npm mqtt client.
export interface Bus {
  /** QoS 1; resolves when the broker acknowledged (PUBACK). */
  publish(topic: string, payload: Uint8Array, retain: boolean): Promise<void>;
  /** QoS 1; retained messages of matching topics arrive right after. */
  subscribe(filter: string, handler: (topic: string, payload: Uint8Array) => void): Promise<void>;
  close(): Promise<void>;
}

/** Called with the topic a message arrived on and its payload. */
export type MessageHandler = (topic: string, payload: ArrayBuffer) => void;

/**
 * Publish/subscribe of bytes on topics, shaped for MQTT (topics with `+` / `#` wildcards in
 * subscriptions, QoS 0 or 1, retained messages delivered to a new subscription). Payloads are
 * bytes; encoding is the caller's business.
 */
export interface Transport {
  publish(topic: string, payload: ArrayBuffer, qos?: 0 | 1, retain?: boolean): void;
  subscribe(filter: string, handler: MessageHandler): void;
  unsubscribe(filter: string): void;
  close(): void;
}

/** MQTT topic filter matching: `+` one level, `#` the rest (only as the last level). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

import { checkName } from "./ascii.js";

/**
 * MQTT topics of one fleet (all under "edge-peft/<fleet>/"):
 *   manifest/<cohort>        retained, QoS 1: the signed EPMF manifest a cohort follows
 *   delta/<sequence>/<i>     retained, QoS 1: chunk i of a signed EPDL delta
 *   status/<device id>       retained, QoS 1: the device's latest signed EPST report
 *   round/<cohort>/to/<id>   retained, QoS 1: the server's fleet-signed request (EPRD) of the
 *                            round's current stage for one device
 *   round/<cohort>/reply/<id> QoS 1: the device's signed EPSA frames, to the cohort's gateway
 * Chunks are retained so a device that joins or reconnects late still finds every one.
 */
export class FleetTopics {
  readonly root: string;
  constructor(fleet: string) {
    checkName("fleet", fleet);
    this.root = `edge-peft/${fleet}`;
  }
  manifest(cohort: number): string {
    return `${this.root}/manifest/${cohort >>> 0}`;
  }
  chunk(sequence: number, index: number): string {
    return `${this.root}/delta/${sequence >>> 0}/${index >>> 0}`;
  }
  chunks(sequence: number): string {
    return `${this.root}/delta/${sequence >>> 0}/+`;
  }
  status(deviceId: string): string {
    checkName("device id", deviceId);
    return `${this.root}/status/${deviceId}`;
  }
  allStatus(): string {
    return `${this.root}/status/+`;
  }
  roundTo(cohort: number, deviceId: string): string {
    checkName("device id", deviceId);
    return `${this.root}/round/${cohort >>> 0}/to/${deviceId}`;
  }
  roundReply(cohort: number, deviceId: string): string {
    checkName("device id", deviceId);
    return `${this.root}/round/${cohort >>> 0}/reply/${deviceId}`;
  }
  /** Chunk index of a chunk topic of `sequence`, or -1 when the topic is another. */
  chunkIndex(sequence: number, topic: string): number {
    const prefix = `${this.root}/delta/${sequence >>> 0}/`;
    if (!topic.startsWith(prefix)) return -1;
    const rest = topic.slice(prefix.length);
    if (!/^(0|[1-9][0-9]{0,8})$/.test(rest)) return -1;
    return Number(rest);
  }
}

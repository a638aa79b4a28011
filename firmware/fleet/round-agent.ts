import type { Crypto } from "../platform/crypto.js";
import type { KeyAgreement } from "../platform/key-agreement.js";
import type { Log } from "../platform/log.js";
import type { Transport } from "../platform/transport.js";
import { asciiBytes, equalBytes, hex } from "./ascii.js";
import { maskUpdate } from "./pairwise-masks.js";
import { decodeNeighbours, decodeRoundFrame, decodeRoundParams, encodeRoundFrame, RoundFrameError, Stage, type RoundParams } from "./round-frames.js";
import { FleetTopics } from "./topics.js";
import { uploadVector } from "./upload-vector.js";

/** Where a round's local update comes from (local training on the device's own samples). */
export interface UpdateSource {
  /** SHA-256 of the adapter image the update would start from (the one the device runs). */
  startsFrom(): Uint8Array;
  /** The element-wise update of the adapter (after - before, view units) and the samples it saw. */
  update(round: number, localSteps: number): { readonly delta: Int32Array; readonly samples: number };
}

export interface RoundAgentOptions {
  readonly deviceId: string;
  readonly devicePrivateKey: Uint8Array;
  /** Signs the server's requests (the same fleet key as deltas and manifests). */
  readonly fleetKey: Uint8Array;
  readonly fleet: string;
  readonly cohort: number;
  /** Print the plain upload on the device's own console (the simulator's test hook; never sent). */
  readonly logUpload?: boolean;
}

interface Current {
  readonly round: number;
  readonly params: RoundParams;
  readonly privateKey: Uint8Array;
  readonly keyReply: Uint8Array;
}

const KEY_SALT = asciiBytes("edge-peft/round-key/v1");
const ROUNDING_SALT = asciiBytes("edge-peft/rounding/v1");
const NONCE = new Uint8Array(12);

/**
 * The device's side of a federated round (docs/fleet.md): answers the server's signed stage
 * requests arriving through its cohort's gateway. Keys: a fresh P-256 round key, sent signed by
 * the device key. Mask: its neighbours' round keys in, its clipped, sample-weighted,
 * stochastically rounded update plus the pairwise masks out; the plain update never leaves.
 * A round at or below the last one answered is refused (the masks of a round must not be used
 * twice). Dropout recovery (self masks, Shamir shares) comes with the secagg state machine.
 */
export class RoundAgent {
  readonly #o: RoundAgentOptions;
  readonly #crypto: Crypto;
  readonly #ka: KeyAgreement;
  readonly #transport: Transport;
  readonly #log: Log;
  readonly #source: UpdateSource;
  readonly #topics: FleetTopics;
  #current: Current | undefined;
  #lastDone = 0;

  constructor(o: RoundAgentOptions, ports: { crypto: Crypto; keyAgreement: KeyAgreement; transport: Transport; log: Log }, source: UpdateSource) {
    this.#o = o;
    this.#crypto = ports.crypto;
    this.#ka = ports.keyAgreement;
    this.#transport = ports.transport;
    this.#log = ports.log;
    this.#source = source;
    this.#topics = new FleetTopics(o.fleet);
  }

  start(): void {
    this.#transport.subscribe(this.#topics.roundRequest(this.#o.cohort), (_t, p) => this.#guard(() => this.#onKeys(new Uint8Array(p))));
    this.#transport.subscribe(this.#topics.roundTo(this.#o.cohort, this.#o.deviceId), (_t, p) => this.#guard(() => this.#onMask(new Uint8Array(p))));
    this.#log.info(`round: ${this.#o.deviceId} listening in cohort ${this.#o.cohort}`);
  }

  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof RoundFrameError || e instanceof RangeError)) throw e;
      this.#log.warn(`round: refused: ${e.message}`);
    }
  }

  #request(bytes: Uint8Array, stage: number): ReturnType<typeof decodeRoundFrame> {
    const f = decodeRoundFrame(this.#crypto, bytes, this.#o.fleetKey);
    if (f.stage !== stage) throw new RoundFrameError("wrong-stage", `stage ${f.stage} on the topic of stage ${stage}`);
    if (f.cohort !== this.#o.cohort) throw new RoundFrameError("wrong-cohort", `frame for cohort ${f.cohort}, this device is in ${this.#o.cohort}`);
    return f;
  }

  #onKeys(bytes: Uint8Array): void {
    const f = this.#request(bytes, Stage.keysRequest);
    if (f.round <= this.#lastDone) return; // a retained request of a round already answered
    if (this.#current && f.round < this.#current.round) return;
    if (this.#current?.round === f.round) {
      this.#reply(this.#current.keyReply); // redelivered (reconnect): the same key again
      return;
    }
    const params = decodeRoundParams(f.body);
    // Averaging an update made from another adapter into this global one would be garbage.
    const mine = this.#source.startsFrom();
    if (!equalBytes(mine, params.globalSha256)) {
      throw new RoundFrameError("other-global", `round ${f.round} starts from adapter ${hex(params.globalSha256).slice(0, 16)}..., this device runs ${hex(mine).slice(0, 16)}...`);
    }
    const privateKey = this.#roundKey(f.round);
    const keyReply = this.#frame(Stage.keysReply, f.round, this.#crypto.publicKeyP256(privateKey));
    this.#current?.privateKey.fill(0); // an unfinished older round is given up
    this.#current = { round: f.round, params, privateKey, keyReply };
    this.#reply(keyReply);
    this.#log.info(`round ${f.round}: key sent`);
  }

  #onMask(bytes: Uint8Array): void {
    const f = this.#request(bytes, Stage.maskRequest);
    const c = this.#current;
    if (f.round <= this.#lastDone) return;
    if (!c || c.round !== f.round) throw new RoundFrameError("no-keys", `mask request for round ${f.round} without its key stage`);
    if (f.deviceId !== this.#o.deviceId) throw new RoundFrameError("wrong-device", `mask request addressed to ${f.deviceId}`);
    const peers = decodeNeighbours(f.body, this.#o.deviceId);
    const { delta, samples } = this.#source.update(f.round, c.params.localSteps);
    if (delta.length !== c.params.elements) throw new RoundFrameError("bad-elements", `the round has ${c.params.elements} elements, this adapter ${delta.length}`);
    const upload = uploadVector(delta, samples, c.params.clip, c.params.fractionBits, this.#rounding(f.round));
    if (this.#o.logUpload) this.#log.info(`round ${f.round}: upload ${hex(new Uint8Array(upload.words.buffer))}`);
    const masked = maskUpdate(this.#ka, upload.words, c.privateKey, this.#o.deviceId, peers, f.round);
    this.#reply(this.#frame(Stage.maskReply, f.round, new Uint8Array(masked.buffer)));
    c.privateKey.fill(0);
    this.#current = undefined;
    this.#lastDone = f.round;
    this.#log.info(`round ${f.round}: masked update sent (${samples} samples, clip scale ${upload.scale.toFixed(4)}, ${peers.length} neighbours)`);
  }

  /**
   * The round's key-agreement key: HKDF-SHA256 of the device key, salted, with the round as info,
   * so it is fresh per round and needs no RNG port (none exists yet). The rare 32 bytes that are
   * not a P-256 scalar are skipped by a counter in the info.
   */
  #roundKey(round: number): Uint8Array {
    for (let i = 0; i < 8; i++) {
      const k = this.#ka.hkdfSha256(this.#o.devicePrivateKey, KEY_SALT, this.#info(round, i), 32);
      try {
        this.#crypto.publicKeyP256(k);
        return k;
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
    }
    throw new RangeError("no valid round key in 8 tries");
  }

  /** Uniform doubles in [0, 1) from a ChaCha20 stream keyed per round. */
  #rounding(round: number): () => number {
    const key = this.#ka.hkdfSha256(this.#o.devicePrivateKey, ROUNDING_SALT, this.#info(round, 0), 32);
    let block = 0;
    let words: Uint32Array = new Uint32Array(0);
    let at = 0;
    return () => {
      if (at >= words.length) {
        words = new Uint32Array(this.#ka.chacha20(key, NONCE, block++, new Uint8Array(64)).buffer);
        at = 0;
      }
      return words[at++]! / 4294967296;
    };
  }

  #info(round: number, counter: number): Uint8Array {
    return new Uint8Array([round & 0xff, (round >>> 8) & 0xff, (round >>> 16) & 0xff, (round >>> 24) & 0xff, counter]);
  }

  #frame(stage: number, round: number, body: Uint8Array): Uint8Array {
    return encodeRoundFrame(this.#crypto, { stage, round, cohort: this.#o.cohort, deviceId: this.#o.deviceId, body },
      (d) => this.#crypto.signP256(this.#o.devicePrivateKey, d));
  }

  #reply(bytes: Uint8Array): void {
    this.#transport.publish(this.#topics.roundReply(this.#o.cohort, this.#o.deviceId), bytes.buffer as ArrayBuffer, 1, false);
  }
}

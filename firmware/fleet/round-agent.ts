import type { Checksum } from "../platform/checksum.js";
import type { Crypto } from "../platform/crypto.js";
import type { KeyAgreement } from "../platform/key-agreement.js";
import type { Log } from "../platform/log.js";
import type { Transport } from "../platform/transport.js";
import { equalBytes, hex } from "./ascii.js";
import { AdapterDeltaError, adapterDelta } from "./adapter-delta.js";
import { decodeFrameList, decodeRevealLists, decodeRoundRequest, decodeSetup, RoundFrameError, Stage, type RoundSetupRequest } from "./round-frames.js";
import { maskInput, reveal, shareKeys, startRound, type DeviceContext } from "./secagg-device.js";
import { SecAggError } from "./secagg-frames.js";
import { FleetTopics } from "./topics.js";
import { encodeUpdate, UpdateError } from "./update-encoding.js";
import { addDiscreteGaussian } from "./discrete-gaussian.js";
import { loadRoundRecord, saveRoundRecord, type RoundStore } from "./round-record.js";

/** Where a round's local update comes from (local training on the device's own samples). */
export interface UpdateSource {
  /** SHA-256 of the adapter image an update starts from (the one the device runs). */
  startsFrom(): Uint8Array;
  /** The adapter before and after local training from it (EPAD images), and the samples seen. */
  update(round: number, localSteps: number): { readonly base: Uint8Array; readonly trained: Uint8Array; readonly samples: number };
}

export interface RoundAgentOptions {
  readonly deviceId: string;
  readonly devicePrivateKey: Uint8Array;
  /** Signs the server's requests (the same fleet key as deltas and manifests). */
  readonly fleetKey: Uint8Array;
  readonly fleet: string;
  readonly cohort: number;
  /** Print the encoded update before its noise share and masking, and with the noise, on the device's own console (the simulator's test hook; never sent). */
  readonly logUpload?: boolean;
  /** Where the round state lives across a reboot (round-record.ts); without it, in RAM only. */
  readonly store?: RoundStore;
  /** Called after the device revealed its shares of a round (its last stage). */
  readonly onRevealed?: (round: number) => void;
}

interface Current {
  readonly round: number;
  readonly setup: RoundSetupRequest;
  readonly setupBody: Uint8Array;
  readonly state: Uint8Array;
  /** The last stage answered and its frames, sent again when the same request comes again. */
  readonly answered: number;
  readonly sent: readonly Uint8Array[];
}

const REFUSALS = [RoundFrameError, SecAggError, UpdateError, AdapterDeltaError, RangeError];

/**
 * The device's side of a federated round (docs/fleet.md) over the Transport port: the server's
 * fleet-signed requests arrive through its cohort's gateway on round/<cohort>/to/<id>; each
 * stage runs the SecAgg+ state machine (secagg-device.ts) and publishes its EPSA frames on
 * round/<cohort>/reply/<id>. setup -> key frame; keys -> encrypted share frames; shares -> local
 * training, clip + weight + stochastic rounding (update-encoding.ts), the masked vector;
 * reveal -> the shares the server may have. The plain update never leaves. A round below the
 * current one is ignored; a request answered already is answered again with the same frames
 * (a lost reply); a refusal is logged by name and nothing is sent.
 */
export class RoundAgent {
  readonly #o: RoundAgentOptions;
  readonly #crypto: Crypto;
  readonly #ka: KeyAgreement;
  readonly #checksum: Checksum;
  readonly #transport: Transport;
  readonly #log: Log;
  readonly #source: UpdateSource;
  readonly #topics: FleetTopics;
  #current: Current | undefined;

  constructor(o: RoundAgentOptions, ports: { crypto: Crypto; keyAgreement: KeyAgreement; checksum: Checksum; transport: Transport; log: Log }, source: UpdateSource) {
    this.#o = o;
    this.#crypto = ports.crypto;
    this.#ka = ports.keyAgreement;
    this.#checksum = ports.checksum;
    this.#transport = ports.transport;
    this.#log = ports.log;
    this.#source = source;
    this.#topics = new FleetTopics(o.fleet);
  }

  start(): void {
    const r = this.#o.store && loadRoundRecord(this.#o.store);
    if (r) {
      try {
        this.#current = { ...r, setup: decodeSetup(r.setupBody, this.#o.deviceId) };
        this.#log.info(`round ${r.round}: resumed from flash after stage ${r.answered}`);
      } catch (e) {
        this.#log.warn(`round ${r.round}: stored round state unreadable (${(e as Error).message}): waiting for the next round`);
      }
    }
    this.#transport.subscribe(this.#topics.roundTo(this.#o.cohort, this.#o.deviceId), (_t, p) => this.#onRequest(new Uint8Array(p)));
    this.#log.info(`round: ${this.#o.deviceId} listening in cohort ${this.#o.cohort}`);
  }

  #onRequest(bytes: Uint8Array): void {
    if (bytes.length === 0) return; // the server cleared a finished round's retained request
    let round = -1;
    try {
      const f = decodeRoundRequest(this.#crypto, bytes, this.#o.fleetKey);
      round = f.round;
      if (f.cohort !== this.#o.cohort || f.deviceId !== this.#o.deviceId) {
        throw new RoundFrameError("wrong-device", `request for ${f.deviceId} in cohort ${f.cohort}`);
      }
      const c = this.#current;
      if (c && f.round < c.round) return; // an old round's retained request
      if (c && f.round === c.round && f.stage < c.answered) return; // an earlier stage's: never a second key frame or vector
      if (c && f.round === c.round && f.stage === c.answered) {
        this.#send(c.sent); // asked again: the same answer
        return;
      }
      if (f.stage === Stage.setup) this.#setup(f.round, f.body);
      else if (!c || c.round !== f.round) throw new SecAggError("wrong-stage", `stage ${f.stage} of round ${f.round} without its setup`);
      else if (f.stage === Stage.keys) this.#answer(c, f.stage, shareKeys(this.#ctx(c.setup), c.state, decodeFrameList(f.body)));
      else if (f.stage === Stage.shares) this.#mask(c, decodeFrameList(f.body));
      else if (f.stage === Stage.reveal) {
        const { survivors, dropped } = decodeRevealLists(f.body);
        this.#answer(c, f.stage, reveal(this.#ctx(c.setup), c.state, survivors, dropped));
        this.#log.info(`round ${c.round}: shares revealed (${survivors.length} survivors, ${dropped.length} dropped)`);
        this.#o.onRevealed?.(c.round);
      } else throw new RoundFrameError("bad-stage", `unknown stage ${f.stage}`);
    } catch (e) {
      if (!REFUSALS.some((k) => e instanceof k)) throw e;
      const code = (e as { code?: string }).code;
      this.#log.warn(`round${round >= 0 ? ` ${round}` : " request"}: refused${code ? ` (${code})` : ""}: ${(e as Error).message}`);
    }
  }

  #ctx(setup: RoundSetupRequest): DeviceContext {
    return {
      ka: this.#ka, crypto: this.#crypto, id: this.#o.deviceId,
      sign: (d) => this.#crypto.signP256(this.#o.devicePrivateKey, d),
      // The fleet key vouched for the neighbours' device keys in the setup.
      deviceKey: (id) => setup.neighbours.get(id),
    };
  }

  #setup(round: number, body: Uint8Array): void {
    const setup = decodeSetup(body, this.#o.deviceId);
    // An update made from another adapter averaged into this global one would be garbage.
    const mine = this.#source.startsFrom();
    if (!equalBytes(mine, setup.globalSha256)) {
      throw new RoundFrameError("other-global", `round ${round} starts from adapter ${hex(setup.globalSha256).slice(0, 16)}..., this device runs ${hex(mine).slice(0, 16)}...`);
    }
    const out = startRound(this.#ctx(setup), { round, threshold: setup.threshold, neighbours: [...setup.neighbours.keys()] });
    this.#commit({ round, setup, setupBody: body.slice(), state: out.state, answered: Stage.setup, sent: out.frames });
    this.#log.info(`round ${round}: keys sent (${setup.neighbours.size} neighbours, threshold ${setup.threshold})`);
  }

  #mask(c: Current, shareFrames: Uint8Array[]): void {
    const s = c.setup;
    const { base, trained, samples } = this.#source.update(c.round, s.localSteps);
    const delta = adapterDelta(this.#checksum, base, trained);
    if (delta.values.length !== s.elements) throw new RoundFrameError("bad-elements", `the round has ${s.elements} elements, this adapter ${delta.values.length}`);
    const encoded = encodeUpdate((n) => this.#ka.randomBytes(n), delta.values, samples, { clip: s.clip, step: s.step, sampleCap: s.sampleCap, maxDevices: s.maxDevices });
    if (this.#o.logUpload) this.#log.info(`round ${c.round}: upload ${hex(new Uint8Array(encoded.buffer))}`);
    // The device's share of the round's distributed discrete Gaussian (docs/fleet.md
    // "Differential privacy"), after encoding and before masking: the server never sees it apart.
    const noised = s.noise ? addDiscreteGaussian((n) => this.#ka.randomBytes(n), encoded, s.noise) : encoded;
    if (this.#o.logUpload && s.noise) this.#log.info(`round ${c.round}: noised ${hex(new Uint8Array(noised.buffer))}`);
    this.#answer(c, Stage.shares, maskInput(this.#ctx(s), c.state, shareFrames, noised));
    this.#log.info(`round ${c.round}: masked update sent (${samples} samples, ${shareFrames.length} shares held${s.noise ? ", noise added" : ""})`);
  }

  #answer(c: Current, stage: number, out: { state: Uint8Array; frames: readonly Uint8Array[] }): void {
    this.#commit({ ...c, state: out.state, answered: stage, sent: out.frames });
  }

  /** The new stage in flash first (a cut before the commit point leaves the old one and sends nothing), then on the wire. */
  #commit(next: Current): void {
    if (this.#o.store) saveRoundRecord(this.#o.store, next);
    this.#current = next;
    this.#send(next.sent);
  }

  #send(frames: readonly Uint8Array[]): void {
    for (const f of frames) this.#transport.publish(this.#topics.roundReply(this.#o.cohort, this.#o.deviceId), f.slice().buffer as ArrayBuffer, 1, false);
  }
}

import type { BoardProfile } from "../boards/profile.js";
import type { Ports } from "../platform/ports.js";
import type { Log } from "../platform/log.js";
import type { Transport } from "../platform/transport.js";
import { sha256Of } from "../platform/crypto.js";
import { NativeEnginePort } from "../platform/native-engine.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { SampleSet } from "../app/sample-set.js";
import { SlotStore } from "../storage/slot-store.js";
import { DeployTag, layoutDeploy } from "../deploy/deploy-layout.js";
import { DeployStore } from "../deploy/deploy-store.js";
import { AdapterTrial } from "../deploy/adapter-trial.js";
import { provision, readProvisioning } from "../deploy/provisioning.js";
import { FleetDevice } from "../fleet/fleet-device.js";
import type { KeyAgreement } from "../platform/key-agreement.js";

export interface SimFleetContext {
  readonly option: (name: string) => string | undefined;
  readonly flag: (name: string) => boolean;
  readonly profile: BoardProfile;
  readonly ports: Ports;
  readonly transport: Transport;
  readonly log: Log;
  /** Present with --rounds: the device also answers federated rounds (firmware/fleet/round-agent.ts). */
  readonly keyAgreement?: KeyAgreement;
}

function hexBytes(what: string, text: string, bytes: number): Uint8Array {
  if (!new RegExp(`^[0-9a-f]{${2 * bytes}}$`).test(text)) throw new RangeError(`${what} must be ${bytes} bytes as lowercase hex`);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The simulator's fleet-device mode (targets/sim.ts --fleet DIR): the demo model from DIR, the
 * deploy area at the end of the flash partition, provisioned on first boot from
 * --provision ID:FLEETKEY:DEVICEKEY (hex), then following its cohort's rollouts until killed.
 * With --rounds it also takes part in federated rounds, training on --train-data FILE (its own
 * SAMPLES.bin) from the adapter it runs; --log-upload prints its plain uploads on its console,
 * --exit-after-round N ends the run after round N (the memory figures are printed at exit).
 */
export async function runFleetDevice(dir: string, ctx: SimFleetContext): Promise<void> {
  const { option, profile, ports, transport, log } = ctx;
  const crypto = ports.crypto;
  if (!crypto) throw new Error("fleet: this target has no Crypto port");
  const spec = option("spec") ?? "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
  const storage = ports.storage;
  const capacity = Number(option("slot-bytes") ?? "8192");
  const sector = storage.blockSize;
  // Provisioning and boot state take 2 sectors each (A/B) at this sector size; slots follow.
  const deploySectors = 4 + 2 * Math.ceil(capacity / sector);
  const layout = layoutDeploy(storage, storage.byteLength / sector - deploySectors, capacity);
  const provisioningStore = new SlotStore(storage, ports.checksum, layout.provisioning);
  let prov = readProvisioning(provisioningStore);
  const asked = option("provision");
  if (!prov) {
    if (!asked) throw new Error("fleet: device not provisioned (first boot needs --provision ID:FLEETKEY:DEVICEKEY)");
    const [id, fleetKey, deviceKey] = asked.split(":");
    prov = provision(provisioningStore, crypto, hexBytes("fleet key", fleetKey ?? "", 65), hexBytes("device key", deviceKey ?? "", 32), id ?? "");
    log.info(`fleet: provisioned ${prov.deviceId}`);
  }
  const modelBytes = new SimResource(`${dir}/${option("model") ?? "digits_mlp_int8.tflite"}`);
  const modelSha256 = sha256Of(crypto, new Uint8Array(modelBytes as ArrayBuffer));
  const engine = new NativeEnginePort(modelBytes, `${spec}+sgd:lr=0.002+seed:1`, profile.arenaBytes, modelSha256);
  const count = Number(option("held-out-count") ?? "120");
  const heldOut = new SampleSet(new Uint8Array(new SimResource(`${dir}/${option("held-out") ?? "user_test.bin"}`) as ArrayBuffer),
    engine.info.inputBytes, count).batch(0, count);
  const store = new DeployStore(storage, ports.checksum, layout);
  const device = new FleetDevice({
    deviceId: prov.deviceId, devicePrivateKey: prov.devicePrivateKey,
    identity: { modelSha256, spec, fleetKey: prov.fleetKey },
    fleet: option("fleet-name") ?? "fleet", cohorts: Number(option("cohorts") ?? "1"),
    heldOut, margin: Number(option("margin") ?? "0.02"), chunkTimeoutMs: Number(option("chunk-timeout") ?? "3000"),
  }, { crypto, transport, clock: ports.clock, log }, store, new AdapterTrial(store, engine));
  device.start();
  if (ctx.keyAgreement) {
    const [{ RoundAgent }, { EngineUpdateSource }] = await Promise.all([import("../fleet/round-agent.js"), import("../fleet/engine-update-source.js")]);
    const train = option("train-data");
    if (!train) throw new Error("fleet: --rounds needs --train-data FILE (the device's own samples)");
    const samples = new SampleSet(new Uint8Array(new SimResource(train) as ArrayBuffer), engine.info.inputBytes, 40);
    // The round record (round-record.ts) in the two 2-sector slots just below the deploy area.
    const roundStore = new SlotStore(storage, ports.checksum, { firstSector: layout.provisioning.firstSector - 4, sectorsPerSlot: 2, tag: DeployTag.round });
    new RoundAgent({ deviceId: prov.deviceId, devicePrivateKey: prov.devicePrivateKey, fleetKey: prov.fleetKey, fleet: option("fleet-name") ?? "fleet",
      cohort: device.cohort, logUpload: ctx.flag("log-upload"), store: roundStore,
      // --exit-after-round N: stop once round N is revealed (a second later, so the frame leaves),
      // which prints the simulator's memory figures for a device that ran the rounds.
      onRevealed: (round) => {
        if (round >= Number(option("exit-after-round") ?? "Infinity")) ports.clock.schedule(() => ports.exit(0), 1000);
      } },
    { crypto, keyAgreement: ctx.keyAgreement, checksum: ports.checksum, transport, log }, new EngineUpdateSource(crypto, engine, samples)).start();
  }
}

// edge-peft delta keygen|sign|verify|inspect: the fleet operator's side of signed adapter
// deltas (EPDL, docs/formats.md). Signing uses node:crypto over the whole message; verify runs
// the device's own streaming verifier (firmware/deploy) so it says exactly what a device will.
import { createHash, sign as nodeSign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { DeltaError, EVERY_COHORT, decodeDeltaHeader, encodeDelta, type DeltaHeader } from "../../firmware/deploy/delta-format.js";
import { DeltaVerifier } from "../../firmware/deploy/delta-verifier.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { CliError, generateKeyFiles, rawPublic, readPrivateKey, readPublicKey, signedBy } from "./keys.js";
import { Options } from "./options.js";

const USAGE = `usage:
  edge-peft delta keygen --out NAME [--force]          writes NAME.key (PKCS#8) and NAME.pub (SPKI)
  edge-peft delta sign --key FLEET.key --model MODEL.tflite --adapter ADAPTER.epad --spec SPEC
                       --version N [--parent N] --sequence N [--cohort N|all] --out DELTA.epdl
  edge-peft delta sign --key FLEET.key --from OLD.epdl --sequence N [--cohort N|all] --out DELTA.epdl
                       (re-sign an older payload with a higher sequence: downgrade by upgrade)
  edge-peft delta verify DELTA.epdl --pub FLEET.pub [--model MODEL.tflite] [--spec SPEC]
                       [--counter N] [--max-payload BYTES]
  edge-peft delta inspect DELTA.epdl`;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

function readFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function cohortOption(o: Options): number {
  const c = o.string("cohort", "all");
  return c === "all" ? EVERY_COHORT : o.uint32("cohort");
}

/** EPAD v3 header checks a signer must make: never sign an adapter for another model. */
function checkAdapter(adapter: Uint8Array, modelSha: Uint8Array, path: string): void {
  if (adapter.length < 76 || Buffer.from(adapter.subarray(0, 4)).toString("latin1") !== "EPAD") {
    throw new CliError(`${path}: not an EPAD adapter (edge-peft train --out writes one)`);
  }
  const v = Buffer.from(adapter.buffer, adapter.byteOffset, adapter.byteLength);
  if (v.readUInt16LE(4) !== 3) throw new CliError(`${path}: adapter format version ${v.readUInt16LE(4)}, deltas carry version 3`);
  if (v.readUInt32LE(40) !== adapter.length) throw new CliError(`${path}: adapter header says ${v.readUInt32LE(40)} bytes, file has ${adapter.length}`);
  const id = adapter.subarray(44, 76);
  if (!Buffer.from(id).equals(Buffer.from(modelSha))) {
    throw new CliError(`${path}: made for another model (adapter's base SHA-256 ${hex(id).slice(0, 8)}..., --model's ${hex(modelSha).slice(0, 8)}...)`);
  }
}

function signMessage(key: ReturnType<typeof readPrivateKey>) {
  return (message: Uint8Array) => new Uint8Array(nodeSign("sha256", message, { key, dsaEncoding: "ieee-p1363" }));
}

function describe(h: DeltaHeader, total: number): string {
  return [
    `format       EPDL v1, ${total} bytes (header 68, spec ${h.payloadOffset - 68}, payload ${h.payloadBytes}, signature 64)`,
    `base model   SHA-256 ${hex(h.baseModelSha256)}`,
    `spec         ${h.spec}`,
    `version      ${h.adapterVersion} (parent ${h.parentVersion === 0 ? "none" : h.parentVersion})`,
    `sequence     ${h.sequence}`,
    `cohort       ${h.cohort === EVERY_COHORT ? "all" : h.cohort}`,
  ].join("\n");
}

function keygen(o: Options): void {
  const { keyPath, pubPath, publicKey } = generateKeyFiles(o.string("out"), o.flag("force"));
  o.done();
  process.stdout.write(`wrote ${keyPath} and ${pubPath}\npublic key (SEC1, for device provisioning) ${hex(publicKey)}\n`);
}

function signCommand(o: Options): void {
  const key = readPrivateKey(o.string("key"));
  const out = o.string("out");
  const sequence = o.uint32("sequence");
  let delta: Uint8Array;
  if (o.has("from")) {
    const fromPath = o.string("from");
    const old = readFile(fromPath, "delta");
    const h = decodeDeltaHeader(old);
    if (old.length !== h.totalBytes || !signedBy(old, key)) {
      throw new CliError(`${fromPath}: not a whole delta signed by this key; only a verified payload is re-signed`);
    }
    if (((sequence - h.sequence) | 0) <= 0) throw new CliError(`--sequence ${sequence} must exceed the old delta's ${h.sequence}`);
    const cohort = o.has("cohort") ? cohortOption(o) : h.cohort;
    o.done();
    delta = encodeDelta({ ...h, sequence, cohort }, old.subarray(h.payloadOffset, h.payloadOffset + h.payloadBytes), signMessage(key));
  } else {
    const modelPath = o.string("model");
    const adapterPath = o.string("adapter");
    const fields = {
      spec: o.string("spec"), adapterVersion: o.uint32("version"), parentVersion: o.has("parent") ? o.uint32("parent") : 0,
      sequence, cohort: cohortOption(o),
    };
    o.done();
    const modelSha = sha256(readFile(modelPath, "model"));
    const adapter = readFile(adapterPath, "adapter");
    checkAdapter(adapter, modelSha, adapterPath);
    delta = encodeDelta({ ...fields, baseModelSha256: modelSha }, adapter, signMessage(key));
  }
  writeFileSync(out, delta);
  process.stdout.write(`${describe(decodeDeltaHeader(delta), delta.length)}\nwrote ${out}\n`);
}

function verifyCommand(o: Options): void {
  const path = o.positional("DELTA.epdl");
  const fleetKey = rawPublic(readPublicKey(o.string("pub")));
  const modelPath = o.has("model") ? o.string("model") : undefined;
  const spec = o.has("spec") ? o.string("spec") : undefined;
  const counter = o.has("counter") ? o.uint32("counter") : 0;
  const maxPayload = o.has("max-payload") ? o.uint32("max-payload") : 0xffffffff;
  o.done();
  const delta = readFile(path, "delta");
  const h = decodeDeltaHeader(delta);
  const verifier = new DeltaVerifier(new NodeCrypto(), {
    modelSha256: modelPath ? sha256(readFile(modelPath, "model")) : h.baseModelSha256,
    spec: spec ?? h.spec, counter, maxPayload, fleetKey,
  }, { begin() {}, write() {} });
  verifier.push(delta);
  verifier.finish();
  process.stdout.write(`${describe(h, delta.length)}\nverified: signature by the fleet key${modelPath ? ", base model" : ""}${spec ? ", spec" : ""}, sequence > ${counter}\n`);
}

function inspectCommand(o: Options): void {
  const path = o.positional("DELTA.epdl");
  o.done();
  const delta = readFile(path, "delta");
  const h = decodeDeltaHeader(delta);
  process.stdout.write(`${describe(h, delta.length)}\n`);
  if (delta.length !== h.totalBytes) process.stdout.write(`warning: file has ${delta.length} bytes, fields say ${h.totalBytes}\n`);
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const commands: Record<string, (o: Options) => void> = { keygen, sign: signCommand, verify: verifyCommand, inspect: inspectCommand };
  const run = command === undefined ? undefined : commands[command];
  if (!run) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    run(new Options(rest));
    return 0;
  } catch (e) {
    if (e instanceof DeltaError || e instanceof CliError || e instanceof RangeError) {
      process.stderr.write(`edge-peft delta ${command}: ${e.message}\n`);
      return e instanceof CliError && e.usage ? 2 : 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));

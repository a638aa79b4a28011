// The Crypto port's Node implementation (NodeCrypto: node:crypto SHA-256, @noble/curves ECDSA)
// against published vectors, node:crypto signatures and noble's RFC 6979 bytes. The simulator's
// mbedTLS binding runs the same exercise and checks in host-tests/sim/crypto.test.ts.
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { exercise, type ExerciseOutput } from "./crypto-exercise.js";
import { checkBadInput, checkCross, checkRfc6979, checkSha, checkSigVer, prepare, type Prepared } from "./crypto-check.js";

describe("Crypto port: NodeCrypto", () => {
  let prepared: Prepared;
  let out: ExerciseOutput;
  before(() => {
    prepared = prepare();
    out = exercise(new NodeCrypto(), prepared.input);
  });

  it("SHA-256: FIPS 180-2 vectors (empty, abc, 448-bit, a million 'a'), whole and in uneven chunks", () => checkSha(out));
  it("ECDSA P-256: RFC 6979 A.2.5 public key and deterministic signatures for 'sample' and 'test'", () => checkRfc6979(out));
  it("ECDSA P-256: NIST CAVP SigVer [P-256,SHA-256], 3 valid and 12 invalid", () => checkSigVer(out));
  it("cross-check with node:crypto and noble on random keys; flipped bits refused", () => checkCross(out, prepared));
  it("bad input: wrong lengths and out-of-range keys throw RangeError with the reason", () => checkBadInput(out));
});

// The secure-aggregation server core's Python tests (fleet-server/tests/test_secagg.py:
// pycryptodome's ssss vectors, devices written on pycryptodome and cryptography, dropouts,
// refusals; test_adapter_average.py: the new global adapter), run in the project's venv.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { python, repoRoot } from "../support/paths.js";

describe("fleet server: secagg.py and adapter_average.py unit tests", function () {
  this.timeout(300000);
  it("pass under unittest in the project's venv", () => {
    const r = spawnSync(python, ["-m", "unittest", "-v", "test_secagg", "test_adapter_average"],
      { cwd: join(repoRoot, "fleet-server", "tests"), encoding: "utf8", maxBuffer: 1 << 24 });
    const tail = `${r.stdout}\n${r.stderr}`.slice(-4000);
    assert.equal(r.status, 0, tail);
    // Zero tests discovered would also exit 0.
    const ran = /Ran (\d+) tests?/.exec(r.stderr);
    assert.ok(ran && Number(ran[1]) >= 12, tail);
  });
});

// The fleet server's Python tests (fleet-server/tests: the DP accountant against prv-accountant,
// published figures and exact Renyi divergences), run in the project's venv as part of the suite.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { python, repoRoot } from "../support/paths.js";

describe("fleet server: Python unit tests (fleet-server/tests)", function () {
  this.timeout(600000); // test_fleet_size ~3 min, test_flower_sim (Ray start-up) ~1 min
  it("pass under unittest in the project's venv", () => {
    const r = spawnSync(python, ["-m", "unittest", "discover", "-s", join(repoRoot, "fleet-server", "tests")],
      { cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 24 });
    const tail = `${r.stdout}\n${r.stderr}`.slice(-4000);
    assert.equal(r.status, 0, tail);
    // unittest prints "Ran N tests" on stderr; zero tests discovered would also exit 0.
    const ran = /Ran (\d+) tests?/.exec(r.stderr);
    assert.ok(ran && Number(ran[1]) >= 16, tail);
  });
});

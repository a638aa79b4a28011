import assert from "node:assert/strict";
import { VirtualClock } from "../../firmware/platform/virtual-clock.js";
import { TimerClock } from "../../firmware/platform/node/timer-clock.js";

describe("VirtualClock", () => {
  it("runs callbacks in due order, ties in scheduling order, at their due time", () => {
    const clock = new VirtualClock(100);
    const seen: string[] = [];
    clock.schedule(() => seen.push(`b@${clock.now()}`), 20);
    clock.schedule(() => seen.push(`a@${clock.now()}`), 10);
    clock.schedule(() => seen.push(`c@${clock.now()}`), 20);
    clock.advance(15);
    assert.deepEqual(seen, ["a@110"]);
    assert.equal(clock.now(), 115);
    clock.advance(5);
    assert.deepEqual(seen, ["a@110", "b@120", "c@120"]);
  });

  it("cancel removes a pending callback; callbacks may schedule more", () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const h = clock.schedule(() => seen.push(1), 5);
    clock.schedule(() => clock.schedule(() => seen.push(clock.now()), 7), 3);
    clock.cancel(h);
    assert.equal(clock.runAll(), 2);
    assert.deepEqual(seen, [10]);
    assert.equal(clock.pending, 0);
  });
});

describe("TimerClock (Node timers)", () => {
  it("fires after the delay and not before; cancel prevents firing", async () => {
    const clock = new TimerClock();
    const start = clock.now();
    let cancelledFired = false;
    const h = clock.schedule(() => { cancelledFired = true; }, 10);
    clock.cancel(h);
    const elapsed = await new Promise<number>((done) => clock.schedule(() => done(clock.now() - start), 30));
    assert.ok(elapsed >= 29, `fired after ${elapsed} ms`);
    assert.equal(cancelledFired, false);
  });
});

import Timer from "timer";
import Time from "time";
import type { Clock, TimerHandle } from "../clock.js";

/** Clock over Moddable's Timer (one-shot) and Time.ticks (monotonic ms). */
export class TimerClock implements Clock {
  readonly #timers = new Map<number, Timer>();
  #next = 1;

  now(): number {
    return Time.ticks;
  }

  schedule(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, Timer.set(() => {
      this.#timers.delete(id);
      callback();
    }, Math.max(0, delayMs)));
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const timer = this.#timers.get(handle.id);
    if (timer) Timer.clear(timer);
    this.#timers.delete(handle.id);
  }
}

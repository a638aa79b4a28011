import type { Clock, TimerHandle } from "../clock.js";

/** Clock over Node's real timers and monotonic performance.now(). */
export class TimerClock implements Clock {
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  #next = 1;

  now(): number {
    return performance.now();
  }

  schedule(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, setTimeout(() => {
      this.#timers.delete(id);
      callback();
    }, Math.max(0, delayMs)));
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const timer = this.#timers.get(handle.id);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(handle.id);
  }
}

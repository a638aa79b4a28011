import type { Clock, TimerHandle } from "./clock.js";

interface Pending {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A Clock whose time moves only when told (tests, and deterministic runs faster than real
 * time). Callbacks due at the same time run in scheduling order.
 */
export class VirtualClock implements Clock {
  #now: number;
  #next = 1;
  #pending: Pending[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#next++;
    this.#pending.push({ id, due: this.#now + Math.max(0, delayMs), callback });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle.id);
  }

  /** Number of callbacks waiting. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Move time forward by ms, running every callback that falls due, in due order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (!next || next.due > end) break;
      this.#take(next);
    }
    this.#now = end;
  }

  /** Run callbacks until none remain (jumping time to each); returns how many ran. */
  runAll(limit = 1_000_000): number {
    let ran = 0;
    for (let next = this.#earliest(); next; next = this.#earliest()) {
      if (++ran > limit) throw new Error(`VirtualClock.runAll: more than ${limit} callbacks`);
      this.#take(next);
    }
    return ran;
  }

  #earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const p of this.#pending) if (!best || p.due < best.due || (p.due === best.due && p.id < best.id)) best = p;
    return best;
  }

  #take(p: Pending): void {
    this.#pending = this.#pending.filter((q) => q !== p);
    if (p.due > this.#now) this.#now = p.due;
    p.callback();
  }
}

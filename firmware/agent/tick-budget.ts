import type { Clock } from "../platform/clock.js";

/**
 * How much training one idle tick may do: at most maxSteps steps and maxMs of clock time
 * (checked between steps, so one step may overrun; steps are short).
 */
export class TickBudget {
  readonly maxSteps: number;
  readonly maxMs: number;
  readonly #clock: Clock;

  constructor(clock: Clock, maxSteps: number, maxMs: number) {
    if (!(Number.isInteger(maxSteps) && maxSteps >= 0)) throw new RangeError("maxSteps must be >= 0");
    if (!(maxMs >= 0)) throw new RangeError("maxMs must be >= 0");
    this.#clock = clock;
    this.maxSteps = maxSteps;
    this.maxMs = maxMs;
  }

  /** Run step() while the budget lasts and step() returns true; returns the steps run. */
  run(step: () => boolean): number {
    const start = this.#clock.now();
    let steps = 0;
    while (steps < this.maxSteps && this.#clock.now() - start < this.maxMs) {
      steps++;
      if (!step()) break;
    }
    return steps;
  }
}

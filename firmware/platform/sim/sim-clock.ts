import type { Clock, TimerHandle } from "../clock.js";

// Simulator timers (native/sim/sim_timer.c): Moddable Timer.set semantics over a virtual clock
// (time jumps to the next timer unless the simulator runs with --realtime).
const timerSet = native("xs_timer_set") as (callback: () => void, ms: number, interval?: number) => number;
const timerClear = native("xs_timer_clear") as (id: number) => void;
const clockNow = native("xs_clock_now") as () => number;

export class SimClock implements Clock {
  now(): number {
    return clockNow();
  }

  schedule(callback: () => void, delayMs: number): TimerHandle {
    return { id: timerSet(callback, Math.max(0, delayMs)) };
  }

  cancel(handle: TimerHandle): void {
    timerClear(handle.id);
  }
}

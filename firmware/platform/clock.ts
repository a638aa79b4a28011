/** Opaque handle returned by Clock.schedule; only the clock that made it can cancel it. */
export interface TimerHandle {
  readonly id: number;
}

/**
 * Time source and one-shot scheduler. Shaped after setTimeout / Moddable's Timer.set so each
 * target maps it onto its own primitive; callers never reach for a global timer.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; monotonic. */
  now(): number;
  /** Run callback once after delayMs (>= 0). */
  schedule(callback: () => void, delayMs: number): TimerHandle;
  /** Cancel a pending callback; cancelling a fired or unknown handle is a no-op. */
  cancel(handle: TimerHandle): void;
}

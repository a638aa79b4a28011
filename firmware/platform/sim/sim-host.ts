// The simulator's host services (native/sim/sim_globals.c), bound by name like any xsmc face.

const argsNative = native("xs_sim_args") as () => string[];
const boardNative = native("xs_sim_board") as () => string;
const exitNative = native("xs_sim_exit") as (status: number) => void;

/** The app's command-line arguments (after ENTRY.js). */
export function simArgs(): string[] {
  return Array.from(argsNative());
}

/** The board profile the simulator was started with, as JSON text. */
export function simBoardText(): string {
  return boardNative();
}

/** End the run with a status; the simulator prints its memory report on the way out. */
export function simExit(status: number): void {
  exitNative(status);
}

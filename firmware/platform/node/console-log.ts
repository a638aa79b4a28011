import { formatMetric, type Log } from "../log.js";

/** Log to the process's stdout/stderr; lines go to an optional sink too (tests read it). */
export class ConsoleLog implements Log {
  readonly #sink: ((line: string) => void) | undefined;
  readonly #quiet: boolean;

  constructor(options: { sink?: (line: string) => void; quiet?: boolean } = {}) {
    this.#sink = options.sink;
    this.#quiet = options.quiet ?? false;
  }

  info(message: string): void {
    this.#emit(message, false);
  }

  warn(message: string): void {
    this.#emit(`warning: ${message}`, true);
  }

  error(message: string): void {
    this.#emit(`error: ${message}`, true);
  }

  metric(name: string, value: number): void {
    this.#emit(formatMetric(name, value), false);
  }

  #emit(line: string, toStderr: boolean): void {
    this.#sink?.(line);
    if (this.#quiet) return;
    if (toStderr) process.stderr.write(line + "\n");
    else process.stdout.write(line + "\n");
  }
}

import { formatMetric, type Log } from "../log.js";

/** Log through Moddable's trace() (serial console / xsbug). */
export class TraceLog implements Log {
  info(message: string): void {
    trace(message, "\n");
  }

  warn(message: string): void {
    trace(`warning: ${message}\n`);
  }

  error(message: string): void {
    trace(`error: ${message}\n`);
  }

  metric(name: string, value: number): void {
    trace(formatMetric(name, value), "\n");
  }
}

import { formatMetric, type Log } from "../log.js";

// The simulator defines Moddable's global trace(); declared here because the firmware config
// carries no Moddable typings.
declare function trace(...values: string[]): void;

export class TraceLog implements Log {
  info(message: string): void {
    trace(message, "\n");
  }

  warn(message: string): void {
    trace("warning: ", message, "\n");
  }

  error(message: string): void {
    trace("error: ", message, "\n");
  }

  metric(name: string, value: number): void {
    trace(formatMetric(name, value), "\n");
  }
}

/** Human-readable lines plus structured metrics (a metric line is machine-parsable). */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Record a named figure, e.g. metric("replay.entries", 42). */
  metric(name: string, value: number): void;
}

/** The one text form of a metric every target prints, so tools parse a single format. */
export function formatMetric(name: string, value: number): string {
  return `metric ${name}=${value}`;
}

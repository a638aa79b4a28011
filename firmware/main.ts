import type { Ports } from "./platform/ports.js";
import type { BoardProfile } from "./boards/profile.js";
import { Windower } from "./capture/windower.js";
import { WindowReport, formatValues } from "./features/window-report.js";

export interface MainOptions {
  /** Playback speed for recorded sources (0 = as fast as possible); boards leave it at 1. */
  readonly speed?: number;
}

export interface RunSummary {
  readonly windows: number;
  readonly frames: number;
  readonly means: Float64Array;
}

/**
 * Wiring only: sensor -> windower -> one log line per window -> summary at the end of the
 * stream. Resolves with the summary (a recording ends; a live sensor runs until closed).
 */
export function main(ports: Ports, profile: BoardProfile, options: MainOptions = {}): Promise<RunSummary> {
  const { log } = ports;
  return new Promise<RunSummary>((resolve, reject) => {
    const started = ports.clock.now();
    let report: WindowReport | undefined;
    const sensor = ports.sensor({
      onSample: () => {
        for (let s = sensor.sample(); s; s = sensor.sample()) windower.push(s);
      },
      onError: (error) => reject(error),
      onEnd: () => {
        sensor.close();
        const r = report!;
        log.info(`summary board=${profile.name} windows=${r.windows} frames=${r.frames} mean=${formatValues(r.means())}`);
        log.metric("capture.windows", r.windows);
        log.metric("capture.frames", r.frames);
        log.metric("capture.ms", Math.round(ports.clock.now() - started));
        resolve({ windows: r.windows, frames: r.frames, means: r.means() });
      },
    });
    report = new WindowReport(sensor.channels);
    const windower = new Windower(sensor.channels, profile.capture.windowFrames, (window) => {
      const means = report!.add(window);
      log.info(`window ${window.index} t=${Math.round(window.start)}ms frames=${window.frames} mean=${formatValues(means)}`);
    }, profile.capture.hopFrames);
    log.info(`capture board=${profile.name} channels=${sensor.channels} rate=${sensor.rateHz}Hz window=${windower.frames} hop=${windower.hop}`);
    if (options.speed !== undefined) sensor.configure({ speed: options.speed });
  });
}

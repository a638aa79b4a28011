// The fleet's state as a terminal table, and the A/B comparison of cohorts.
import type { StatusReport } from "../../firmware/fleet/status-report.js";
import type { Registry } from "./registry.js";
import { pct } from "./rollout.js";

export function statusTable(registry: Registry, reports: ReadonlyMap<string, StatusReport>): string {
  const rows = [["device", "cohort", "bucket", "active seq", "adapter", "last event", "about seq", "held-out before", "after", "code"]];
  for (const d of [...registry.devices].sort((a, b) => a.cohort - b.cohort || a.id.localeCompare(b.id))) {
    const r = reports.get(d.id);
    rows.push(r
      ? [d.id, String(d.cohort), String(d.bucket), String(r.activeSequence), r.activeVersion === 0 ? "base" : `v${r.activeVersion}`, r.event,
        String(r.subjectSequence), pct(r.accuracyBefore), pct(r.accuracyAfter), r.code]
      : [d.id, String(d.cohort), String(d.bucket), "?", "?", "(no report)", "", "", "", ""]);
  }
  return layout(rows);
}

/** Per cohort and adapter version: devices, and mean held-out accuracy measured by their trials. */
export function abReport(registry: Registry, reports: ReadonlyMap<string, StatusReport>): string {
  const groups = new Map<string, { cohort: number; version: number; devices: number; sum: number; measured: number }>();
  for (const d of registry.devices) {
    const r = reports.get(d.id);
    if (!r) continue;
    const key = `${d.cohort}/${r.activeVersion}`;
    const g = groups.get(key) ?? { cohort: d.cohort, version: r.activeVersion, devices: 0, sum: 0, measured: 0 };
    g.devices++;
    // The accuracy of the adapter now active: "after" of a confirmed trial.
    if (r.event === "confirmed" && r.accuracyAfter >= 0) {
      g.sum += r.accuracyAfter;
      g.measured++;
    }
    groups.set(key, g);
  }
  const rows = [["cohort", "adapter", "devices", "trials measured", "mean held-out accuracy"]];
  for (const g of [...groups.values()].sort((a, b) => a.cohort - b.cohort || a.version - b.version)) {
    rows.push([String(g.cohort), g.version === 0 ? "base" : `v${g.version}`, String(g.devices), String(g.measured), g.measured ? pct(Math.round(g.sum / g.measured)) : "n/a"]);
  }
  return layout(rows);
}

function layout(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()).join("\n");
}

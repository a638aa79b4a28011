// The workload bench/dot measures inside the simulator: an int8 dot product of 65,536 elements,
// in plain JavaScript and through the xsmc binding. Entry files written by index.ts call run().
import { dotS8, measure } from "../../native/xs/dot/dot.js";
import { fill } from "./data.js";

/** Written as one would for speed: length read once (it is a getter on typed arrays). */
export function dotJS(a: Int8Array, b: Int8Array): number {
  const n = a.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** mode "none" measures the wrapper alone, subtracted from the other two. */
export function run(mode: "js" | "c" | "none"): void {
  const a = fill(1);
  const b = fill(2);
  const dot = mode === "js" ? () => dotJS(a, b) : mode === "c" ? () => dotS8(a, b) : () => 0;
  console.log(`dot ${mode} ${measure(dot)}`);
}

import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

/** Repository root, from build/js/host-tests/platform/ (compiled location). */
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export function repoPath(...parts: string[]): string {
  return resolve(ROOT, ...parts);
}

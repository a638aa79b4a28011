// Strict --name value options for the host CLIs: unknown or repeated options are errors, so a
// typo never signs a delta with a default in place of what the operator meant.
import { CliError } from "./keys.js";

export class Options {
  readonly #values = new Map<string, string>();
  readonly #flags = new Set<string>();
  readonly #positional: string[] = [];
  readonly #used = new Set<string>();

  constructor(argv: readonly string[], flags: readonly string[] = ["force", "json"]) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith("--")) {
        this.#positional.push(a);
        continue;
      }
      const name = a.slice(2);
      if (flags.includes(name)) {
        this.#flags.add(name);
        continue;
      }
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("--")) throw new CliError(`--${name} needs a value`, true);
      if (this.#values.has(name)) throw new CliError(`--${name} given twice`, true);
      this.#values.set(name, v);
      i++;
    }
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  flag(name: string): boolean {
    this.#used.add(name);
    return this.#flags.has(name);
  }

  string(name: string, fallback?: string): string {
    this.#used.add(name);
    const v = this.#values.get(name) ?? fallback;
    if (v === undefined) throw new CliError(`--${name} is required`, true);
    return v;
  }

  uint32(name: string): number {
    const s = this.string(name);
    if (!/^(0|[1-9][0-9]*)$/.test(s) || Number(s) > 0xffffffff) throw new CliError(`--${name} ${s}: a whole number 0..4294967295`, true);
    return Number(s);
  }

  positional(what: string): string {
    const p = this.#positional.shift();
    if (p === undefined) throw new CliError(`${what} is required`, true);
    return p;
  }

  /** Throws on anything given but not read. */
  done(): void {
    for (const k of this.#values.keys()) if (!this.#used.has(k)) throw new CliError(`unknown option --${k}`, true);
    for (const k of this.#flags) if (!this.#used.has(k)) throw new CliError(`unknown option --${k}`, true);
    if (this.#positional.length > 0) throw new CliError(`unexpected argument ${this.#positional[0]}`, true);
  }
}

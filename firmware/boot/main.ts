// Moddable's start module ("main" in manifest.json). A failed static import aborts XS with only
// "unhandled exception"; importing the target dynamically lets us print why. The specifier is
// the target's manifest module name, so this file's own depth does not matter. trace is looked
// up on globalThis because this file is also compiled by the host-neutral firmware config.
const entry = "firmware/targets/moddable";
const print = (globalThis as { trace?: (message: string) => void }).trace;
import(entry).catch((error: unknown) => {
  print?.(`boot: ${String(error)}\n`);
});

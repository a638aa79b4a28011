// The port moved to firmware/platform/native-engine.ts (it is not simulator specific); this
// name stays for code written against the old path.
export { NativeEnginePort } from "../native-engine.js";

// The tests' Flower deployment: tools/fleet/local-flower.ts (the fleet demo starts the same).
export { Flower } from "../../tools/fleet/local-flower.js";

// The tests' mosquitto: tools/fleet/local-broker.ts (the fleet demo starts the same).
export { Broker, freePort } from "../../tools/fleet/local-broker.js";

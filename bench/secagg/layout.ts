// Shared by the simulator app (app.ts) and the Node side (index.ts): where the stage's output
// goes in the 64 KB flash partition (the inputs fill it from 0).
export const OUT = 48 * 1024;

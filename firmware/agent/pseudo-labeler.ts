/**
 * Confident pseudo-labels: the model's own prediction becomes a training label only when its
 * probability reaches `threshold`. Float arithmetic: policy, not the hot path.
 *
 * The output may be int8 logits or int8 softmax probabilities. TFLite's quantisation spec fixes
 * a softmax's int8 output at scale 1/256, zero point -128, which is how outputKind() tells them
 * apart; the native engine returns the model's output, which is a softmax for the demo model.
 */
export interface PseudoLabel {
  readonly label: number;
  readonly confidence: number;
}

export type OutputKind = "logits" | "probabilities";

export interface OutputQuant {
  readonly kind: OutputKind;
  readonly scale: number;
  readonly zeroPoint: number;
}

/** "probabilities" for TFLite's int8 softmax quantisation (1/256, -128), else "logits". */
export function outputKind(scale: number, zeroPoint: number): OutputKind {
  return scale === 1 / 256 && zeroPoint === -128 ? "probabilities" : "logits";
}

/** Top class of an int8 output and its probability; label -1 when below threshold. */
export function pseudoLabel(output: Int8Array, quant: OutputQuant, threshold: number): PseudoLabel {
  let top = 0;
  for (let i = 1; i < output.length; i++) if (output[i] > output[top]) top = i;
  let confidence: number;
  if (quant.kind === "probabilities") {
    confidence = (output[top] - quant.zeroPoint) * quant.scale;
  } else {
    // exp(z_i - z_top) <= 1: no overflow; the zero point cancels in logit differences.
    let sum = 0;
    for (let i = 0; i < output.length; i++) sum += Math.exp((output[i] - output[top]) * quant.scale);
    confidence = 1 / sum;
  }
  return { label: confidence >= threshold ? top : -1, confidence };
}

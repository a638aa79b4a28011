/**
 * Confident pseudo-labels: the model's own prediction becomes a training label only when its
 * softmax probability reaches `threshold`. Logits are int8 with the model's output scale (the
 * zero point cancels in logit differences); float arithmetic: policy, not the hot path.
 */
export interface PseudoLabel {
  readonly label: number;
  readonly confidence: number;
}

/** Softmax probability of the top class of int8 logits; label -1 when below threshold. */
export function pseudoLabel(logits: Int8Array, scale: number, threshold: number): PseudoLabel {
  let top = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[top]) top = i;
  let sum = 0;
  // exp(z_i - z_top) <= 1: no overflow.
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - logits[top]) * scale);
  const confidence = 1 / sum;
  return { label: confidence >= threshold ? top : -1, confidence };
}

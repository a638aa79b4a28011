// Training arena bound from the per-layer plan figures: the arena a session needs is the
// engine's inference arena plus the trainer's fixed state, its per-step scratch and, per
// layer, the masters, gradient constants, momentum and EWC bytes, plus only the int32 bias
// views: int8 views (LoRA A / B, prompt) are derived from the int16 masters where the forward
// reads them, so they must cost nothing. Byte identity of the adapters with and without the
// stored views is checked by the cross-target digests (adapter-io.test.ts) and the per-step
// gradients against the float reference (gradients.test.ts, conv.test.ts).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { modelsDir } from '../support/paths.js';
import { demo, run } from './helpers.js';

interface Layer { in: number; out: number; kinds: number; adapter_bytes: number; master_bytes: number; grad_bytes: number; optim_bytes: number; ewc_bytes: number }
interface Plan {
  inference_arena_bytes: number; training_arena_bytes: number; trainer_bytes: number; adapter_bytes: number; params: number;
  state_bytes: number; scratch_bytes: number; layers: Layer[];
}

const speech = join(modelsDir, 'micro_speech_quantized.tflite');
const digits = demo('digits_mlp_int8.tflite');
// latent: bytes of the lowest adapted layer's input, which the engine keeps live for the
// trainer (micro_speech: the 4000-byte depthwise output; digits: the 64-byte input;
// person_detect: 3x3x256 at its second-last pointwise conv)
// overlap: bytes of per-step scratch that must move into dead engine memory (person_detect:
// both convs' outputs, masks, LoRA h and gradient vectors; micro_speech: its small head scratch)
const cases: { model: string; spec: string; latent: number; extra?: string[]; overlap?: number }[] = [
  { model: speech, spec: 'lora:rank=1,alpha=2,layers=-1+bias:layers=-1', latent: 4000, overlap: 300 },
  { model: speech, spec: 'lora:rank=2,alpha=8,layers=-1+bias:layers=-1', latent: 4000, extra: ['--momentum', '0.9'] },
  { model: digits, spec: 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0', latent: 64 },
  { model: digits, spec: 'lora:rank=4,alpha=8,layers=0+bias:layers=0..1', latent: 64, extra: ['--ewc', '10'] },
  { model: join(modelsDir, 'person_detect.tflite'), spec: 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1', latent: 2304, overlap: 18000 },
];

describe('trainer memory (plan figures)', function () {
  for (const c of cases) {
    it(`arena <= inference + state + scratch + per-layer master/grad/optim/ewc + bias views: ${c.spec}`, function () {
      const p = JSON.parse(run(['train', c.model, '--adapter', c.spec, ...(c.extra ?? []), '--plan', '--json'])) as Plan;
      const biasViews = p.layers.reduce((s, l) => s + ((l.kinds & 2) !== 0 ? 4 * l.out : 0), 0);
      // no int8 view is stored: only the int32 bias deltas
      assert.equal(p.adapter_bytes, biasViews);
      const perLayer = p.layers.reduce((s, l) => s + l.master_bytes + l.grad_bytes + l.optim_bytes + l.ewc_bytes, 0);
      // 64: the trainer's alignment slack (8-byte alignment of its state and tables)
      const trainer = p.state_bytes + p.scratch_bytes + perLayer + biasViews + 64;
      assert.ok(p.trainer_bytes <= trainer, `trainer ${p.trainer_bytes} > ${trainer}`);
      // the session: inference arena, at most the kept latent more, 16-byte alignment, trainer
      const bound = p.inference_arena_bytes + c.latent + 16 + trainer;
      assert.ok(p.training_arena_bytes <= bound, `${p.training_arena_bytes} > ${bound}`);
      // per-step scratch in the engine's dead activation memory (scratch:shared, the default):
      // it only removes trainer bytes; the engine's arena (with the latent kept) is unchanged
      const sep = JSON.parse(run(['train', c.model, '--adapter', `${c.spec}+scratch:separate`, ...(c.extra ?? []),
        '--plan', '--json'])) as Plan;
      assert.ok(sep.training_arena_bytes <= bound, `${sep.training_arena_bytes} > ${bound}`);
      const saved = sep.trainer_bytes - p.trainer_bytes;
      assert.ok(saved >= 0 && saved <= p.scratch_bytes, `saved ${saved} of scratch ${p.scratch_bytes}`);
      assert.equal(sep.training_arena_bytes - p.training_arena_bytes, saved);
      if (c.overlap !== undefined) assert.ok(saved >= c.overlap, `saved ${saved} < ${c.overlap}`);
      // LoRA and prompt parameters: 2 bytes (int16 master) + 2 with momentum + 4 with EWC
      for (const l of p.layers) {
        if ((l.kinds & 1) === 0 || (l.kinds & 4) !== 0) continue;
        const biasMaster = (l.kinds & 2) !== 0 ? 12 * l.out : 0;
        const lora = l.master_bytes - biasMaster;
        const r = lora / (2 * (l.in + l.out));
        assert.ok(Number.isInteger(r) && r >= 1, `layer master bytes ${l.master_bytes} not 2 B per LoRA parameter`);
      }
    });
  }
});

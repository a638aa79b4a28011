// The demo agent in the bare-metal images (Cortex-M4 on qemu mps2-an386, rv32imc on qemu virt)
// against the desktop simulator (x86-64) on the same generated board file: every trace line the
// same, the same accuracies, and the same committed adapter (SHA-256 by Node of the bytes each
// run prints). Each image runs the full demo (240 frames, 4,000 steps): ~10 s per image.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, repoRoot } from '../support/paths.js';

interface Image {
  readonly isa: string;
  readonly elf: string;
  readonly board: string;
  readonly ramBytes: number;
  readonly qemu: readonly string[];
}

// The board-budget images (256 KB RAM on the nRF52840's, 400 KB on the ESP32-C3's linker script):
// the demo fits them since its bytecode is compiled at build time (docs/bare-metal.md). Each
// image carries its board profile, so the desktop run it
// is compared with takes the same file (comparing rv32's ESP32-C3 run with a desktop run on the
// nRF52840 profile is what once looked like an ISA divergence).
const images: readonly Image[] = [
  { isa: 'Cortex-M4', elf: 'edge-peft-bare-m4.elf', board: 'nrf52840-agent.json', ramBytes: 262144,
    qemu: ['qemu-system-arm', '-M', 'mps2-an386'] },
  { isa: 'rv32imc', elf: 'edge-peft-bare-rv32.elf', board: 'esp32c3-agent.json', ramBytes: 409600,
    qemu: ['qemu-system-riscv32', '-M', 'virt', '-bios', 'none'] },
];
const tools = ['arm-none-eabi-gcc', 'riscv64-unknown-elf-gcc', 'qemu-system-arm', 'qemu-system-riscv32'];
const bareDir = join(repoRoot, 'build', 'bare');

interface Run {
  readonly lines: string[];
  readonly result: Record<string, unknown>;
  readonly adapter: Buffer;
  readonly arena: number;
  readonly output: string;
}

/** Trace lines without the memory reports and the arena size (64-bit pointers in the session
 *  records on x86-64: 6,852 against 6,428 bytes on both 32-bit ISAs); the arena is kept apart. */
function parse(output: string, what: string): Run {
  const all = output.split('\n').filter((l) => l.length > 0 && !/^(xs|bare)-memory: /.test(l));
  const arenas = new Set<number>();
  const lines = all.map((l) => l
    .replace(/ arena=(\d+) /, (_m, n: string) => (arenas.add(Number(n)), ' arena=_ '))
    .replace(/"arenaBytes":(\d+)/, (_m, n: string) => (arenas.add(Number(n)), '"arenaBytes":_')));
  const result = all.find((l) => l.startsWith('demo-result '));
  const hex = all.find((l) => l.startsWith('demo-adapter '));
  assert.ok(result && hex, `${what}: no demo-result / demo-adapter line:\n${output.slice(-2000)}`);
  assert.equal(arenas.size, 1, `${what}: arena sizes ${[...arenas].join(', ')}`);
  const adapter = Buffer.from(hex.slice('demo-adapter '.length), 'hex');
  assert.equal(adapter.toString('hex'), hex.slice('demo-adapter '.length), `${what}: adapter hex malformed`);
  return { lines, result: JSON.parse(result.slice('demo-result '.length)) as Record<string, unknown>, adapter,
    arena: [...arenas][0]!, output };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('bare-metal images: the demo agent under qemu equals the desktop simulator', function () {
  this.timeout(900000);
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);

  before(function () {
    if (missing.length > 0) {
      // setup.sh installs these, so CI runs the test; a checkout without them says why it skips
      console.log(`    skipped: ${missing.join(', ')} not installed (setup.sh installs them)`);
      this.skip();
    }
    // The images need build/js (npm test runs tsc first); up to date, this relinks in seconds.
    const r = spawnSync('make', ['-j2', 'bare'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(r.status, 0, `make bare failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  });

  const runs = new Map<string, Run>();
  for (const img of images) {
    it(`${img.isa}: same trace, accuracies and adapter as the desktop on ${img.board}`, function () {
      const board = join(bareDir, img.board);
      const flash = join(mkdtempSync(join(tmpdir(), 'bare-agent-')), 'flash.bin');
      const desk = spawnSync(join(binDir, 'edge-peft-sim'), ['--board', board, '--flash', flash, '--',
        join(repoRoot, 'build', 'js', 'firmware', 'targets', 'sim.js'), '--agent', 'data/demo'],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120000 });
      assert.equal(desk.status, 0, `desktop: ${desk.stderr}`);
      const x86 = parse(desk.stdout + desk.stderr, 'desktop');
      // The printed adapter is the committed one: its bytes are in an adapter record in flash.
      assert.ok(readFileSync(flash).indexOf(x86.adapter) >= 0, 'desktop: printed adapter not in flash');

      const [bin, ...machine] = img.qemu;
      const q = spawnSync(bin!, [...machine, '-nographic', '-semihosting-config', 'enable=on,target=native',
        '-kernel', join(bareDir, img.elf)], { cwd: repoRoot, encoding: 'utf8', timeout: 300000 });
      // semihosting output arrives on qemu's stderr; exit(status) ends qemu with that status
      assert.equal(q.status, 0, `${img.isa}: exit ${q.status}\n${(q.stdout + q.stderr).slice(-2000)}`);
      const bare = parse(q.stdout + q.stderr, img.isa);
      const peak = /^bare-memory: .*ram-peak=(\d+)/m.exec(bare.output);
      assert.ok(peak, `${img.isa}: no bare-memory line`);
      // the linker script holds the budget; the measured peak says by how much it fits
      assert.ok(Number(peak[1]) <= img.ramBytes, `${img.isa}: RAM peak ${peak[1]} over ${img.ramBytes}`);

      for (const k of ['userBefore', 'userAfter', 'populationBefore', 'populationAfter', 'pseudo', 'pseudoWrong',
        'commits', 'steps', 'adapterBytes']) assert.equal(bare.result[k], x86.result[k], `${img.isa}: ${k}`);
      assert.equal(bare.adapter.length, x86.result.adapterBytes);
      assert.equal(sha256(bare.adapter), sha256(x86.adapter), `${img.isa}: committed adapter differs`);
      assert.deepEqual(bare.lines, x86.lines);
      assert.ok((x86.result.commits as number) > 0, 'no adapter was committed: the digest compares the base');
      console.log(`    ${img.isa}: userAfter ${x86.result.userAfter} populationAfter ${x86.result.populationAfter}` +
        ` commits ${x86.result.commits} adapter sha256 ${sha256(bare.adapter).slice(0, 16)}... arena ${bare.arena} (x86-64 ${x86.arena})`);
      runs.set(img.isa, bare);
    });
  }

  it('both 32-bit images plan the same arena', function () {
    if (runs.size !== images.length) this.skip();
    assert.equal(new Set([...runs.values()].map((r) => r.arena)).size, 1);
  });
});

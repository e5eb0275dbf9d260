#!/usr/bin/env node
// Builds the optional native Dice kernel (dice.c, a Node-API addon) into
// dist/native/p20dice-<platform>-<arch>.node with the local C compiler
// ($CC, else cc). Optional by design: when there is no compiler, the
// platform is not supported, P20LINK_NATIVE=0 is set, or anything fails,
// it says so on stderr and exits 0; p20link then uses the WebAssembly
// kernel (same results). Needs no Node headers and nothing from the network.
// Run by `npm run build` (through build-wasm.mjs) or directly.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const src = join(here, 'dice.c');
const outDir = join(root, 'dist', 'native');
const target = join(outDir, `p20dice-${process.platform}-${process.arch}.node`);
const say = (m) => process.stderr.write(`build:native: ${m}\n`);

export function buildNative({ force = false } = {}) {
  if (process.env.P20LINK_NATIVE === '0') {
    rmSync(target, { force: true });
    say('P20LINK_NATIVE=0: not building the native Dice kernel (WebAssembly kernel will be used)');
    return false;
  }
  if (process.platform === 'win32') {
    say('native Dice kernel not built on Windows (WebAssembly kernel will be used)');
    return false;
  }
  if (!force && existsSync(target) && statSync(target).mtimeMs >= statSync(src).mtimeMs) return true;
  const cc = process.env.CC || 'cc';
  try {
    execFileSync(cc, ['--version'], { stdio: 'ignore' });
  } catch {
    say(`no C compiler (${cc}); native Dice kernel not built (WebAssembly kernel will be used)`);
    return false;
  }
  mkdirSync(outDir, { recursive: true });
  const r = compileNative(target, { cc });
  say(r.ok ? `built ${target} (${r.features})` : `native Dice kernel not built (${r.message}); the WebAssembly kernel will be used`);
  return r.ok;
}

/**
 * Compile dice.c into `out` (written whole or not at all) and check in a
 * child process that it loads. `defines` adds -D flags (the tests use one
 * to build a deliberately wrong kernel). Returns { ok, features, message }.
 */
export function compileNative(out, { cc = process.env.CC || 'cc', defines = [] } = {}) {
  const tmp = join(dirname(out), `.p20dice-build-${process.pid}.node`);
  const flags = ['-O3', '-fPIC', '-shared', '-ffp-contract=off', '-fno-strict-aliasing', '-fvisibility=hidden', '-std=c11'];
  if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
  try {
    execFileSync(cc, [...flags, ...defines.map((d) => `-D${d}`), '-o', tmp, src, '-lm'], { stdio: ['ignore', 'ignore', 'pipe'] });
    // load it in a child first: a broken binary must not take down the caller
    const features = execFileSync(process.execPath, ['-e', `const m=require(${JSON.stringify(tmp)});if(m.abi!==1)process.exit(1);process.stdout.write(m.features())`], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    renameSync(tmp, out);
    return { ok: true, features, message: '' };
  } catch (e) {
    rmSync(tmp, { force: true });
    rmSync(out, { force: true });
    const detail = e && typeof e === 'object' && 'stderr' in e && e.stderr ? String(e.stderr).split('\n').slice(0, 3).join(' | ') : String(e);
    return { ok: false, features: '', message: detail };
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildNative({ force: process.argv.includes('--force') });
  process.exit(0);
}

/**
 * Package / unpack throughput and key generation time. Prints figures only.
 *   npm run build && node dist/bench/package.js [MiB=256]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createEncodedWriter } from '../src/format/encoded-file.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import forge from 'node-forge';
import { generateKeyPair, loadPrivateKeys, loadPublicKeys } from '../src/transfer/keys.js';
import { loadAllowDir } from '../src/transfer/allow-list.js';
import { packageFile } from '../src/transfer/package-file.js';
import { unpackFile } from '../src/transfer/unpack-file.js';
import { openLinkerStore } from '../src/store/linker-store.js';

const mib = Number(process.argv[2] ?? 256);
const dir = mkdtempSync(join(tmpdir(), 'p20-bench-pkg-'));
try {
  let t = performance.now();
  const gl = await generateKeyPair({ name: 'linker', outDir: dir });
  console.log(`keygen (Node crypto, 2 x RSA-3072): ${((performance.now() - t) / 1000).toFixed(2)} s`);
  t = performance.now();
  const fopts = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;
  fopts.usePureJavaScript = true;
  forge.pki.rsa.generateKeyPair({ bits: 3072, e: 0x10001 });
  fopts.usePureJavaScript = false;
  console.log(`keygen (node-forge pure JS, 1 x RSA-3072): ${((performance.now() - t) / 1000).toFixed(2)} s`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'agencies'));
  const ga = await generateKeyPair({ name: 'k12', outDir: join(dir, 'agencies') });
  t = performance.now();
  const pp = await generateKeyPair({ name: 'pp', outDir: dir, passphrase: 'bench passphrase' });
  const tp = performance.now();
  await loadPrivateKeys(pp.privateFile, 'bench passphrase');
  console.log(`passphrase key load (PBKDF2-SHA256 600k x 2 keys): ${((performance.now() - tp) / 1000).toFixed(2)} s`);

  // a realistic encoded file: 1024-bit CLKs + one blocking column, ~190 bytes a row
  const rows = Math.round((mib * 2 ** 20) / 190);
  const input = join(dir, 'big.enc');
  const w = createEncodedWriter(input, { tool: 'bench', createdAt: new Date().toISOString(), party: 'k12', schemaFingerprint: `sha256:${'0'.repeat(64)}`, keyCheckValue: '0'.repeat(32), l: 1024, blockColumns: ['b'] });
  const clk = randomBytes(128);
  for (let i = 0; i < rows; i++) {
    clk.writeUInt32BE(i, 0);
    await w.writeRow(`r${i}`, clk.toString('base64'), [String(i % 1000)]);
  }
  await w.commit();
  const { size } = await stat(input);
  const sizeMiB = size / 2 ** 20;
  const linkerPriv = await loadPrivateKeys(gl.privateFile);
  const linkerPub = await loadPublicKeys(gl.publicFile);
  const k12Priv = await loadPrivateKeys(ga.privateFile);
  const allow = await loadAllowDir(join(dir, 'agencies'));
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  t = performance.now();
  await packageFile({ input, kind: 'encoded', to: linkerPub, sign: k12Priv, name: 'k12', output: join(dir, 'big.p20pkg') });
  const tpk = (performance.now() - t) / 1000;
  const db = openLinkerStore(join(dir, 'linker.db'));
  t = performance.now();
  await unpackFile({ input: join(dir, 'big.p20pkg'), key: linkerPriv, allow, output: join(dir, 'out.enc'), store: db, expectKind: 'encoded' });
  const tun = (performance.now() - t) / 1000;
  db.close();
  clearInterval(timer);
  console.log(`encoded file: ${rows} rows, ${sizeMiB.toFixed(0)} MiB`);
  console.log(`package: ${tpk.toFixed(2)} s (${(sizeMiB / tpk).toFixed(0)} MiB/s)`);
  console.log(`unpack:  ${tun.toFixed(2)} s (${(sizeMiB / tun).toFixed(0)} MiB/s)`);
  console.log(`peak RSS above baseline during package+unpack: ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
  // the bench's figures, one JSON object on its last line
  console.log(JSON.stringify({ rows, sizeMiB: Math.round(sizeMiB), packageSeconds: Math.round(tpk * 100) / 100, unpackSeconds: Math.round(tun * 100) / 100, peakAboveBaselineMiB: Math.round((peak - rss0) / 2 ** 20) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * File errors in the encoded-file reader and JSON spec reader are reported
 * like every other file error (src/errors.ts fsError): environment trouble
 * is exit 3 in plain words, never a raw errno name.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { openEncoded, readEncodedHeader } from '../../src/format/encoded-file.js';
import { readJsonFile } from '../../src/util/json-spec.js';
import { p20Rejection } from '../helpers/errors.js';

// a file name longer than any file system allows: ENAMETOOLONG, an environment error
const tooLong = join(tmpdir(), 'x'.repeat(300) + '.enc');
const missing = join(tmpdir(), 'p20-no-such-file-h9.enc');

describe('file errors in src/format and src/util', () => {
  it('encoded file: a name too long is exit 3 in words; a missing file is exit 2 in words', async () => {
    // each call made when it is awaited: a second promise made up front rejects unhandled while the first is awaited
    for (const call of [() => readEncodedHeader(tooLong), () => openEncoded(tooLong)]) {
      const e = await p20Rejection(call());
      expect(exitStatusOf(e)).toBe(EXIT.environment);
      expect(e.message).not.toMatch(/ENAMETOOLONG/);
      expect(e.message).toMatch(/cannot open: file name too long/);
    }
    const m = await p20Rejection(readEncodedHeader(missing));
    expect(m.code).toBe('ENCODED_OPEN');
    expect(exitStatusOf(m)).toBe(EXIT.badInput);
    expect(m.message).toMatch(/cannot open: no such file or directory/);
  });

  it('JSON spec: a name too long is exit 3 in words, not the raw errno name', async () => {
    const e = await p20Rejection(readJsonFile(tooLong, 'spec', { code: 'KCHECK_SPEC' }));
    expect(exitStatusOf(e)).toBe(EXIT.environment);
    expect(e.message).not.toMatch(/ENAMETOOLONG/);
    expect(exitStatusOf(await p20Rejection(readJsonFile(missing, 'spec', { code: 'KCHECK_SPEC' })))).toBe(EXIT.badInput);
  });
});

/**
 * check(): clkhash's per-feature validation on docs/_static/example_schema.json
 * (one valid row, then one violation at a time), and the clkhash behaviours
 * that are easy to get wrong: the sentinel skips validation, case is checked
 * not folded, lengths count code points.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';
import { createClkEncoder } from '../../src/encode/clk.js';

const file = path.resolve(process.cwd(), '../shared/vectors/clkhash/docs_example_schema.json');
const v = JSON.parse(readFileSync(file, 'utf8'));
const e = createClkEncoder(parseLinkageSchema(v.schema, 'example'), new TextEncoder().encode(v.secret));
const valid: string[] = v.rows[0];
const col = (name: string) => e.featureNames.indexOf(name);

function checkWith(name: string, value: string) {
  const row = [...valid];
  row[col(name)] = value;
  return e.check(row);
}

describe('check() follows clkhash validation', () => {
  it('the reference row is valid', () => {
    expect(e.check(valid)).toBeNull();
  });

  const bad: [string, string, RegExp][] = [
    ['firstName', 'José', /upper case/],
    ['firstName', 'J'.repeat(31), /at most 30 characters/],
    ['emailAddress', 'Jose@example.com', /lower case/],
    ['mobilePhone', '1000000000000000', /at most 999999999999999/],
    ['mobilePhone', '0', /at least 1/],
    ['mobilePhone', '+61 412', /expected an integer/],
    ['gender', 'm', /one of "M", "F", "O"/],
    ['gender', '', /one of/],
    ['DobYyyy', '999', /at least 1000/],
    ['dobMmDd', '105', /at least 4 characters/],
    ['dobMmDd', '01055', /at most 4 characters/],
    ['dob', '1980-02-30', /valid date in format "%Y-%m-%d"/],
    ['dob', '05/01/1980', /format/],
    ['addressKey', '1234A567L012FL1234', /pattern/],
    ['postCode', '999', /at least 1000/],
    ['middleNames', 'na', /upper case/],
  ];
  for (const [name, value, msg] of bad) {
    it(`${name} = ${JSON.stringify(value)} is refused`, () => {
      const p = checkWith(name, value);
      expect(p).not.toBeNull();
      expect(p!.index).toBe(col(name));
      expect(p!.feature).toBe(name);
      expect(p!.message).toMatch(msg);
    });
  }

  const good: [string, string][] = [
    ['middleNames', 'NA'], // the sentinel itself skips validation
    ['postCode', ''], // sentinel ""
    ['firstName', 'ZOË'], // upper case beyond ASCII
    ['firstName', '李'], // no case at all counts as upper (Python str.upper() == s)
    ['dobMmDd', '😀😀😀😀'], // four code points
    ['mobilePhone', ' +61412345678 '], // Python int() strips whitespace and takes a sign
    ['DobYyyy', '1_980'], // and underscores between digits
    ['dob', '1980-1-5'], // strptime accepts single digits
  ];
  for (const [name, value] of good) {
    it(`${name} = ${JSON.stringify(value)} is accepted`, () => {
      expect(checkWith(name, value)).toBeNull();
    });
  }

  it('the first bad feature is the one reported', () => {
    const row = [...valid];
    row[col('gender')] = 'X';
    row[col('firstName')] = 'x';
    expect(e.check(row)?.feature).toBe('firstName');
  });
});

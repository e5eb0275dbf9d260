import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GIVEN_NAME_CLASSES_VERSION, GIVEN_NAME_VARIANTS, givenNameClass, givenNameClasses } from '../../src/normalize/given-names.js';
import { canonicalName } from '../../src/normalize/text.js';

describe('given-name classes (the table of given-name-class-bigrams)', () => {
  it('is pinned: version 1 is this table and no other (a change is a new token kind, every agency must hash with the same table)', () => {
    expect(GIVEN_NAME_CLASSES_VERSION).toBe(1);
    expect(createHash('sha256').update(JSON.stringify(GIVEN_NAME_VARIANTS)).digest('hex')).toBe('cbc5fecdada03d6bd6b4383e3bc2883ce159311501f5337ae646a4fb62168231');
  });

  it('maps a short form to its formal name and leaves formal names, unknown words and ambiguous short forms alone', () => {
    expect(givenNameClass('BOB')).toBe('ROBERT');
    expect(givenNameClass('BOBBY')).toBe('ROBERT');
    expect(givenNameClass('ROBERT')).toBe('ROBERT');
    expect(givenNameClass('LUPE')).toBe('GUADALUPE');
    expect(givenNameClass('STEVEN')).toBe('STEPHEN');
    expect(givenNameClass('KATE')).toBe('KATHERINE');
    // ALEX: Alexander, Alexandra, Alejandro, Alejandra, Alexis; SAM: Samuel, Samantha; PAT: Patrick, Patricia
    for (const w of ['ALEX', 'SAM', 'PAT', 'DANI', 'MADDIE', 'JORDAN', 'XIMENA', '']) expect(givenNameClass(w)).toBe(w);
  });

  it('never chains two formal names: every class is a formal name of the table, which maps to itself', () => {
    const formal = new Set(Object.keys(GIVEN_NAME_VARIANTS).map(canonicalName));
    for (const [short, to] of givenNameClasses()) {
      expect(formal.has(to)).toBe(true);
      expect(formal.has(short)).toBe(false);
      expect(givenNameClass(to)).toBe(to);
    }
    // a short form listed under two formal names is in no class
    const owners = new Map<string, number>();
    for (const forms of Object.values(GIVEN_NAME_VARIANTS)) for (const v of new Set(forms.map(canonicalName))) owners.set(v, (owners.get(v) ?? 0) + 1);
    for (const [v, n] of owners) if (n > 1) expect(givenNameClasses().has(v)).toBe(false);
  });

  it('is idempotent and keys on canonical upper-case words', () => {
    const words = [...givenNameClasses().keys(), ...Object.keys(GIVEN_NAME_VARIANTS)];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...words), fc.stringMatching(/^[A-Z]{0,10}$/)), (w) => {
        expect(givenNameClass(givenNameClass(w))).toBe(givenNameClass(w));
        expect(canonicalName(givenNameClass(w))).toBe(givenNameClass(w));
      }),
      { numRuns: 300 },
    );
  });
});

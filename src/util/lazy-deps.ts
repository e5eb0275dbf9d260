/**
 * Heavy CommonJS dependencies, loaded on first use instead of at start-up.
 *
 * Importing the library loads every module it exports; node-forge (about
 * 0.05–0.1 s) and ajv (about 0.05 s) were a large share of every command's
 * start-up although most runs never use them (a link run validates nothing
 * with ajv and builds no PKCS#8). Types come from `import type`, which costs
 * nothing at run time; the values come from `require` the first time a
 * caller asks.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, Options as AjvOptions } from 'ajv';
import type Forge from 'node-forge';

const require = createRequire(import.meta.url);

let ajvCtor: typeof AjvClass | undefined;
/** A new ajv instance (the module loads on the first call). */
export function newAjv(opts: AjvOptions): AjvClass {
  ajvCtor ??= (require('ajv') as { Ajv: typeof AjvClass }).Ajv;
  return new ajvCtor(opts);
}

let forgeModule: typeof Forge | undefined;
/** node-forge (the module loads on the first call). */
export function nodeForge(): typeof Forge {
  forgeModule ??= require('node-forge') as typeof Forge;
  return forgeModule;
}

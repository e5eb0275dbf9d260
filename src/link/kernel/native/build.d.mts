/** Types of build.mjs (the optional native Dice kernel's build script, run by the install step and by tests). */
export function buildNative(opts?: { force?: boolean }): boolean;
export function compileNative(out: string, opts?: { cc?: string; defines?: string[] }): { ok: boolean; features: string; message: string };

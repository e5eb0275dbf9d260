import type { CommandModule } from 'yargs';
import { encodeCommand } from './encode.js';
import { linkCommand } from './link.js';
import { suppressCommand } from './suppress.js';
import { auditTableCommand } from './audit-table.js';
import { kcheckCommand } from './kcheck.js';
import { keygenCommand } from './keygen.js';
import { secretCommand } from './secret.js';
import { packageCommand } from './package.js';
import { unpackCommand } from './unpack.js';
import { auditCommand } from './audit.js';
import { reportCommand } from './report.js';
import { assessCommand } from './assess.js';
import { keyCommand } from './key.js';
import { registryCommand } from './registry.js';

/** Every p20link command, in the order --help lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  encodeCommand,
  linkCommand,
  registryCommand,
  suppressCommand,
  auditTableCommand,
  kcheckCommand,
  keygenCommand,
  keyCommand,
  secretCommand,
  packageCommand,
  unpackCommand,
  auditCommand,
  reportCommand,
  assessCommand,
];

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isP20Error } from './src/errors.js';
import { kcheckCommand } from './cli/commands/kcheck.js';
let code = 0;
try {
  await yargs(hideBin(process.argv)).scriptName('p20link').strict().exitProcess(false).command(kcheckCommand).fail((m, e) => { if (e) throw e; process.stderr.write('p20link: ' + m + '\n'); code = 2; }).parseAsync();
  code = code || Number(process.exitCode ?? 0);
} catch (e) { if (isP20Error(e)) { process.stderr.write(`p20link: error: ${e.message}\n`); code = e.exitCode; } else { console.error(e); code = 70; } }
process.exit(code);

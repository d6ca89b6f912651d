#!/usr/bin/env node
/**
 * `gantry serve [--role all|api|controller|worker]` (everything in one process, or one role of a
 * fleet), `gantry worker` (a worker process on its own, placing on its own devices, beside a
 * `serve --role all`), `gantry models` (the public model catalogue: search offline, import into a
 * running engine), and `gantry check` / `gantry decide` (model checks and the cost decision of a
 * running engine).
 */
import { modelsCommand } from './cli-models';
import { checkCommand } from './cli-check';
import { decideCommand } from './cli-decide';
import { loadConfig, roleFromArgs } from './config';
import { serve, type Engine } from './server';
import { runWorker } from './worker/main';
import { StorageConfigError } from './storage/types';
import { configureLogger } from './observe/logger';

const USAGE = `usage: gantry <command>

commands:
  serve    start the API, Postgres (embedded unless DATABASE_URL is set) and an in-process worker
           --role api|controller|worker runs one role of a fleet instead (needs DATABASE_URL);
           --role all (the default, or GANTRY_ROLE) is the above
  worker   start a worker only, beside a serve --role all (needs DATABASE_URL; it owns this
           machine's devices and places on them itself)
  models   search the public model catalogue, import a model from it (gantry models --help)
  check    run a model check on a running engine and print its report (gantry check --help)
  decide   compare what the usage cost here, on Replicate and on rented GPUs (gantry decide --help)

configuration is read from the environment; see README.md.`;

async function main(): Promise<void> {
  const command = process.argv[2];
  const clients: Record<string, (args: string[]) => Promise<number>> = { models: modelsCommand, check: checkCommand, decide: decideCommand };
  if (clients[command]) {
    // Exit by running out of work, so piped output is flushed before the process ends.
    process.exitCode = await clients[command](process.argv.slice(3));
    return;
  }
  if (command !== 'serve' && command !== 'worker') {
    console.error(USAGE);
    process.exit(command === '--help' || command === '-h' ? 0 : 2);
  }
  let config;
  try {
    config = loadConfig();
    const role = command === 'serve' ? roleFromArgs(process.argv.slice(3)) : undefined;
    if (role) config.role = role;
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const root = configureLogger({ level: config.log, format: config.logFormat });
  const log = (msg: string) => root.info(msg);
  const engine: Engine = command === 'serve' ? await serve(config, log) : await runWorker(config, log);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      log('forced exit');
      process.exit(1);
    }
    stopping = true;
    // Connections that Postgres closes while it shuts down may report it on the way out.
    process.on('uncaughtException', (err: Error & { code?: string }) => {
      if (err.code !== '57P01' && !/Connection terminated/.test(err.message)) throw err;
    });
    log(`${signal}: shutting down (again to force)`);
    await engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  // A store that cannot be used is a configuration error: say which setting, without a stack.
  if (err instanceof StorageConfigError) {
    console.error(`[gantry] ${err.message}`);
    process.exit(2);
  }
  console.error(`[gantry] fatal: ${(err as Error).stack ?? err}`);
  process.exit(1);
});

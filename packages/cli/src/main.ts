#!/usr/bin/env node
// The kubecfg binary: wires the process's IO and Ctrl-C into runCli, exits with its code.
import { processIo } from './cli-io';
import { runCli } from './run-cli';

const abort = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // The first Ctrl-C ends a watch or a followed log cleanly; the second one exits at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  abort.abort();
});

runCli(process.argv.slice(2), processIo(abort.signal)).then(
  (code) => {
    process.exitCode = interrupted && code === 0 ? 0 : code;
  },
  (e) => {
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);

// The `coxswain up` process's own JSON log: a file in the data dir's logs/, and stdout too with -v.
import pino from 'pino';
import type { Logger } from '@coxswain/process';

export function createUpLogger(file: string, verbose: boolean): Logger {
  // Synchronous writes: the lines before a process.exit() are in the file.
  const streams: pino.StreamEntry[] = [{ stream: pino.destination({ dest: file, append: true, sync: true }) }];
  if (verbose) streams.push({ stream: pino.destination({ dest: 1, sync: true }) });
  return pino(
    { level: process.env.COXSWAIN_LOG_LEVEL || 'info', base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.multistream(streams),
  ).child({ component: 'up' });
}

// A logger that keeps its records, so a test can wait for a component to report a decision (e.g. a
// candidate deciding to wait for its predecessor) instead of sleeping and hoping it has made it.
import pino from 'pino';
import type { Logger } from '@coxswain/process';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function recordingLogger(level: pino.Level = 'debug'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = pino({ level }, { write: (line: string) => void records.push(JSON.parse(line)) });
  return { logger, records };
}

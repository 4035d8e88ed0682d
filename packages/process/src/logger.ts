// Structured logs: one JSON line per event (pino), tagged with the component that wrote it.
import pino from 'pino';

export type Logger = pino.Logger;

const root = pino({
  level: process.env.COXSWAIN_LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info'),
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

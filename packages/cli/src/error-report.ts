// How a failure is told to the user: one line on stderr and the exit code.
import { CliError } from './cli-error';
import { ServerError, UnreachableError } from './cluster-client';

export function reportError(e: unknown): { message: string; exitCode: number } {
  if (e instanceof ServerError) return { message: `Error from server (${e.reason}): ${e.message}`, exitCode: 1 };
  if (e instanceof UnreachableError) return { message: e.message, exitCode: 1 };
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  const message = e instanceof Error ? e.message : String(e);
  return { message: message.startsWith('error:') ? message : `error: ${message}`, exitCode: 1 };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ServerError && e.code === 404;
}

export function isConflict(e: unknown): boolean {
  return e instanceof ServerError && e.code === 409 && e.reason !== 'AlreadyExists';
}

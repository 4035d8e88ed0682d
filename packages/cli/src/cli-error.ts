// An error the CLI reports as one line on stderr with a non-zero exit, without a stack trace.
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** A manifest that cannot be read or parsed: names the file and, where known, the line. */
export class ManifestError extends CliError {
  constructor(readonly source: string, readonly line: number | undefined, detail: string) {
    super(`error: ${source}${line !== undefined ? `:${line}` : ''}: ${detail}`);
    this.name = 'ManifestError';
  }
}

/** Where a CLI command writes, so tests can run commands in-process and read what they print. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** Exit codes (design §7): 0 ok, 1 denied or failed, 2 bad input. */
export const EXIT_OK = 0;
export const EXIT_DENIED = 1;
export const EXIT_BAD_INPUT = 2;

/** A command's failure on bad input: one line for the operator, exit 2. */
export class UsageError extends Error {}

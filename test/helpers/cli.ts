import { runCli } from "../../src/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `hostguard ARGS` in-process and capture what it prints. */
export async function cli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    out: (t) => (stdout += t.endsWith("\n") ? t : `${t}\n`),
    err: (t) => (stderr += t.endsWith("\n") ? t : `${t}\n`),
  });
  return { code, stdout, stderr };
}

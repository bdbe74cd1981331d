/**
 * A TCP proxy in front of a Redis of the test's own, so one gateway instance's connection can be
 * cut off, held or muted while other instances keep talking to Redis directly.
 */
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";

/** A TCP proxy to a Redis on loopback, for one instance's link. */
export interface RedisProxy {
  url: string;
  /** Drops every connection and refuses new ones (this instance is cut off), or lets them in again. */
  cut(on: boolean): void;
  /** Keeps what the instance sends (Redis does not see it) until `hold(false)`, which delivers it. */
  hold(on: boolean): void;
  /** Drops what Redis answers (Redis still runs what it is sent). */
  mute(on: boolean): void;
  /** Drops the connections (they may connect again). */
  drop(): void;
  close(): void;
}

export async function redisProxy(target: string): Promise<RedisProxy> {
  const port = Number(new URL(target).port);
  let cut = false;
  let holding = false;
  let muted = false;
  const pairs = new Set<{ client: Socket; server: Socket; held: Buffer[] }>();
  const server: Server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = netConnect({ host: "127.0.0.1", port });
    const pair = { client, server: upstream, held: [] as Buffer[] };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (d: Buffer) => (holding ? pair.held.push(d) : upstream.write(d)));
    upstream.on("data", (d: Buffer) => {
      if (!muted) client.write(d);
    });
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", () => {});
    upstream.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
  const drop = () => {
    for (const p of [...pairs]) {
      p.client.destroy();
      p.server.destroy();
    }
  };
  const p: RedisProxy = {
    url,
    cut(on) {
      cut = on;
      if (on) drop();
    },
    hold(on) {
      holding = on;
      if (!on) for (const pair of pairs) for (const d of pair.held.splice(0)) pair.server.write(d);
    },
    mute(on) {
      muted = on;
    },
    drop,
    close() {
      drop();
      server.close();
    },
  };
  return p;
}

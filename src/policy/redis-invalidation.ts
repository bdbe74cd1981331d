/**
 * The invalidation bus across instances: every event is delivered on this instance at once (as
 * the local bus does) and published on a Redis channel, and events other instances publish
 * there are delivered here. So a key revoked or edited through one gateway is refused or
 * reloaded by every other within the time Redis takes to pass a message (milliseconds).
 *
 * What Redis cannot deliver is made up for, never lost silently: while an instance's
 * subscription is down or silent (Redis restarted, a network break, a stuck proxy: the subscriber
 * is pinged every 3 s), it drops its cached keys, users, budgets and prices every second, and
 * once more when the subscription is back; an instance that could not publish a change
 * publishes "everything changed" as soon as it can again. Each is logged.
 */
import { randomUUID } from "node:crypto";
import type * as IORedis from "ioredis";
import type { Redis } from "ioredis";
import { lazyPackage } from "../core/lazy.js";
import { LocalInvalidationBus, type InvalidationBus, type InvalidationEvent, type InvalidationHandler } from "./invalidation.js";

/** ioredis, loaded when a gateway with `REDIS_URL` connects (not by every gateway). */
const ioredis = lazyPackage<typeof IORedis>("ioredis");

export const INVALIDATION_CHANNEL = "switchboard:invalidate";

/** Longest a start waits for the subscription; past it the gateway starts and catches up later. */
const SUBSCRIBE_WAIT_MS = 2000;

/** How often the subscriber is pinged, and how long it has to answer. */
const LIVENESS_EVERY_MS = 3000;
const LIVENESS_TIMEOUT_MS = 2000;
/** While the channel is down, caches are dropped this often. */
const BLIND_REFRESH_MS = 1000;

const KINDS = new Set(["key", "user", "team", "budget", "assignment", "prices", "all"]);

export class RedisInvalidationBus implements InvalidationBus {
  private readonly local = new LocalInvalidationBus();
  /** This instance's id on the channel: its own messages are not delivered twice. */
  private readonly origin = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** The subscription was down: changes may have been missed. */
  private missed = false;
  /** A publish failed: the others may have missed a change. */
  private unsent = false;
  private closed = false;
  private liveness: NodeJS.Timeout | undefined;
  /** While the channel is down: drops the caches every second. */
  private blind: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly log: (line: string) => void,
  ) {
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(100 * n, 1000) };
    this.pub = new (ioredis().Redis)(url, { ...common, enableOfflineQueue: false });
    this.sub = new (ioredis().Redis)(url, common);
    // ioredis logs unhandled connection errors itself; these say what the gateway does about them.
    this.pub.on("error", () => {});
    this.sub.on("error", () => {});
    this.sub.on("message", (_channel: string, message: string) => this.deliver(message));
    this.sub.on("close", () => this.lost("down"));
    // On every (re)connection: subscribe, and only once Redis has confirmed it, catch up.
    this.sub.on("ready", () => void this.resubscribe());
    this.pub.on("ready", () => {
      if (!this.unsent) return;
      this.unsent = false;
      this.send({ kind: "all" });
      this.send({ kind: "prices" });
    });
  }

  /**
   * Connects and subscribes, waiting at most 2 s; a Redis that refuses or does not answer is
   * connected to in the background, and the caches are dropped once the subscription is in place.
   */
  async start(): Promise<void> {
    const subscribed = Promise.all([this.sub.connect(), this.pub.connect()]).then(() => this.resubscribe());
    const ok = await Promise.race([
      subscribed.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), SUBSCRIBE_WAIT_MS).unref()),
    ]);
    if (ok) {
      this.startLiveness();
      return;
    }
    subscribed.catch(() => {});
    this.lost("not reachable at start");
    this.retryInBackground();
    this.startLiveness();
  }

  publish(event: InvalidationEvent): void {
    this.local.publish(event);
    this.send(event);
  }

  subscribe(handler: InvalidationHandler): () => void {
    return this.local.subscribe(handler);
  }

  close(): void {
    this.closed = true;
    if (this.liveness) clearInterval(this.liveness);
    if (this.blind) clearInterval(this.blind);
    this.sub.disconnect();
    this.pub.disconnect();
  }

  private send(event: InvalidationEvent): void {
    this.pub.publish(INVALIDATION_CHANNEL, JSON.stringify({ origin: this.origin, event })).catch((e: Error) => {
      if (this.closed) return;
      if (!this.unsent) this.log(`redis: could not publish an invalidation (${e.message}); every instance is told to drop its caches once Redis answers`);
      this.unsent = true;
    });
  }

  private deliver(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed !== "object" || parsed === null) return;
    const { origin, event } = parsed as { origin?: unknown; event?: { kind?: unknown } };
    if (origin === this.origin || typeof event !== "object" || event === null || !KINDS.has(event.kind as string)) return;
    this.local.publish(event as InvalidationEvent);
  }

  /** Subscribes (again); once Redis confirms it, drops the caches if changes may have been missed meanwhile. */
  private async resubscribe(): Promise<void> {
    try {
      await this.sub.subscribe(INVALIDATION_CHANNEL);
    } catch {
      return; // the connection went again; its next "ready" tries again
    }
    if (!this.missed) return;
    this.missed = false;
    if (this.blind) clearInterval(this.blind);
    this.blind = undefined;
    this.log("redis: invalidation channel back; dropped cached keys, users, budgets and prices");
    this.catchUp();
  }

  /**
   * The channel is down or silent: changes made through other instances may not arrive. Until it
   * is back, this instance drops its caches now and then every second, so what it serves is read
   * from the database at most a second ago (a revoked key is refused within about a second).
   */
  private lost(how: string): void {
    if (this.closed || this.missed) return;
    this.missed = true;
    this.log(`redis: invalidation channel ${how}; reading keys, users, budgets and prices from the database at most a second old until it is back`);
    this.catchUp();
    this.blind = setInterval(() => this.catchUp(), BLIND_REFRESH_MS);
    this.blind.unref();
  }

  /**
   * A connection can stay open while nothing passes on it (a stuck proxy, a partition TCP has not
   * noticed yet). The subscriber is pinged every few seconds; one that does not answer in time is
   * dropped, so the reconnection (and the catch-up after it) starts at once.
   */
  private startLiveness(): void {
    this.liveness = setInterval(() => {
      if (this.closed || this.sub.status !== "ready") return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer")), LIVENESS_TIMEOUT_MS);
      });
      Promise.race([this.sub.ping(), timeout]).then(
        () => clearTimeout(timer),
        () => {
          clearTimeout(timer);
          if (this.closed) return;
          this.lost(`silent (no answer to a ping in ${LIVENESS_TIMEOUT_MS} ms)`);
          this.sub.disconnect(true);
        },
      );
    }, LIVENESS_EVERY_MS);
    this.liveness.unref();
  }

  private catchUp(): void {
    this.local.publish({ kind: "all" });
    this.local.publish({ kind: "prices" });
  }

  private retryInBackground(): void {
    const again = () => {
      if (this.closed) return;
      // ioredis reconnects by itself once a connection has been made; before that, it is asked again.
      const connect = (r: Redis) => (r.status === "wait" || r.status === "end" ? r.connect() : Promise.resolve());
      Promise.all([connect(this.sub), connect(this.pub)]).catch(() => setTimeout(again, 1000).unref());
    };
    setTimeout(again, 1000).unref();
  }
}

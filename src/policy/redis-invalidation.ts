/**
 * The invalidation bus across instances: every event is delivered on this instance at once (as
 * the local bus does) and published on a Redis channel, and events other instances publish
 * there are delivered here. So a key revoked or edited through one gateway is refused or
 * reloaded by every other within the time Redis takes to pass a message (milliseconds).
 *
 * What Redis cannot deliver is made up for, never lost silently: an instance whose subscription
 * was down (Redis restarted, a network break) drops every cached key, user and price when it is
 * back, since it may have missed changes; an instance that could not publish a change publishes
 * "everything changed" as soon as it can again. Both are logged.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { LocalInvalidationBus, type InvalidationBus, type InvalidationEvent, type InvalidationHandler } from "./invalidation.js";

export const INVALIDATION_CHANNEL = "switchboard:invalidate";

/** Longest a start waits for the subscription; past it the gateway starts and catches up later. */
const SUBSCRIBE_WAIT_MS = 2000;

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

  constructor(url: string, private readonly log: (line: string) => void) {
    const common = { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(100 * n, 1000) };
    this.pub = new Redis(url, { ...common, enableOfflineQueue: false });
    this.sub = new Redis(url, common);
    // ioredis logs unhandled connection errors itself; these say what the gateway does about them.
    this.pub.on("error", () => {});
    this.sub.on("error", () => {});
    this.sub.on("message", (_channel: string, message: string) => this.deliver(message));
    this.sub.on("close", () => {
      if (!this.closed && !this.missed) log("redis: invalidation channel down; cached keys are dropped when it is back");
      this.missed = true;
    });
    this.sub.on("ready", () => {
      if (!this.missed) return;
      this.missed = false;
      log("redis: invalidation channel back; dropped cached keys, users and prices");
      this.catchUp();
    });
    this.pub.on("ready", () => {
      if (!this.unsent) return;
      this.unsent = false;
      this.send({ kind: "all" });
      this.send({ kind: "prices" });
    });
  }

  /** Connects and subscribes, waiting at most 2 s; a Redis that does not answer is caught up with later. */
  async start(): Promise<void> {
    const subscribed = (async () => {
      await Promise.all([this.sub.connect(), this.pub.connect()]);
      await this.sub.subscribe(INVALIDATION_CHANNEL);
    })();
    const ok = await Promise.race([subscribed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), SUBSCRIBE_WAIT_MS).unref())]);
    subscribed.catch(() => {}); // a later failure is the reconnect loop's business
    if (!ok) {
      this.missed = true;
      this.log("redis: not reachable at start; the invalidation channel connects in the background, and caches are dropped once it does");
      // ioredis keeps retrying a failed first connect only when asked again.
      subscribed.catch(() => this.retryInBackground());
    }
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

  private catchUp(): void {
    this.local.publish({ kind: "all" });
    this.local.publish({ kind: "prices" });
  }

  private retryInBackground(): void {
    if (this.closed) return;
    const again = () => {
      if (this.closed) return;
      Promise.all([this.sub.status === "ready" ? null : this.sub.connect(), this.pub.status === "ready" ? null : this.pub.connect()])
        .then(() => this.sub.subscribe(INVALIDATION_CHANNEL))
        .catch(() => setTimeout(again, 1000).unref());
    };
    setTimeout(again, 1000).unref();
  }
}

/**
 * One invalidation mechanism for everything cached from the store. Changes publish an event;
 * every cache on this instance hears it at once. A later transport (Redis pub/sub) carries the
 * same events to other instances.
 */
import type { SubjectType } from "../store/scopes.js";
export type InvalidationEvent =
  | { kind: "key"; keyHash: string }
  | { kind: "user"; userId: string }
  | { kind: "team"; teamId: string }
  | { kind: "budget"; budgetId: string }
  | { kind: "assignment"; subjectType: SubjectType; subjectId: string }
  | { kind: "prices" }
  | { kind: "all" };

export type InvalidationHandler = (event: InvalidationEvent) => void;

export interface InvalidationBus {
  publish(event: InvalidationEvent): void;
  subscribe(handler: InvalidationHandler): () => void;
}

/** In-process bus: handlers run synchronously inside `publish`, so the change is visible at once. */
export class LocalInvalidationBus implements InvalidationBus {
  private readonly handlers = new Set<InvalidationHandler>();
  publish(event: InvalidationEvent): void {
    for (const h of this.handlers) h(event);
  }
  subscribe(handler: InvalidationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

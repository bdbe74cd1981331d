/** Wraps a provider fake as the suite's `FakeProvider`: the fake's calls and lifecycle, plus its config entry. */
import type { FakeProvider, RecordedUpstreamCall, Scenario } from "./types.js";

interface Fake<S> {
  calls: RecordedUpstreamCall[];
  enqueue(s: S): void;
  reset(): void;
  close(): Promise<void>;
}

/** `toUpstream` turns a Scenario into what the fake's `enqueue` takes, when that is not a Scenario. */
export function fakeProvider(fake: Fake<Scenario>, providerConfig: Record<string, unknown>): FakeProvider;
export function fakeProvider<S>(fake: Fake<S>, providerConfig: Record<string, unknown>, toUpstream: (s: Scenario) => S): FakeProvider;
export function fakeProvider(fake: Fake<unknown>, providerConfig: Record<string, unknown>, toUpstream = (s: Scenario): unknown => s): FakeProvider {
  return {
    providerConfig,
    get calls() {
      return fake.calls;
    },
    enqueue: (s) => fake.enqueue(toUpstream(s)),
    reset: () => fake.reset(),
    close: () => fake.close(),
  };
}

/**
 * The upstream's own JSON text of a stream chunk or a completion parsed from it and not changed
 * since: the SSE writer and `sendJson` send this text instead of serialising the object again
 * (the generic JSON.stringify of the chunks was the largest single cost of relaying a stream).
 * Whoever changes such an object after parsing must delete its entry.
 */
export const RAW_JSON = new WeakMap<object, string>();

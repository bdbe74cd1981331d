/**
 * The upstream's own JSON text of a stream chunk parsed from it and not changed since: the SSE
 * writer sends this text instead of serialising the chunk again (the generic JSON.stringify of
 * the chunks was the largest single cost of relaying a stream). Whoever changes such a chunk
 * after parsing must delete its entry.
 */
export const RAW_JSON = new WeakMap<object, string>();

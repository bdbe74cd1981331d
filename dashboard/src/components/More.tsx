import type { Paged } from "../paged";

export function More<T>({ list }: { list: Paged<T> }) {
  return list.hasMore ? (
    <button type="button" className="more" onClick={list.more}>
      Load more
    </button>
  ) : null;
}

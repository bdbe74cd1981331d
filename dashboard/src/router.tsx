/** A small router over the History API: pages live at /ui/<page>[/<id>]. */
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

const BASE = "/ui";

function current(): string {
  const p = window.location.pathname;
  return p.startsWith(BASE) ? p.slice(BASE.length) || "/" : "/";
}

export function navigate(to: string): void {
  window.history.pushState(null, "", BASE + to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The path under /ui (e.g. "/logs/req_1") and the query string, updated on navigation. */
export function useLocation(): { path: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ path: current(), search: new URLSearchParams(window.location.search) }));
  useEffect(() => {
    const on = () => setLoc({ path: current(), search: new URLSearchParams(window.location.search) });
    window.addEventListener("popstate", on);
    return () => window.removeEventListener("popstate", on);
  }, []);
  return loc;
}

export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={onClick} {...rest} />;
}

/** The shell: sign-in when signed out, else the navigation and the current page. */
import { useEffect, useRef } from "react";
import { useLocation } from "./router";
import { useSession } from "./session";
import { Nav, PAGES } from "./components/Nav";
import { SignIn } from "./pages/SignIn";

export function App() {
  const session = useSession();
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const [, section, id] = path.split("/");
  const page = PAGES.find((p) => p.path === `/${section ?? ""}`) ?? PAGES[0];

  // After a navigation (not on first load), focus moves to the new page's content.
  const navigated = useRef(false);
  useEffect(() => {
    document.title = `${page.title} · Switchboard`;
    if (navigated.current) main.current?.focus();
    navigated.current = true;
  }, [page]);

  if (session.status === "loading") return <p className="loading">Loading…</p>;
  if (session.status === "signed-out") return <SignIn />;
  const Page = page.component;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <Nav current={page.path} />
      <main id="main" ref={main} tabIndex={-1}>
        <Page id={id ? decodeURIComponent(id) : undefined} />
      </main>
    </div>
  );
}

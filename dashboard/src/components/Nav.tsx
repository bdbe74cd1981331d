/** The page list and the side navigation. */
import type { ComponentType } from "react";
import { Link } from "../router";
import { useSession } from "../session";
import { Overview } from "../pages/Overview";
import { Keys } from "../pages/Keys";
import { Users } from "../pages/Users";
import { Teams } from "../pages/Teams";
import { Budgets } from "../pages/Budgets";
import { Pricing } from "../pages/Pricing";
import { Providers } from "../pages/Providers";
import { Logs } from "../pages/Logs";
import { Audit } from "../pages/Audit";
import { Playground } from "../pages/Playground";

export interface PageDef {
  path: string;
  title: string;
  component: ComponentType<{ id?: string }>;
}

export const PAGES: PageDef[] = [
  { path: "/", title: "Overview", component: Overview },
  { path: "/keys", title: "Keys", component: Keys },
  { path: "/users", title: "Users", component: Users },
  { path: "/teams", title: "Teams", component: Teams },
  { path: "/budgets", title: "Budgets", component: Budgets },
  { path: "/pricing", title: "Models & pricing", component: Pricing },
  { path: "/providers", title: "Providers", component: Providers },
  { path: "/logs", title: "Request logs", component: Logs },
  { path: "/audit", title: "Audit log", component: Audit },
  { path: "/playground", title: "Playground", component: Playground },
];

export function Nav({ current }: { current: string }) {
  const session = useSession();
  return (
    <nav className="nav" aria-label="Dashboard">
      <div className="brand">Switchboard</div>
      <ul>
        {PAGES.map((p) => (
          <li key={p.path}>
            <Link to={p.path} aria-current={p.path === current ? "page" : undefined}>
              {p.title}
            </Link>
          </li>
        ))}
      </ul>
      <button type="button" className="signout" onClick={() => void session.signOut()}>
        Sign out
      </button>
    </nav>
  );
}

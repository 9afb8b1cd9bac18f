import { Outlet, useMatch } from "react-router";
import { cn } from "../lib/cn";
import { useMe } from "../features/auth/queries";
import { Sidebar } from "../features/conversations/Sidebar";
import { useRealtime } from "../features/chat/useRealtime";
import type { Me } from "../lib/types";
import { ConnectionBanner } from "./ConnectionBanner";
import { LiveAnnouncer } from "./LiveAnnouncer";

/**
 * The signed-in app: the conversation list and the main pane side by side on
 * a desktop; on a phone, the list at `/` and any other page on its own.
 */
export function AppShell() {
  const { data: me } = useMe();
  if (!me) return null; // RequireAuth renders us once `me` is loaded.
  return <SignedInShell me={me} />;
}

function SignedInShell({ me }: { me: Me }) {
  useRealtime(me);
  const atList = useMatch("/") !== null;

  return (
    <div className="flex h-dvh flex-col overflow-hidden">
      <ConnectionBanner />
      <div className="flex min-h-0 flex-1">
        <div
          className={cn(
            "min-h-0 w-full flex-col border-slate-200 md:flex md:w-80 md:shrink-0 md:border-r lg:w-96 dark:border-slate-800",
            atList ? "flex" : "hidden",
          )}
        >
          <Sidebar me={me} />
        </div>
        <main className={cn("min-h-0 min-w-0 flex-1 flex-col md:flex", atList ? "hidden" : "flex")}>
          <Outlet />
        </main>
      </div>
      <LiveAnnouncer />
    </div>
  );
}

import { useTranslation } from "react-i18next";
import { Link, NavLink } from "react-router";
import { Button } from "../../components/ui/Button";
import { Logo } from "../../components/ui/Logo";
import { ChatIcon, PeopleIcon, PlusGroupIcon, UserIcon } from "../../components/ui/icons";
import { cn } from "../../lib/cn";
import { useNow } from "../../lib/hooks";
import type { Me } from "../../lib/types";
import { displayName } from "./conversationList";
import { ConversationItem } from "./ConversationItem";
import { useConversations } from "./queries";

const toolClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    "inline-flex size-9 items-center justify-center rounded-lg text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white",
    isActive && "bg-brand-50 text-brand-700 dark:bg-brand-500/15 dark:text-brand-300",
  );

export function Sidebar({ me }: { me: Me }) {
  const { t } = useTranslation();
  const conversations = useConversations();
  const now = useNow();

  return (
    <div className="flex min-h-0 flex-1 flex-col bg-white dark:bg-slate-900">
      <header className="flex h-14 shrink-0 items-center justify-between gap-2 border-b border-slate-200 px-3 dark:border-slate-800">
        <Link to="/" className="rounded-md">
          <Logo />
        </Link>
        <div className="flex items-center gap-1">
          <NavLink to="/people" aria-label={t("shell.people")} title={t("shell.people")} className={toolClass}>
            <PeopleIcon className="size-5" />
          </NavLink>
          <NavLink to="/new-group" aria-label={t("shell.newGroup")} title={t("shell.newGroup")} className={toolClass}>
            <PlusGroupIcon className="size-5" />
          </NavLink>
          <NavLink to="/account" aria-label={t("shell.account")} title={t("shell.account")} className={toolClass}>
            <UserIcon className="size-5" />
          </NavLink>
        </div>
      </header>

      <nav aria-label={t("shell.conversations")} className="min-h-0 flex-1 overflow-y-auto">
        {conversations.isPending ? (
          <SidebarSkeleton label={t("sidebar.loading")} />
        ) : conversations.isError && !conversations.data ? (
          <div className="flex flex-col items-center gap-3 px-4 py-10 text-center">
            <p className="text-sm text-slate-600 dark:text-slate-400">{t("sidebar.loadError")}</p>
            <Button variant="secondary" size="sm" onClick={() => void conversations.refetch()} loading={conversations.isFetching}>
              {t("common.tryAgain")}
            </Button>
          </div>
        ) : conversations.data.length === 0 ? (
          <div className="flex flex-col items-center gap-2 px-6 py-12 text-center">
            <ChatIcon className="size-8 text-slate-400" />
            <p className="font-medium text-slate-900 dark:text-white">{t("sidebar.emptyTitle")}</p>
            <p className="text-sm text-slate-600 dark:text-slate-400">{t("sidebar.emptyBody")}</p>
            <div className="mt-2 flex gap-2">
              <Link to="/people" className="text-sm font-medium text-brand-600 hover:underline dark:text-brand-400">
                {t("sidebar.findSomeone")}
              </Link>
              <span aria-hidden="true" className="text-slate-400">·</span>
              <Link to="/new-group" className="text-sm font-medium text-brand-600 hover:underline dark:text-brand-400">
                {t("sidebar.createGroup")}
              </Link>
            </div>
          </div>
        ) : (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800/70">
            {conversations.data.map((conversation) => (
              <li key={conversation.id}>
                <ConversationItem conversation={conversation} meId={me.id} now={now} />
              </li>
            ))}
          </ul>
        )}
      </nav>

      <footer className="shrink-0 border-t border-slate-200 px-4 py-2 dark:border-slate-800">
        <p className="truncate text-xs text-slate-500 dark:text-slate-400" title={`@${me.username}`}>
          {t("common.signedInAs", { name: displayName(me) })}
        </p>
      </footer>
    </div>
  );
}

function SidebarSkeleton({ label }: { label: string }) {
  return (
    <div>
      <ul aria-hidden="true">
        {[0, 1, 2, 3].map((row) => (
          <li key={row} className="flex animate-pulse items-center gap-3 px-4 py-3">
            <span className="size-10 rounded-full bg-slate-200 dark:bg-slate-800" />
            <span className="flex-1 space-y-2">
              <span className="block h-3.5 w-32 rounded bg-slate-200 dark:bg-slate-800" />
              <span className="block h-3 w-48 rounded bg-slate-100 dark:bg-slate-800/70" />
            </span>
          </li>
        ))}
      </ul>
      <span role="status" className="sr-only">
        {label}
      </span>
    </div>
  );
}

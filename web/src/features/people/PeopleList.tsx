import { useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { toast } from "sonner";
import { Avatar } from "../../components/ui/Avatar";
import { Button } from "../../components/ui/Button";
import { Spinner } from "../../components/ui/Spinner";
import { useLanguage } from "../../i18n";
import { api, errorMessage } from "../../lib/api";
import { cn } from "../../lib/cn";
import { useDebouncedValue, useNow } from "../../lib/hooks";
import { formatDateTime, formatRelativeTime } from "../../lib/time";
import type { User } from "../../lib/types";
import { useMe } from "../auth/queries";
import { storeConversation } from "../conversations/queries";
import { usePeople } from "./queries";

export const SEARCH_DEBOUNCE_MS = 250;

export function PeopleList() {
  const { t } = useTranslation();
  const searchId = useId();
  const [search, setSearch] = useState("");
  const q = useDebouncedValue(search.trim().toLowerCase(), SEARCH_DEBOUNCE_MS);
  const people = usePeople(q);
  const now = useNow();

  const users = people.data?.pages.flatMap((page) => page.users) ?? [];
  const searching = people.isFetching && !people.isFetchingNextPage && !people.isPending;

  return (
    <div className="flex flex-col">
      <div className="border-b border-slate-200 p-4 dark:border-slate-800">
        <label htmlFor={searchId} className="sr-only">
          {t("people.search")}
        </label>
        <div className="relative">
          <svg
            viewBox="0 0 20 20"
            fill="currentColor"
            aria-hidden="true"
            className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400"
          >
            <path
              fillRule="evenodd"
              d="M9 3.5a5.5 5.5 0 1 0 0 11 5.5 5.5 0 0 0 0-11ZM2 9a7 7 0 1 1 12.452 4.391l3.328 3.329a.75.75 0 1 1-1.06 1.06l-3.329-3.328A7 7 0 0 1 2 9Z"
              clipRule="evenodd"
            />
          </svg>
          <input
            id={searchId}
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder={t("people.searchPlaceholder")}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            className="block h-10 w-full rounded-lg border border-slate-300 bg-white pr-10 pl-9 text-sm text-slate-900 shadow-xs placeholder:text-slate-400 focus:outline-none focus-visible:border-brand-500 focus-visible:ring-2 focus-visible:ring-brand-500/30 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-500 dark:focus-visible:border-brand-400"
          />
          {searching && (
            <span className="absolute top-1/2 right-3 -translate-y-1/2 text-slate-400">
              <Spinner label={t("people.searching")} />
            </span>
          )}
        </div>
      </div>

      {people.isPending ? (
        <PeopleSkeleton label={t("people.loading")} />
      ) : people.isError && users.length === 0 ? (
        <div className="flex flex-col items-center gap-3 px-4 py-10 text-center">
          <p className="text-sm text-slate-600 dark:text-slate-400">{t("people.loadError")}</p>
          <Button variant="secondary" size="sm" onClick={() => void people.refetch()} loading={people.isFetching}>
            {t("common.tryAgain")}
          </Button>
        </div>
      ) : users.length === 0 ? (
        <p className="px-4 py-10 text-center text-sm text-slate-600 dark:text-slate-400">
          {q ? t("people.noMatch", { q }) : t("people.nobody")}
        </p>
      ) : (
        <>
          <ul
            aria-label={t("people.title")}
            aria-busy={people.isFetching || undefined}
            className={cn(
              "divide-y divide-slate-100 transition-opacity dark:divide-slate-800",
              people.isPlaceholderData && "opacity-60",
            )}
          >
            {users.map((user) => (
              <PersonRow key={user.id} user={user} now={now} />
            ))}
          </ul>
          {people.hasNextPage && (
            <div className="border-t border-slate-100 p-3 dark:border-slate-800">
              <Button
                variant="ghost"
                className="w-full"
                onClick={() => void people.fetchNextPage()}
                loading={people.isFetchingNextPage}
              >
                {t("common.loadMore")}
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function PersonRow({ user, now }: { user: User; now: number }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const name = user.display_name?.trim() || user.username;
  const lastSeen = formatRelativeTime(user.last_seen_at, now, language);
  const badge = user.role === "admin" ? t("common.admin") : user.role === "moderator" ? t("common.moderator") : null;

  return (
    <li data-testid="person-item" data-username={user.username} className="flex items-center gap-3 px-4 py-3">
      <span className="relative">
        <Avatar name={name} seed={user.id} />
        <span
          aria-hidden="true"
          data-testid="presence-dot"
          data-online={user.online}
          className={cn(
            "absolute -right-0.5 -bottom-0.5 size-3.5 rounded-full border-2 border-white dark:border-slate-900",
            user.online ? "bg-emerald-500" : "bg-slate-300 dark:bg-slate-600",
          )}
        />
      </span>
      <div className="min-w-0 flex-1">
        <p className="flex min-w-0 items-center gap-2">
          <span className="truncate font-medium text-slate-900 dark:text-white">{name}</span>
          {badge && (
            <span className="shrink-0 rounded-full bg-brand-50 px-2 py-0.5 text-[11px] font-medium text-brand-700 ring-1 ring-brand-600/15 ring-inset dark:bg-brand-500/15 dark:text-brand-300 dark:ring-brand-400/25">
              {badge}
            </span>
          )}
        </p>
        <p className="flex min-w-0 items-center gap-1.5 text-sm text-slate-500 dark:text-slate-400">
          <span className="truncate">@{user.username}</span>
          <span aria-hidden="true">·</span>
          {user.online ? (
            <span className="shrink-0 font-medium text-emerald-600 dark:text-emerald-400">{t("common.online")}</span>
          ) : lastSeen && user.last_seen_at ? (
            <span className="shrink-0" title={formatDateTime(user.last_seen_at, language)}>
              {t("common.lastSeen", { time: lastSeen })}
            </span>
          ) : (
            <span className="shrink-0">{t("common.offline")}</span>
          )}
        </p>
      </div>
      <MessageButton user={user} />
    </li>
  );
}

function MessageButton({ user }: { user: User }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { data: me } = useMe();
  const [opening, setOpening] = useState(false);
  const open = async () => {
    if (!me) return;
    setOpening(true);
    try {
      const conversation = await api.openDirect(user.id);
      storeConversation(queryClient, conversation, me.id);
      void navigate(`/c/${conversation.id}`);
    } catch (error) {
      toast.error(`${t("people.openFailed")} ${errorMessage(error)}`);
      setOpening(false);
    }
  };
  return (
    <Button
      variant="secondary"
      size="sm"
      loading={opening}
      onClick={() => void open()}
      aria-label={t("people.messageUser", { username: user.username })}
    >
      {t("people.message")}
    </Button>
  );
}

function PeopleSkeleton({ label }: { label: string }) {
  return (
    <ul aria-hidden="true" className="divide-y divide-slate-100 dark:divide-slate-800">
      {[0, 1, 2, 3, 4].map((row) => (
        <li key={row} className="flex animate-pulse items-center gap-3 px-4 py-3">
          <span className="size-10 rounded-full bg-slate-200 dark:bg-slate-800" />
          <span className="flex-1 space-y-2">
            <span className="block h-3.5 w-32 rounded bg-slate-200 dark:bg-slate-800" />
            <span className="block h-3 w-20 rounded bg-slate-100 dark:bg-slate-800/70" />
          </span>
        </li>
      ))}
      <li className="sr-only">
        <span role="status">{label}</span>
      </li>
    </ul>
  );
}

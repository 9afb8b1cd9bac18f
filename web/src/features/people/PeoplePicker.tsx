import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { Avatar } from "../../components/ui/Avatar";
import { Spinner } from "../../components/ui/Spinner";
import { cn } from "../../lib/cn";
import { useDebouncedValue } from "../../lib/hooks";
import type { User } from "../../lib/types";
import { displayName } from "../conversations/conversationList";
import { usePeople } from "./queries";

interface PeoplePickerProps {
  label: string;
  /** Checkboxes for these ids (multi-select); omit for one-click buttons. */
  selected?: ReadonlySet<number>;
  onToggle: (user: User) => void;
  /** People not to offer (already members). */
  exclude?: ReadonlySet<number>;
  disabled?: boolean;
}

/** A username search whose results are checkboxes or buttons named by username. */
export function PeoplePicker({ label, selected, onToggle, exclude, disabled }: PeoplePickerProps) {
  const { t } = useTranslation();
  const id = useId();
  const [search, setSearch] = useState("");
  const q = useDebouncedValue(search.trim().toLowerCase(), 200);
  const people = usePeople(q);
  const users = (people.data?.pages.flatMap((p) => p.users) ?? []).filter((u) => !exclude?.has(u.id));

  return (
    <div className="space-y-2">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700 dark:text-slate-200">
        {label}
      </label>
      <input
        id={id}
        type="search"
        value={search}
        onChange={(event) => setSearch(event.target.value)}
        placeholder={t("group.addMembersPlaceholder")}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        className="block h-10 w-full rounded-lg border border-slate-300 bg-white px-3 text-sm text-slate-900 placeholder:text-slate-400 focus-visible:border-brand-500 focus-visible:ring-2 focus-visible:ring-brand-500/30 focus-visible:outline-none dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      />
      <div className="max-h-64 overflow-y-auto rounded-lg border border-slate-200 dark:border-slate-800">
        {people.isPending ? (
          <div className="flex justify-center p-4 text-slate-400">
            <Spinner label={t("people.loading")} />
          </div>
        ) : users.length === 0 ? (
          <p className="p-4 text-center text-sm text-slate-500 dark:text-slate-400">{t("group.none")}</p>
        ) : (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {users.map((user) => (
              <li key={user.id}>
                <PickerRow user={user} checked={selected?.has(user.id)} onToggle={onToggle} disabled={disabled} />
              </li>
            ))}
          </ul>
        )}
        {people.hasNextPage && (
          <button
            type="button"
            onClick={() => void people.fetchNextPage()}
            className="w-full p-2 text-sm font-medium text-brand-600 hover:bg-slate-50 dark:text-brand-400 dark:hover:bg-slate-800"
          >
            {t("common.loadMore")}
          </button>
        )}
      </div>
    </div>
  );
}

interface PickerRowProps {
  user: User;
  checked: boolean | undefined;
  onToggle: (user: User) => void;
  disabled: boolean | undefined;
}

function PickerRow({ user, checked, onToggle, disabled }: PickerRowProps) {
  const rowClass = "flex w-full items-center gap-3 px-3 py-2 text-left hover:bg-slate-50 dark:hover:bg-slate-800/60";
  const content = (
    <>
      <Avatar name={displayName(user)} seed={user.id} className="size-8 text-xs" />
      <span className="min-w-0 flex-1" aria-hidden="true">
        <span className="block truncate text-sm font-medium text-slate-900 dark:text-white">{displayName(user)}</span>
        <span className="block truncate text-xs text-slate-500 dark:text-slate-400">@{user.username}</span>
      </span>
    </>
  );
  if (checked === undefined) {
    return (
      <button type="button" aria-label={user.username} disabled={disabled} onClick={() => onToggle(user)} className={cn(rowClass, "disabled:opacity-50")}>
        {content}
        <span aria-hidden="true" className="text-lg leading-none text-brand-600 dark:text-brand-400">+</span>
      </button>
    );
  }
  return (
    <label className={cn(rowClass, "cursor-pointer")}>
      {content}
      <input
        type="checkbox"
        aria-label={user.username}
        checked={checked}
        disabled={disabled}
        onChange={() => onToggle(user)}
        className="size-4 accent-brand-600"
      />
    </label>
  );
}

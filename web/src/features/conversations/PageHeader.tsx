import { BackLink } from "../chat/ConversationHeader";

/** The title bar of a main-pane page, with "Back" to the list on a phone. */
export function PageHeader({ title }: { title: string }) {
  return (
    <header className="flex h-14 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-2 sm:px-4 dark:border-slate-800 dark:bg-slate-900">
      <BackLink />
      <h1 className="truncate text-lg font-semibold text-slate-900 dark:text-white">{title}</h1>
    </header>
  );
}

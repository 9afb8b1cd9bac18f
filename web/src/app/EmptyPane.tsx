import { useTranslation } from "react-i18next";
import { ChatIcon } from "../components/ui/icons";
import { useDocumentTitle } from "../lib/hooks";

/** The main pane when no conversation is open (desktop only). */
export function EmptyPane() {
  const { t } = useTranslation();
  useDocumentTitle("");
  return (
    <div className="flex flex-1 flex-col items-center justify-center px-6 text-center">
      <span className="mb-4 inline-flex size-12 items-center justify-center rounded-full bg-brand-50 text-brand-600 dark:bg-brand-500/15 dark:text-brand-300">
        <ChatIcon className="size-6" />
      </span>
      <h2 className="text-base font-semibold text-slate-900 dark:text-white">{t("shell.emptyTitle")}</h2>
      <p className="mt-1 max-w-sm text-sm text-slate-600 dark:text-slate-400">{t("shell.emptyBody")}</p>
    </div>
  );
}

import { useTranslation } from "react-i18next";
import { useDocumentTitle } from "../../lib/hooks";
import { PageHeader } from "../conversations/PageHeader";
import { PeopleList } from "./PeopleList";

export function PeoplePage() {
  const { t } = useTranslation();
  useDocumentTitle(t("people.title"));
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={t("people.title")} />
      <div className="min-h-0 flex-1 overflow-y-auto bg-white dark:bg-slate-900">
        <p className="px-4 pt-4 text-sm text-slate-500 dark:text-slate-400">{t("people.subtitle")}</p>
        <PeopleList />
      </div>
    </div>
  );
}

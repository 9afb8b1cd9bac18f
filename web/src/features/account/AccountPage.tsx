import { useId, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { LANGUAGES, setLanguage, useLanguage, type Language } from "../../i18n";
import { errorMessage } from "../../lib/api";
import { useDocumentTitle } from "../../lib/hooks";
import { useLogout, useMe } from "../auth/queries";
import { PageHeader } from "../conversations/PageHeader";
import { displayName } from "../conversations/conversationList";
import { PasswordForm } from "./PasswordForm";
import { SecurityActivity } from "./SecurityActivity";
import { SessionsList } from "./SessionsList";
import { TwoFactorSection } from "./TwoFactorSection";

const LANGUAGE_NAMES: Record<Language, string> = { en: "English", fr: "Français" };

export function AccountPage() {
  const { t } = useTranslation();
  useDocumentTitle(t("account.title"));
  const { data: me } = useMe();
  const logout = useLogout();
  const language = useLanguage();
  const languageId = useId();
  if (!me) return null;

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title={t("account.title")} />
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-2xl space-y-6 px-4 py-6">
          <Section title={t("account.profile")}>
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
              <dt className="text-slate-500 dark:text-slate-400">{t("account.username")}</dt>
              <dd className="text-slate-900 dark:text-white">
                {displayName(me)} <span className="text-slate-500">@{me.username}</span>
              </dd>
              <dt className="text-slate-500 dark:text-slate-400">{t("account.email")}</dt>
              <dd className="break-all text-slate-900 dark:text-white">{me.email}</dd>
            </dl>
          </Section>

          <Section title={t("account.preferences")}>
            <label htmlFor={languageId} className="block text-sm font-medium text-slate-700 dark:text-slate-200">
              {t("account.language")}
            </label>
            <select
              id={languageId}
              value={language}
              onChange={(event) => setLanguage(event.target.value as Language)}
              className="mt-1.5 block h-10 w-full max-w-xs rounded-lg border border-slate-300 bg-white px-3 text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
            >
              {LANGUAGES.map((code) => (
                <option key={code} value={code} lang={code}>
                  {LANGUAGE_NAMES[code]}
                </option>
              ))}
            </select>
          </Section>

          <Section title={t("account.sessions")} description={t("account.sessionsHelp")}>
            <SessionsList />
          </Section>

          <Section title={t("account.changePassword")}>
            <PasswordForm />
          </Section>

          <Section title={t("twoFactor.title")} description={t("twoFactor.help")}>
            <TwoFactorSection />
          </Section>

          <Section title={t("account.activity")} description={t("account.activityHelp")}>
            <SecurityActivity />
          </Section>

          <Button
            variant="secondary"
            className="w-full sm:w-auto"
            loading={logout.isPending}
            onClick={() =>
              logout.mutate(undefined, {
                onError: (error) => toast.error(`${t("account.signOutFailed")} ${errorMessage(error)}`),
              })
            }
          >
            {t("account.signOut")}
          </Button>
        </div>
      </div>
    </div>
  );
}

function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-2xl border border-slate-200 bg-white p-4 shadow-xs sm:p-5 dark:border-slate-800 dark:bg-slate-900">
      <h2 id={id} className="font-semibold text-slate-900 dark:text-white">
        {title}
      </h2>
      {description && <p className="mt-0.5 text-sm text-slate-500 dark:text-slate-400">{description}</p>}
      <div className="mt-4">{children}</div>
    </section>
  );
}

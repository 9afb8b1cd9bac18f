import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, isRouteErrorResponse, useRouteError } from "react-router";
import { LogoMark } from "../components/ui/Logo";
import { useDocumentTitle } from "../lib/hooks";

function Centered({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-4 px-6 text-center">
      <LogoMark className="size-10" />
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900 dark:text-white">{title}</h1>
      {children}
    </main>
  );
}

const linkClass =
  "font-medium text-brand-600 hover:text-brand-700 hover:underline dark:text-brand-400 dark:hover:text-brand-300";

export function NotFoundPage() {
  const { t } = useTranslation();
  useDocumentTitle(t("errors.pageNotFound"));
  return (
    <Centered title={t("errors.pageNotFound")}>
      <p className="text-slate-600 dark:text-slate-400">{t("errors.nothingHere")}</p>
      <Link to="/" className={linkClass}>
        {t("errors.goHome")}
      </Link>
    </Centered>
  );
}

export function RouteErrorPage() {
  const { t } = useTranslation();
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return (
    <Centered title={t("errors.somethingWrong")}>
      <p className="max-w-sm text-slate-600 dark:text-slate-400">
        {t("errors.unexpected")}
      </p>
      <button type="button" onClick={() => window.location.reload()} className={linkClass}>
        {t("errors.reload")}
      </button>
    </Centered>
  );
}

import type { ReactNode } from "react";
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
  useDocumentTitle("Page not found");
  return (
    <Centered title="Page not found">
      <p className="text-slate-600 dark:text-slate-400">There's nothing at this address.</p>
      <Link to="/" className={linkClass}>
        Go to VaultRoom
      </Link>
    </Centered>
  );
}

export function RouteErrorPage() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  return (
    <Centered title="Something went wrong">
      <p className="max-w-sm text-slate-600 dark:text-slate-400">
        An unexpected error stopped this page from loading. Reloading usually helps.
      </p>
      <button type="button" onClick={() => window.location.reload()} className={linkClass}>
        Reload the page
      </button>
    </Centered>
  );
}

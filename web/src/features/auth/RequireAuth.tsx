import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, Outlet, useLocation } from "react-router";
import { Button } from "../../components/ui/Button";
import { LogoMark } from "../../components/ui/Logo";
import { FullPageSpinner } from "../../components/ui/Spinner";
import { errorMessage, isUnauthorized } from "../../lib/api";
import { closeSocket } from "../../lib/socket";
import { useMe } from "./queries";

/** Renders the child routes for a signed-in user; sends anyone else to /login. */
export function RequireAuth() {
  const { t } = useTranslation();
  const me = useMe();
  const location = useLocation();
  const signedOut = me.isError && isUnauthorized(me.error);

  // The session ended: the socket it authenticated goes too.
  useEffect(() => {
    if (signedOut) closeSocket();
  }, [signedOut]);

  if (signedOut) {
    return <Navigate to="/login" replace state={{ from: location }} />;
  }
  // A failed background refresh keeps the page up with the data we have.
  if (me.data) return <Outlet />;
  if (me.isPending) return <FullPageSpinner label={t("auth.loadingSession")} />;

  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-4 px-6 text-center">
      <LogoMark className="size-10" />
      <h1 className="text-xl font-semibold text-slate-900 dark:text-white">{t("auth.couldntLoad")}</h1>
      <p className="max-w-sm text-sm text-slate-600 dark:text-slate-400">{errorMessage(me.error)}</p>
      <Button onClick={() => void me.refetch()} loading={me.isFetching}>
        {t("common.tryAgain")}
      </Button>
    </main>
  );
}

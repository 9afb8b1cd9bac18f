import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Spinner } from "../components/ui/Spinner";
import { useConnectionState } from "../lib/socket";

/** How long the very first connection may take before we say we're still trying. */
const FIRST_CONNECT_GRACE_MS = 2500;

/** "Reconnecting…" while the socket is down; nothing while it is connected. */
export function ConnectionBanner() {
  const { t } = useTranslation();
  const state = useConnectionState();
  const [graceOver, setGraceOver] = useState(false);

  useEffect(() => {
    if (state !== "connecting") return;
    const timer = setTimeout(() => setGraceOver(true), FIRST_CONNECT_GRACE_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const show = state === "reconnecting" || (state === "connecting" && graceOver);
  if (!show) return null;
  return (
    <div
      data-testid="connection-banner"
      role="status"
      className="flex items-center justify-center gap-2 bg-amber-100 px-4 py-1.5 text-sm font-medium text-amber-900 dark:bg-amber-500/20 dark:text-amber-200"
    >
      <Spinner className="size-3.5" />
      {t("shell.reconnecting")}
    </div>
  );
}

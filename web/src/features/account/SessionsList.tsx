import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { Spinner } from "../../components/ui/Spinner";
import { useLanguage } from "../../i18n";
import { errorMessage } from "../../lib/api";
import { useNow } from "../../lib/hooks";
import { formatDateTime, formatRelativeTime } from "../../lib/time";
import type { Session } from "../../lib/types";
import { useRevokeSession, useSessions } from "./queries";

/** A short, readable name for a browser's user agent string. */
export function describeUserAgent(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : null;
  const os = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  if (browser && os) return `${browser} · ${os}`;
  return browser ?? os ?? userAgent.slice(0, 60);
}

export function SessionsList() {
  const { t } = useTranslation();
  const sessions = useSessions();
  if (sessions.isPending) return <Spinner label={t("common.loading")} className="text-brand-600" />;
  if (sessions.isError) {
    return (
      <div className="flex items-center gap-3">
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("account.sessionsError")}</p>
        <Button variant="secondary" size="sm" onClick={() => void sessions.refetch()}>
          {t("common.tryAgain")}
        </Button>
      </div>
    );
  }
  return (
    <ul className="divide-y divide-slate-100 dark:divide-slate-800">
      {sessions.data.map((session) => (
        <SessionRow key={session.id} session={session} />
      ))}
    </ul>
  );
}

function SessionRow({ session }: { session: Session }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const now = useNow();
  const revoke = useRevokeSession();
  const lastUsed = formatRelativeTime(session.last_used_at, now, language) ?? "";
  return (
    <li data-testid="session-item" data-current={session.current} className="flex items-center gap-3 py-3">
      <div className="min-w-0 flex-1">
        <p className="flex items-center gap-2 text-sm font-medium text-slate-900 dark:text-white">
          <span className="truncate">{describeUserAgent(session.user_agent) ?? t("account.unknownDevice")}</span>
          {session.current && (
            <span className="shrink-0 rounded-full bg-emerald-50 px-2 py-0.5 text-[11px] font-medium text-emerald-700 ring-1 ring-emerald-600/20 dark:bg-emerald-500/15 dark:text-emerald-300">
              {t("account.thisDevice")}
            </span>
          )}
        </p>
        <p className="truncate text-xs text-slate-500 dark:text-slate-400">
          {session.ip ? `${session.ip} · ` : ""}
          <span title={formatDateTime(session.last_used_at, language)}>{t("account.lastUsed", { time: lastUsed })}</span>
        </p>
      </div>
      {!session.current && (
        <Button
          variant="secondary"
          size="sm"
          loading={revoke.isPending}
          onClick={() =>
            revoke.mutate(session.id, {
              onSuccess: () => toast.success(t("account.revoked")),
              onError: (error) => toast.error(errorMessage(error)),
            })
          }
        >
          {t("account.revoke")}
        </Button>
      )}
    </li>
  );
}

import { useTranslation } from "react-i18next";
import { Button } from "../../components/ui/Button";
import { Spinner } from "../../components/ui/Spinner";
import { i18n, useLanguage } from "../../i18n";
import { useNow } from "../../lib/hooks";
import { formatDateTime, formatRelativeTime } from "../../lib/time";
import type { AuditEvent } from "../../lib/types";
import { useSecurityActivity } from "./queries";
import { describeUserAgent } from "./SessionsList";

/** The caller's own security events (sign-ins, password changes...), newest first. */
export function SecurityActivity() {
  const { t } = useTranslation();
  const activity = useSecurityActivity();
  if (activity.isPending) return <Spinner label={t("common.loading")} className="text-brand-600" />;
  if (activity.isError) {
    return (
      <div className="flex items-center gap-3">
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("account.activityError")}</p>
        <Button variant="secondary" size="sm" onClick={() => void activity.refetch()}>
          {t("common.tryAgain")}
        </Button>
      </div>
    );
  }
  const events = activity.data.pages.flatMap((page) => page.events);
  if (events.length === 0) return <p className="text-sm text-slate-500 dark:text-slate-400">{t("account.activityEmpty")}</p>;
  return (
    <div>
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {events.map((event) => (
          <ActivityRow key={event.id} event={event} />
        ))}
      </ul>
      {activity.hasNextPage && (
        <Button
          variant="secondary"
          size="sm"
          className="mt-3"
          loading={activity.isFetchingNextPage}
          onClick={() => void activity.fetchNextPage()}
        >
          {t("account.activityMore")}
        </Button>
      )}
    </div>
  );
}

/** What happened, in words: the kind, made precise by the details where they tell more. */
function describeEvent(event: AuditEvent, kinds: Record<string, string>): string {
  if (event.kind === "login_failure" && event.details.reason === "two_factor_code") {
    return i18n.t("account.activityWrongCode");
  }
  if (event.kind === "login_failure" && event.details.reason === "password_confirmation") {
    return i18n.t("account.activityWrongPasswordConfirm");
  }
  if (event.kind === "two_factor_disabled" && event.details.via === "cli") {
    return i18n.t("account.activityResetByOperator");
  }
  return kinds[event.kind] ?? event.kind;
}

function ActivityRow({ event }: { event: AuditEvent }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const now = useNow();
  const kinds: Record<string, string> = t("account.activityKinds", { returnObjects: true });
  const device = describeUserAgent(event.user_agent) ?? t("account.unknownDevice");
  const warning = event.kind === "login_failure";
  return (
    <li data-testid="activity-item" data-kind={event.kind} className="flex items-start gap-3 py-3">
      <div className="min-w-0 flex-1">
        <p
          className={
            warning
              ? "text-sm font-medium text-amber-700 dark:text-amber-300"
              : "text-sm font-medium text-slate-900 dark:text-white"
          }
        >
          {describeEvent(event, kinds)}
        </p>
        <p className="truncate text-xs text-slate-500 dark:text-slate-400">
          {device}
          {event.ip ? ` · ${t("account.activityFrom", { ip: event.ip })}` : ""}
        </p>
      </div>
      <time
        dateTime={event.created_at}
        title={formatDateTime(event.created_at, language)}
        className="shrink-0 text-xs text-slate-500 dark:text-slate-400"
      >
        {formatRelativeTime(event.created_at, now, language) ?? formatDateTime(event.created_at, language)}
      </time>
    </li>
  );
}

import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import { Avatar } from "../../components/ui/Avatar";
import { useLanguage } from "../../i18n";
import { cn } from "../../lib/cn";
import { formatDateTime, formatShortTime } from "../../lib/time";
import type { Conversation } from "../../lib/types";
import { activityTime, conversationTitle, otherMember } from "./conversationList";

interface ConversationItemProps {
  conversation: Conversation;
  meId: number;
  now: number;
}

export function ConversationItem({ conversation, meId, now }: ConversationItemProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const title = conversationTitle(conversation, meId);
  const other = conversation.kind === "direct" ? otherMember(conversation, meId) : undefined;
  const last = conversation.last_message;
  const unread = conversation.unread_count;
  const whenIso = new Date(activityTime(conversation)).toISOString();

  let preview: string;
  if (!last) preview = conversation.kind === "group"
    ? t("sidebar.groupWithCount", { count: conversation.members.length })
    : t("sidebar.noMessages");
  else if (last.deleted) preview = t("sidebar.messageDeleted");
  else preview = last.sender_id === meId ? t("sidebar.youPrefix", { text: last.body }) : last.body;

  return (
    <NavLink
      to={`/c/${conversation.id}`}
      data-testid="conversation-item"
      data-conversation-id={conversation.id}
      className={({ isActive }) =>
        cn(
          "flex items-center gap-3 px-4 py-3 hover:bg-slate-50 focus-visible:-outline-offset-2 dark:hover:bg-slate-800/60",
          isActive && "bg-brand-50 hover:bg-brand-50 dark:bg-brand-500/10 dark:hover:bg-brand-500/10",
        )
      }
    >
      <span className="relative">
        <Avatar name={title || "?"} seed={other?.id ?? conversation.id} />
        {other && (
          <span
            aria-hidden="true"
            className={cn(
              "absolute -right-0.5 -bottom-0.5 size-3.5 rounded-full border-2 border-white dark:border-slate-900",
              other.online ? "bg-emerald-500" : "bg-slate-300 dark:bg-slate-600",
            )}
          />
        )}
      </span>
      <span className="min-w-0 flex-1">
        <span className="flex items-baseline justify-between gap-2">
          <span
            data-testid="conversation-title"
            className={cn("truncate text-slate-900 dark:text-white", unread > 0 ? "font-semibold" : "font-medium")}
          >
            {title}
          </span>
          <time
            dateTime={whenIso}
            title={formatDateTime(whenIso, language)}
            className="shrink-0 text-xs text-slate-500 dark:text-slate-400"
          >
            {formatShortTime(whenIso, language, now)}
          </time>
        </span>
        <span className="mt-0.5 flex items-center justify-between gap-2">
          <span
            data-testid="conversation-preview"
            className={cn(
              "truncate text-sm",
              unread > 0 ? "text-slate-800 dark:text-slate-200" : "text-slate-500 dark:text-slate-400",
              last?.deleted && "italic",
            )}
          >
            {preview}
          </span>
          {unread > 0 && (
            <span
              data-testid="unread-badge"
              title={t("sidebar.unread", { count: unread })}
              className="inline-flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-brand-600 px-1.5 text-xs font-semibold text-white dark:bg-brand-500 dark:text-slate-950"
            >
              {unread}
            </span>
          )}
        </span>
      </span>
    </NavLink>
  );
}

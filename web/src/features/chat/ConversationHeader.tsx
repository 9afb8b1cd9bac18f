import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { Avatar } from "../../components/ui/Avatar";
import { BackIcon, CogIcon } from "../../components/ui/icons";
import { useLanguage } from "../../i18n";
import { cn } from "../../lib/cn";
import { useNow } from "../../lib/hooks";
import { formatDateTime, formatRelativeTime } from "../../lib/time";
import type { Conversation } from "../../lib/types";
import { conversationTitle, otherMember } from "../conversations/conversationList";

interface ConversationHeaderProps {
  conversation: Conversation;
  meId: number;
  onOpenSettings: () => void;
}

export function ConversationHeader({ conversation, meId, onOpenSettings }: ConversationHeaderProps) {
  const { t } = useTranslation();
  const title = conversationTitle(conversation, meId);
  const other = conversation.kind === "direct" ? otherMember(conversation, meId) : undefined;

  return (
    <header
      data-testid="conversation-header"
      className="flex h-14 shrink-0 items-center gap-3 border-b border-slate-200 bg-white px-2 sm:px-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <BackLink />
      <Avatar name={title || "?"} seed={other?.id ?? conversation.id} className="size-9" />
      <div className="min-w-0 flex-1">
        <h1 className="truncate font-semibold text-slate-900 dark:text-white">{title}</h1>
        {other ? (
          <Presence online={other.online} lastSeenAt={other.last_seen_at} />
        ) : (
          <p className="truncate text-xs text-slate-500 dark:text-slate-400">
            {t("conversation.members", { count: conversation.members.length })}
          </p>
        )}
      </div>
      {conversation.kind === "group" && (
        <button
          type="button"
          onClick={onOpenSettings}
          aria-label={t("conversation.groupSettings")}
          title={t("conversation.groupSettings")}
          className="inline-flex size-9 items-center justify-center rounded-lg text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
        >
          <CogIcon className="size-5" />
        </button>
      )}
    </header>
  );
}

/** "Back" to the list: only on a phone, where the list and the pane are separate views. */
export function BackLink() {
  const { t } = useTranslation();
  return (
    <Link
      to="/"
      aria-label={t("common.back")}
      title={t("common.back")}
      className="inline-flex size-9 shrink-0 items-center justify-center rounded-lg text-slate-600 hover:bg-slate-100 md:hidden dark:text-slate-300 dark:hover:bg-slate-800"
    >
      <BackIcon className="size-5" />
    </Link>
  );
}

function Presence({ online, lastSeenAt }: { online: boolean; lastSeenAt: string | null }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const now = useNow();
  const relative = formatRelativeTime(lastSeenAt, now, language);
  return (
    <p
      data-testid="header-presence"
      data-online={online}
      className={cn(
        "flex items-center gap-1.5 truncate text-xs",
        online ? "text-emerald-600 dark:text-emerald-400" : "text-slate-500 dark:text-slate-400",
      )}
    >
      <span aria-hidden="true" className={cn("size-2 rounded-full", online ? "bg-emerald-500" : "bg-slate-400")} />
      {online ? (
        t("common.online")
      ) : relative && lastSeenAt ? (
        <span title={formatDateTime(lastSeenAt, language)}>{t("common.lastSeen", { time: relative })}</span>
      ) : (
        t("common.offline")
      )}
    </p>
  );
}

import { useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "../../components/ui/Button";
import { useLanguage } from "../../i18n";
import { cn } from "../../lib/cn";
import { formatDateTime, formatTime } from "../../lib/time";
import type { Message } from "../../lib/types";
import { LinkifiedText } from "./LinkifiedText";
import type { TimelineItem } from "./timeline";

interface MessageItemProps {
  item: TimelineItem;
  mine: boolean;
  /** Who sent it (read out to screen readers; shown above a group's first message when `showName`). */
  senderName: string;
  showName: boolean;
  startsGroup: boolean;
  endsGroup: boolean;
  seen: boolean;
  onRetry: (clientMsgId: string) => void;
  onEdit: (message: Message, body: string) => Promise<boolean>;
  onDelete: (message: Message) => void;
}

export function MessageItem({ item, mine, senderName, showName, startsGroup, endsGroup, seen, onRetry, onEdit, onDelete }: MessageItemProps) {
  const { t } = useTranslation();
  const language = useLanguage();
  const [editing, setEditing] = useState(false);
  const message = item.message;
  const status = item.kind === "pending" ? item.pending.status : "sent";
  const body = message ? message.body : item.pending.body;
  const createdAt = message ? message.created_at : item.pending.created_at;
  const clientMsgId = message ? message.client_msg_id : item.pending.client_msg_id;
  const deleted = message?.deleted ?? false;

  return (
    <div
      data-testid="message"
      data-seq={message?.seq}
      data-client-msg-id={clientMsgId}
      data-status={status}
      data-mine={mine}
      className={cn("group flex flex-col px-4", mine ? "items-end" : "items-start", startsGroup ? "mt-3" : "mt-0.5", endsGroup && "mb-0.5")}
    >
      {startsGroup && showName && !mine && (
        <span aria-hidden="true" className="mb-0.5 px-3 text-xs font-medium text-slate-500 dark:text-slate-400">
          {senderName}
        </span>
      )}
      <div className={cn("flex max-w-[85%] items-center gap-1 sm:max-w-[70%]", mine && "flex-row-reverse")}>
        {editing && message ? (
          <EditBox message={message} onCancel={() => setEditing(false)} onSave={onEdit} onDone={() => setEditing(false)} />
        ) : (
          <div
            className={cn(
              "min-w-0 rounded-2xl px-3 py-2 text-[15px] leading-snug shadow-xs",
              mine
                ? "bg-brand-600 text-white dark:bg-brand-500 dark:text-slate-950"
                : "bg-white text-slate-900 ring-1 ring-slate-200 dark:bg-slate-800 dark:text-slate-100 dark:ring-slate-700",
              deleted && "bg-transparent text-slate-500 italic shadow-none ring-1 ring-slate-300 dark:bg-transparent dark:text-slate-400 dark:ring-slate-700",
              status === "sending" && "opacity-70",
              status === "failed" && "ring-2 ring-red-500",
            )}
          >
            <span className="sr-only">{`${mine ? t("common.you") : senderName}: `}</span>
            <p data-testid="message-body" className="break-words whitespace-pre-wrap">
              {deleted ? t("message.deleted") : <LinkifiedText text={body} />}
            </p>
            <p
              className={cn(
                "mt-0.5 flex items-center justify-end gap-1 text-[11px]",
                mine && !deleted ? "text-white/75 dark:text-slate-950/70" : "text-slate-500 dark:text-slate-400",
              )}
            >
              {message?.edited_at && !deleted && <span>{t("message.edited")}</span>}
              <time dateTime={createdAt} title={formatDateTime(createdAt, language)}>
                {formatTime(createdAt, language)}
              </time>
              {mine && <StatusMark status={status} />}
            </p>
          </div>
        )}
        {mine && message && !deleted && !editing && (
          <div className="flex shrink-0 gap-0.5 opacity-0 group-focus-within:opacity-100 group-hover:opacity-100 [@media(hover:none)]:opacity-100">
            <IconButton label={t("message.edit")} onClick={() => setEditing(true)} d="m16.862 4.487 1.687-1.688a1.875 1.875 0 1 1 2.652 2.652L10.582 16.07a4.5 4.5 0 0 1-1.897 1.13L6 18l.8-2.685a4.5 4.5 0 0 1 1.13-1.897l8.932-8.931Z" />
            <IconButton label={t("message.delete")} onClick={() => onDelete(message)} d="m14.74 9-.346 9m-4.788 0L9.26 9m9.968-3.21c.342.052.682.107 1.022.166m-1.022-.165L18.16 19.673a2.25 2.25 0 0 1-2.244 2.077H8.084a2.25 2.25 0 0 1-2.244-2.077L4.772 5.79m14.456 0a48.108 48.108 0 0 0-3.478-.397m-12 .562c.34-.059.68-.114 1.022-.165m0 0a48.11 48.11 0 0 1 3.478-.397m7.5 0v-.916c0-1.18-.91-2.164-2.09-2.201a51.964 51.964 0 0 0-3.32 0c-1.18.037-2.09 1.022-2.09 2.201v.916m7.5 0a48.667 48.667 0 0 0-7.5 0" />
          </div>
        )}
      </div>
      {status === "failed" && (
        <div className="mt-1 flex items-center gap-2 text-xs text-red-600 dark:text-red-400">
          <span>{t("message.failed")}</span>
          <Button variant="secondary" size="sm" className="h-6 px-2 text-xs" onClick={() => onRetry(clientMsgId)}>
            {t("message.retry")}
          </Button>
        </div>
      )}
      {seen && (
        <span data-testid="seen-indicator" className="mt-0.5 px-1 text-[11px] text-slate-500 dark:text-slate-400">
          {t("message.seen")}
        </span>
      )}
    </div>
  );
}

function StatusMark({ status }: { status: "sending" | "sent" | "failed" }) {
  const { t } = useTranslation();
  const label = status === "sending" ? t("message.sending") : status === "sent" ? t("message.sent") : t("message.failed");
  const d =
    status === "sending"
      ? "M12 6v6h4.5m4.5 0a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z"
      : status === "sent"
        ? "m4.5 12.75 6 6 9-13.5"
        : "M12 9v3.75m9-.75a9 9 0 1 1-18 0 9 9 0 0 1 18 0Zm-9 3.75h.008v.008H12v-.008Z";
  return (
    <span title={label} className="inline-flex">
      <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true" className="size-3.5">
        <path strokeLinecap="round" strokeLinejoin="round" d={d} />
      </svg>
      <span className="sr-only">{label}</span>
    </span>
  );
}

function IconButton({ label, onClick, d }: { label: string; onClick: () => void; d: string }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      onClick={onClick}
      className="inline-flex size-7 items-center justify-center rounded-full text-slate-500 hover:bg-slate-200 hover:text-slate-800 dark:text-slate-400 dark:hover:bg-slate-700 dark:hover:text-white"
    >
      <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.75" aria-hidden="true" className="size-4">
        <path strokeLinecap="round" strokeLinejoin="round" d={d} />
      </svg>
    </button>
  );
}

interface EditBoxProps {
  message: Message;
  onSave: (message: Message, body: string) => Promise<boolean>;
  onCancel: () => void;
  onDone: () => void;
}

function EditBox({ message, onSave, onCancel, onDone }: EditBoxProps) {
  const { t } = useTranslation();
  const [value, setValue] = useState(message.body);
  const [saving, setSaving] = useState(false);

  const save = async () => {
    const body = value.trim();
    if (!body || saving) return;
    if (body === message.body) return onDone();
    setSaving(true);
    const ok = await onSave(message, body);
    setSaving(false);
    if (ok) onDone();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") onCancel();
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void save();
    }
  };

  return (
    <div className="flex w-72 max-w-full flex-col gap-2 rounded-2xl bg-white p-2 ring-1 ring-brand-500 dark:bg-slate-800">
      <textarea
        aria-label={t("message.editLabel")}
        value={value}
        autoFocus
        rows={Math.min(6, Math.max(2, value.split("\n").length))}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
        className="w-full resize-none rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 focus-visible:border-brand-500 focus-visible:outline-none dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
      />
      <div className="flex justify-end gap-2">
        <Button variant="ghost" size="sm" onClick={onCancel}>
          {t("common.cancel")}
        </Button>
        <Button size="sm" loading={saving} onClick={() => void save()}>
          {t("common.save")}
        </Button>
      </div>
    </div>
  );
}

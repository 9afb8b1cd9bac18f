import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { SendIcon } from "../../components/ui/icons";
import { cn } from "../../lib/cn";

export const MAX_MESSAGE_CHARS = 4000;
const TYPING_EVERY_MS = 2000;

interface ComposerProps {
  onSend: (body: string) => void;
  onTyping: () => void;
}

function wideScreen(): boolean {
  return typeof window !== "undefined" && typeof window.matchMedia === "function"
    ? window.matchMedia("(min-width: 768px)").matches
    : false;
}

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, onTyping }: ComposerProps) {
  const { t } = useTranslation();
  const id = useId();
  const [value, setValue] = useState("");
  const lastTyping = useRef(0);
  const body = value.trim();
  const tooLong = body.length > MAX_MESSAGE_CHARS;

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!body || tooLong) return;
    onSend(body);
    setValue("");
    lastTyping.current = 0;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const onChange = (next: string) => {
    setValue(next);
    const now = Date.now();
    if (next.trim() && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  };

  const rows = Math.min(6, Math.max(1, value.split("\n").length));

  return (
    <form
      onSubmit={submit}
      className="shrink-0 border-t border-slate-200 bg-white px-3 py-3 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-end gap-2">
        <label htmlFor={id} className="sr-only">
          {t("composer.label")}
        </label>
        <textarea
          id={id}
          // On a desktop, typing can start at once; on a phone, don't pop the keyboard up.
          autoFocus={wideScreen()}
          value={value}
          rows={rows}
          onChange={(event) => onChange(event.target.value)}
          onKeyDown={onKeyDown}
          placeholder={t("composer.placeholder")}
          aria-describedby={`${id}-hint`}
          aria-invalid={tooLong || undefined}
          className={cn(
            "block max-h-40 min-h-10 w-full resize-none rounded-2xl border bg-slate-50 px-4 py-2 text-[15px] text-slate-900 placeholder:text-slate-400 focus-visible:outline-none focus-visible:ring-2 dark:bg-slate-800 dark:text-slate-100 dark:placeholder:text-slate-500",
            tooLong
              ? "border-red-500 focus-visible:ring-red-500/30"
              : "border-slate-300 focus-visible:border-brand-500 focus-visible:ring-brand-500/30 dark:border-slate-700",
          )}
        />
        <button
          type="submit"
          disabled={!body || tooLong}
          aria-label={t("composer.send")}
          title={t("composer.send")}
          className="inline-flex size-10 shrink-0 items-center justify-center rounded-full bg-brand-600 text-white hover:bg-brand-700 disabled:cursor-not-allowed disabled:opacity-50 dark:bg-brand-500 dark:text-slate-950"
        >
          <SendIcon className="size-5" />
        </button>
      </div>
      <p id={`${id}-hint`} className={cn("mt-1 px-2 text-xs", tooLong ? "text-red-600 dark:text-red-400" : "sr-only")}>
        {tooLong ? t("composer.tooLong", { max: MAX_MESSAGE_CHARS }) : t("composer.hint")}
      </p>
    </form>
  );
}

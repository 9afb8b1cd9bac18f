import { useTranslation } from "react-i18next";
import type { User } from "../../lib/types";
import { displayName } from "../conversations/conversationList";

export function TypingIndicator({ users }: { users: User[] }) {
  const { t } = useTranslation();
  const [first, second] = users;
  let text = "";
  if (users.length === 1 && first) text = t("conversation.typingOne", { name: displayName(first) });
  else if (users.length === 2 && first && second)
    text = t("conversation.typingTwo", { first: displayName(first), second: displayName(second) });
  else if (users.length > 2) text = t("conversation.typingMany");

  return (
    <div className="h-5 shrink-0 px-5 text-xs text-slate-500 italic dark:text-slate-400" aria-live="polite">
      {text && <span data-testid="typing-indicator">{text}</span>}
    </div>
  );
}

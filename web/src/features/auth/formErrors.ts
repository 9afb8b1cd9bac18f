import { toast } from "sonner";
import { errorMessage, isApiError } from "../../lib/api";

/**
 * Splits a failed submission into messages for the form's own fields (shown
 * inline) and, when nothing can be shown inline, a toast with the top-level
 * message. Returns the inline messages.
 */
export function fieldErrorsFrom<Field extends string>(
  error: unknown,
  formFields: readonly Field[],
): Partial<Record<Field, string>> {
  const inline: Partial<Record<Field, string>> = {};
  if (!isApiError(error)) {
    toast.error(errorMessage(error));
    return inline;
  }
  const leftover: string[] = [];
  for (const [name, message] of Object.entries(error.fields)) {
    if ((formFields as readonly string[]).includes(name)) inline[name as Field] = message;
    else leftover.push(message);
  }
  if (Object.keys(inline).length === 0) {
    toast.error(error.message, leftover.length ? { description: leftover.join(" ") } : undefined);
  } else if (leftover.length) {
    toast.error(leftover.join(" "));
  }
  return inline;
}

/** Focuses the first field, in form order, that has an error. */
export function focusFirstInvalid<Field extends string>(
  errors: Partial<Record<Field, string>>,
  order: readonly Field[],
  idFor: (field: Field) => string,
): void {
  const first = order.find((field) => errors[field]);
  if (first) document.getElementById(idFor(first))?.focus();
}

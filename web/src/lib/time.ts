const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 60 * 60],
  ["month", 30 * 24 * 60 * 60],
  ["week", 7 * 24 * 60 * 60],
  ["day", 24 * 60 * 60],
  ["hour", 60 * 60],
  ["minute", 60],
];

const formatters = new Map<string, Intl.RelativeTimeFormat>();

function formatter(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? "";
  let rtf = formatters.get(key);
  if (!rtf) {
    rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    formatters.set(key, rtf);
  }
  return rtf;
}

/**
 * "5 minutes ago", "yesterday", "2 weeks ago"... for an ISO 8601 time.
 * Returns null for a missing or unparseable time.
 */
export function formatRelativeTime(
  iso: string | null | undefined,
  now: number = Date.now(),
  locale?: string,
): string | null {
  if (!iso) return null;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return null;

  const seconds = Math.round((then - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";

  for (const [unit, size] of UNITS) {
    if (abs >= size) return formatter(locale).format(Math.trunc(seconds / size), unit);
  }
  return formatter(locale).format(seconds < 0 ? -1 : 1, "minute");
}

/** A full, locale-formatted date and time, for a tooltip. */
export function formatDateTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

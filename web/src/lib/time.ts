const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 60 * 60],
  ["month", 30 * 24 * 60 * 60],
  ["week", 7 * 24 * 60 * 60],
  ["day", 24 * 60 * 60],
  ["hour", 60 * 60],
  ["minute", 60],
];

const JUST_NOW: Record<string, string> = { en: "just now", fr: "à l’instant" };

function justNow(locale: string | undefined): string {
  const base = (locale ?? "en").toLowerCase().split("-")[0] ?? "en";
  return JUST_NOW[base] ?? "just now";
}

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
  if (abs < 45) return justNow(locale);

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

function capitalize(text: string): string {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

function startOfDay(time: number): number {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Whole calendar days from `iso` to `now` (0: the same day, 1: yesterday). */
export function daysAgo(iso: string, now: number = Date.now()): number {
  return Math.round((startOfDay(now) - startOfDay(Date.parse(iso))) / 86_400_000);
}

/** A key for grouping times by local calendar day. */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "Today", "Yesterday", else a full date: for the day separators of a conversation. */
export function formatDay(iso: string, locale?: string, now: number = Date.now()): string {
  const days = daysAgo(iso, now);
  if (days === 0 || days === 1) return capitalize(formatter(locale).format(-days, "day"));
  const date = new Date(iso);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** Hours and minutes, e.g. "14:05" or "2:05 PM". */
export function formatTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(locale, { hour: "numeric", minute: "2-digit" });
}

/** Short time for lists: the time today, the weekday this week, else the date. */
export function formatShortTime(iso: string, locale?: string, now: number = Date.now()): string {
  const days = daysAgo(iso, now);
  if (days <= 0) return formatTime(iso, locale);
  const date = new Date(iso);
  if (days < 7) return date.toLocaleDateString(locale, { weekday: "short" });
  return date.toLocaleDateString(locale, { day: "numeric", month: "short" });
}

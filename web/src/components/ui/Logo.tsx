import { cn } from "../../lib/cn";

/** The VaultRoom mark: a speech bubble with a keyhole. */
export function LogoMark({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" aria-hidden="true" className={cn("size-8", className)}>
      <rect width="32" height="32" rx="8" className="fill-brand-600 dark:fill-brand-500" />
      <path
        d="M9 9.5h14a2.5 2.5 0 0 1 2.5 2.5v7a2.5 2.5 0 0 1-2.5 2.5h-6.2l-4.3 3.6v-3.6H9A2.5 2.5 0 0 1 6.5 19v-7A2.5 2.5 0 0 1 9 9.5Z"
        fill="white"
      />
      <circle cx="16" cy="14.2" r="1.9" className="fill-brand-600 dark:fill-brand-500" />
      <path d="M15.1 15.3h1.8l.5 3.2h-2.8l.5-3.2Z" className="fill-brand-600 dark:fill-brand-500" />
    </svg>
  );
}

export function Logo({ className }: { className?: string }) {
  return (
    <span className={cn("inline-flex items-center gap-2.5", className)}>
      <LogoMark />
      <span className="text-lg font-semibold tracking-tight text-slate-900 dark:text-white">VaultRoom</span>
    </span>
  );
}

import { toast } from "sonner";
import { Button } from "../../components/ui/Button";
import { Logo } from "../../components/ui/Logo";
import { errorMessage } from "../../lib/api";
import { useDocumentTitle } from "../../lib/hooks";
import { useLogout, useMe } from "../auth/queries";
import { PeopleList } from "../people/PeopleList";

export function HomePage() {
  useDocumentTitle("Home");
  const { data: me } = useMe();
  const logout = useLogout();
  if (!me) return null; // RequireAuth only renders us once `me` is loaded.

  const name = me.display_name?.trim() || me.username;

  return (
    <div className="min-h-dvh">
      <header className="sticky top-0 z-10 border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-950/80">
        <div className="mx-auto flex h-16 max-w-6xl items-center justify-between gap-3 px-4 sm:px-6">
          <Logo className="shrink-0" />
          <div className="flex min-w-0 items-center gap-3 sm:gap-4">
            <p
              className="min-w-0 truncate text-xs text-slate-600 sm:text-sm dark:text-slate-300"
              title={`@${me.username}`}
            >
              {`Signed in as ${name}`}
            </p>
            <Button
              variant="secondary"
              size="sm"
              loading={logout.isPending}
              onClick={() =>
                logout.mutate(undefined, {
                  onError: (error) => toast.error(`Couldn't sign out. ${errorMessage(error)}`),
                })
              }
            >
              Sign out
            </Button>
          </div>
        </div>
      </header>

      <main className="mx-auto grid max-w-6xl gap-6 px-4 py-6 sm:px-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)] lg:py-10">
        <section
          aria-labelledby="people-heading"
          className="overflow-hidden rounded-2xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900"
        >
          <div className="px-4 pt-4">
            <h2 id="people-heading" className="text-base font-semibold text-slate-900 dark:text-white">
              People
            </h2>
            <p className="text-sm text-slate-500 dark:text-slate-400">Everyone on this server.</p>
          </div>
          <PeopleList />
        </section>

        <section
          aria-labelledby="conversations-heading"
          className="flex min-h-72 flex-col items-center justify-center rounded-2xl border border-dashed border-slate-300 bg-white/50 px-6 py-12 text-center dark:border-slate-700 dark:bg-slate-900/40"
        >
          <span className="mb-4 inline-flex size-12 items-center justify-center rounded-full bg-brand-50 text-brand-600 dark:bg-brand-500/15 dark:text-brand-300">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.75" aria-hidden="true" className="size-6">
              <path
                strokeLinecap="round"
                strokeLinejoin="round"
                d="M8.625 9.75a.375.375 0 1 1-.75 0 .375.375 0 0 1 .75 0Zm4.125 0a.375.375 0 1 1-.75 0 .375.375 0 0 1 .75 0Zm4.125 0a.375.375 0 1 1-.75 0 .375.375 0 0 1 .75 0ZM21 12c0 4.556-4.03 8.25-9 8.25a9.764 9.764 0 0 1-2.555-.337A5.972 5.972 0 0 1 5.41 20.97a5.969 5.969 0 0 1-.474-.065 4.48 4.48 0 0 0 .978-2.025c.09-.457-.133-.901-.467-1.226C3.93 16.178 3 14.189 3 12c0-4.556 4.03-8.25 9-8.25s9 3.694 9 8.25Z"
              />
            </svg>
          </span>
          <h2 id="conversations-heading" className="text-base font-semibold text-slate-900 dark:text-white">
            Conversations are coming soon
          </h2>
          <p className="mt-1 max-w-sm text-sm text-slate-600 dark:text-slate-400">
            Direct messages and group rooms will appear here. For now, see who's on the server and
            who's online.
          </p>
        </section>
      </main>
    </div>
  );
}

import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { flushSync } from "react-dom";
import { createMemoryRouter, RouterProvider } from "react-router";
import { AppProviders } from "../app/providers";
import { createQueryClient } from "../app/queryClient";
import { routes } from "../app/router";

/** Renders the whole app (real routes, providers and toaster) at `path`. */
export function renderApp(path = "/") {
  const queryClient = createQueryClient({ retry: false, gcTime: Infinity });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const user = userEvent.setup();
  const view = render(
    <AppProviders queryClient={queryClient}>
      {/* react-router/dom's RouterProvider does this for the app; importing it
          here would load a second copy of react-router under Node. */}
      <RouterProvider
        router={router}
        flushSync={(fn) => {
          flushSync(fn);
          return undefined;
        }}
      />
    </AppProviders>,
  );
  return { ...view, user, router, queryClient };
}

import { createBrowserRouter, type RouteObject } from "react-router";
import { AccountPage } from "../features/account/AccountPage";
import { LoginPage } from "../features/auth/LoginPage";
import { RegisterPage } from "../features/auth/RegisterPage";
import { RequireAuth } from "../features/auth/RequireAuth";
import { ConversationPage } from "../features/chat/ConversationPage";
import { NewGroupPage } from "../features/conversations/NewGroupPage";
import { PeoplePage } from "../features/people/PeoplePage";
import { AppShell } from "./AppShell";
import { EmptyPane } from "./EmptyPane";
import { NotFoundPage, RouteErrorPage } from "./ErrorPages";

export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorPage />,
    children: [
      { path: "/login", element: <LoginPage /> },
      { path: "/register", element: <RegisterPage /> },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppShell />,
            children: [
              { index: true, element: <EmptyPane /> },
              { path: "/c/:conversationId", element: <ConversationPage /> },
              { path: "/people", element: <PeoplePage /> },
              { path: "/new-group", element: <NewGroupPage /> },
              { path: "/account", element: <AccountPage /> },
            ],
          },
        ],
      },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
];

export function createAppRouter() {
  return createBrowserRouter(routes);
}

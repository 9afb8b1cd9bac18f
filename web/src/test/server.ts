/**
 * A tiny fake of the VaultRoom API for tests: `fetch` is replaced by a vi.fn
 * that routes "METHOD /path" to a handler returning a real Response.
 */
import { vi } from "vitest";
import type { Me, User } from "../lib/types";

export interface MockRequest {
  method: string;
  path: string;
  url: URL;
  /** Parsed JSON body, if any. */
  body: unknown;
  init: RequestInit | undefined;
}

export type Handler = (request: MockRequest) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function apiError(
  status: number,
  code: string,
  message: string,
  fields?: Record<string, string>,
): Response {
  return json(status, { error: { code, message, ...(fields ? { fields } : {}) } });
}

export const noContent = (): Response => new Response(null, { status: 204 });

export const notSignedIn: Handler = () => apiError(401, "not_authenticated", "Not signed in.");

export function mockApi(routes: Record<string, Handler>) {
  const requests: MockRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, "http://localhost");
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const request: MockRequest = { method, path: url.pathname, url, body, init };
    requests.push(request);
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) return apiError(404, "not_found", `No mock for ${method} ${url.pathname}`);
    return handler(request);
  });
  vi.stubGlobal("fetch", fetchMock);

  return {
    fetchMock,
    requests,
    /** Requests made to one route, e.g. `to("GET /api/users")`. */
    to(route: string): MockRequest[] {
      const [method, path] = route.split(" ");
      return requests.filter((r) => r.method === method && r.path === path);
    },
    /** Replace or add routes mid-test (e.g. /me after signing in). */
    use(more: Record<string, Handler>) {
      Object.assign(routes, more);
    },
  };
}

let nextId = 100;

export function makeUser(overrides: Partial<User> = {}): User {
  const id = overrides.id ?? nextId++;
  return {
    id,
    username: `user${id}`,
    display_name: null,
    role: "user",
    online: false,
    last_seen_at: null,
    created_at: "2024-01-01T00:00:00Z",
    ...overrides,
  };
}

export function makeMe(overrides: Partial<Me> = {}): Me {
  return {
    ...makeUser({ id: 1, username: "alice", display_name: "Alice Liddell", ...overrides }),
    email: overrides.email ?? "alice@example.com",
  };
}

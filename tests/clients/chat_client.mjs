// An outside client of VaultRoom, written only against the public contract
// (docs/protocol.md) with the npm socket.io-client package and Node's fetch:
// no project code. It registers two users, opens a direct conversation, sends
// and receives over Socket.IO, then has one user go away, come back and resync
// as the contract says (GET /api/conversations, then messages?after_seq=).
//
// Usage: node chat_client.mjs http://127.0.0.1:8000   (or VAULTROOM_URL=...)
// Prints one line of JSON and exits 0 when every check holds; otherwise prints
// why on stderr and exits 1. It never runs longer than CHAT_CLIENT_TIMEOUT_MS.

import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";

const PASSWORD = "a long and unusual passphrase";
const OVERALL_TIMEOUT_MS = Number(process.env.CHAT_CLIENT_TIMEOUT_MS ?? 30_000);
const STEP_TIMEOUT_MS = 10_000; // a bound on each wait, never a measurement
const MISSED_WHILE_AWAY = 3;

const baseUrl = (process.argv[2] ?? process.env.VAULTROOM_URL ?? "").replace(/\/+$/, "");
const sockets = [];
let step = "starting";

class CheckFailed extends Error {}

function fail(message) {
  throw new CheckFailed(`${step}: ${message}`);
}

function check(condition, message, details) {
  if (!condition) {
    fail(details === undefined ? message : `${message} (got ${JSON.stringify(details)})`);
  }
}

function finish(code, line) {
  for (const socket of sockets) socket.disconnect();
  (code === 0 ? process.stdout : process.stderr).write(`${line}\n`);
  process.exit(code);
}

const overall = setTimeout(
  () => finish(1, `chat_client: timed out after ${OVERALL_TIMEOUT_MS} ms during "${step}"`),
  OVERALL_TIMEOUT_MS,
);

// --- REST ----------------------------------------------------------------------------------

async function api(method, path, { token, body, expect } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await response.text();
  const expected = Array.isArray(expect) ? expect : [expect ?? 200];
  if (!expected.includes(response.status)) {
    fail(`${method} ${path} answered ${response.status}, expected ${expected.join(" or ")}: ${text}`);
  }
  return { status: response.status, data: text ? JSON.parse(text) : null };
}

async function register(prefix) {
  const username = `${prefix}${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const { data } = await api("POST", "/api/auth/register", {
    body: { username, email: `${username}@example.com`, password: PASSWORD },
    expect: 201,
  });
  check(typeof data.token === "string" && data.token.length > 0, "register returned no token", data);
  check(Number.isInteger(data.user?.id), "register returned no user id", data);
  return { id: data.user.id, username, token: data.token };
}

// --- Socket.IO -----------------------------------------------------------------------------

async function waitUntil(condition, what, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function connected(socket, who) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CheckFailed(`${step}: ${who} never connected`)),
      STEP_TIMEOUT_MS,
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("connect_error", (error) => {
      clearTimeout(timer);
      reject(new CheckFailed(`${step}: ${who} connect_error ${error.message} ${JSON.stringify(error.data)}`));
    });
    if (!socket.connected && !socket.active) socket.connect();
  });
}

/** A socket that records every `message:new` it gets. */
function openSocket(user, who) {
  const socket = io(baseUrl, {
    transports: ["websocket"],
    auth: { token: user.token },
    reconnection: false, // reconnects here are explicit, so each one is checked
    autoConnect: false,
    forceNew: true,
  });
  socket.received = [];
  socket.on("message:new", (payload) => socket.received.push(payload.message));
  sockets.push(socket);
  return connected(socket, who).then(() => socket);
}

async function send(socket, conversationId, body, clientMsgId = randomUUID()) {
  const ack = await socket
    .timeout(STEP_TIMEOUT_MS)
    .emitWithAck("message:send", { conversation_id: conversationId, client_msg_id: clientMsgId, body });
  check(ack?.ok === true, "message:send was not acked ok", ack);
  const message = ack.message;
  check(message.conversation_id === conversationId, "ack is for another conversation", message);
  check(message.client_msg_id === clientMsgId, "ack carries another client_msg_id", message);
  check(message.body === body, "ack carries another body", message);
  check(Number.isInteger(message.seq) && message.seq >= 1, "ack has no seq", message);
  return message;
}

const seqsOf = (messages) => messages.map((message) => message.seq);
const sameList = (left, right) => JSON.stringify(left) === JSON.stringify(right);

// --- the scenario --------------------------------------------------------------------------

async function main() {
  if (!/^https?:\/\//.test(baseUrl)) {
    fail("give the server's base URL as the first argument or VAULTROOM_URL");
  }

  step = "register";
  const alice = await register("npma");
  const bob = await register("npmb");

  step = "open a direct conversation";
  const opened = await api("POST", "/api/conversations/direct", {
    token: alice.token,
    body: { user_id: bob.id },
    expect: 201,
  });
  const conversationId = opened.data.id;
  check(opened.data.kind === "direct", "not a direct conversation", opened.data);
  const again = await api("POST", "/api/conversations/direct", {
    token: alice.token,
    body: { user_id: bob.id },
    expect: 200,
  });
  check(again.data.id === conversationId, "opening it again gave another conversation", again.data);

  step = "connect";
  const aliceSocket = await openSocket(alice, "alice");
  const bobSocket = await openSocket(bob, "bob");

  step = "send and receive live";
  const first = await send(aliceSocket, conversationId, "hello from a plain npm client");
  check(first.seq === 1, "the first message of a new conversation is not seq 1", first);
  check(first.sender_id === alice.id, "the sender is someone else", first);
  await waitUntil(() => bobSocket.received.some((m) => m.id === first.id), "bob's message:new");
  const live = bobSocket.received.find((m) => m.id === first.id);
  check(live.seq === first.seq && live.body === first.body, "bob got another message", live);

  step = "bob goes away";
  bobSocket.disconnect();
  check(!bobSocket.connected, "bob's socket is still connected");
  const bobHolds = Math.max(...seqsOf(bobSocket.received));
  const liveBeforeAway = bobSocket.received.length;

  step = "alice sends while bob is away";
  const missed = [];
  for (let index = 1; index <= MISSED_WHILE_AWAY; index += 1) {
    missed.push(await send(aliceSocket, conversationId, `while you were away #${index}`));
  }
  check(
    sameList(seqsOf(missed), [2, 3, 4]),
    "seqs are not gap-free in send order",
    seqsOf(missed),
  );

  step = "retry an earlier client_msg_id";
  const retried = await send(aliceSocket, conversationId, first.body, first.client_msg_id);
  check(retried.id === first.id && retried.seq === first.seq, "a socket retry made a new message", retried);
  const restRetry = await api("POST", `/api/conversations/${conversationId}/messages`, {
    token: alice.token,
    body: { client_msg_id: missed[0].client_msg_id, body: missed[0].body },
    expect: 200,
  });
  check(
    restRetry.data.message.id === missed[0].id && restRetry.data.message.seq === missed[0].seq,
    "a REST retry made a new message",
    restRetry.data,
  );

  step = "bob reconnects";
  await connected(bobSocket, "bob (again)");
  check(bobSocket.received.length === liveBeforeAway, "bob got message:new while away", bobSocket.received);

  step = "bob resyncs";
  const listed = await api("GET", "/api/conversations", { token: bob.token });
  const summary = listed.data.conversations.find((c) => c.id === conversationId);
  check(summary !== undefined, "the conversation is not in bob's list", listed.data);
  check(summary.last_seq === 1 + MISSED_WHILE_AWAY, "last_seq does not count every message once", summary);
  check(summary.unread_count === 1 + MISSED_WHILE_AWAY, "bob's unread_count is off", summary);
  check(summary.last_message?.id === missed.at(-1).id, "last_message is not the newest", summary);
  const page = await api(
    "GET",
    `/api/conversations/${conversationId}/messages?after_seq=${bobHolds}`,
    { token: bob.token },
  );
  const resynced = page.data.messages;
  check(page.data.has_more === false, "one page should hold the gap", page.data);
  check(
    sameList(seqsOf(resynced), seqsOf(missed)),
    "resync did not return exactly the missing seqs in order",
    seqsOf(resynced),
  );
  check(
    sameList(
      resynced.map((m) => [m.id, m.client_msg_id, m.body, m.sender_id]),
      missed.map((m) => [m.id, m.client_msg_id, m.body, alice.id]),
    ),
    "resynced messages differ from the acked ones",
    resynced,
  );
  const held = [...bobSocket.received, ...resynced];
  check(new Set(held.map((m) => m.id)).size === held.length, "bob holds a duplicate", seqsOf(held));
  check(sameList(seqsOf(held), [1, 2, 3, 4]), "bob does not hold 1..4 in order", seqsOf(held));

  step = "the reconnected socket works both ways";
  const reply = await send(bobSocket, conversationId, "back online, caught up");
  check(reply.seq === 5, "bob's reply is not the next seq", reply);
  await waitUntil(() => aliceSocket.received.some((m) => m.id === reply.id), "alice's message:new");
  const read = await bobSocket
    .timeout(STEP_TIMEOUT_MS)
    .emitWithAck("conversation:read", { conversation_id: conversationId, seq: reply.seq });
  check(read?.ok === true && read.last_read_seq === reply.seq && read.unread_count === 0, "read", read);

  step = "the sending socket never echoes";
  check(
    sameList(aliceSocket.received.map((m) => m.id), [reply.id]),
    "alice's socket got message:new for her own sends",
    seqsOf(aliceSocket.received),
  );

  clearTimeout(overall);
  finish(
    0,
    JSON.stringify({
      ok: true,
      conversation_id: conversationId,
      sent: [first, ...missed, reply].map((m) => m.seq),
      live_received: seqsOf(bobSocket.received),
      resynced_after_seq: bobHolds,
      resynced: seqsOf(resynced),
      retry_seq: retried.seq,
      last_seq: reply.seq,
    }),
  );
}

main().catch((error) => {
  const why = error instanceof CheckFailed ? error.message : `${step}: ${error?.stack ?? error}`;
  finish(1, `chat_client: FAILED at ${why}`);
});

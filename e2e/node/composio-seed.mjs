#!/usr/bin/env node
// Runs the TypeScript snippets of the seed document ("Managing multiple
// connected accounts") through the real @composio/core SDK against
// Switchboard (COMPOSIO_BASE_URL points at it; the operator key is in
// SWITCHBOARD_KEY), then hands session.mcp.url and session.mcp.headers to
// the official MCP TypeScript client.
//
// It reports as it goes, one JSON object per line on stdout, so that the Go
// test can play the person at each connect link while waitForConnection
// polls: {"event":"link","which":"work","url":…} is the cue. Diagnostics go
// to stderr. Exit 0 when every step ran; 1 with {"event":"error"} otherwise.
import { Composio } from '@composio/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const emit = (doc) => process.stdout.write(JSON.stringify(doc) + '\n');

try {
  // --- The seed: connecting multiple accounts.
  const composio = new Composio({ apiKey: process.env.SWITCHBOARD_KEY });
  const session = await composio.create("user_123");

  // Connect first account (work)
  const workAuth = await session.authorize("gmail");
  emit({ event: 'link', which: 'work', url: workAuth.redirectUrl, id: workAuth.id });
  const workConnection = await workAuth.waitForConnection();
  emit({ event: 'connected', which: 'work', id: workConnection.id, status: workConnection.status });

  // Connect second account (personal)
  const personalAuth = await session.authorize("gmail");
  emit({ event: 'link', which: 'personal', url: personalAuth.redirectUrl, id: personalAuth.id });
  const personalConnection = await personalAuth.waitForConnection();
  emit({ event: 'connected', which: 'personal', id: personalConnection.id, status: personalConnection.status });

  // --- The seed: viewing a (new) session's active account.
  const fresh = await composio.create("user_123");
  const toolkits = await fresh.toolkits();
  for (const toolkit of toolkits.items) {
    if (toolkit.connection?.connectedAccount) {
      emit({ event: 'toolkit', session: 'new', name: toolkit.name, slug: toolkit.slug, id: toolkit.connection.connectedAccount.id, isActive: toolkit.connection.isActive });
    }
  }

  // --- The seed: selecting a specific account for a session.
  const pinned = await composio.create("user_123", {
    connectedAccounts: {
      gmail: workConnection.id,  // Connected account ID
    },
  });
  for (const toolkit of (await pinned.toolkits()).items) {
    if (toolkit.connection?.connectedAccount) {
      emit({ event: 'toolkit', session: 'pinned', slug: toolkit.slug, id: toolkit.connection.connectedAccount.id });
    }
  }

  // --- Listing all user accounts.
  const list = await composio.connectedAccounts.list({ userIds: ["user_123"], toolkitSlugs: ["gmail"] });
  emit({ event: 'list', items: list.items.map((a) => ({ id: a.id, status: a.status, toolkit: a.toolkit.slug })) });

  // --- Native tools: session.tools() and session.execute().
  const tools = await pinned.tools();
  emit({ event: 'tools', names: tools.map((t) => t.function?.name ?? t.name) });
  const executed = await pinned.execute("GMAIL_GET_PROFILE", {});
  emit({ event: 'execute', data: executed.data, error: executed.error, logId: executed.logId });

  // --- MCP: session.mcp.url and session.mcp.headers with the official client.
  const client = new Client({ name: 'switchboard-e2e-composio', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(pinned.mcp.url), { requestInit: { headers: pinned.mcp.headers } }));
  const listed = await client.listTools();
  const called = await client.callTool({ name: 'GMAIL_GET_PROFILE', arguments: {} });
  emit({ event: 'mcp', url: pinned.mcp.url, headerNames: Object.keys(pinned.mcp.headers ?? {}), tools: listed.tools.map((t) => t.name), result: called.structuredContent, isError: called.isError ?? false });
  await client.close();

  await pinned.delete();
  emit({ event: 'deleted', session: pinned.sessionId });
  emit({ event: 'done' });
  process.exit(0);
} catch (e) {
  emit({ event: 'error', message: String(e?.message ?? e), status: e?.status });
  console.error(e);
  process.exit(1);
}

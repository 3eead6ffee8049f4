#!/usr/bin/env node
// Drives an MCP server over streamable HTTP with the official TypeScript SDK
// (@modelcontextprotocol/sdk: Client + StreamableHTTPClientTransport).
//
// Contract (see README.md): reads ONE JSON document on stdin, writes ONE JSON
// document on stdout, diagnostics on stderr. Exit 0 when the script ran (tool
// errors and HTTP refusals of a reused session id are data); exit 1 on any
// other protocol/transport failure (the output then carries "error" too);
// exit 2 on bad input.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
  LATEST_PROTOCOL_VERSION,
} from '@modelcontextprotocol/sdk/types.js';
import { readInput, writeOutput, log, errorInfo, defaultsFromSchema, runMany } from './lib.mjs';

const input = await readInput();
if (typeof input.url !== 'string') {
  log('input.url (string) is required');
  process.exit(2);
}
const steps = Array.isArray(input.steps) ? input.steps : [];
const reuse = typeof input.reuseSessionId === 'string' && input.reuseSessionId !== '';

const out = {
  client: 'sdk',
  sessionId: null,
  protocolVersion: null,
  results: [],
  notifications: [],
  progress: [],
  elicitations: [],
};

const capabilities = {};
if (input.elicitation === 'accept' || input.elicitation === 'decline') {
  capabilities.elicitation = { form: {}, url: {} };
}
const client = new Client({ name: 'switchboard-e2e-sdk-client', version: '1.0.0' }, { capabilities });

const notification = (n) => {
  out.notifications.push({ method: n.method, params: n.params ?? {} });
  for (const w of waiters) w();
};
client.setNotificationHandler(ToolListChangedNotificationSchema, notification);
// Anything else the server sends (logging, resources/list_changed, elicitation/complete …).
client.fallbackNotificationHandler = async (n) => notification(n);

if (capabilities.elicitation) {
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    out.elicitations.push(req.params);
    if (input.elicitation === 'decline') return { action: 'decline' };
    if (req.params.mode === 'url') return { action: 'accept' };
    return { action: 'accept', content: defaultsFromSchema(req.params.requestedSchema) };
  });
}

const waiters = new Set();
function waitForNotification(method, timeoutMs) {
  const seen = () => out.notifications.find((n) => n.method === method);
  return new Promise((resolve) => {
    if (seen()) return resolve(seen());
    const t = setTimeout(() => {
      waiters.delete(check);
      resolve(null);
    }, timeoutMs);
    const check = () => {
      if (seen()) {
        clearTimeout(t);
        waiters.delete(check);
        resolve(seen());
      }
    };
    waiters.add(check);
  });
}

const transport = new StreamableHTTPClientTransport(new URL(input.url), {
  requestInit: { headers: input.headers ?? {} },
  ...(reuse ? { sessionId: input.reuseSessionId } : {}),
});
let closing = false;
transport.onerror = (e) => {
  if (!(closing && e?.name === 'AbortError')) log('transport error:', e?.message ?? e);
};

let exitCode = 0;
try {
  // With a sessionId set on the transport, Client.connect() skips initialize
  // (it treats it as a reconnect), so the first request of the script is the
  // first thing the server sees for that session id.
  await client.connect(transport);
  if (reuse) {
    transport.setProtocolVersion(input.protocolVersion ?? LATEST_PROTOCOL_VERSION);
  }
  out.sessionId = transport.sessionId ?? null;
  out.protocolVersion = transport.protocolVersion ?? null;
  out.serverInfo = client.getServerVersion() ?? null;

  for (const step of steps) {
    out.results.push(await runStep(step));
  }
  out.sessionId = transport.sessionId ?? null;
} catch (e) {
  const info = errorInfo(e);
  if ((reuse || input.allowHttpError) && e instanceof StreamableHTTPError && info.status >= 400) {
    // The server refused the request over HTTP (a reused session id, a
    // malformed or foreign header): with reuseSessionId or allowHttpError
    // that refusal is the datum under test, not a failure.
    out.error = info;
  } else {
    log('failure:', e?.stack ?? e);
    out.error = info;
    exitCode = 1;
  }
}

closing = true;
try {
  await client.close();
} catch (e) {
  log('close:', e?.message ?? e);
}
writeOutput(out);
process.exit(exitCode);

async function runStep(step) {
  switch (step.op) {
    case 'listTools': {
      const r = await client.listTools();
      return {
        tools: r.tools.map((t) => ({
          name: t.name,
          description: t.description,
          annotations: t.annotations,
          inputSchema: t.inputSchema,
          ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
        })),
      };
    }
    case 'callTool': {
      const options = {};
      if (step.timeoutMs) options.timeout = step.timeoutMs;
      if (input.progress || step.progress) {
        options.onprogress = (p) => out.progress.push({ tool: step.name, ...p });
        options.resetTimeoutOnProgress = true;
      }
      return await client.callTool({ name: step.name, arguments: step.arguments ?? {} }, undefined, options);
    }
    case 'sessionId':
      return { sessionId: transport.sessionId ?? null };
    case 'waitForNotification': {
      const method = step.method ?? 'notifications/tools/list_changed';
      const n = await waitForNotification(method, step.timeoutMs ?? 5000);
      return { method, received: n !== null };
    }
    case 'sleep':
      await new Promise((r) => setTimeout(r, step.ms ?? 0));
      return {};
    case 'parallel':
    case 'repeat':
      return await runMany(step, runStep);
    case 'terminateSession':
      await transport.terminateSession();
      return { terminated: true };
    default:
      throw new Error(`unknown step op: ${JSON.stringify(step.op)}`);
  }
}

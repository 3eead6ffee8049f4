#!/usr/bin/env node
// Drives an MCP server over streamable HTTP with the OpenAI Agents SDK's
// MCPServerStreamableHttp (@openai/agents). No model and no API key are
// involved: only connect(), listTools(), callToolResult(), close().
//
// MCPServerStreamableHttp wraps @modelcontextprotocol/client (the v2 SDK)
// with versionNegotiation {mode: 'auto'}: it probes server/discover for the
// stateless 2026-07-28 revision first and falls back to the initialize
// handshake (2025-11-25 …) when the server does not offer it.
//
// Contract (see README.md): same as sdk-client.mjs; steps listTools,
// callTool, sessionId, parallel, repeat.
import { readInput, writeOutput, log, errorInfo, runMany } from './lib.mjs';

// No traces may leave the machine (and there is no API key anyway).
process.env.OPENAI_AGENTS_DISABLE_TRACING ??= '1';
const { MCPServerStreamableHttp } = await import('@openai/agents');

const input = await readInput();
if (typeof input.url !== 'string') {
  log('input.url (string) is required');
  process.exit(2);
}
const steps = Array.isArray(input.steps) ? input.steps : [];

const out = {
  client: 'openai-agents',
  sessionId: null,
  protocolVersion: null,
  protocolEra: null,
  results: [],
};

const server = new MCPServerStreamableHttp({
  url: input.url,
  name: 'switchboard-e2e-agents-client',
  requestInit: { headers: input.headers ?? {} },
  cacheToolsList: false,
  // null: rethrow tool *transport* errors instead of turning them into text.
  errorFunction: null,
  ...(input.timeoutMs ? { timeout: input.timeoutMs } : {}),
  ...(input.reuseSessionId ? { sessionId: input.reuseSessionId } : {}),
});

let exitCode = 0;
try {
  await server.connect();
  describeConnection();
  for (const step of steps) out.results.push(await runStep(step));
  describeConnection();
} catch (e) {
  out.error = errorInfo(e);
  if (!((input.reuseSessionId || input.allowHttpError) && out.error.status >= 400)) {
    log('failure:', e?.stack ?? e);
    exitCode = 1;
  }
}
try {
  await server.close();
} catch (e) {
  log('close:', e?.message ?? e);
}
writeOutput(out);
process.exit(exitCode);

// The negotiated revision is not part of MCPServerStreamableHttp's public
// surface; read it from the underlying @modelcontextprotocol/client Client.
function describeConnection() {
  out.sessionId = server.sessionId ?? null;
  const client = server.underlying?.session;
  const transport = server.underlying?.transport;
  out.protocolVersion = client?.getNegotiatedProtocolVersion?.() ?? transport?.protocolVersion ?? null;
  out.protocolEra = client?.getProtocolEra?.() ?? null;
}

async function runStep(step) {
  switch (step.op) {
    case 'listTools': {
      const tools = await server.listTools();
      return {
        tools: tools.map((t) => ({
          name: t.name,
          description: t.description,
          annotations: t.annotations,
          inputSchema: t.inputSchema,
          ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
        })),
      };
    }
    case 'callTool':
      return await server.callToolResult(step.name, step.arguments ?? {});
    case 'sessionId':
      return { sessionId: server.sessionId ?? null };
    case 'parallel':
    case 'repeat':
      return await runMany(step, runStep);
    default:
      throw new Error(`unknown step op: ${JSON.stringify(step.op)}`);
  }
}

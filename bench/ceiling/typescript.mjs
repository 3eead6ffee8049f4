// The second reference of the load driver: the official TypeScript SDK's
// bare server with one trivial tool, over StreamableHTTPServerTransport, in
// the SDK's documented shape for legacy sessions: one McpServer and one
// transport per session, found by Mcp-Session-Id. Responses are plain JSON
// (enableJsonResponse), the SDK's cheaper mode, so the reference is as fast
// as the SDK can be made without changing it. The SDK (1.32.2) implements
// protocol revisions up to 2025-11-25, not the stateless 2026-07-28 one.
//
//   node typescript.mjs <host:port> <dir of @modelcontextprotocol/sdk>
//
// The driver passes the SDK that e2e/node installs; this file lives outside
// that package, so it imports the SDK's ESM build by path.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [addr, sdkDir] = process.argv.slice(2);
if (!addr || !sdkDir) {
  console.error('usage: node typescript.mjs <host:port> <sdk dir>');
  process.exit(2);
}
const sdk = (rel) => import(pathToFileURL(path.join(sdkDir, 'dist', 'esm', rel)).href);
const { McpServer } = await sdk('server/mcp.js');
const { StreamableHTTPServerTransport } = await sdk('server/streamableHttp.js');
const { isInitializeRequest } = await sdk('types.js');

const transports = new Map(); // Mcp-Session-Id → transport

function newServer() {
  const server = new McpServer({ name: 'ceiling-typescript', version: '1' });
  server.registerTool('echo', { description: 'Answers pong.' }, async () => ({
    content: [{ type: 'text', text: 'pong' }],
  }));
  return server;
}

async function readJSON(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function refuse(res, status, message) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
}

const httpServer = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"ok"}\n');
      return;
    }
    if (url.pathname !== '/mcp') return refuse(res, 404, 'not found');
    const sid = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readJSON(req) : undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || req.method !== 'POST' || !isInitializeRequest(body)) {
        return refuse(res, sid ? 404 : 400, sid ? 'session not found' : 'initialize first');
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (err) {
    console.error(err);
    if (!res.headersSent) refuse(res, 500, 'internal error');
  }
});

const i = addr.lastIndexOf(':');
httpServer.listen(Number(addr.slice(i + 1)), addr.slice(0, i), () => {
  console.error(`ceiling-typescript listening on ${addr}`);
});
const stop = () => {
  for (const t of transports.values()) t.close().catch(() => {});
  httpServer.close(() => process.exit(0));
  httpServer.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

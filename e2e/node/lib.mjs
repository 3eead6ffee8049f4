// Shared plumbing of the client drivers: one JSON document in on stdin, one
// out on stdout, diagnostics on stderr.

export async function readInput() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    log('stdin is not one JSON document:', e.message);
    process.exit(2);
  }
}

export function writeOutput(doc) {
  process.stdout.write(JSON.stringify(doc) + '\n');
}

export function log(...args) {
  console.error('[driver]', ...args);
}

// errorInfo turns an SDK/transport error into {status?, code?, message, body?}.
// status is the HTTP status when the server refused a request; body is the
// parsed response body when the SDK's message embeds one (the SDK formats
// "Streamable HTTP error: Error POSTing to endpoint: <body>").
export function errorInfo(e) {
  let message = String(e?.message ?? e).trim();
  if (e?.cause?.message && !message.includes(e.cause.message)) message += `: ${e.cause.message}`;
  if (e?.cause?.code && typeof e.cause.code === 'string') message += ` (${e.cause.code})`;
  const info = { message };
  const status = httpStatus(e);
  if (status !== undefined) info.status = status;
  if (e?.code !== undefined && e.code !== status) info.code = e.code;
  const at = info.message.indexOf('{');
  if (at >= 0) {
    try {
      info.body = JSON.parse(info.message.slice(at));
    } catch {
      /* not JSON */
    }
  }
  return info;
}

function httpStatus(e) {
  for (const v of [e?.status, e?.statusCode, e?.data?.status, e?.code]) {
    if (Number.isInteger(v) && v >= 100 && v <= 599) return v;
  }
  const m = /\b(?:HTTP|status)[ :]*(\d{3})\b/i.exec(String(e?.message ?? ''));
  if (m) return Number(m[1]);
  if (e?.cause && e.cause !== e) return httpStatus(e.cause);
  return undefined;
}

// defaultsFromSchema builds a form-elicitation answer: each property's
// default, else a plain value of its type.
export function defaultsFromSchema(schema) {
  const content = {};
  for (const [name, p] of Object.entries(schema?.properties ?? {})) {
    if (p.default !== undefined) content[name] = p.default;
    else if (Array.isArray(p.enum) && p.enum.length) content[name] = p.enum[0];
    else if (p.type === 'boolean') content[name] = true;
    else if (p.type === 'number' || p.type === 'integer') content[name] = p.minimum ?? 0;
    else content[name] = 'e2e';
  }
  return content;
}

// runMany runs step.step step.count times through run: all at once for the
// 'parallel' op, one after the other for 'repeat'. With
// step.tolerateErrors a failed run is recorded as {error} and the others go
// on (a replica killed under load), else the first failure fails the step.
export async function runMany(step, run) {
  const count = step.count ?? 1;
  const one = async () => {
    try {
      return await run(step.step);
    } catch (e) {
      if (!step.tolerateErrors) throw e;
      return { error: errorInfo(e) };
    }
  };
  if (step.op === 'parallel') return { results: await Promise.all(Array.from({ length: count }, one)) };
  const results = [];
  for (let i = 0; i < count; i++) results.push(await one());
  return { results };
}

// A local HTTP server speaking just enough of the Ollama `/api/chat` and OpenAI
// `/v1/chat/completions` protocols for the real client libraries: it records every request and
// answers with whatever the test sets (content, an HTTP error, or a delay). `GET /api/tags` lists
// the models it claims to have (Ollama's "is it up, and which models" question).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface Reply {
  /** The assistant message content (usually JSON text). */
  content?: string;
  status?: number;
  delayMs?: number;
}

export interface FakeModel {
  url: string;
  requests: RecordedRequest[];
  /** Sets the reply to every following request; a function sees the request. */
  reply(r: Reply | ((req: RecordedRequest) => Reply)): void;
  close(): Promise<void>;
}

export const answer = (action: string, confidence: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    analysis: `analysis recommending ${action}`,
    rootCause: 'memory grows until the container is killed',
    confidence,
    recommendation: { action, rationale: `because ${action} fits` },
    similarIncidents: ['leak-app restarted twice last hour'],
    ...extra,
  });

export interface FakeModelOptions {
  /** What `GET /api/tags` lists (default llama3.2:latest); chat answers any model name. */
  models?: string[];
}

export async function startFakeModel(opts: FakeModelOptions = {}): Promise<FakeModel> {
  const models = opts.models ?? ['llama3.2:latest'];
  let current: Reply | ((req: RecordedRequest) => Reply) = { content: answer('none', 0.9) };
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const rec: RecordedRequest = {
        path: req.url ?? '',
        headers: req.headers,
        body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {},
      };
      requests.push(rec);
      if (rec.path === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ models: models.map((name) => ({ name, model: name })) }));
        return;
      }
      const r = typeof current === 'function' ? current(rec) : current;
      const send = (): void => {
        if (res.destroyed) return;
        if (r.status && r.status >= 400) {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'fake model error' } }));
          return;
        }
        const model = String(rec.body.model ?? 'fake');
        const content = r.content ?? '';
        const body = rec.path.startsWith('/api/chat')
          ? {
              model,
              created_at: new Date().toISOString(),
              message: { role: 'assistant', content },
              done: true,
            }
          : {
              id: 'chatcmpl-fake',
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model,
              choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (r) => {
      current = r;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

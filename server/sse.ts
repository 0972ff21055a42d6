/** Server-sent events for a streamed completion: `data: {json}` events, `data: [DONE]` at the end. */
import type { ServerResponse } from 'node:http';
import type { ApiError } from './errors.js';

export class SseWriter {
  private opened = false;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly ctx: { scheduler: { kick(): void }; baseHeaders: Record<string, string> },
  ) {
    // a reader that had fallen behind caught up: its sequences may take tokens again
    res.on('drain', () => ctx.scheduler.kick());
  }

  open(headers: Record<string, string> = {}): void {
    if (this.opened) return;
    this.opened = true;
    this.res.writeHead(200, { ...this.ctx.baseHeaders, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no', ...headers });
    this.res.flushHeaders();
  }

  /** False while the socket's buffer is full: the stream's sequences sit out steps until it drains. */
  ready(): boolean {
    return this.closed || !this.res.writableNeedDrain;
  }

  send(obj: unknown): void {
    if (this.closed || this.res.destroyed) return;
    this.open();
    this.res.write(`data: ${JSON.stringify(obj)}\n\n`);
  }

  done(): void {
    if (this.closed) return;
    this.open();
    this.res.end('data: [DONE]\n\n');
    this.closed = true;
  }

  /** Ends the stream with an error event (OpenAI's clients raise it). */
  error(err: ApiError): void {
    if (this.closed) return;
    if (!this.opened && !this.res.headersSent) {
      // nothing sent yet: a plain error response
      this.opened = true;
      this.res.writeHead(err.status, { ...this.ctx.baseHeaders, 'Content-Type': 'application/json', ...err.headers });
      this.res.end(JSON.stringify(err.body()));
    } else this.res.end(`event: error\ndata: ${JSON.stringify(err.body())}\n\n`);
    this.closed = true;
  }
}

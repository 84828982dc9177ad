/**
 * Send one request to the hub over a pooled connection and stream the answer to the core as it
 * arrives: status, end-to-end headers and body unchanged, with backpressure (a slow core pauses the
 * hub connection instead of buffering).
 *
 * Uses undici's dispatch handler API directly rather than `request()`: no intermediate Readable or
 * promise per response, which is a measurable share of the per-request budget next to a 460 µs
 * RSA signature.
 *
 * A deadline covers everything up to the hub's response headers, including time queued for a free
 * connection (undici's headersTimeout starts only once the request is written). If it fires while
 * the request is still queued, the request is abandoned before a byte is written, so the hub never
 * sees a request the core was told timed out. After the headers, undici's bodyTimeout (idle time
 * between chunks) applies.
 *
 * A 401 can be held instead of relayed (its small body buffered), so the caller can refresh the
 * token and resend the byte-identical request once.
 *
 * The relay ends both sides together: when the core's connection closes before the answer was
 * relayed to the end (a core that gave up, or stopped reading and hung up while we wait for it to
 * drain), the hub request is aborted at once (CLIENT_CLOSED). Aborting costs one hub connection;
 * draining the rest to keep it reusable would be unbounded (the answer may be large or slow), and
 * waiting for a `drain` that can no longer come would hold the request, its in-flight count and the
 * hub connection until shutdown.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { SidecarError } from '../shared/errors.js';
import { forwardableResponseHeaders } from '../shared/headers.js';
import { classifyHubError } from './hub-errors.js';

export interface HubRequestSpec {
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | undefined;
}

export type HubOutcome =
  | { readonly kind: 'relayed'; readonly status: number }
  | { readonly kind: 'held'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: Buffer };

/** A held 401 larger than this is relayed as far as it got, then cut: 401 bodies are a few hundred bytes. */
const MAX_HELD_BODY = 64 * 1024;

export function sendToHub(dispatcher: Dispatcher, spec: HubRequestSpec, res: ServerResponse, opts: { deadlineMs: number; hold401: boolean }): Promise<HubOutcome> {
  return new Promise<HubOutcome>((resolve, reject) => {
    if (res.destroyed) {
      // Gone while the request was being prepared: nothing is sent for an answer nobody can receive.
      reject(new SidecarError('CLIENT_CLOSED', 'before_send', 'the core closed its connection before the request was sent to the hub'));
      return;
    }
    const handler = new RelayHandler(res, opts.hold401, resolve, reject);
    handler.arm(opts.deadlineMs);
    dispatcher.dispatch({ path: spec.path, method: spec.method as Dispatcher.HttpMethod, headers: spec.headers, body: spec.body ?? null }, handler);
  });
}

/** undici's handler protocol is an object with per-request state and callbacks; a class is its natural shape. */
class RelayHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The core was already answered (deadline while queued): abort the moment undici assigns a connection. */
  #abandoned = false;
  #settled = false;
  #status = 0;
  #held: { headers: Record<string, string | string[]>; chunks: Buffer[]; size: number } | undefined;
  #onDrain: (() => void) | undefined;
  readonly #onCoreClose = (): void => this.#coreClosed();

  constructor(
    private readonly res: ServerResponse,
    private readonly hold401: boolean,
    private readonly resolve: (o: HubOutcome) => void,
    private readonly reject: (e: SidecarError) => void,
  ) {}

  arm(ms: number): void {
    this.#timer = setTimeout(() => this.#onDeadline(), ms);
    this.res.once('close', this.#onCoreClose);
  }

  #coreClosed(): void {
    if (this.#settled || this.res.writableFinished) return;
    const err = new SidecarError('CLIENT_CLOSED', this.#status === 0 ? 'awaiting_hub' : 'during_relay', 'the core closed its connection before the hub answer was relayed; hub request aborted');
    if (this.#controller) this.#controller.abort(err);
    else {
      this.#abandoned = true;
      this.#fail(err);
    }
  }

  #onDeadline(): void {
    this.#timer = undefined;
    const err = new SidecarError('HUB_TIMEOUT', 'deadline', 'no response headers from the hub within outbound.hub.timeoutMs');
    if (this.#controller) this.#controller.abort(err);
    else {
      this.#abandoned = true;
      this.#fail(err);
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fail(err: SidecarError): void {
    if (this.#settled) return;
    this.#settle();
    this.reject(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abandoned) controller.abort(new SidecarError('HUB_TIMEOUT', 'deadline'));
  }

  #settle(): void {
    this.#settled = true;
    this.#clearTimer();
    if (this.#onDrain) this.res.off('drain', this.#onDrain);
    this.res.off('close', this.#onCoreClose);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational (e.g. 103): not relayed
    this.#clearTimer();
    this.#status = statusCode;
    const out = forwardableResponseHeaders(headers as Record<string, string | string[] | undefined>);
    if (statusCode === 401 && this.hold401) {
      const declared = Number(headers['content-length'] ?? 0);
      if (!(declared > MAX_HELD_BODY)) {
        this.#held = { headers: out, chunks: [], size: 0 };
        return;
      }
    }
    if (!this.res.destroyed) this.res.writeHead(statusCode, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const held = this.#held;
    if (held) {
      held.size += chunk.length;
      if (held.size > MAX_HELD_BODY) {
        controller.abort(new SidecarError('HUB_UNREACHABLE', 'other', `hub 401 body larger than ${MAX_HELD_BODY} bytes`));
        return;
      }
      held.chunks.push(chunk);
      return;
    }
    // The core's 'close' aborts the request; a chunk can still arrive in the same tick.
    if (this.res.destroyed) return;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.#onDrain ??= () => controller.resume();
      this.res.once('drain', this.#onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settle();
    const held = this.#held;
    if (held) {
      this.resolve({ kind: 'held', status: this.#status, headers: held.headers, body: Buffer.concat(held.chunks, held.size) });
      return;
    }
    if (!this.res.destroyed) this.res.end();
    this.resolve({ kind: 'relayed', status: this.#status });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#fail(classifyHubError(err));
  }
}

/** Relay a held response (the 401 no resend could fix) as the hub sent it. */
export function relayHeld(res: ServerResponse, held: Extract<HubOutcome, { kind: 'held' }>): void {
  if (res.destroyed) return;
  res.writeHead(held.status, held.headers);
  res.end(held.body);
}

// Streaming HTTP download for feed files too big for HttpClient (which buffers at most 2 MiB).
// Same rules as HttpClient: the URL is checked against the outbound policy before anything is
// sent, no redirects (a redirect could lead anywhere), no hidden retries, explicit timeouts, every
// failure an ExternalCallError, and no secret in any message.
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import got, { type RequestError } from 'got';
import { ExternalCallError, parseRetryAfter } from '../external-errors';
import { redact } from '../http';
import { outboundUrlProblem, type UrlPolicy } from '../outbound';

export interface DownloadRequest {
  /** Names the upstream in messages (`wps`, `parts-unlimited`). */
  target: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A JSON body (sets content-type). */
  json?: unknown;
  /** Values that must never appear in a message (passwords, tokens). */
  secrets?: string[];
  /** Longest wait for the answer's headers, and for each chunk after them. Default 60 s. */
  timeoutMs?: number;
  /** Longest whole transfer. Default 30 min. */
  totalTimeoutMs?: number;
  signal?: AbortSignal;
  urlPolicy: UrlPolicy;
  /** Largest body read (after decompression); more is refused. Default 1 GiB. */
  maxBytes?: number;
  /** The message for 401/403 (default: a generic "credentials refused" sentence). */
  credentialsMessage?: string;
}

export interface DownloadResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 * 1024 * 1024;
const ERROR_SNIPPET_BYTES = 2000;

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(invalid URL)';
  }
}

/** Classifies a non-2xx answer. `snippet` is the start of its body (upstream text, redacted here). */
export function classifyDownloadStatus(req: DownloadRequest, status: number, headers: DownloadResponse['headers'], snippet: string): ExternalCallError {
  const secrets = req.secrets ?? [];
  const what = `${req.method ?? 'GET'} ${pathOf(req.url)}`;
  const details = { target: req.target, httpStatus: status };
  const said = redact(snippet.replace(/\s+/g, ' ').trim(), secrets).slice(0, 300);
  if (status === 401 || status === 403) {
    return new ExternalCallError(
      'permanent',
      'credentials_rejected',
      redact(req.credentialsMessage ?? `${req.target} refused the credentials for ${what} (${status}). Check the connection's feed settings.`, secrets),
      details,
    );
  }
  if (status === 429) {
    return new ExternalCallError('transient', 'throttled', `${req.target} is throttling ${what}${said ? `: ${said}` : ''}`, {
      ...details,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status >= 500) {
    return new ExternalCallError('transient', 'upstream_unavailable', `${req.target} answered ${status} to ${what}`, {
      ...details,
      retryAfterMs: parseRetryAfter(headers['retry-after']),
    });
  }
  return new ExternalCallError('permanent', 'invalid_request', `${req.target} answered ${status} to ${what}${said ? `: ${said}` : ''}`, details);
}

function transportError(req: DownloadRequest, err: unknown, aborted: boolean): ExternalCallError {
  if (err instanceof ExternalCallError) return err;
  const e = err as RequestError;
  const code = aborted ? 'ABORTED' : (e?.code ?? 'UNKNOWN');
  const isTimeout = aborted || e?.name === 'TimeoutError' || code === 'ETIMEDOUT';
  return new ExternalCallError(
    'transient',
    isTimeout ? 'timeout' : 'network_error',
    `${req.target} did not deliver ${req.method ?? 'GET'} ${pathOf(req.url)} (${aborted ? 'aborted' : isTimeout ? 'timed out' : code})`,
    { target: req.target },
  );
}

/**
 * Sends the request and resolves, once a 2xx answer's headers are in, with its body as a stream.
 * Rejects with ExternalCallError before that (policy, status, network); the stream errors with an
 * ExternalCallError later (network, timeout, too large, aborted). The caller must consume or
 * destroy the stream.
 */
export async function downloadStream(req: DownloadRequest): Promise<DownloadResponse & { body: Readable }> {
  const problem = outboundUrlProblem(req.url, req.urlPolicy);
  if (problem) {
    throw new ExternalCallError(
      'permanent',
      'destination_refused',
      redact(`Nothing was sent to ${req.target}: the address ${problem}. Correct the connection's feed settings, then retry.`, req.secrets ?? []),
      { target: req.target },
    );
  }
  if (req.signal?.aborted) {
    throw new ExternalCallError('transient', 'timeout', `${req.target}: ${req.method ?? 'GET'} ${pathOf(req.url)} was not sent (the run was cancelled)`, {
      target: req.target,
    });
  }
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const source = got.stream(req.url, {
    method: req.method ?? 'GET',
    headers: { ...(req.json !== undefined ? { 'content-type': 'application/json' } : {}), ...req.headers },
    body: req.json !== undefined ? JSON.stringify(req.json) : undefined,
    throwHttpErrors: false,
    retry: 0,
    followRedirect: false,
    timeout: { connect: timeoutMs, response: timeoutMs, socket: timeoutMs, request: req.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS },
  });
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    source.destroy(new Error('aborted'));
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const cleanup = () => req.signal?.removeEventListener('abort', onAbort);

  let response: { statusCode: number; headers: DownloadResponse['headers'] };
  try {
    response = await new Promise((resolve, reject) => {
      source.once('response', resolve);
      source.once('error', reject);
    });
  } catch (err) {
    cleanup();
    source.destroy();
    throw transportError(req, err, aborted);
  }
  const { statusCode: status, headers } = response;
  if (status < 200 || status >= 300) {
    let snippet = '';
    try {
      for await (const chunk of source) {
        snippet += Buffer.from(chunk as Buffer).toString('utf8');
        if (snippet.length >= ERROR_SNIPPET_BYTES) break;
      }
    } catch {
      // the status is what counts
    }
    cleanup();
    source.destroy();
    throw classifyDownloadStatus(req, status, headers, snippet.slice(0, ERROR_SNIPPET_BYTES));
  }

  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > maxBytes) {
        done(
          new ExternalCallError('permanent', 'response_too_large', `${req.target} sent more than ${maxBytes} bytes for ${req.method ?? 'GET'} ${pathOf(req.url)}; the download was stopped`, {
            target: req.target,
            httpStatus: status,
          }),
        );
        return;
      }
      done(null, chunk);
    },
  });
  source.on('error', (err) => {
    cleanup();
    counted.destroy(transportError(req, err, aborted));
  });
  source.on('end', cleanup);
  counted.on('close', () => {
    cleanup();
    if (!source.destroyed) source.destroy();
  });
  source.pipe(counted);
  return { status, headers, body: counted };
}

/** Streams the answer into `destPath`; resolves with the status, headers and byte count. */
export async function downloadToFile(req: DownloadRequest & { destPath: string }): Promise<DownloadResponse & { bytes: number }> {
  const { status, headers, body } = await downloadStream(req);
  // Transfer failures arrive as ExternalCallError from `body`; a local disk error stays as it is.
  await pipeline(body, createWriteStream(req.destPath));
  return { status, headers, bytes: (await stat(req.destPath)).size };
}

// Helpers the adapter tests share: asserting a refusal's kind and code (and that no secret leaks
// into its sentence), and calling a simulator's `/__control` routes.
import { ExternalCallError } from '../../src/external-errors';

/** Awaits `p`, expecting an ExternalCallError of this kind and code whose message holds none of `secrets`. */
export async function expectRefusal(p: Promise<unknown>, kind: string, code: string, secrets: string[] = []): Promise<ExternalCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExternalCallError);
    const err = e as ExternalCallError;
    expect({ kind: err.kind, code: err.code }).toEqual({ kind, code });
    for (const s of secrets) expect(err.message).not.toContain(s);
    return err;
  }
  throw new Error(`expected ${kind}/${code}, but the call succeeded`);
}

/** GET (no body) or POST (JSON body) to a simulator's control route; the parsed answer. */
export async function control(baseUrl: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The ExternalCallError code `build` throws, or `ok` when it builds (body checks before sending). */
export function refusalCode(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    return (e as ExternalCallError).code;
  }
  return 'ok';
}

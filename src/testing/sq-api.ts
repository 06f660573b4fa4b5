/** A small client of the SQ REST API for end-to-end tests, over the router testkit's request(). */
import type { OutgoingHttpHeaders } from 'node:http';
import { request, type Reply } from '../router/testkit.js';

/** A reply with its body as text. */
export interface TextReply extends Reply {
  readonly text: string;
}

export interface ApiOptions {
  /** Sent as `Authorization: Bearer <token>` unless `headers` say otherwise. */
  token?: string;
  headers?: OutgoingHttpHeaders;
  method?: string;
  body?: string | Buffer;
}

/** `path` (e.g. `/api/v2/select?p=test&c=1.1.1`) on 127.0.0.1:`port`. */
export async function call(port: number, path: string, options: ApiOptions = {}): Promise<TextReply> {
  const headers: OutgoingHttpHeaders = { ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }), ...options.headers };
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  if (body) headers['Content-Length'] = body.length;
  const reply = await request(port, { method: options.method ?? (body ? 'POST' : 'GET'), path, headers, body });
  return { ...reply, text: reply.body.toString('utf8') };
}

/** `/api/v2/<command>?<params>`, the parameters URL-encoded. */
export function apiPath(command: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `/api/v2/${command}${query ? `?${query}` : ''}`;
}

/** `command` with `params` as tenant `token`: call(port, apiPath(command, params), {token, ...}). */
export function api(port: number, token: string | undefined, command: string, params: Record<string, string> = {}, options: Omit<ApiOptions, 'token'> = {}): Promise<TextReply> {
  return call(port, apiPath(command, params), { ...options, token });
}

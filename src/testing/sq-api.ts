/** A small client of the SQ REST API for end-to-end tests, over http-client's request(). */
import type { OutgoingHttpHeaders } from 'node:http';
import { request, type Reply } from './http-client.js';

/** A reply with its body decoded as UTF-8. */
export interface TextReply extends Reply {
  readonly text: string;
}

export interface ApiOptions {
  /** Sent as `Authorization: Bearer <token>` unless `headers` say otherwise. */
  token?: string;
  headers?: OutgoingHttpHeaders;
  /** Defaults to POST with a body, GET without. */
  method?: string;
  /** A string is sent as UTF-8, with a declared Content-Length as curl sends. */
  body?: string | Buffer;
}

/** `path` (e.g. `/api/v2/select?p=test&c=1.1.1`) on 127.0.0.1:`port`, on a fresh connection. */
export async function call(port: number, path: string, options: ApiOptions = {}): Promise<TextReply> {
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const headers: OutgoingHttpHeaders = {
    ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
    ...(body === undefined ? {} : { 'Content-Length': body.length }),
    ...options.headers,
  };
  const reply = await request(port, { method: options.method ?? (body ? 'POST' : 'GET'), path, headers, body });
  return { ...reply, text: reply.body.toString('utf8') };
}

/** `/api/v2/<command>?<params>`, the parameters URL-encoded. */
export function apiPath(command: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `/api/v2/${command}${query ? `?${query}` : ''}`;
}

/** `command` with `params` as tenant `token`: call(port, apiPath(command, params), {token, ...}). */
export function api(
  port: number,
  token: string | undefined,
  command: string,
  params: Record<string, string> = {},
  options: Omit<ApiOptions, 'token'> = {},
): Promise<TextReply> {
  return call(port, apiPath(command, params), { ...options, token });
}

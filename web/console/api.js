// The console's client of the SQ API: the same /api/v2 every client uses, with the token in
// Authorization only (never in a URL).

/** A refusal: the status and the server's one-line message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
  }
}

/** `/api/v2/<command>?<params>`. */
export const path = (command, params = {}) => {
  const query = new URLSearchParams(params).toString();
  return `/api/v2/${command}${query ? `?${query}` : ''}`;
};

/** The version an answer's ETag names (`"7"` → 7). */
export const versionOf = (res) => Number(JSON.parse(res.headers.get('ETag') ?? '"0"'));

export class Api {
  constructor(token) {
    this.token = token;
  }

  headers(extra = {}) {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : { ...extra };
  }

  /** The response, whatever its status. */
  fetch(url, { method = 'GET', body, headers, signal } = {}) {
    return fetch(url, { method, body, headers: this.headers(headers), signal, cache: 'no-store' });
  }

  /** The response, or an ApiError for a refusal (JSON `{error}` or a text line). */
  async ok(url, options) {
    const res = await this.fetch(url, options);
    if (res.ok) return res;
    const text = await res.text();
    let message = text.trim();
    try {
      message = JSON.parse(text).error ?? message;
    } catch {}
    throw new ApiError(res.status, message);
  }

  async text(url, options) {
    const res = await this.ok(url, options);
    return { text: await res.text(), version: versionOf(res) };
  }

  async json(url, options) {
    return (await this.ok(url, options)).json();
  }

  /** A scroll's text written with If-Match: the phext's version it was read at. */
  write(command, p, c, text, version) {
    return this.fetch(path(command, { p, c }), {
      method: 'POST',
      body: text,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', ...(version === undefined ? {} : { 'If-Match': `"${version}"` }) },
    });
  }
}

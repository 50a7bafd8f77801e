// Requests to iot-server's REST API. A 401 asks for the API token once (the
// token form in index.html), keeps it for the browser session only
// (sessionStorage) and sends it as a bearer token from then on.

const TOKEN_KEY = 'iot-api-token';
let asking = null;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function authHeaders(headers = {}) {
  const t = token();
  return t ? { ...headers, Authorization: `Bearer ${t}` } : headers;
}

// Shows the token form; resolves when a token has been entered. Callers that
// meet a 401 at the same time share one form.
export function askToken(rejected) {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  const form = dialog.querySelector('form');
  const input = form.elements.token;
  dialog.querySelector('.token-error').textContent = rejected ? 'That token was refused.' : '';
  asking = new Promise((resolve) => {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      input.value = '';
      dialog.close();
      asking = null;
      resolve();
    }, { once: true });
  });
  dialog.showModal();
  input.focus();
  return asking;
}

// A problem (RFC 9457) as an Error: .status, .problem, message = its detail.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// fetch() under /api/v1 with the token; retries once a token is entered.
export async function request(path, options = {}) {
  for (;;) {
    const res = await fetch(`/api/v1${path}`, { ...options, headers: authHeaders(options.headers) });
    if (res.status === 401) {
      await askToken(token() !== '');
      continue;
    }
    return res;
  }
}

// The JSON body of a 2xx answer; an ApiError otherwise.
export async function getJson(path) {
  const res = await request(path, { headers: { Accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// PUT of a JSON body: { status, body } whatever the status (commands answer
// 200, 202 and 422 alike with a body worth showing).
export async function putJson(path, value) {
  const res = await request(path, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(value),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export const enc = encodeURIComponent;

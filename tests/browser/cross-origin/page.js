// A frontend served from another origin, calling the gateway the way the seed's React app does:
// login with {email, password} expecting access, refresh and user; a multipart upload with its own
// callback_url; /status polling; the live stream read with fetch and a Bearer header. The API's
// address comes in the query string (?api=…&email=…&password=…); the outcome is written to
// #result as JSON for the test to read.

const params = new URLSearchParams(location.search);
const api = params.get('api');
const log = (line) => { document.getElementById('log').textContent += `${line}\n`; };

const CSV = 'transferId,amount,currency,partyIdType,partyIdentifier\n'
  + 'xo-001,1500,XOF,MSISDN,22890100001\n'
  + 'xo-002,2500,XOF,MSISDN,22890100002\n';

async function login() {
  const res = await fetch(`${api}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: params.get('email'), password: params.get('password') }),
  });
  const body = await res.json();
  log(`login ${res.status}`);
  return { status: res.status, body };
}

async function upload(token) {
  const form = new FormData();
  form.append('file', new Blob([CSV], { type: 'text/csv' }), 'cross-origin.csv');
  form.append('callback_url', 'http://localhost:8000/api/transfers');
  const res = await fetch(`${api}/api/bulk-transfers`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form,
  });
  log(`upload ${res.status}`);
  return { status: res.status, body: await res.json(), requestId: res.headers.get('X-Request-Id') };
}

async function poll(token, id) {
  for (let i = 0; i < 150; i += 1) {
    const res = await fetch(`${api}/api/bulk-transfers/${id}/status`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await res.json();
    if (['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED'].includes(body.state)) {
      log(`status ${body.state} ${body.progress_percent}`);
      return {
        status: res.status, state: body.state, percent: body.progress_percent, callbackUrl: body.callbackUrl,
      };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { status: 0, state: 'TIMEOUT' };
}

async function stream(token, id) {
  const res = await fetch(`${api}/api/bulk-transfers/${id}/stream`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes('event: done')) break;
  }
  log('stream read');
  return { status: res.status, sawProgress: text.includes('event: progress'), sawDone: text.includes('event: done') };
}

async function main() {
  const result = {};
  try {
    result.login = await login();
    const token = result.login.body.access;
    result.upload = await upload(token);
    const id = result.upload.body.bulkTransferId;
    result.poll = await poll(token, id);
    result.stream = await stream(token, id);
  } catch (e) {
    result.error = String(e);
  }
  document.getElementById('result').textContent = JSON.stringify(result);
}

main();

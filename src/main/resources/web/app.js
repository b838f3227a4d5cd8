// Earshot's page: plain JavaScript, no framework, no network beyond this server.
'use strict';
const API = '/api/v1/audio';
const $ = (id) => document.getElementById(id);
const jobs = new Map(); // id -> job as GET /jobs/{id} shows it
let events = null;

function key() { return sessionStorage.getItem('earshot.key') || ''; }

/** Headers carrying the secret: a JWT (three dot-separated parts) as a bearer token, anything else as X-API-KEY. */
function authHeaders() {
  const k = key();
  if (!k) return {};
  return k.split('.').length === 3 ? { Authorization: 'Bearer ' + k } : { 'X-API-KEY': k };
}

/** The secret as a query parameter, for EventSource and WebSocket, which cannot set headers. */
function tokenQuery() { return key() ? '?token=' + encodeURIComponent(key()) : ''; }

function showError(text) {
  const e = $('error');
  e.textContent = text || '';
  e.hidden = !text;
}

/** A failed answer as a plain sentence. */
async function explain(res) {
  if (res.status === 401) return 'The API key or token was not accepted. Check it and press Use.';
  if (res.status === 403) return 'This key may not do that.';
  let detail = '';
  try {
    const body = await res.json();
    detail = body.detail || (body.error && body.error.message) || body.title || '';
    if (res.status === 429 && body.quota) return 'Quota reached (' + body.quota + '): ' + detail;
  } catch (ignored) { /* not JSON */ }
  return 'The server answered ' + res.status + (detail ? ': ' + detail : '.');
}

async function call(method, path, body) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(await explain(res));
  return res;
}

function options() {
  return {
    model: $('model').value.trim() || 'whisper-1',
    language: $('language').value.trim() || 'auto',
    translate: $('translate').checked,
    word_timestamps: $('words').checked,
  };
}

// ---- upload and URL submit ----

function uploadOne(file) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [k, v] of Object.entries(options())) form.append(k, String(v));
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API + '/jobs/upload');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    const bar = $('upload-progress');
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        resolve(JSON.parse(xhr.responseText));
      } else {
        reject(new Error(await explain(new Response(xhr.responseText, { status: xhr.status }))));
      }
    };
    xhr.onerror = () => reject(new Error('The upload of ' + file.name + ' failed: the server could not be reached.'));
    xhr.send(form);
  });
}

async function submit(files) {
  showError('');
  const url = $('url').value.trim();
  if (!files.length && !url) { showError('Choose a file or enter a URL first.'); return; }
  const status = $('upload-status');
  try {
    for (const file of files) {
      status.textContent = 'Uploading ' + file.name + '…';
      const job = await uploadOne(file);
      status.textContent = 'Job ' + job.id + ' accepted.';
      refreshJob(job.id);
    }
    if (url) {
      const job = await (await call('POST', '/jobs/submit', Object.assign({ url }, options()))).json();
      status.textContent = 'Job ' + job.id + ' accepted.';
      $('url').value = '';
      refreshJob(job.id);
    }
    $('file-input').value = '';
  } catch (e) {
    status.textContent = '';
    showError(e.message);
  }
}

// ---- jobs ----

async function refreshJob(id) {
  try { upsert(await (await call('GET', '/jobs/' + id)).json()); } catch (ignored) { /* the stream will tell */ }
}

async function loadJobs() {
  const page = await (await call('GET', '/jobs?limit=50')).json();
  jobs.clear();
  $('jobs').replaceChildren();
  page.jobs.slice().reverse().forEach(upsert);
}

function button(label, testid, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}

function upsert(job) {
  const old = jobs.get(job.id) || {};
  job = Object.assign({}, old, job);
  jobs.set(job.id, job);
  let row = document.querySelector('tr[data-job="' + job.id + '"]');
  if (!row) {
    row = document.createElement('tr');
    row.dataset.job = job.id;
    row.dataset.testid = 'job-row';
    $('jobs').prepend(row);
  }
  const progress = document.createElement('progress');
  progress.max = 100;
  progress.value = job.progress || 0;
  progress.dataset.testid = 'job-progress';
  progress.setAttribute('aria-label', 'Progress of job ' + job.id);
  const status = document.createElement('span');
  status.dataset.testid = 'job-status';
  status.textContent = job.status + (job.status === 'queued' && job.queue_position != null
    ? ' (#' + job.queue_position + ')' : '');
  if (job.error) status.title = job.error;
  const actions = document.createElement('td');
  if (job.status === 'completed') actions.append(button('Open', 'open-transcript', () => openTranscript(job.id)));
  if (job.status === 'queued' || job.status === 'processing') {
    actions.append(button('Cancel', 'cancel-button', () => act(job.id, 'cancel')));
  }
  if (job.status === 'failed' || job.status === 'cancelled') {
    actions.append(button('Retry', 'retry-button', () => act(job.id, 'retry')));
  }
  const cells = [job.id + (job.model ? ' · ' + job.model : ''), status, progress,
    job.duration_seconds != null ? job.duration_seconds.toFixed(1) + ' s' : ''];
  row.replaceChildren(...cells.map((c) => { const td = document.createElement('td'); td.append(c); return td; }), actions);
  row.querySelector('td:nth-child(3)').append(' ' + (job.progress || 0) + '%');
}

async function act(id, what) {
  showError('');
  try { await call('POST', '/jobs/' + id + '/' + what); refreshJob(id); } catch (e) { showError(e.message); }
}

/** Follows every job of the caller live; EventSource reconnects (with Last-Event-ID) by itself. */
function follow() {
  if (events) events.close();
  events = new EventSource(API + '/jobs/events' + tokenQuery());
  events.onmessage = (m) => {
    const job = JSON.parse(m.data);
    delete job.event;
    delete job.seq;
    upsert(job);
  };
}

// ---- transcript ----

const FORMATS = [['txt', 'text'], ['srt', 'srt'], ['vtt', 'vtt'], ['json', 'json'], ['verbose_json', 'verbose_json']];

function clock(seconds) {
  const s = Math.max(0, seconds || 0);
  const m = Math.floor(s / 60);
  return m + ':' + (s - 60 * m).toFixed(1).padStart(4, '0');
}

async function openTranscript(id) {
  showError('');
  try {
    const result = await (await call('GET', '/jobs/' + id + '/result?format=verbose_json')).json();
    const list = $('transcript');
    list.replaceChildren(...(result.segments || [{ start: 0, end: result.duration, text: result.text }]).map((seg) => {
      const li = document.createElement('li');
      const time = document.createElement('time');
      time.textContent = clock(seg.start) + '–' + clock(seg.end);
      li.append(time, seg.text.trim());
      return li;
    }));
    $('transcript-job').textContent = '(job ' + id + ')';
    $('downloads').replaceChildren(...FORMATS.map(([label, format]) =>
      button('Download ' + label, 'download-' + label, () => download(id, format, label))));
    $('transcript-section').hidden = false;
    $('transcript-section').scrollIntoView({ block: 'nearest' });
  } catch (e) { showError(e.message); }
}

async function download(id, format, label) {
  try {
    const blob = await (await call('GET', '/jobs/' + id + '/result?format=' + format)).blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'job-' + id + '.' + (label === 'verbose_json' ? 'verbose.json' : label);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) { showError(e.message); }
}

// ---- usage ----

async function usage() {
  try {
    const u = await (await call('GET', '/usage')).json();
    const dl = $('usage');
    dl.replaceChildren();
    const add = (k, v) => {
      const dt = document.createElement('dt');
      dt.textContent = k.replace(/_/g, ' ');
      const dd = document.createElement('dd');
      dd.textContent = typeof v === 'object' ? JSON.stringify(v) : String(v);
      dl.append(dt, dd);
    };
    const walk = (prefix, obj) => Object.entries(obj).forEach(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v)
      ? walk(prefix + k + ' ', v) : add(prefix + k, v)));
    walk('', u);
  } catch (e) { showError(e.message); }
}

// ---- microphone ----

let live = null; // { ws, recorder, stream }

async function startMic() {
  showError('');
  let media;
  try { media = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) {
    showError('The microphone is not available: ' + e.message);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(proto + location.host + API + '/stream/transcribe' + tokenQuery());
  const recorder = new MediaRecorder(media, { mimeType: 'audio/webm;codecs=opus' });
  live = { ws, recorder, media };
  $('final-text').textContent = '';
  $('partial-text').textContent = '';
  setMic(true);
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'config', encoding: 'webm', model: options().model,
      language: options().language, interim_results: true }));
    recorder.ondataavailable = (e) => { if (e.data.size && ws.readyState === WebSocket.OPEN) ws.send(e.data); };
    recorder.start(250);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'partial') $('partial-text').textContent = msg.text;
    if (msg.type === 'final') {
      $('final-text').textContent += msg.segment.text;
      $('partial-text').textContent = '';
    }
    if (msg.type === 'error') showError(msg.error_type === 'quota_exceeded'
      ? 'Your live-transcription quota is used up (' + (msg.quota || 'quota') + '): ' + msg.message
      : 'Live transcription stopped: ' + msg.message);
  };
  ws.onclose = (e) => {
    if (e.code === 4003) showError('Your live-transcription quota is used up; try again later.');
    else if (e.code === 1008) showError('The live stream was closed because no audio arrived.');
    else if (e.code === 1011) showError('The server could not transcribe the stream.');
    else if (e.code !== 1000 && e.code !== 1005) showError('The live stream closed (' + e.code + '). Check the API key.');
    stopMic(false);
  };
}

function stopMic(sendEnd) {
  if (!live) return;
  const { ws, recorder, media } = live;
  live = null;
  if (recorder.state !== 'inactive') recorder.stop();
  media.getTracks().forEach((t) => t.stop());
  if (sendEnd && ws.readyState === WebSocket.OPEN) {
    setTimeout(() => ws.send(JSON.stringify({ type: 'end' })), 300); // after the recorder's last chunk
  }
  setMic(false);
}

function setMic(on) {
  const b = $('mic-button');
  b.textContent = on ? 'Stop microphone' : 'Start microphone';
  b.setAttribute('aria-pressed', String(on));
}

// ---- start ----

async function signIn() {
  showError('');
  try {
    await loadJobs();
    follow();
    usage();
  } catch (e) { showError(e.message); }
}

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = key();
  $('key-save').addEventListener('click', () => { sessionStorage.setItem('earshot.key', $('api-key').value.trim()); signIn(); });
  $('api-key').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('key-save').click(); });
  $('upload-button').addEventListener('click', () => submit([...$('file-input').files]));
  $('usage-refresh').addEventListener('click', usage);
  $('mic-button').addEventListener('click', () => (live ? stopMic(true) : startMic()));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); submit([...e.dataTransfer.files]); });
  fetch('/v1/models', { headers: authHeaders() }).then((r) => (r.ok ? r.json() : { data: [] })).then((m) => {
    $('models').replaceChildren(...(m.data || []).map((x) => Object.assign(document.createElement('option'), { value: x.id })));
  }).catch(() => {});
  signIn();
});

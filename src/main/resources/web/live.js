// The microphone, streamed to the live endpoint: MediaRecorder's WebM/Opus where the browser records it, otherwise
// (Safari) raw 32-bit float PCM taken by an AudioWorklet. Partial text in grey, final text in black.
import { $, API, showError, tokenQuery } from './api.js';

const WEBM = 'audio/webm;codecs=opus';
let live = null; // { ws, media, stopCapture }

export function active() { return live != null; }

/** 'webm' or 'pcm': the choice in the page, or what this browser can do. */
function format() {
  const chosen = $('mic-format').value;
  if (chosen !== 'auto') return chosen;
  return window.MediaRecorder && MediaRecorder.isTypeSupported(WEBM) ? 'webm' : 'pcm';
}

export async function startMic(options) {
  showError('');
  if (!window.isSecureContext || !navigator.mediaDevices) {
    showError('The browser allows the microphone only on a page served over HTTPS or from localhost.');
    return;
  }
  let media;
  try { media = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) {
    showError('The microphone is not available: ' + e.message);
    return;
  }
  const proto = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const ws = new WebSocket(proto + location.host + API + '/stream/transcribe' + tokenQuery());
  ws.binaryType = 'arraybuffer';
  live = { ws, media, stopCapture: () => {} };
  $('final-text').textContent = '';
  $('partial-text').textContent = '';
  setMic(true);
  const kind = format();
  ws.onopen = async () => {
    try {
      live.stopCapture = kind === 'webm' ? recordWebm(media, ws, options) : await recordPcm(media, ws, options);
    } catch (e) {
      showError('The microphone could not be recorded: ' + e.message);
      stopMic(false);
    }
  };
  ws.onmessage = (m) => message(JSON.parse(m.data));
  ws.onclose = (e) => { closed(e.code); stopMic(false); };
}

function config(options, extra) {
  return JSON.stringify(Object.assign({ type: 'config', model: options.model, language: options.language,
    interim_results: true }, extra));
}

function recordWebm(media, ws, options) {
  ws.send(config(options, { encoding: 'webm' }));
  const recorder = new MediaRecorder(media, { mimeType: WEBM });
  recorder.ondataavailable = (e) => { if (e.data.size && ws.readyState === WebSocket.OPEN) ws.send(e.data); };
  recorder.start(250);
  return () => { if (recorder.state !== 'inactive') recorder.stop(); };
}

async function recordPcm(media, ws, options) {
  const context = new AudioContext();
  await context.audioWorklet.addModule('/web/pcm-worklet.js');
  ws.send(config(options, { encoding: 'pcm_f32le', sample_rate: context.sampleRate }));
  const source = context.createMediaStreamSource(media);
  const tap = new AudioWorkletNode(context, 'pcm-tap');
  const batch = Math.round(context.sampleRate / 10); // a frame every 100 ms
  let pending = [];
  let count = 0;
  tap.port.onmessage = (e) => {
    pending.push(e.data);
    count += e.data.length;
    if (count < batch || ws.readyState !== WebSocket.OPEN) return;
    const frame = new Float32Array(count);
    let at = 0;
    pending.forEach((part) => { frame.set(part, at); at += part.length; });
    pending = [];
    count = 0;
    ws.send(frame.buffer); // little-endian on every platform a browser runs on
  };
  source.connect(tap);
  return () => { source.disconnect(); tap.port.onmessage = null; context.close(); };
}

function message(msg) {
  if (msg.type === 'partial') $('partial-text').textContent = msg.text;
  if (msg.type === 'final') {
    $('final-text').textContent += msg.segment.text;
    $('partial-text').textContent = '';
  }
  if (msg.type === 'error') showError(msg.error_type === 'quota_exceeded' ? quotaSentence(msg.quota)
    : 'Live transcription stopped: ' + msg.message);
}

function quotaSentence(quota) {
  if (quota === 'concurrent_streams') {
    return 'Your quota allows no more live streams at once (concurrent_streams): end another one and try again.';
  }
  if (quota === 'daily_minutes') {
    return 'Your quota of audio minutes for today is used up (daily_minutes): live transcription stopped.';
  }
  return 'A quota stopped live transcription' + (quota ? ' (' + quota + ').' : '.');
}

function closed(code) {
  if (code === 4003) {
    if (!$('error').textContent) showError('Your live-transcription quota is used up; try again later.');
  } else if (code === 1008) showError('The live stream was closed because no audio arrived.');
  else if (code === 1011) showError('The server could not transcribe the stream.');
  else if (code === 1003) showError('The server did not understand the audio the browser sent.');
  else if (code !== 1000 && code !== 1005) showError('The live stream closed (' + code + '). Check the API key.');
}

export function stopMic(sendEnd) {
  if (!live) return;
  const { ws, media, stopCapture } = live;
  live = null;
  stopCapture();
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

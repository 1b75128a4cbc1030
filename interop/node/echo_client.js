#!/usr/bin/env node
// Interop peer: node's `ws` client against a luaws (or OpenResty) echo handler.
//
//   node echo_client.js URL [--only CHECKS] [--pong-any] [--close-code N] [--compression]
//
// CHECKS is a comma-separated subset of: text, binary, fragmented-text,
// fragmented-binary, ping, close (default: all of them).
//   --pong-any      accept a pong with any payload (the seed handler answers
//                   send_pong() with no payload)
//   --close-code N  the close code expected from the server after we close
//                   with 1000 "bye" (default 1000; 1005 = a close frame
//                   without a status, which the seed's wb:send_close() sends)
//   --compression   the server must accept ws's permessage-deflate offer (luaws's
//                   opt-in extension); without it, it must accept none
// Prints "ok CHECK ..." per step; exits 1 at the first mismatch, 2 on usage.
'use strict';

const WebSocket = require('ws');

const ALL = ['text', 'binary', 'fragmented-text', 'fragmented-binary', 'ping', 'close'];
const STEP_TIMEOUT_MS = 10000;

function usage(msg) {
  console.error(`echo_client.js: ${msg}\nusage: node echo_client.js URL [--only ${ALL.join(',')}] [--pong-any] [--close-code N]`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let url = null;
let only = ALL;
let pongAny = false;
let closeCode = 1000;
let compression = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--only') {
    only = (argv[++i] || '').split(',').filter(Boolean);
    for (const c of only) if (!ALL.includes(c)) usage(`unknown check ${c}`);
  } else if (a === '--compression') {
    compression = true;
  } else if (a === '--pong-any') {
    pongAny = true;
  } else if (a === '--close-code') {
    closeCode = Number(argv[++i]);
    if (!Number.isInteger(closeCode)) usage('--close-code needs a number');
  } else if (a.startsWith('-')) {
    usage(`unknown option ${a}`);
  } else if (url === null) {
    url = a;
  } else {
    usage(`unexpected argument ${a}`);
  }
}
if (url === null) usage('no URL');

function fail(msg) {
  console.error(`FAIL ${msg}`);
  process.exit(1);
}

function show(buf) {
  const s = buf.length > 64 ? buf.subarray(0, 64) : buf;
  return `${buf.length} bytes ${s.toString('hex')}${buf.length > 64 ? '...' : ''}`;
}

// Events arrive in a queue; steps take them in order with a deadline.
const queue = [];
let waiter = null;
function push(ev) {
  queue.push(ev);
  if (waiter) {
    const w = waiter;
    waiter = null;
    w();
  }
}
function next(what) {
  return new Promise((resolve) => {
    const take = () => {
      clearTimeout(timer);
      resolve(queue.shift());
    };
    const timer = setTimeout(() => fail(`${what}: nothing received in ${STEP_TIMEOUT_MS} ms`), STEP_TIMEOUT_MS);
    if (queue.length > 0) take();
    else waiter = take;
  });
}

async function expectMessage(what, want, wantBinary) {
  const ev = await next(what);
  if (ev.kind !== 'message') fail(`${what}: got ${ev.kind} ${ev.detail || ''} instead of the echo`);
  if (ev.isBinary !== wantBinary) fail(`${what}: echo is ${ev.isBinary ? 'binary' : 'text'}, sent ${wantBinary ? 'binary' : 'text'}`);
  if (!Buffer.from(ev.data).equals(want)) fail(`${what}: echo ${show(Buffer.from(ev.data))}, sent ${show(want)}`);
  console.log(`ok ${what} (${want.length} bytes)`);
}

function send(ws, data, opts) {
  return new Promise((resolve) => {
    ws.send(data, Object.assign({ compress: false }, opts), (err) => {
      if (err) fail(`send: ${err.message}`);
      resolve();
    });
  });
}

function pseudoRandom(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function main() {
  const ws = new WebSocket(url, { handshakeTimeout: STEP_TIMEOUT_MS, perMessageDeflate: { threshold: 0 } });
  ws.on('message', (data, isBinary) => push({ kind: 'message', data, isBinary }));
  ws.on('pong', (data) => push({ kind: 'pong', data }));
  ws.on('close', (code, reason) => push({ kind: 'close', code, reason: reason.toString(), detail: `${code} ${reason}` }));
  ws.on('error', (err) => push({ kind: 'error', detail: err.message }));
  ws.on('unexpected-response', (req, res) => fail(`handshake: HTTP ${res.statusCode} ${res.statusMessage}`));

  await new Promise((resolve) => {
    ws.once('open', resolve);
    ws.once('error', (err) => fail(`connect ${url}: ${err.message}`));
  });
  // ws offers permessage-deflate; lua-resty-websocket implements no extension, luaws has
  // it as an opt-in.
  if (compression) {
    if (!ws.extensions.startsWith('permessage-deflate')) fail(`handshake: extensions "${ws.extensions}", want permessage-deflate`);
  } else if (ws.extensions !== '') {
    fail(`handshake: server accepted extensions "${ws.extensions}"`);
  }
  console.log(`ok connect ${url}`);

  if (only.includes('text')) {
    const texts = ['hello luaws', '', 'héllo wörld — 你好 🌍', 'x'.repeat(125), 'y'.repeat(126), 'z'.repeat(60000)];
    for (const [i, s] of texts.entries()) {
      await send(ws, s, { binary: false });
      await expectMessage(`text#${i}`, Buffer.from(s, 'utf8'), false);
    }
  }
  if (only.includes('binary')) {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const bins = [all, Buffer.alloc(0), pseudoRandom(65536 + 17, 7), pseudoRandom(300000, 11)];
    for (const [i, b] of bins.entries()) {
      await send(ws, b, { binary: true });
      await expectMessage(`binary#${i}`, b, true);
    }
  }
  if (only.includes('fragmented-text')) {
    // "é" (c3 a9) split across two fragments; a ping between fragments.
    const whole = Buffer.from('frag-é-ment-你好', 'utf8');
    const cut1 = whole.indexOf(0xc3) + 1;
    const chunks = [whole.subarray(0, cut1), whole.subarray(cut1, cut1 + 4), whole.subarray(cut1 + 4)];
    await send(ws, chunks[0], { binary: false, fin: false });
    await send(ws, chunks[1], { binary: false, fin: false });
    if (only.includes('ping')) ws.ping(Buffer.from('mid'));
    await send(ws, chunks[2], { binary: false, fin: true });
    if (only.includes('ping')) {
      const ev = await next('fragmented-text pong');
      if (ev.kind !== 'pong') fail(`fragmented-text: expected the pong to the mid-message ping first, got ${ev.kind} ${ev.detail || ''}`);
    }
    await expectMessage('fragmented-text', whole, false);
  }
  if (only.includes('fragmented-binary')) {
    const whole = pseudoRandom(5000, 3);
    await send(ws, whole.subarray(0, 1), { binary: true, fin: false });
    await send(ws, whole.subarray(1, 1), { binary: true, fin: false }); // empty continuation
    await send(ws, whole.subarray(1, 4000), { binary: true, fin: false });
    await send(ws, whole.subarray(4000), { binary: true, fin: true });
    await expectMessage('fragmented-binary', whole, true);
  }
  if (only.includes('ping')) {
    for (const [i, p] of [Buffer.from('ping-1'), Buffer.alloc(0), pseudoRandom(125, 5)].entries()) {
      ws.ping(p);
      const ev = await next(`ping#${i}`);
      if (ev.kind !== 'pong') fail(`ping#${i}: got ${ev.kind} ${ev.detail || ''} instead of a pong`);
      if (!pongAny && !Buffer.from(ev.data).equals(p)) fail(`ping#${i}: pong ${show(Buffer.from(ev.data))}, ping ${show(p)}`);
      console.log(`ok ping#${i} (pong ${ev.data.length} bytes)`);
    }
  }
  if (only.includes('close')) {
    ws.close(1000, 'bye');
    const ev = await next('close');
    if (ev.kind !== 'close') fail(`close: got ${ev.kind} ${ev.detail || ''} instead of the close`);
    if (ev.code !== closeCode) fail(`close: server closed with ${ev.code} "${ev.reason}", want ${closeCode}`);
    if (closeCode === 1000 && ev.reason !== 'bye') fail(`close: reason "${ev.reason}", want "bye"`);
    console.log(`ok close (${ev.code} "${ev.reason}")`);
  } else {
    ws.terminate();
  }
  console.log('PASS');
  process.exit(0);
}

main().catch((err) => fail(`unexpected: ${err.stack || err}`));

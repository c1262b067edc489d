// A tiny static file server for the end-to-end test: serves one folder (dist/) on 127.0.0.1.
//
//   node e2e/server.mjs <root> [port]
//
// Port 0 (the default) lets the system pick a free port. When the server listens it prints
// one line, `listening http://127.0.0.1:<port>/`, which e2e/run.sh waits for.
//
// Only files under <root> are served: `/` and any path ending in `/` serve that folder's
// index.html when there is one; anything else that is not a regular file of a known type
// (TYPES below) is 404, and there is no directory listing. GET and HEAD only. Nothing is cached, so a rebuilt bundle is always
// what the browser gets.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const [rootArg, portArg = '0'] = process.argv.slice(2);
if (!rootArg) {
  console.error('usage: node e2e/server.mjs <root> [port]');
  process.exit(2);
}
const root = path.resolve(rootArg);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server: bad port ${portArg}`);
  process.exit(2);
}

function send(res, status, text, head) {
  const body = head ? undefined : text;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

async function fileFor(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  if (decoded.endsWith('/')) decoded += 'index.html';
  // Resolve against the root and refuse anything that escapes it (`..`, absolute paths).
  const file = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  try {
    const st = await stat(file);
    return st.isFile() ? { file, size: st.size } : null;
  } catch {
    return null;
  }
}

const server = createServer(async (req, res) => {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'method not allowed\n', head);
  }
  let urlPath;
  try {
    urlPath = new URL(req.url, 'http://127.0.0.1').pathname;
  } catch {
    return send(res, 400, 'bad request\n', head);
  }
  const found = await fileFor(urlPath);
  if (!found) return send(res, 404, 'not found\n', head);
  const type = TYPES[path.extname(found.file).toLowerCase()];
  if (!type) return send(res, 404, 'not found (unknown file type)\n', head);
  // The build writes every file gzipped beside it: that is what goes out when the browser
  // takes gzip (as a server with precompressed files does).
  const gzip = /(^|,)\s*gzip\s*(;|,|$)/.test(req.headers['accept-encoding'] ?? '');
  const packed = gzip ? await fileFor(urlPath.endsWith('/') ? `${urlPath}index.html.gz` : `${urlPath}.gz`) : null;
  const sent = packed ?? found;
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': sent.size,
    ...(packed ? { 'Content-Encoding': 'gzip' } : {}),
    Vary: 'Accept-Encoding',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  if (head) return res.end();
  const stream = createReadStream(sent.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
});

server.on('error', (e) => {
  console.error(`server: ${e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  // Exit at once: the browser may hold keep-alive connections that close() would wait for.
  process.on(sig, () => process.exit(0));
}

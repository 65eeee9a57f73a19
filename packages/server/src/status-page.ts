/** Numbers a running server reports on `/` and `/healthz`. */
export interface ServerStats {
  rooms: number;
  connections: number;
  uptimeSeconds: number;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The plain page served at `/` until an app (the demo) is mounted there. */
export function renderStatusPage(stats: ServerStats, wsUrlExample: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Weft server</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:4px}dt{font-weight:600}</style></head>
<body><h1>Weft server is running</h1>
<dl><dt>Loaded documents</dt><dd>${stats.rooms}</dd>
<dt>Open connections</dt><dd>${stats.connections}</dd>
<dt>Uptime</dt><dd>${stats.uptimeSeconds} s</dd></dl>
<p>Connect a Yjs client to <code>${escapeHtml(wsUrlExample)}</code>; health check at <code>/healthz</code>.</p>
</body></html>`;
}

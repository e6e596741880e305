// The dashboard's two HTML pages, written by the collector: the shell the app runs in, and the
// sign-in page (a plain form: it works before any script has loaded, and a password manager
// recognises it). No inline script or style: the Content Security Policy allows neither
// (routes/dashboard.ts), and the pages only link the build's hashed files.
import type { DashboardManifest } from './assets';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML content and attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

function head(base: string, manifest: DashboardManifest, title: string, withScript: boolean): string {
  const assets = `${escapeHtml(base)}/dashboard/assets`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="stylesheet" href="${assets}/${escapeHtml(manifest.style)}">`,
    manifest.icon ? `<link rel="icon" href="${assets}/${escapeHtml(manifest.icon)}" type="image/svg+xml">` : '',
    withScript ? `<script type="module" src="${assets}/${escapeHtml(manifest.script)}"></script>` : '',
    '</head>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The shell: the app mounts into #app; `base` is where the collector is mounted ('' standalone). */
export function shellPage(base: string, manifest: DashboardManifest): string {
  return `${head(base, manifest, 'spur dashboard', true)}
<body data-base="${escapeHtml(base)}">
<div id="app"><p class="loading">Loading the dashboard…</p></div>
<noscript><p class="loading">The dashboard needs JavaScript; the export API (/v1/exports) works without it.</p></noscript>
</body>
</html>
`;
}

export interface SignInPage {
  base: string;
  /** Shown above the form, as an alert (a failed sign-in). */
  message?: string;
  /** The name typed before, kept in the field. */
  name?: string;
  /** Where to go after signing in (a path of the dashboard). */
  next?: string;
}

/** The sign-in page: fields `username` and `password`, posted to /dashboard/login. */
export function signInPage(manifest: DashboardManifest, page: SignInPage): string {
  const base = escapeHtml(page.base);
  const alert = page.message ? `<p class="form-error" role="alert">${escapeHtml(page.message)}</p>` : '';
  return `${head(page.base, manifest, 'Sign in · spur dashboard', false)}
<body class="sign-in">
<main>
<h1><span class="logo" aria-hidden="true">◆</span> spur</h1>
<form method="post" action="${base}/dashboard/login">
<h2>Sign in to the dashboard</h2>
${alert}
<label for="username">Name</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="200" value="${escapeHtml(page.name ?? '')}"${page.name ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${page.name ? ' autofocus' : ''}>
${page.next ? `<input type="hidden" name="next" value="${escapeHtml(page.next)}">` : ''}
<button type="submit">Sign in</button>
</form>
<p class="hint">No account? An admin adds one with <code>spur users add NAME --role viewer</code>.</p>
</main>
</body>
</html>
`;
}

/**
 * Podman Desktop serves a webview's files from the extension root, so relative asset URLs in the
 * built media/index.html would resolve against the wrong folder: every local `src=` and `href=` is
 * rewritten through the host's `asWebviewUri`. Absolute URLs, data: URLs and fragments are left alone.
 */
export function rewriteAssetUrls(html: string, toWebviewUrl: (relativePath: string) => string): string {
  return html.replace(/\b(src|href)=(["'])([^"']+)\2/g, (match, attribute: string, quote: string, url: string) => {
    if (/^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i.test(url)) return match;
    const relative = url.replace(/^\.\//, '').replace(/^\//, '');
    return `${attribute}=${quote}${toWebviewUrl(relative)}${quote}`;
  });
}

import { describe, expect, test } from 'vitest';

import { rewriteAssetUrls } from '../../../src/rpc/webview-html';

const toWebview = (relative: string) => `http://abc.webview.localhost:44000/media/${relative}`;

describe('rewriteAssetUrls', () => {
  test('rewrites every relative src and href through the host', () => {
    const html =
      '<link rel="stylesheet" href="./index-1.css"><script type="module" crossorigin src="index-2.js"></script>' +
      "<link rel=icon href='/favicon.svg'>";
    expect(rewriteAssetUrls(html, toWebview)).toBe(
      '<link rel="stylesheet" href="http://abc.webview.localhost:44000/media/index-1.css">' +
        '<script type="module" crossorigin src="http://abc.webview.localhost:44000/media/index-2.js"></script>' +
        "<link rel=icon href='http://abc.webview.localhost:44000/media/favicon.svg'>",
    );
  });

  test('leaves absolute, protocol-relative, data and fragment URLs alone', () => {
    const html =
      '<a href="https://docs.fedoraproject.org/bootc">x</a><img src="data:image/png;base64,AAA"><a href="#top">t</a><script src="//cdn/x.js"></script>';
    expect(rewriteAssetUrls(html, toWebview)).toBe(html);
  });
});

import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

/**
 * The `Uri` class of `@podman-desktop/api`, as far as the extension uses it: file URIs built
 * with `file`/`joinPath`, and URLs from `parse`. Used by standalone mode and the loader test.
 */
export class PdUri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query = '',
    readonly fragment = '',
  ) {}

  get fsPath(): string {
    return this.path;
  }

  static file(path: string): PdUri {
    return new PdUri('file', '', path);
  }

  static parse(value: string): PdUri {
    const url = new URL(value);
    return new PdUri(
      url.protocol.replace(/:$/, ''),
      url.host,
      decodeURIComponent(url.pathname),
      url.search.replace(/^\?/, ''),
      url.hash.replace(/^#/, ''),
    );
  }

  static joinPath(base: PdUri, ...segments: string[]): PdUri {
    return new PdUri(base.scheme, base.authority, join(base.path, ...segments), base.query, base.fragment);
  }

  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): PdUri {
    return new PdUri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }

  toString(): string {
    if (this.scheme === 'file') return pathToFileURL(this.path).toString();
    const query = this.query ? `?${this.query}` : '';
    const fragment = this.fragment ? `#${this.fragment}` : '';
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}${query}${fragment}`;
  }
}

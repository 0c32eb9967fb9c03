/** Paths on the user's machine as the webview and the backend both check them (no node:path here). */

/** An absolute path on Linux, macOS or Windows (a drive letter, or a UNC share). */
export function isAbsoluteHostPath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

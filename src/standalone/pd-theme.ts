/**
 * The <style> Podman Desktop injects into an extension webview, for standalone mode's browser page:
 * its `--pd-*` colour variables (the table in pd-theme-colors.ts) for the dark or light theme.
 */

import { PD_THEME_COLORS } from './pd-theme-colors';

/** The <style> text Podman Desktop would inject for the theme: `:root{--pd-x:#...;...;color-scheme:dark}` */
export function themeStyle(theme: 'dark' | 'light'): string {
  const declarations = Object.entries(PD_THEME_COLORS).map(([name, color]) => `--pd-${name}:${color[theme]}`);
  declarations.push(`color-scheme:${theme}`);
  return `:root{${declarations.join(';')}}`;
}

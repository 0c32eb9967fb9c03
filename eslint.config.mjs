import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PD_API = {
  name: '@podman-desktop/api',
  message: 'Only extension.ts, src/pd/, the PD engine adapter and standalone/ may use the Podman Desktop API.',
  allowTypeImports: false,
};
/** Where the Podman Desktop API may be imported. */
const PD_ALLOWED = ['src/extension.ts', 'src/engine/pd/**', 'src/pd/**', 'src/standalone/**'];
const FEATURES = ['images', 'builds', 'vms', 'day2'];
const HOSTS = ['pd', 'cli', 'standalone', 'rpc'];
const SHARED_ROOMS = ['src/engine/**/*.ts', 'src/platform/**/*.ts', 'src/ssh/**/*.ts', 'src/jobs/**/*.ts'];
const SHARED_RULE = 'A shared room (engine, platform, ssh, jobs) imports no feature room and no host.';
/** A relative import that reaches into one of `rooms` (from a sibling room or deeper). */
const relativeInto = rooms => `^\\.\\./(?:\\.\\./)*(?:${rooms.join('|')})(?:/|$)`;

/**
 * `files` may not import what the `forbidden` regexes match, nor the Podman Desktop API outside
 * PD_ALLOWED. ESLint replaces a rule's options per block rather than merging them, so each block
 * carries the PD API restriction as well.
 */
function layer(files, forbidden, message) {
  const patterns = forbidden.map(regex => ({ regex, message }));
  return { files, ignores: PD_ALLOWED, rules: { 'no-restricted-imports': ['error', { paths: [PD_API], patterns }] } };
}

export default tseslint.config(
  { ignores: ['dist/', 'media/', 'node_modules/', 'tests/artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['frontend/**/*.{ts,svelte}', 'tests/unit/frontend/**/*.ts', 'src/standalone/host-page/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // No import cycles: a module and what it imports form a tree, so each room can be read (and
    // tested) from the bottom up. Type-only imports count too.
    files: ['src/**/*.ts', 'frontend/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // The core never imports the Podman Desktop API: only extension.ts, src/pd/, the PD engine adapter
  // and standalone/ (a Podman Desktop stand-in, which implements it) may. And arrows point one way
  // (docs/architecture.md): the contract imports nothing of ours, the shared rooms no feature and no
  // host, the feature rooms no host.
  layer(['src/**/*.ts'], [], ''),
  layer(['src/api/**/*.ts'], ['\\.\\./'], 'src/api/ (the contract) imports nothing of ours outside it.'),
  layer(SHARED_ROOMS, [relativeInto([...FEATURES, ...HOSTS])], SHARED_RULE),
  {
    // The PD engine adapter is a shared-room file that may use the API.
    files: ['src/engine/pd/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: relativeInto([...FEATURES, ...HOSTS]), message: SHARED_RULE }] },
      ],
    },
  },
  layer(
    FEATURES.map(room => `src/${room}/**/*.ts`),
    [relativeInto(HOSTS)],
    'A feature room imports no host (pd, cli, standalone, rpc).',
  ),
  {
    // Files along their seams: nothing over 400 lines.
    files: ['src/**/*.ts', 'frontend/**/*.{ts,svelte}'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    // The webview imports only src/api/ of the backend.
    files: ['frontend/**/*.{ts,svelte}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)src/(?!api/)', message: 'The frontend may import only src/api/.' }] },
      ],
    },
  },
);

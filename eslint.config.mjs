import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
    // The core never imports the Podman Desktop API: only the wiring and the PD adapters may.
    files: ['src/**/*.ts'],
    // standalone/ implements the API (a Podman Desktop stand-in), so it may use its types.
    ignores: ['src/extension.ts', 'src/engine/podman-desktop.ts', 'src/pd/**', 'src/standalone/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@podman-desktop/api',
              message: 'Only extension.ts and src/pd/ adapters may use the Podman Desktop API.',
              allowTypeImports: false,
            },
          ],
        },
      ],
    },
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

import { MASK } from '../api/disk-build';
import { maskKickstartSecrets } from './request-redaction';

/**
 * Masks secrets in text meant for eyes or logs: config previews, imported files shown in the form,
 * and the builder's log on its way to the build's own log (`image-build-<id>.log`) and the UI. A builder run in `verbose` mode
 * prints every osbuild stage's options, user password hashes included; this is the net under that.
 */

const PASSWORD_TOML = /(^|[\s{,])(password\s*=\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')/gm;
const PASSWORD_JSON = /("password"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** Anything shaped like a crypt hash, wherever it stands (a shadow line, a kickstart, stage options). */
const CRYPT_LIKE = /\$(?:6|5|2[aby])\$[./0-9A-Za-z$=]+/g;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** `text` with every `password` value, crypt hash, kickstart password and private key replaced by `********`. */
export function maskSecrets(text: string): string {
  return maskKickstartSecrets(
    text
      .replace(PRIVATE_KEY_BLOCK, MASK)
      .replace(PASSWORD_TOML, `$1$2"${MASK}"`)
      .replace(PASSWORD_JSON, `$1"${MASK}"`)
      .replace(CRYPT_LIKE, MASK),
  );
}

const MAX_PENDING = 256 * 1024;

export interface LogRedactor {
  /** Returns the redacted complete lines of this chunk (with their newlines); keeps a partial last line. */
  push(chunk: string): string;
  /** Returns whatever is left, redacted. */
  end(): string;
}

/**
 * Redacts a log stream line by line, so a secret split across two chunks is still recognised. A
 * private key block spanning lines is masked from its BEGIN line to its END line.
 */
export function createLogRedactor(): LogRedactor {
  let pending = '';
  let inKey = false;
  const redactLine = (line: string): string => {
    if (inKey) {
      if (/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) inKey = false;
      return MASK;
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line) && !/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) {
      inKey = true;
      return MASK;
    }
    return maskSecrets(line);
  };
  return {
    push(chunk) {
      const text = pending + chunk;
      // A line that never ends (a terminal progress bar redrawn with \r) is not held forever.
      const cut = text.length > MAX_PENDING ? text.length : text.lastIndexOf('\n') + 1;
      pending = text.slice(cut);
      if (cut === 0) return '';
      return text
        .slice(0, cut)
        .split('\n')
        .map((line, index, lines) => (index === lines.length - 1 && line === '' ? line : redactLine(line)))
        .join('\n');
    },
    end() {
      const rest = pending;
      pending = '';
      return rest ? redactLine(rest) : '';
    },
  };
}

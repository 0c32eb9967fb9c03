/** execOverSsh on a connection that is gone: a dropped command (code 255), as when one drops midway. */

import { Client } from 'ssh2';
import { describe, expect, test } from 'vitest';

import { execOverSsh } from '../../../src/ssh/ssh-session';

describe('execOverSsh', () => {
  test('a client whose connection has closed (or never opened) gives a dropped result, not a throw', async () => {
    const client = new Client();
    expect(await execOverSsh(client, 'true')).toEqual({ code: 255, stdout: '', stderr: '', dropped: true });
  });
});

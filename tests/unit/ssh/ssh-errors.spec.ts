import { describe, expect, test } from 'vitest';

import { describeConnectionError } from '../../../src/ssh/ssh-errors';

describe('describeConnectionError', () => {
  test.each([
    [{ code: 'ENOENT' }, 'the socket does not exist'],
    [{ code: 'ECONNREFUSED' }, 'connection refused'],
    [{ code: 'EACCES' }, 'permission denied on the socket'],
    [{ code: 'ENOTFOUND' }, 'host not found'],
    [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'no answer in time'],
  ])('%j → %s', (error, text) => {
    expect(describeConnectionError(error)).toBe(text);
  });

  test('a timeout names the limit', () => {
    expect(describeConnectionError(Object.assign(new Error('x'), { name: 'TimeoutError' }), 3000)).toBe(
      'no answer within 3 s',
    );
    expect(describeConnectionError(Object.assign(new Error('x'), { name: 'AbortError' }), 1500)).toBe(
      'no answer within 1.5 s',
    );
  });

  test('anything else: the first line of the message', () => {
    expect(describeConnectionError(new Error('socket hang up\nmore'))).toBe('socket hang up');
  });
});

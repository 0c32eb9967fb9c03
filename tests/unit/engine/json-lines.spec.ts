/**
 * The JSON-lines splitter of podman's streamed answers (build, push, pull, events): chunks cut
 * anywhere, multi-byte characters across chunks, blank and CRLF lines, text that is not JSON.
 */

import { describe, expect, test } from 'vitest';

import { JsonLines } from '../../../src/engine/json-lines';

/** A splitter that keeps what it hands on: parsed values, and the lines that are not JSON. */
function collecting() {
  const values: unknown[] = [];
  const texts: string[] = [];
  const lines = new JsonLines(
    value => values.push(value),
    text => texts.push(text),
  );
  return { lines, values, texts };
}

describe('JsonLines', () => {
  test('reassembles objects split across chunks, including a multi-byte character', () => {
    const { lines, values, texts } = collecting();
    const whole = Buffer.from('{"stream":"é"}\n{"status":"x"}\nplain text\n{"id":"1"}', 'utf8');
    for (const chunk of [whole.subarray(0, 12), whole.subarray(12, 13), whole.subarray(13)]) lines.push(chunk);
    lines.end();
    expect(values).toEqual([{ stream: 'é' }, { status: 'x' }, { id: '1' }]);
    expect(texts).toEqual(['plain text']);
  });

  test('splits chunks into values, keeps multi-byte characters whole, reports bad lines', () => {
    const { lines: splitter, values, texts: invalid } = collecting();
    const text = Buffer.from('{"a":"é"}\n\n{"b":1}\r\nnope\n{"c":2}', 'utf8');
    const cut = text.indexOf(0xa9); // the second byte of é
    splitter.push(text.subarray(0, cut));
    splitter.push(text.subarray(cut));
    expect(values).toEqual([{ a: 'é' }, { b: 1 }]);
    splitter.end();
    expect(values).toEqual([{ a: 'é' }, { b: 1 }, { c: 2 }]);
    expect(invalid).toEqual(['nope']);
  });
});

import { describe, expect, test } from 'vitest';

import { findExample, listExamples, parseExamples } from '../../../src/images/examples';

describe('examples catalog', () => {
  test('the shipped catalog parses: Fedora bootc 42, CentOS Stream bootc 10 and the httpd example', () => {
    const examples = listExamples();
    expect(examples.length).toBeGreaterThanOrEqual(4);
    expect(findExample('fedora-bootc-42')).toMatchObject({
      category: 'base',
      image: 'quay.io/fedora/fedora-bootc:42',
      architectures: expect.arrayContaining(['amd64', 'arm64']),
    });
    expect(findExample('centos-bootc-stream10')).toMatchObject({
      category: 'base',
      image: 'quay.io/centos-bootc/centos-bootc:stream10',
    });
    expect(findExample('fedora-bootc-httpd')?.containerfile).toBe(
      'FROM quay.io/fedora/fedora-bootc:42\nRUN dnf -y install httpd && systemctl enable httpd\n',
    );
    for (const example of examples) {
      if (example.category === 'example') expect(example.containerfile).toMatch(/^FROM /);
      if (example.sourceUrl) expect(example.sourceUrl).toMatch(/^https:\/\//);
    }
    // Copies: a caller cannot change the catalog.
    listExamples()[0].architectures.push('mips');
    expect(listExamples()[0].architectures).not.toContain('mips');
  });

  test('a malformed catalog is refused, naming the entry and the field', () => {
    expect(() => parseExamples('- id: Bad Id\n  name: x\n')).toThrow(/^The examples catalog is invalid: 0\.id: /);
    expect(() =>
      parseExamples(
        '- {id: a, name: A, description: d, category: base, image: quay.io/a:1, architectures: [amd64]}\n' +
          '- {id: a, name: B, description: d, category: base, image: quay.io/b:1, architectures: [amd64]}\n',
      ),
    ).toThrow(/1\.id: duplicate id a/);
    expect(() =>
      parseExamples('- {id: a, name: A, description: d, category: app, image: quay.io/a:1, architectures: [amd64]}'),
    ).toThrow(/0\.category: /);
    expect(() =>
      parseExamples(
        '- {id: a, name: A, description: d, category: example, image: quay.io/a:1, architectures: [amd64], containerfile: "RUN x"}',
      ),
    ).toThrow(/0\.containerfile: a Containerfile starts FROM an image/);
    expect(() => parseExamples('- [unclosed')).toThrow(/not valid YAML/);
  });
});

/**
 * Evaluates the `when` clauses of `contributes.menus`, as far as Podman Desktop's image and
 * container menus use them: `KEY in LIST` (LIST is a context value such as `imageLabelKeys`),
 * `!term`, bare context keys, `==`/`!=` against a quoted or bare value, joined with `&&` and `||`
 * (`&&` binds tighter). An empty or missing clause is true.
 */
export type WhenContext = Record<string, unknown>;

export function evaluateWhen(clause: string | undefined, context: WhenContext): boolean {
  if (!clause?.trim()) return true;
  return clause
    .split('||')
    .some(alternative => alternative.split('&&').every(term => evaluateTerm(term.trim(), context)));
}

function evaluateTerm(term: string, context: WhenContext): boolean {
  if (term.startsWith('!')) return !evaluateTerm(term.slice(1).trim(), context);
  const inMatch = /^(\S+)\s+in\s+(\S+)$/.exec(term);
  if (inMatch) {
    const list = context[inMatch[2]];
    return Array.isArray(list) && list.includes(inMatch[1]);
  }
  const comparison = /^(\S+)\s*(==|!=)\s*(.+)$/.exec(term);
  if (comparison) {
    const actual = String(context[comparison[1]] ?? '');
    const expected = comparison[3].trim().replace(/^(['"])(.*)\1$/, '$2');
    return comparison[2] === '==' ? actual === expected : actual !== expected;
  }
  return Boolean(context[term]);
}

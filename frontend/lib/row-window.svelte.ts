/**
 * How many rows of a long list are in the page. A list of hundreds of builds or tags rendered at
 * once costs seconds of layout; the user sees a screenful. So a list shows its first FIRST_ROWS
 * rows, and MORE_ROWS more whenever its last row comes into view (or "Show more" is pressed).
 * What is shown goes back to the first rows when the list's filter changes.
 */

export const FIRST_ROWS = 50;
export const MORE_ROWS = 100;

export class RowWindow {
  shown = $state(FIRST_ROWS);

  /** The rows of `rows` to put in the page. */
  of<T>(rows: T[]): T[] {
    return rows.length > this.shown ? rows.slice(0, this.shown) : rows;
  }

  more(): void {
    this.shown += MORE_ROWS;
  }

  reset(): void {
    this.shown = FIRST_ROWS;
  }
}

/**
 * Calls `onVisible` each time `element` comes into view of the page (the list's last row), through
 * an IntersectionObserver; where there is none (jsdom), never: the "Show more" button remains.
 */
export function whenVisible(element: Element, onVisible: () => void): { destroy(): void } {
  if (typeof IntersectionObserver === 'undefined') return { destroy: () => undefined };
  const observer = new IntersectionObserver(
    entries => {
      if (entries.some(entry => entry.isIntersecting)) onVisible();
    },
    { rootMargin: '400px' },
  );
  observer.observe(element);
  return { destroy: () => observer.disconnect() };
}

/** Small DOM helpers for the page. */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page element #${id} is missing`);
  return e as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** 1234567 → "1,234,567" (the reader's locale). */
export function fmt(n: number): string {
  return n.toLocaleString();
}

/** Shows an error in the page (the alert region reads it out) and in the console. */
export function setError(message: string): void {
  const box = $('errors');
  box.append(el('p', { class: 'error' }, message));
  console.warn(`scratchlm playground: ${message}`);
}

export function clearErrors(): void {
  $('errors').replaceChildren();
}

/** A labelled number input. */
export function numberField(label: string, id: string, value: number, attrs: Record<string, string> = {}): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = el('input', { type: 'number', id, value: String(value), ...attrs });
  return { label: el('label', {}, label, input), input };
}

let lastId = 0;
/** Ids of requests to the worker (generation and inspection share the error path). */
export function nextId(): number {
  return ++lastId;
}

/** A bar of width proportional to p (0..1), with the number beside it. */
export function bar(p: number, label: string): HTMLElement {
  const b = el('span', { class: 'bar', 'aria-hidden': 'true' });
  b.style.width = `${Math.max(0.5, p * 100).toFixed(1)}%`;
  return el('span', { class: 'barbox', title: label }, b);
}

/** A token's text with its invisible characters shown (␣ space, ⏎ newline, ⇥ tab). */
export function shownToken(t: string): string {
  return t.replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥') || '∅';
}

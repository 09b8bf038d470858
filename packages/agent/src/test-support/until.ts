/** Polls `check` on the real event loop (sockets need it) until it holds, or throws after about 2.5 s. */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition never held');
}

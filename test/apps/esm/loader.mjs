// A user's own loader: replaces a token in test/apps/esm/main.mjs. fluxion must chain after it, not replace it.
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (url.endsWith('/esm/main.mjs')) return { ...result, source: String(result.source).replace('__GREETING__', 'from the user loader') };
  return result;
}

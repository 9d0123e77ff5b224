/** Minimal glob patterns for include/exclude: `**` any folders, `*` within a name, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when `file` (absolute) or its path relative to `cwd` matches one of the patterns. */
export function matchesAny(patterns: RegExp[], file: string, cwd: string): boolean {
  if (!patterns.length) return false;
  const normal = file.split('\\').join('/');
  const relative = normal.startsWith(cwd + '/') ? normal.slice(cwd.length + 1) : normal;
  return patterns.some((p) => p.test(relative) || p.test(normal));
}

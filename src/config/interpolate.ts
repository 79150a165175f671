/**
 * `${VAR}` and `${VAR:-default}` in string values are filled from the environment.
 * Done on parsed values, not on the YAML text, so a value can never inject YAML.
 */
export class InterpolationError extends Error {}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(value: unknown, env: Record<string, string | undefined>, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (_m, name: string, def: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (def !== undefined) return def;
      throw new InterpolationError(`${path.join('.') || '(root)'}: environment variable ${name} is not set (write \${${name}:-default} to make it optional)`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...path, k]);
    return out;
  }
  return value;
}

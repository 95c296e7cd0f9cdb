/**
 * The shape of a JSON document without its values: every path to a value with the value's
 * type ("value[].flag.flagStatus: string"), the elements of an array merged under "[]".
 * Used to compare the server's answers with the samples of Microsoft's docs in
 * test/fixtures/graph: same keys, same nesting, same types (a null on either side matches
 * any type, and what lies under it, as the docs write null for properties that are
 * objects when set).
 */
export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

export type JsonShape = Map<string, Set<JsonType>>;

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' ? type : 'object';
}

export function jsonShape(value: unknown, maxDepth = Infinity): JsonShape {
  const shape: JsonShape = new Map();
  const walk = (node: unknown, path: string, depth: number) => {
    const type = typeOf(node);
    if (path !== '') {
      const types = shape.get(path) ?? new Set<JsonType>();
      types.add(type);
      shape.set(path, types);
    }
    if (depth >= maxDepth) return;
    if (type === 'array') for (const item of node as unknown[]) walk(item, `${path}[]`, depth + 1);
    if (type === 'object') for (const [key, child] of Object.entries(node as Record<string, unknown>)) walk(child, path === '' ? key : `${path}.${key}`, depth + 1);
  };
  walk(value, '', 0);
  return shape;
}

function compatible(a: Set<JsonType>, b: Set<JsonType>): boolean {
  if (a.has('null') || b.has('null')) return true;
  return [...a].some((t) => b.has(t));
}

export interface ShapeDifferences {
  /** Paths only in our answer (or with a type the sample never has there). */
  readonly onlyOurs: string[];
  /** Paths only in the sample. */
  readonly onlySample: string[];
}

/** A path is excused when it equals an entry or lies under one ("value[].singleValueExtendedProperties" excuses its children). */
function excused(path: string, list: readonly string[]): boolean {
  return list.some((entry) => path === entry || path.startsWith(`${entry}.`) || path.startsWith(`${entry}[]`));
}

/** Whether a proper ancestor of `path` is null in `shape` (its subtree is then not in that document). */
function underNull(path: string, shape: JsonShape): boolean {
  for (let at = path.length; at > 0; at -= 1) {
    const ch = path[at];
    if (ch !== '.' && ch !== '[') continue;
    if (shape.get(path.slice(0, at))?.has('null')) return true;
  }
  return false;
}

export function compareShapes(ours: JsonShape, sample: JsonShape, options: { extra?: readonly string[]; notEmitted?: readonly string[] } = {}): ShapeDifferences {
  const describe = (path: string, types: Set<JsonType>) => `${path}: ${[...types].sort().join('|')}`;
  const onlyOurs: string[] = [];
  const onlySample: string[] = [];
  for (const [path, types] of ours) {
    const other = sample.get(path);
    if ((!other || !compatible(types, other)) && !excused(path, options.extra ?? []) && !underNull(path, sample)) onlyOurs.push(describe(path, types));
  }
  for (const [path, types] of sample) {
    const other = ours.get(path);
    if ((!other || !compatible(types, other)) && !excused(path, options.notEmitted ?? []) && !underNull(path, ours)) onlySample.push(describe(path, types));
  }
  return { onlyOurs, onlySample };
}

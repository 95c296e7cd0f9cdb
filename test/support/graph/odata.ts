/**
 * The OData query options and headers the handlers read (concepts/query-parameters.md):
 * $select, $top, $skip, $count, $expand, $filter, $skiptoken/$deltatoken, and the
 * `Prefer: odata.maxpagesize=N` header of delta queries. Graph v1.0 takes the system query
 * options with or without the '$' and in any case; so does this.
 */
import { badRequest } from './errors.js';

export interface ODataQuery {
  readonly select: readonly string[] | undefined;
  readonly top: number | undefined;
  readonly skip: number | undefined;
  readonly count: boolean;
  readonly expand: string | undefined;
  readonly filter: string | undefined;
  readonly skipToken: string | undefined;
  readonly deltaToken: string | undefined;
  /** Every parameter, names lower-cased and without '$' (e.g. includehiddenfolders, changetype). */
  readonly params: ReadonlyMap<string, string>;
}

function nonNegativeInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`Invalid value '${value}' for query parameter '$${name}'.`);
  return Number(value);
}

export function parseQuery(search: URLSearchParams): ODataQuery {
  const params = new Map<string, string>();
  for (const [key, value] of search) params.set(key.replace(/^\$/, '').toLowerCase(), value);
  const select = params.get('select');
  const count = params.get('count');
  if (count !== undefined && count !== 'true' && count !== 'false') throw badRequest(`Invalid value '${count}' for query parameter '$count'.`);
  return {
    select: select === undefined ? undefined : select.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    top: nonNegativeInteger('top', params.get('top')),
    skip: nonNegativeInteger('skip', params.get('skip')),
    count: count === 'true',
    expand: params.get('expand'),
    filter: params.get('filter'),
    skipToken: params.get('skiptoken'),
    deltaToken: params.get('deltatoken'),
    params,
  };
}

/** `Prefer: odata.maxpagesize=N` (several preferences may share the header, comma-separated). */
export function preferredPageSize(prefer: string | undefined): number | undefined {
  const match = /(?:^|[,;\s])odata\.maxpagesize\s*=\s*"?(\d+)"?/i.exec(prefer ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A MAPI property tag id as Graph writes it back: "Integer 0xe08" for "Integer 0x0E08". */
export interface ExtendedPropertyId {
  readonly type: string;
  readonly tag: number;
  /** The id in the answer: the type, then the tag in lower-case hex without leading zeros. */
  readonly canonical: string;
}

/**
 * `singleValueExtendedProperties($filter=id eq 'Integer 0x0E08' or id eq '...')`, the only
 * way to read an extended property (singlevaluelegacyextendedproperty-get.md). Ids other
 * than property tags (named or GUID-qualified ones) are parsed and never match: this
 * server stores none.
 */
export function parseExtendedPropertyExpand(expand: string): ExtendedPropertyId[] | undefined {
  const match = /^singleValueExtendedProperties\(\s*\$filter\s*=\s*(.*)\)$/i.exec(expand.trim());
  if (!match?.[1]) return undefined;
  const ids: ExtendedPropertyId[] = [];
  for (const clause of match[1].split(/\s+or\s+/i)) {
    const id = /^\s*id\s+eq\s+'([^']*)'\s*$/i.exec(clause)?.[1];
    if (id === undefined) throw badRequest(`Invalid filter clause '${clause.trim()}' in $expand.`);
    const tag = /^(\w+)\s+0x([0-9a-f]{1,4})$/i.exec(id.trim());
    if (tag?.[1] && tag[2]) {
      const value = parseInt(tag[2], 16);
      ids.push({ type: tag[1], tag: value, canonical: `${tag[1]} 0x${value.toString(16)}` });
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------
// $filter for directory objects (users, groups): the handful of forms a migration uses.

export type FilterValue = string | boolean | null;
export type FilterNode =
  | { readonly op: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly op: 'not'; readonly operand: FilterNode }
  | { readonly op: 'eq' | 'ne'; readonly property: string; readonly value: FilterValue }
  | { readonly op: 'startswith' | 'endswith'; readonly property: string; readonly value: string };

/**
 * Parses `endswith(mail,'@contoso.com') and accountEnabled eq true` and the like: eq/ne,
 * startswith/endswith, not, and/or (and binds tighter), parentheses. Anything else is a
 * 400 as Graph answers an unparseable filter.
 */
export function parseFilter(text: string): FilterNode {
  const tokens = text.match(/'(?:[^']|'')*'|\(|\)|,|[^\s(),]+/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];
  const fail = (): never => {
    throw badRequest(`Invalid filter clause: ${text}`);
  };
  const literal = (): FilterValue => {
    const token = take() ?? fail();
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (token === 'true' || token === 'false') return token === 'true';
    if (token === 'null') return null;
    return fail();
  };
  const primary = (): FilterNode => {
    const token = take() ?? fail();
    if (token === '(') {
      const inner = or();
      if (take() !== ')') fail();
      return inner;
    }
    if (token.toLowerCase() === 'not') return { op: 'not', operand: primary() };
    const fn = token.toLowerCase();
    if ((fn === 'startswith' || fn === 'endswith') && peek() === '(') {
      take();
      const property = take() ?? fail();
      if (take() !== ',') fail();
      const value = literal();
      if (take() !== ')' || typeof value !== 'string') fail();
      return { op: fn, property, value: value as string };
    }
    const op = (take() ?? fail()).toLowerCase();
    if (op !== 'eq' && op !== 'ne') return fail();
    return { op, property: token, value: literal() };
  };
  const and = (): FilterNode => {
    let left = primary();
    while (peek()?.toLowerCase() === 'and') {
      take();
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): FilterNode => {
    let left = and();
    while (peek()?.toLowerCase() === 'or') {
      take();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const tree = or();
  if (at !== tokens.length) fail();
  return tree;
}

/**
 * The operators Microsoft Entra ID evaluates only as an advanced query (ConsistencyLevel:
 * eventual and $count=true; concepts/aad-advanced-queries.md): endswith, ne, not, and eq null.
 */
export function advancedOperator(node: FilterNode): string | undefined {
  switch (node.op) {
    case 'and':
    case 'or':
      return advancedOperator(node.left) ?? advancedOperator(node.right);
    case 'not':
      return 'not';
    case 'endswith':
      return 'endsWith';
    case 'ne':
      return 'ne';
    case 'eq':
      return node.value === null ? 'eq null' : undefined;
    default:
      return undefined;
  }
}

/** Evaluates `node` against an object's properties (string comparisons ignore case, as Entra's do). */
export function matchesFilter(node: FilterNode, get: (property: string) => FilterValue | undefined): boolean {
  const norm = (v: FilterValue | undefined) => (typeof v === 'string' ? v.toLowerCase() : v ?? null);
  switch (node.op) {
    case 'and':
      return matchesFilter(node.left, get) && matchesFilter(node.right, get);
    case 'or':
      return matchesFilter(node.left, get) || matchesFilter(node.right, get);
    case 'not':
      return !matchesFilter(node.operand, get);
    case 'eq':
      return norm(get(node.property)) === norm(node.value);
    case 'ne':
      return norm(get(node.property)) !== norm(node.value);
    case 'startswith':
    case 'endswith': {
      const value = get(node.property);
      if (typeof value !== 'string') return false;
      const [a, b] = [value.toLowerCase(), node.value.toLowerCase()];
      return node.op === 'startswith' ? a.startsWith(b) : a.endsWith(b);
    }
  }
}

/** Every property a filter names, to check them against the type's properties. */
export function filterProperties(node: FilterNode): string[] {
  switch (node.op) {
    case 'and':
    case 'or':
      return [...filterProperties(node.left), ...filterProperties(node.right)];
    case 'not':
      return filterProperties(node.operand);
    default:
      return [node.property];
  }
}

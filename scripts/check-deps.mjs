#!/usr/bin/env node
/**
 * Dependency-direction check for src/ (plain Node, no dependencies).
 *
 *   node scripts/check-deps.mjs [--root DIR]
 *
 * Reads every src/**\/*.ts under DIR (default: the repo root), finds its imports
 * (`import ... from`, `export ... from`, side-effect `import '...'`, `import('...')`,
 * `require('...')`) and its reads of process.env, and checks them against RULES.
 * Prints `file: imports X (rule)` per violation and exits 1, or prints
 * `dependency rules: OK (N files)` and exits 0. Exit 2 on usage errors.
 *
 * Parsing is by regular expression over source with comments removed: good enough for
 * our own code, and it keeps this script free of a TypeScript dependency.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {{ specifier: string, typeOnly: boolean, clause: string }} ImportRef */
/** @typedef {{ file: string, layer: string | null, path: string }} From */
/** @typedef {{ specifier: string, typeOnly: boolean, module: string | null, pkg: string | null }} To */
/** @typedef {{ file: string, target: string, rule: string }} Violation */

const BUILTINS = new Set(builtinModules);

/** src/<layer>/... -> layer; module ids are repo-relative paths without extension. */
const under = (id, dir) => id === dir || id.startsWith(`${dir}/`);

/** Each rule: a name, a description, and a predicate over one import edge. */
const RULES = [
  {
    name: 'connectors-independent',
    text: 'connectors must not import jobs, state, cli, config, bullmq or ioredis',
    applies: (from) => under(from.path, 'src/connectors'),
    violates: (from, to) =>
      ['src/jobs', 'src/state', 'src/cli', 'src/config'].some((d) => to.module !== null && under(to.module, d)) ||
      to.pkg === 'bullmq' ||
      to.pkg === 'ioredis',
  },
  {
    name: 'mapping-pure',
    text: 'mapping imports only src/mapping and `import type` from src/connectors/types',
    applies: (from) => under(from.path, 'src/mapping'),
    violates: (from, to) =>
      !(
        (to.module !== null && under(to.module, 'src/mapping')) ||
        (to.module === 'src/connectors/types' && to.typeOnly)
      ),
  },
  {
    name: 'state-no-workers',
    text: 'state must not import jobs, cli, bullmq or connector implementations (connectors/types is allowed)',
    applies: (from) => under(from.path, 'src/state'),
    violates: (from, to) =>
      (to.module !== null &&
        (under(to.module, 'src/jobs') ||
          under(to.module, 'src/cli') ||
          (under(to.module, 'src/connectors') && to.module !== 'src/connectors/types'))) ||
      to.pkg === 'bullmq',
  },
  {
    name: 'redis-through-state',
    text: 'jobs and cli reach Redis only through src/state: no ioredis import (use the state classes, RedisConnection for handles)',
    applies: (from) => under(from.path, 'src/jobs') || under(from.path, 'src/cli'),
    violates: (from, to) => to.pkg === 'ioredis',
  },
  {
    name: 'cli-on-top',
    text: 'only src/cli imports src/cli',
    applies: (from) => !under(from.path, 'src/cli'),
    violates: (from, to) => to.module !== null && under(to.module, 'src/cli'),
  },
];

const ENV_RULE = { name: 'env-in-config', text: 'only src/config and src/cli read process.env' };
const REDIS_RULE = { name: 'redis-through-state', text: 'jobs and cli send no Redis command themselves: src/state has the methods' };

/**
 * Whether (comment-free) code sends a Redis command on something named like a Redis
 * connection (`redis.get(`, `ctx.redis.multi(`, `this.redis.eval(`): the import rule
 * alone cannot see a command sent on a connection handed in from src/state.
 * @param {string} code
 */
export function sendsRedisCommands(code) {
  return /\bredis\s*\??\.\s*(?!on\b|once\b|off\b|status\b)[a-zA-Z]+\s*\(/.test(code);
}

/**
 * Replace comments with spaces (newlines kept) so commented-out or documented imports do
 * not count. Strings, template literals and (heuristically) regex literals are skipped.
 * @param {string} src
 * @returns {string}
 */
export function stripComments(src) {
  let out = '';
  let i = 0;
  let lastSignificant = '';
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && src[i] !== '\n') {
        out += ' ';
        i++;
      }
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const start = i;
      i++;
      let depth = 0;
      while (i < n) {
        const d = src[i];
        if (d === '\\') {
          i += 2;
          continue;
        }
        if (c === '`' && d === '$' && src[i + 1] === '{') depth++;
        else if (c === '`' && d === '}' && depth > 0) depth--;
        else if (d === c && depth === 0) break;
        else if (c !== '`' && d === '\n') break;
        i++;
      }
      i++;
      out += src.slice(start, i);
      lastSignificant = c;
      continue;
    }
    if (c === '/' && (lastSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant))) {
      // Regex literal: copy through the closing slash (character classes may contain "/").
      const start = i;
      i++;
      let inClass = false;
      while (i < n && src[i] !== '\n') {
        const d = src[i];
        if (d === '\\') {
          i += 2;
          continue;
        }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) break;
        i++;
      }
      i++;
      out += src.slice(start, i);
      lastSignificant = '/';
      continue;
    }
    out += c;
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out;
}

/**
 * All module specifiers a (comment-free) source imports or re-exports.
 * @param {string} code
 * @returns {ImportRef[]}
 */
export function parseImports(code) {
  /** @type {ImportRef[]} */
  const refs = [];
  const typeOnlyClause = (clause) => {
    const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
    if (braces === null) return false;
    const names = braces[1].split(',').map((s) => s.trim()).filter(Boolean);
    return names.length > 0 && names.every((s) => /^type\s/.test(s));
  };
  for (const m of code.matchAll(/\bimport(?=[\s{*])\s*(type\s+)?([^'";]*?)\s*\bfrom\s*(['"])([^'"\n]+)\3/g)) {
    refs.push({ specifier: m[4], typeOnly: m[1] !== undefined || typeOnlyClause(m[2]), clause: m[2] });
  }
  for (const m of code.matchAll(/\bimport\s*(['"])([^'"\n]+)\1/g)) {
    refs.push({ specifier: m[2], typeOnly: false, clause: '' });
  }
  for (const m of code.matchAll(/\bexport\s+(type\s+)?(\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])([^'"\n]+)\3/g)) {
    refs.push({ specifier: m[4], typeOnly: m[1] !== undefined || typeOnlyClause(m[2]), clause: m[2] });
  }
  for (const m of code.matchAll(/\b(?:import|require)\s*\(\s*(['"`])([^'"`\n$]+)\1\s*\)/g)) {
    refs.push({ specifier: m[2], typeOnly: false, clause: '' });
  }
  return refs;
}

/**
 * Whether (comment-free) code reads the environment.
 * @param {string} code
 * @param {ImportRef[]} refs
 */
export function readsEnv(code, refs) {
  if (/\bprocess\s*(\??\.\s*env\b|\[\s*['"`]env['"`]\s*\])/.test(code)) return true;
  if (/\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/.test(code)) return true;
  return refs.some((r) => (r.specifier === 'node:process' || r.specifier === 'process') && /\benv\b/.test(r.clause));
}

/**
 * Resolve an import to a repo-relative module id (no extension) or a package name.
 * @param {string} root
 * @param {string} fromFile repo-relative
 * @param {ImportRef} ref
 * @returns {To}
 */
function resolveTarget(root, fromFile, ref) {
  const spec = ref.specifier;
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const abs = path.resolve(root, path.dirname(fromFile), spec);
    let id = path.relative(root, abs).split(path.sep).join('/');
    id = id.replace(/\.(d\.)?([cm]?[jt]sx?)$/, '');
    if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) id = `${id}/index`;
    return { specifier: spec, typeOnly: ref.typeOnly, module: id, pkg: null };
  }
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0])) {
    return { specifier: spec, typeOnly: ref.typeOnly, module: null, pkg: spec.startsWith('node:') ? spec : `node:${spec}` };
  }
  const parts = spec.split('/');
  const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return { specifier: spec, typeOnly: ref.typeOnly, module: null, pkg };
}

/**
 * @param {string} dir
 * @returns {string[]} absolute paths of TypeScript sources, sorted
 */
function listSources(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...listSources(full));
    } else if (/\.(c|m)?tsx?$/.test(entry.name)) {
      out.push(full);
    }
  }
  return out.sort();
}

/**
 * Check every source under `<root>/src`.
 * @param {string} root repository root
 * @returns {{ files: number, violations: Violation[] }}
 */
export function checkDeps(root) {
  const srcDir = path.join(root, 'src');
  if (!fs.existsSync(srcDir)) throw new Error(`no src directory under ${root}`);
  const files = listSources(srcDir);
  /** @type {Violation[]} */
  const violations = [];
  for (const abs of files) {
    const file = path.relative(root, abs).split(path.sep).join('/');
    const fromPath = file.replace(/\.(d\.)?([cm]?[jt]sx?)$/, '');
    const from = { file, layer: fromPath.split('/')[1] ?? null, path: fromPath };
    const code = stripComments(fs.readFileSync(abs, 'utf8'));
    const refs = parseImports(code);
    for (const ref of refs) {
      const to = resolveTarget(root, file, ref);
      for (const rule of RULES) {
        if (rule.applies(from) && rule.violates(from, to)) {
          violations.push({ file, target: ref.specifier, rule: `${rule.name}: ${rule.text}` });
        }
      }
    }
    if ((under(fromPath, 'src/jobs') || under(fromPath, 'src/cli')) && sendsRedisCommands(code)) {
      violations.push({ file, target: 'redis', rule: `${REDIS_RULE.name}: ${REDIS_RULE.text}` });
    }
    if (!under(fromPath, 'src/config') && !under(fromPath, 'src/cli') && readsEnv(code, refs)) {
      violations.push({ file, target: 'process.env', rule: `${ENV_RULE.name}: ${ENV_RULE.text}` });
    }
  }
  return { files: files.length, violations };
}

/** @param {string[]} argv */
function main(argv) {
  let root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = path.resolve(argv[++i]);
    else {
      process.stderr.write('usage: check-deps.mjs [--root DIR]\n');
      return 2;
    }
  }
  let result;
  try {
    result = checkDeps(root);
  } catch (err) {
    process.stderr.write(`check-deps: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (result.violations.length > 0) {
    for (const v of result.violations) {
      const verb = v.target === 'process.env' ? 'reads' : v.target === 'redis' ? 'sends commands on' : 'imports';
      process.stdout.write(`${v.file}: ${verb} ${v.target} (${v.rule})\n`);
    }
    process.stdout.write(`dependency rules: ${result.violations.length} violation(s) in ${result.files} files\n`);
    return 1;
  }
  process.stdout.write(`dependency rules: OK (${result.files} files)\n`);
  return 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && fs.realpathSync(path.resolve(process.argv[1])) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));

// Every SQL statement is parameterised: this test reads packages/collector/src/**/*.ts with the
// TypeScript parser and fails on SQL built from values, by template interpolation or by string
// concatenation. What the database runs must be constant text; values travel as `?` / `@name`
// parameters. A few spots cannot use parameters; they are allowed below, each with its reason.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const SRC = join(__dirname, '../src');

/**
 * Interpolations allowed in SQL, by file and expression text. SQLite takes no parameters in
 * PRAGMA statements; each value here is a number the code computes itself.
 */
const ALLOWED: { file: string; expression: string; why: string }[] = [
  {
    file: 'storage/sqlite/connection.ts',
    expression: 'Math.max(0, Math.floor(options.busyTimeoutMs))',
    why: 'PRAGMA busy_timeout: an integer made by Math.floor from a number option',
  },
  {
    file: 'storage/sqlite/connection.ts',
    expression: 'Math.max(1, Math.floor(options.maxSizeBytes / pageSize))',
    why: 'PRAGMA max_page_count: an integer made by Math.floor from a number option and the page size',
  },
  {
    file: 'storage/sqlite/scrub.ts',
    expression: 'Math.max(0, Math.floor(options.busyTimeoutMs))',
    why: 'PRAGMA busy_timeout, set back after an attempt to empty the WAL: an integer made by Math.floor from a number option',
  },
  {
    file: 'storage/sqlite/schema.ts',
    expression: 'v + 1',
    why: 'PRAGMA user_version: the index of a loop over the migrations, plus one',
  },
  {
    file: 'storage/postgres/group-commit.ts',
    expression: 'placeholders(n)',
    why:
      'appends on PostgreSQL: a VALUES list of $1, $2 … placeholders for the rows of one statement (at most 1,000), ' +
      'made from the row count alone; the values travel as parameters. As unnest arrays, one collector took about 20% fewer events/s',
  },
  {
    file: 'storage/postgres/from-sqlite-tables.ts',
    expression: 'values',
    why:
      'spur migrate: a VALUES list of $1, $2 … placeholders for up to 1,000 rows, made by insertValues; the values ' +
      'travel as parameters. The same rows as unnest arrays (constant text) took two to three times as long, as JSON 1.4 times',
  },
  {
    file: 'storage/postgres/from-sqlite-webhooks.ts',
    expression: 'values',
    why:
      'spur migrate, the webhook tables: a VALUES list of $1, $2 … placeholders for up to 1,000 rows, made by insertValues; the values ' +
      'travel as parameters. The same rows as unnest arrays (constant text) took two to three times as long, as JSON 1.4 times',
  },
];

// Upper-case SQL words, as this code base writes SQL; messages and identifiers do not use them.
const SQL_WORDS = /\b(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|WHERE|VALUES|FROM|JOIN|ORDER BY|GROUP BY|LIMIT|UNION)\b/;
// The calls that hand text to SQLite (better-sqlite3): db.prepare, db.exec, db.pragma.
const SQL_CALLS = new Set(['prepare', 'exec', 'pragma']);

interface Finding {
  file: string;
  line: number;
  code: string;
  why: string;
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Names of constants (at any level of a file) and their initializers. */
function constants(source: ts.SourceFile): Map<string, ts.Expression> {
  const found = new Map<string, ts.Expression>();
  const visit = (node: ts.Node) => {
    if (
      ts.isVariableDeclarationList(node) &&
      node.flags & ts.NodeFlags.Const
    ) {
      for (const d of node.declarations) if (ts.isIdentifier(d.name) && d.initializer) found.set(d.name.text, d.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * Scans one file. `shared` holds the constants of every scanned file, for SQL constants that one
 * module exports and another imports (same name).
 */
function scanSql(file: string, text: string, shared = new Map<string, ts.Expression>()): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const local = constants(source);
  const findings: Finding[] = [];
  const allowed = (expr: ts.Expression) => ALLOWED.some((a) => file.endsWith(a.file) && squash(expr.getText(source)) === a.expression);

  // True when `expr` always evaluates to text written in the source (or to `?` placeholders).
  function isConstant(expr: ts.Expression, seen = new Set<string>()): boolean {
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr) || ts.isNumericLiteral(expr)) return true;
    if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) return isConstant(expr.expression, seen);
    if (ts.isTemplateExpression(expr)) return expr.templateSpans.every((s) => isConstant(s.expression, seen) || allowed(s.expression));
    if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      return isConstant(expr.left, seen) && isConstant(expr.right, seen);
    }
    if (ts.isConditionalExpression(expr)) return isConstant(expr.whenTrue, seen) && isConstant(expr.whenFalse, seen);
    if (ts.isArrayLiteralExpression(expr)) return expr.elements.every((e) => isConstant(e, seen));
    if (ts.isObjectLiteralExpression(expr)) {
      return expr.properties.every((p) => ts.isPropertyAssignment(p) && isConstant(p.initializer, seen));
    }
    if (ts.isIdentifier(expr)) {
      if (seen.has(expr.text)) return false;
      const init = local.get(expr.text) ?? shared.get(expr.text);
      return init !== undefined && isConstant(init, new Set([...seen, expr.text]));
    }
    // SQL_TEXT[i], SQL.insert: a part of a constant table of statements.
    if (ts.isElementAccessExpression(expr) || ts.isPropertyAccessExpression(expr)) return isConstant(expr.expression, seen);
    if (ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression)) {
      const method = expr.expression.name.text;
      const target = expr.expression.expression;
      const literalArgs = expr.arguments.every((a) => ts.isStringLiteral(a));
      // Placeholder lists: ids.map(() => '?').join(', '), Array(n).fill('?').join(','), ', ?'.repeat(n)
      // yield `?` and separators only, whatever the values are.
      if (method === 'join' && literalArgs && ts.isCallExpression(target) && ts.isPropertyAccessExpression(target.expression)) {
        const inner = target.expression.name.text;
        const [arg] = target.arguments;
        if (inner === 'map' && arg && (ts.isArrowFunction(arg) || ts.isFunctionExpression(arg))) {
          return ts.isArrowFunction(arg) && !ts.isBlock(arg.body) && isConstant(arg.body, seen);
        }
        if (inner === 'fill' && arg) return isConstant(arg, seen);
      }
      if (method === 'join' && literalArgs) return isConstant(target, seen); // COLUMNS.join(', ')
      if (method === 'repeat' && isConstant(target, seen)) return true;
    }
    return false;
  }

  const report = (node: ts.Node, why: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    findings.push({ file, line: line + 1, code: squash(node.getText(source)).slice(0, 160), why });
  };

  // A call that hands its first argument to SQLite: db.prepare/exec/pragma (RegExp#exec shares
  // the name; a regular expression is no database), or a local wrapper such as
  // `const s = (sql: string) => db.prepare(sql)`, whose callers are then checked instead.
  const wrappers = new Map<string, ts.Node>();
  function sqlSink(node: ts.Node): string | undefined {
    if (!ts.isCallExpression(node)) return undefined;
    const callee = node.expression;
    if (ts.isIdentifier(callee) && wrappers.has(callee.text)) return callee.text;
    if (!ts.isPropertyAccessExpression(callee) || !SQL_CALLS.has(callee.name.text)) return undefined;
    const receiver = callee.expression;
    const isRegExp =
      ts.isRegularExpressionLiteral(receiver) ||
      (ts.isIdentifier(receiver) && ts.isRegularExpressionLiteral(local.get(receiver.text) ?? receiver)) ||
      (ts.isIdentifier(receiver) && /^[A-Z][A-Z0-9_]*$|(RE|Re|Pattern|Regex)$/.test(receiver.text));
    return isRegExp ? undefined : callee.name.text;
  }
  // The name of the function whose first parameter `arg` is, when that function is a named const or declaration.
  function wrapperOf(arg: ts.Expression): { name: string; node: ts.Node } | undefined {
    if (!ts.isIdentifier(arg)) return undefined;
    for (let n: ts.Node | undefined = arg.parent; n; n = n.parent) {
      if (ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n)) {
        const first = n.parameters[0];
        if (!first || !ts.isIdentifier(first.name) || first.name.text !== arg.text) return undefined;
        if (ts.isFunctionDeclaration(n)) return n.name && { name: n.name.text, node: n };
        return ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name) ? { name: n.parent.name.text, node: n.parent } : undefined;
      }
    }
    return undefined;
  }
  // Wrappers of wrappers too, until no new one turns up.
  for (let size = -1; size !== wrappers.size; ) {
    size = wrappers.size;
    const find = (node: ts.Node) => {
      const sink = sqlSink(node);
      const arg = sink !== undefined ? (node as ts.CallExpression).arguments[0] : undefined;
      const wrapper = arg && wrapperOf(arg);
      if (wrapper) wrappers.set(wrapper.name, wrapper.node);
      ts.forEachChild(node, find);
    };
    find(source);
  }

  const visit = (node: ts.Node) => {
    // 1. Whatever reaches SQLite must be constant text.
    const sink = sqlSink(node);
    if (sink !== undefined) {
      const [arg] = (node as ts.CallExpression).arguments;
      if (arg && !isConstant(arg) && !wrapperOf(arg)) report(node, `${sink}() gets SQL that is not constant text`);
    }
    // 2. SQL-looking templates and concatenations anywhere (e.g. built for another driver).
    if (ts.isTemplateExpression(node)) {
      const parts = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
      if (SQL_WORDS.test(parts) && !isConstant(node)) report(node, 'SQL built by template interpolation');
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken && !ts.isBinaryExpression(node.parent)) {
      const literals: string[] = [];
      const collect = (e: ts.Expression) => {
        if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
          collect(e.left);
          collect(e.right);
        } else if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) literals.push(e.text);
      };
      collect(node);
      if (SQL_WORDS.test(literals.join(' ')) && !isConstant(node)) report(node, 'SQL built by string concatenation');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // A wrapper that no call in this file uses is called from elsewhere, where this scan cannot follow.
  const called = new Set<string>();
  const calls = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) called.add(node.expression.text);
    ts.forEachChild(node, calls);
  };
  calls(source);
  for (const [name, node] of wrappers) {
    if (!called.has(name)) report(node, `${name}() passes its argument to SQLite and is not called in this file: keep SQL wrappers local`);
  }
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function scanTree(): { findings: Finding[]; calls: number } {
  const files = sourceFiles(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const shared = new Map<string, ts.Expression>();
  for (const { path, text } of files) {
    for (const [name, init] of constants(ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS))) {
      // Only module constants that are plain SQL text qualify as shared.
      if (ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init)) shared.set(name, init);
    }
  }
  const findings = files.flatMap(({ path, text }) => scanSql(relative(SRC, path), text, shared));
  const calls = files.reduce((n, { text }) => n + (text.match(/\.prepare\(/g)?.length ?? 0), 0);
  return { findings, calls };
}

describe('SQL in packages/collector/src', () => {
  it('is parameterised everywhere: no value is interpolated or concatenated into a statement', () => {
    const { findings, calls } = scanTree();
    expect(calls).toBeGreaterThan(20); // the scan did see the storage code
    expect(findings).toEqual([]);
  });

  it('allows only interpolations that still exist, each with a reason', () => {
    for (const entry of ALLOWED) {
      const text = squash(readFileSync(join(SRC, entry.file), 'utf8'));
      expect(text).toContain(`\${${entry.expression}}`);
      expect(entry.why.length).toBeGreaterThan(20);
    }
  });
});

describe('the SQL scan', () => {
  const scan = (code: string) => scanSql('storage/example.ts', code);

  it.each([
    ['a value interpolated into prepare', "db.prepare(`SELECT body FROM events WHERE user_id = '${userValue}'`).all();"],
    ['a value concatenated into prepare', "db.prepare('SELECT body FROM events WHERE user_id = ' + userValue).all();"],
    ['SQL built in a variable first', 'const sql = `DELETE FROM events WHERE id IN (${ids.join(",")})`; db.exec(sql);'],
    ['a table name from a value', 'db.exec(`DROP TABLE ${table}`);'],
    ['a pragma value that is not on the list', 'db.pragma(`user_version = ${req.query.v}`);'],
    ['a wrapper whose callers are elsewhere', 'export function run(sql: string) { return db.prepare(sql).run(); }'],
    ['concatenated SQL for another driver', `const q = "SELECT body FROM events WHERE type = '" + type + "'";`],
    ['templated SQL for another driver', 'await client.query(`SELECT * FROM events WHERE anonymous_id = ${id}`);'],
    ['a lower-case statement into prepare', 'db.prepare(`select * from events where id = ${id}`);'],
    ['a value through a wrapper', 'const s = (sql: string) => db.prepare(sql); s(`SELECT 1 FROM t WHERE id = ${id}`);'],
    ['a value through a wrapper of a wrapper', 'function p(sql: string) { return db.prepare(sql); } const q = (t: string) => p(t); q(x);'],
  ])('flags %s', (_what, code) => {
    expect(scan(code)).not.toEqual([]);
  });

  it.each([
    ['a constant statement', "db.prepare('SELECT body FROM events WHERE user_id = ?').all(id);"],
    ['named parameters', 'db.prepare(`SELECT count(*) FROM events WHERE timestamp >= @from AND timestamp < @to`).pluck();'],
    ['placeholders for a list', "db.prepare(`DELETE FROM events WHERE id IN (${ids.map(() => '?').join(', ')})`).run(...ids);"],
    ['filled placeholders', "db.prepare(`SELECT 1 FROM t WHERE id IN (${Array(n).fill('?').join(',')})`);"],
    ['a constant fragment', "const COLUMNS = 'message_id, body'; db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`);"],
    ['a statement table', "const SQL = { one: 'SELECT 1 FROM t WHERE id = ?' }; db.prepare(SQL.one);"],
    ['migrations by index', "const MIGRATIONS = ['CREATE TABLE a (id)', 'CREATE TABLE b (id)']; db.exec(MIGRATIONS[v]);"],
    ['constant text through a wrapper', "const s = (sql: string) => db.prepare(sql); s('DELETE FROM t WHERE id = ?');"],
    ['a regular expression', 'const m = /^basic\\s+(\\S+)$/i.exec(auth); const n = HOST.exec(url);'],
    ['a message that names a value', 'throw new Error(`cannot open the database ${file}: ${message}`);'],
  ])('accepts %s', (_what, code) => {
    expect(scan(code)).toEqual([]);
  });
});

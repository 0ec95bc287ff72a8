import ts from 'typescript';

/**
 * Finds SQL that strata builds by pasting values into text. A template literal (untagged) or a
 * `+` chain whose text starts like an SQL statement or clause is "SQL text"; every value pasted
 * into it must be provably harmless:
 * - literals, and consts / imports whose value is itself harmless (followed across files);
 * - numbers, booleans, and closed unions of string literals (by the type checker);
 * - the output of the approved quoting helpers: quoteLiteral, quoteIdentifier, pg-sql2's
 *   compile(...) and sql.* builders (except sql.raw), escapeSqlIdentifier;
 * - `xs.map(quoteLiteral).join(', ')`;
 * - calls of functions of our own whose every returned value is harmless by these same rules;
 * - conditionals and concatenations of harmless parts.
 * Anything else — a parameter, a property of an object, a function's result — is a finding.
 * `sql.raw(x)` with x not a literal is a finding too. Text for humans (the value of a
 * `message:` / `hint:` / `detail:` ... property) is not SQL even when it starts with "set".
 */
export interface SqlFinding {
  file: string;
  line: number;
  column: number;
  /** the pasted expression as written */
  expression: string;
  /** the beginning of the SQL text it was pasted into */
  sql: string;
  /** the named function it is in, if any */
  within: string | undefined;
}

const SQL_START = /^\s*(select|insert|update|delete|with|create|drop|alter|begin|commit|rollback|abort|start\s+transaction|set|reset|grant|revoke|comment\s+on|truncate|lock|do|copy|values|where|from|into|returning|order\s+by|group\s+by|limit|offset|savepoint|release|vacuum|analyze|explain|call|and|or|join|left\s+join|on\s+conflict|prepare|execute|listen|notify|discard|security\s+label)(?=[\s(;]|$)/i;
const HUMAN_FIELDS = new Set(['message', 'hint', 'detail', 'effects', 'note', 'description', 'reason', 'what', 'label', 'title', 'summary']);
const QUOTING_FUNCTIONS = new Set(['quoteLiteral', 'quoteIdentifier', 'escapeSqlIdentifier', 'compile']);
const PG_SQL2_MODULE = 'pg-sql2';

export function findUnsafeSql(program: ts.Program, files: readonly string[]): SqlFinding[] {
  const checker = program.getTypeChecker();
  const findings = new Map<string, SqlFinding>();
  const functionVerdicts = new Map<ts.Node, boolean>();
  const valueVerdicts = new Map<ts.Node, boolean>();

  for (const fileName of files) {
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile) throw new Error(`${fileName} is not part of the program`);
    const report = (node: ts.Node, sqlText: string) => {
      const start = node.getStart(sourceFile);
      const { line, character } = sourceFile.getLineAndCharacterOfPosition(start);
      const key = `${fileName}:${start}`;
      if (!findings.has(key)) {
        const fn = ts.findAncestor(node, (n) => ts.isFunctionDeclaration(n) && n.name !== undefined) as ts.FunctionDeclaration | undefined;
        findings.set(key, {
          file: fileName, line: line + 1, column: character + 1, expression: node.getText(sourceFile), sql: sqlText.slice(0, 60), within: fn?.name?.text,
        });
      }
    };
    const visit = (node: ts.Node): void => {
      if (ts.isTemplateExpression(node) && !ts.isTaggedTemplateExpression(node.parent) && !isInsideText(node)) {
        const text = node.head.text + node.templateSpans.map((s) => `\${…}${s.literal.text}`).join('');
        if (looksLikeSql(node) && !isHumanText(node)) {
          for (const span of node.templateSpans) if (!isHarmless(span.expression)) report(span.expression, text);
        }
      } else if (isPlus(node) && !isPlus(skipParens(node.parent)) && !isInsideText(node)) {
        const operands = flattenPlus(node);
        if (operands.some((o) => staticTexts(o).some((t) => SQL_START.test(t))) && !isHumanText(node)) {
          for (const operand of operands) if (!isHarmless(operand)) report(operand, node.getText(sourceFile));
        }
      } else if (ts.isCallExpression(node) && isPgSql2Raw(node.expression)) {
        const arg = node.arguments[0];
        if (arg && !ts.isStringLiteralLike(arg)) report(arg, node.getText(sourceFile));
      }
      ts.forEachChild(node, visit);
    };
    visit(sourceFile);
  }
  return [...findings.values()];

  function looksLikeSql(template: ts.TemplateExpression): boolean {
    if (SQL_START.test(template.head.text)) return true;
    // `${prefix}select ...`: the text after a leading harmless piece
    return template.head.text.trim() === '' && template.templateSpans.length > 0 && SQL_START.test(template.templateSpans[0]!.literal.text);
  }

  /** Part of a larger template or concatenation: judged as part of that one (when it is SQL). */
  function isInsideText(node: ts.Node): boolean {
    for (let current = node.parent; ; current = current.parent) {
      if (ts.isParenthesizedExpression(current) || ts.isConditionalExpression(current) || isPlus(current)) continue;
      return ts.isTemplateSpan(current);
    }
  }

  function isHumanText(node: ts.Node): boolean {
    let current: ts.Node = node;
    while (ts.isParenthesizedExpression(current.parent) || ts.isConditionalExpression(current.parent) || isPlus(current.parent)) current = current.parent;
    const parent = current.parent;
    if (ts.isPropertyAssignment(parent) && (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name))) return HUMAN_FIELDS.has(parent.name.text);
    return false;
  }

  /** The texts an expression can have when it is made of literals, consts and conditionals. */
  function staticTexts(node: ts.Expression, depth = 0): string[] {
    const expression = skipParens(node);
    if (depth > 8) return [];
    if (ts.isStringLiteralLike(expression)) return [expression.text];
    if (ts.isTemplateExpression(expression)) return [expression.head.text];
    if (ts.isConditionalExpression(expression)) return [...staticTexts(expression.whenTrue, depth + 1), ...staticTexts(expression.whenFalse, depth + 1)];
    if (ts.isIdentifier(expression)) {
      const initializer = constInitializer(expression);
      return initializer ? staticTexts(initializer, depth + 1) : [];
    }
    return [];
  }

  function isHarmless(node: ts.Expression): boolean {
    const cached = valueVerdicts.get(node);
    if (cached !== undefined) return cached;
    valueVerdicts.set(node, false); // a cycle proves nothing
    const verdict = judge(skipParens(node));
    valueVerdicts.set(node, verdict);
    return verdict;
  }

  function judge(expression: ts.Expression): boolean {
    if (ts.isStringLiteralLike(expression) || ts.isNumericLiteral(expression) || ts.isBigIntLiteral(expression)) return true;
    if (expression.kind === ts.SyntaxKind.TrueKeyword || expression.kind === ts.SyntaxKind.FalseKeyword || expression.kind === ts.SyntaxKind.NullKeyword) return true;
    if (hasHarmlessType(expression)) return true;
    if (ts.isTemplateExpression(expression)) return expression.templateSpans.every((s) => isHarmless(s.expression));
    if (ts.isTaggedTemplateExpression(expression)) return isPgSql2(expression.tag);
    if (isPlus(expression)) return flattenPlus(expression).every(isHarmless);
    if (ts.isConditionalExpression(expression)) return isHarmless(expression.whenTrue) && isHarmless(expression.whenFalse);
    if (ts.isBinaryExpression(expression) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(expression.operatorToken.kind)) {
      return isHarmless(expression.left) && isHarmless(expression.right);
    }
    if (ts.isIdentifier(expression)) {
      const initializer = constInitializer(expression);
      return initializer !== undefined && isHarmless(initializer);
    }
    if (ts.isPropertyAccessExpression(expression)) {
      // compile(sql`...`).text
      if (expression.name.text === 'text' && ts.isCallExpression(skipParens(expression.expression))) return isHarmless(expression.expression);
      return false;
    }
    if (ts.isCallExpression(expression)) return isHarmlessCall(expression);
    return false;
  }

  function isHarmlessCall(call: ts.CallExpression): boolean {
    const callee = skipParens(call.expression);
    if (ts.isIdentifier(callee) && QUOTING_FUNCTIONS.has(callee.text)) return true;
    if (ts.isPropertyAccessExpression(callee)) {
      if (isPgSql2(callee.expression)) return callee.name.text !== 'raw' || call.arguments.every((a) => ts.isStringLiteralLike(a));
      // xs.map(quoteLiteral).join(', ')
      if (callee.name.text === 'join' && call.arguments.every(isHarmless)) {
        const inner = skipParens(callee.expression);
        if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && inner.expression.name.text === 'map') {
          const mapper = inner.arguments[0];
          return mapper !== undefined && ts.isIdentifier(mapper) && QUOTING_FUNCTIONS.has(mapper.text);
        }
      }
      return false;
    }
    if (ts.isIdentifier(callee)) {
      const declaration = declarationOf(callee);
      if (declaration && ts.isFunctionDeclaration(declaration) && declaration.body) return returnsOnlyHarmless(declaration);
    }
    return false;
  }

  function returnsOnlyHarmless(fn: ts.FunctionDeclaration): boolean {
    const cached = functionVerdicts.get(fn);
    if (cached !== undefined) return cached;
    functionVerdicts.set(fn, false);
    const returns: ts.Expression[] = [];
    const collect = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && node !== fn) return;
      if (ts.isReturnStatement(node) && node.expression) returns.push(node.expression);
      ts.forEachChild(node, collect);
    };
    collect(fn.body!);
    const verdict = returns.length > 0 && returns.every(isHarmless);
    functionVerdicts.set(fn, verdict);
    return verdict;
  }

  function hasHarmlessType(expression: ts.Expression): boolean {
    const type = checker.getTypeAtLocation(expression);
    const parts = type.isUnion() ? type.types : [type];
    return parts.every((t) => (t.flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.StringLiteral | ts.TypeFlags.Null | ts.TypeFlags.Undefined)) !== 0);
  }

  function declarationOf(identifier: ts.Identifier): ts.Declaration | undefined {
    let symbol = checker.getSymbolAtLocation(identifier);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  }

  function constInitializer(identifier: ts.Identifier): ts.Expression | undefined {
    const declaration = declarationOf(identifier);
    if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer || !ts.isIdentifier(declaration.name)) return undefined;
    const list = declaration.parent;
    if (!ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Const) === 0) return undefined;
    return declaration.initializer;
  }

  /** `sql` imported from pg-sql2 (or anything pg-sql2 exports, e.g. `sql.identifier`). */
  function isPgSql2(node: ts.Expression): boolean {
    const expression = skipParens(node);
    if (!ts.isIdentifier(expression)) return false;
    const symbol = checker.getSymbolAtLocation(expression);
    const declaration = symbol?.declarations?.[0];
    if (!declaration) return false;
    const importDeclaration = ts.findAncestor(declaration, ts.isImportDeclaration);
    return importDeclaration !== undefined && ts.isStringLiteral(importDeclaration.moduleSpecifier) && importDeclaration.moduleSpecifier.text === PG_SQL2_MODULE;
  }

  function isPgSql2Raw(callee: ts.Expression): boolean {
    const expression = skipParens(callee);
    if (ts.isPropertyAccessExpression(expression)) return expression.name.text === 'raw' && isPgSql2(expression.expression);
    return ts.isIdentifier(expression) && expression.text === 'raw' && isPgSql2(expression);
  }
}

function isPlus(node: ts.Node): node is ts.BinaryExpression {
  return ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken;
}

function flattenPlus(node: ts.Expression): ts.Expression[] {
  const expression = skipParens(node);
  return isPlus(expression) ? [...flattenPlus(expression.left), ...flattenPlus(expression.right)] : [expression];
}

function skipParens<T extends ts.Node>(node: T): T | ts.Expression {
  let current: ts.Node = node;
  while (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isNonNullExpression(current) || ts.isSatisfiesExpression(current)) current = current.expression;
  return current as T | ts.Expression;
}

// Where a JSON text goes wrong, as line and column and what was expected there. JSON.parse says
// only "Unexpected token '}'" for many mistakes, without a position, which is no help in a spec
// of a hundred lines.

interface Mistake {
  at: number;
  expected: string;
}

/** The first syntax error of `text` as `line L, column C: expected ...`, or undefined for valid JSON. */
export function jsonSyntaxError(text: string): string | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    throw { at: i, expected } satisfies Mistake;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail('a closing " of the string');
      const c = text[i];
      if (c === '"') return void i++;
      if (c === '\\') {
        if (/["\\/bfnrt]/.test(text[i + 1] ?? '')) i += 2;
        else if (/^u[0-9a-fA-F]{4}/.test(text.slice(i + 1, i + 6))) i += 6;
        else (i++, fail('an escape such as \\" or \\n'));
      } else if (c < ' ') fail('no line break or control character inside a string (use \\n)');
      else i++;
    }
  };
  const LITERAL = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null/y;
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) return void i++;
      for (;;) {
        space();
        if (c === '{') {
          if (text[i] !== '"') fail('a property name in double quotes');
          string();
          space();
          if (text[i] !== ':') fail('":" after the property name');
          i++;
        }
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === close) return void i++;
        else fail(`"," or "${close}"`);
      }
    }
    if (c === '"') return string();
    LITERAL.lastIndex = i;
    if (!LITERAL.test(text)) fail('a value (object, array, string, number, true, false or null)');
    i = LITERAL.lastIndex;
  };
  try {
    value();
    space();
    if (i < text.length) fail('the end of the document');
    return undefined;
  } catch (mistake) {
    const { at, expected } = mistake as Mistake;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    return `line ${line}, column ${column}: expected ${expected}`;
  }
}

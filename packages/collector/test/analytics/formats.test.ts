import { chunked, csvCell, csvLine, toCsv, toJsonArray, toNdjson } from '../../src/analytics';

// A strict RFC 4180 reader, to show that what we write reads back as the cells we meant.
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        cell += c;
        i++;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i += 2;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      cell += c;
      i++;
    }
  }
  if (cell || record.length) throw new Error('last record has no CRLF');
  return records;
}

const all = (pieces: Iterable<string>) => [...pieces].join('');

describe('CSV', () => {
  it('writes a header row, then one CRLF-terminated record per row', () => {
    const rows = [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ];
    expect(all(toCsv(rows, ['id', 'n']))).toBe('id,n\r\na,1\r\nb,2\r\n');
    expect(all(toCsv([], ['id', 'n']))).toBe('id,n\r\n');
  });

  it('takes columns as properties or as header + function', () => {
    const rows = [{ items: [{ product_id: 'x' }], at: 5 }];
    expect(all(toCsv(rows, [{ header: 'count', value: (r) => r.items.length }, 'items']))).toBe(
      'count,items\r\n1,"[{""product_id"":""x""}]"\r\n',
    );
  });

  it('quotes a cell that holds a comma', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
  });

  it('quotes a cell that holds a double quote, doubling it', () => {
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
  });

  it('quotes a cell that holds LF or CR', () => {
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('old\rmac')).toBe('"old\rmac"');
  });

  it('leaves plain cells unquoted, and writes null and undefined as empty cells', () => {
    expect(csvLine(['plain', null, undefined, 0, false, 1.5])).toBe('plain,,,0,false,1.5\r\n');
  });

  it('reads back cell for cell through a strict RFC 4180 reader', () => {
    const nasty = ['a,b', '"', '""', 'x\r\ny', '\n', ' lead', 'trail ', '', 'Ünïcödé ✓ 😀'];
    const csv = all(toCsv([Object.fromEntries(nasty.map((v, i) => [`c${i}`, v]))], nasty.map((_, i) => `c${i}`)));
    expect(parseCsv(csv)).toEqual([nasty.map((_, i) => `c${i}`), nasty]);
  });

  describe('formula injection', () => {
    it.each(['=', '+', '-', '@', '\t', '\r'])('prefixes a text cell starting with %j with a quote', (c) => {
      const cell = `${c}HYPERLINK("http://evil.example")`;
      const written = csvCell(cell);
      const [[read]] = parseCsv(written + '\r\n');
      expect(read).toBe(`'${cell}`);
    });

    it('prefixes before quoting, so the prefix sits inside the quotes', () => {
      expect(csvCell('=1,2')).toBe(`"'=1,2"`);
      expect(csvCell('\rx')).toBe(`"'\rx"`);
    });

    it('does not touch numbers (a negative number is data) or text that merely contains = + - @', () => {
      expect(csvCell(-5)).toBe('-5');
      expect(csvCell(-12.5)).toBe('-12.5');
      expect(csvCell('-5')).toBe("'-5"); // text is text, even when it reads like a number
      expect(csvCell('a=b+c-d@e')).toBe('a=b+c-d@e');
      expect(csvCell('x - y')).toBe('x - y');
    });

    it('looks past leading whitespace (Unicode too) and double quotes', () => {
      expect(csvCell(' =1')).toBe("' =1");
      expect(csvCell('  \t@SUM(A1)')).toBe("'  \t@SUM(A1)");
      expect(csvCell('\u00a0\u3000+1')).toBe("'\u00a0\u3000+1");
      expect(csvCell('"=1"')).toBe('"\'""=1"""');
      expect(csvCell(' plain')).toBe(' plain');
    });

    it('reads the start under NFKC: full-width and other compatibility forms of = + - @ count', () => {
      for (const c of ['\uff1d', '\uff0b', '\uff0d', '\uff20', '\ufe66', '\u207c']) expect(csvCell(`${c}1+1`)).toBe(`'${c}1+1`);
      expect(csvCell('\uff02=1')).toBe("'\uff02=1"); // a full-width quote is a quote
      expect(csvCell('東京')).toBe('東京');
      expect(csvCell('😀=1')).toBe('😀=1');
    });

    it('quotes a cell holding ; and neutralises what follows each ; or line break, where a spreadsheet may start a cell', () => {
      expect(csvCell('a;b')).toBe('"a;b"');
      expect(csvCell(';=1+1')).toBe(`";'=1+1"`);
      expect(csvCell('x; =HYPERLINK("a")')).toBe(`"x;' =HYPERLINK(""a"")"`);
      expect(csvCell('\n=1+1')).toBe(`"\n'=1+1"`);
      expect(csvCell('a\r\n-2+3')).toBe(`"a\r\n'-2+3"`);
      expect(csvCell('a;\tb')).toBe(`"a;'\tb"`);
      expect(csvCell('=a;@b\n+c')).toBe(`"'=a;'@b\n'+c"`);
    });

    it('applies to header cells too', () => {
      expect(all(toCsv([], ['=cmd' as never]))).toBe("'=cmd\r\n");
    });
  });

  describe('unicode', () => {
    it('keeps non-ASCII text intact, to be written as UTF-8', () => {
      const csv = all(toCsv([{ name: 'Müller – 東京 😀' }], ['name']));
      expect(csv).toBe('name\r\nMüller – 東京 😀\r\n');
      expect(Buffer.from(csv, 'utf8').subarray(7, 9)).toEqual(Buffer.from([0xc3, 0xbc]));
    });

    it('adds the UTF-8 byte order mark on request, before the header', () => {
      const csv = all(toCsv([], ['name'], { bom: true }));
      expect(Buffer.from(csv, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(all(toCsv([], ['name']))).toBe('name\r\n');
    });
  });

  it('streams: yields the header before it reads any row, and each row as it is read', () => {
    let pulled = 0;
    function* rows() {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield { i };
      }
    }
    const out = toCsv(rows(), ['i']);
    expect(out.next().value).toBe('i\r\n');
    expect(pulled).toBe(0);
    expect(out.next().value).toBe('0\r\n');
    expect(pulled).toBe(1);
  });
});

describe('NDJSON and JSON', () => {
  it('writes one JSON text per line', () => {
    expect(all(toNdjson([{ a: 1 }, { b: 'x\ny' }]))).toBe('{"a":1}\n{"b":"x\\ny"}\n');
  });

  it('writes a JSON array piece by piece', () => {
    expect(JSON.parse(all(toJsonArray([{ a: 1 }, { a: 2 }])))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(all(toJsonArray([]))).toBe('[]');
  });

  it('joins pieces into chunks without losing or reordering any', () => {
    const pieces = Array.from({ length: 1000 }, (_, i) => `${i},`);
    const chunks = [...chunked(pieces, 100)];
    expect(chunks.join('')).toBe(pieces.join(''));
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.slice(0, -1).every((c) => c.length >= 100)).toBe(true);
  });
});

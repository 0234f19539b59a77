// The run filter's regular expressions, matched in time linear in the run
// name's length. The browser's RegExp backtracks: `(a+)+$` against 30 a's
// and a '!' takes minutes, and on TensorBoard's page (the tab's iframe shares
// its thread) that freezes everything, also when the pattern comes in a link.
// Here a pattern is parsed into a small automaton and every possible match is
// followed at once (Thompson's construction run as a Pike VM), so a test costs
// at most (name length × automaton size) steps whatever the pattern.
//
// The syntax is JavaScript's (the browser still checks the pattern, so an
// invalid one gets the browser's own message): literals, `.`, classes,
// `\d\w\s` and their negations, escapes, groups, `|`, `* + ? {m,n}` (lazy or
// not: only whether a name matches counts), `^ $ \b \B`. Back-references and
// look-arounds cannot be matched this way; such a pattern is refused with a
// message saying so.

// A pattern past this many automaton states (`x{1000}{1000}` is a million)
// would make every test slow; a run filter this size is not one a person types.
export const MAX_STATES = 4000;

export class PatternError extends Error {}

const LINE_END = new Set(['\n', '\r', '\u2028', '\u2029']);
const SPACE = /\s/;
const isDigit = (c) => c >= '0' && c <= '9';
const isWord = (c) => c !== undefined && (isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isSpace = (c) => SPACE.test(c);

const CLASS_ESCAPES = {
  d: isDigit,
  D: (c) => !isDigit(c),
  w: isWord,
  W: (c) => !isWord(c),
  s: isSpace,
  S: (c) => !isSpace(c),
};
const CONTROL_ESCAPES = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', 0: '\0' };

class Parser {
  constructor(src) {
    this.src = src;
    this.i = 0;
  }

  peek() { return this.src[this.i]; }

  eat(c) {
    if (this.src[this.i] === c) {
      this.i += 1;
      return true;
    }
    return false;
  }

  parse() {
    const node = this.alternation();
    if (this.i < this.src.length) throw new PatternError(`unmatched ')' at ${this.i}`);
    return node;
  }

  alternation() {
    const alts = [this.sequence()];
    while (this.eat('|')) alts.push(this.sequence());
    return alts.length === 1 ? alts[0] : { type: 'alt', alts };
  }

  sequence() {
    const items = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { type: 'cat', items };
  }

  quantified(atom) {
    let node = atom;
    for (;;) {
      const c = this.peek();
      let min;
      let max;
      if (c === '*') { min = 0; max = Infinity; this.i += 1; }
      else if (c === '+') { min = 1; max = Infinity; this.i += 1; }
      else if (c === '?') { min = 0; max = 1; this.i += 1; }
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
        if (!m) return node; // a '{' that is no quantifier is a literal, as in JS
        min = Number(m[1]);
        max = m[2] === undefined ? min : (m[3] === '' ? Infinity : Number(m[3]));
        this.i += m[0].length;
      } else {
        return node;
      }
      if (node.type === 'assert') throw new PatternError('nothing to repeat');
      this.eat('?'); // lazy: the same set of names matches
      node = { type: 'rep', node, min, max };
    }
  }

  atom() {
    const c = this.src[this.i];
    this.i += 1;
    if (c === '.') return { type: 'char', test: (x) => !LINE_END.has(x) };
    if (c === '^') return { type: 'assert', kind: 'bol' };
    if (c === '$') return { type: 'assert', kind: 'eol' };
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '\\') return this.escape();
    if (c === '*' || c === '+' || c === '?') throw new PatternError('nothing to repeat');
    return literal(c);
  }

  group() {
    if (this.eat('?')) {
      if (this.eat(':')) {
        // non-capturing: the same as a group here
      } else if (this.src.startsWith('<', this.i) && !/^<[=!]/.test(this.src.slice(this.i))) {
        const close = this.src.indexOf('>', this.i);
        if (close < 0) throw new PatternError('unterminated group name');
        this.i = close + 1;
      } else {
        throw new PatternError('look-ahead and look-behind are not supported by the run filter');
      }
    }
    const inner = this.alternation();
    if (!this.eat(')')) throw new PatternError('unterminated group');
    return inner;
  }

  escape() {
    const c = this.src[this.i];
    if (c === undefined) throw new PatternError('\\ at end of pattern');
    this.i += 1;
    if (c === 'b' || c === 'B') return { type: 'assert', kind: c === 'b' ? 'word' : 'nonword' };
    if (CLASS_ESCAPES[c]) return { type: 'char', test: CLASS_ESCAPES[c] };
    if (c >= '1' && c <= '9') throw new PatternError('back-references are not supported by the run filter');
    if (c === 'k' && this.peek() === '<') throw new PatternError('back-references are not supported by the run filter');
    return literal(this.escapedChar(c));
  }

  /** The character a `\c` escape stands for (after the backslash and `c`). */
  escapedChar(c) {
    if (CONTROL_ESCAPES[c] !== undefined && !(c === '0' && isDigit(this.peek() || ''))) return CONTROL_ESCAPES[c];
    if (c === 'x') {
      const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
      if (m) {
        this.i += 2;
        return String.fromCharCode(parseInt(m[0], 16));
      }
      return 'x';
    }
    if (c === 'u') {
      const m = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.i));
      if (m) {
        this.i += 4;
        return String.fromCharCode(parseInt(m[0], 16));
      }
      return 'u';
    }
    if (c === 'c') {
      const m = /^[a-zA-Z]/.exec(this.src.slice(this.i));
      if (m) {
        this.i += 1;
        return String.fromCharCode(m[0].charCodeAt(0) % 32);
      }
      return '\\';
    }
    return c; // an escaped punctuation character (or identity escape) is itself
  }

  charClass() {
    const negate = this.eat('^');
    const parts = [];
    while (this.peek() !== ']') {
      if (this.i >= this.src.length) throw new PatternError('unterminated character class');
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined && typeof lo === 'string') {
        this.i += 1;
        const hi = this.classAtom();
        if (typeof hi !== 'string') {
          parts.push((x) => x === lo || x === '-', hi);
        } else {
          if (hi < lo) throw new PatternError('range out of order in character class');
          parts.push((x) => x >= lo && x <= hi);
        }
      } else if (typeof lo === 'string') {
        parts.push((x) => x === lo);
      } else {
        parts.push(lo);
      }
    }
    this.i += 1; // ']'
    // Case is folded before negating: `[^a-c]` must refuse 'A' as well.
    const any = foldCase((x) => parts.some((p) => p(x)));
    return { type: 'char', test: negate ? (x) => !any(x) : any };
  }

  /** A class member: one character (string) or a class escape (function). */
  classAtom() {
    const c = this.src[this.i];
    this.i += 1;
    if (c !== '\\') return c;
    const e = this.src[this.i];
    if (e === undefined) throw new PatternError('\\ at end of pattern');
    this.i += 1;
    if (CLASS_ESCAPES[e]) return CLASS_ESCAPES[e];
    if (e === 'b') return '\b';
    return this.escapedChar(e);
  }
}

function literal(c) {
  const lower = c.toLowerCase();
  return { type: 'char', test: (x) => x === c || x.toLowerCase() === lower };
}

// -- compilation: a program of char / split / jmp / assert / match steps

function compile(ast) {
  const prog = [];
  const emit = (ins) => {
    if (prog.length >= MAX_STATES) throw new PatternError(`too complex for the run filter (over ${MAX_STATES} states)`);
    prog.push(ins);
    return prog.length - 1;
  };
  const gen = (node) => {
    switch (node.type) {
      case 'char':
        emit({ op: 'char', test: node.test });
        break;
      case 'assert':
        emit({ op: 'assert', kind: node.kind });
        break;
      case 'cat':
        for (const it of node.items) gen(it);
        break;
      case 'alt': {
        const jumps = [];
        for (let k = 0; k < node.alts.length - 1; k++) {
          const split = emit({ op: 'split', x: 0, y: 0 });
          prog[split].x = prog.length;
          gen(node.alts[k]);
          jumps.push(emit({ op: 'jmp', x: 0 }));
          prog[split].y = prog.length;
        }
        gen(node.alts[node.alts.length - 1]);
        for (const j of jumps) prog[j].x = prog.length;
        break;
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) gen(node.node);
        if (node.max === Infinity) {
          const split = emit({ op: 'split', x: 0, y: 0 });
          prog[split].x = prog.length;
          gen(node.node);
          emit({ op: 'jmp', x: split });
          prog[split].y = prog.length;
        } else {
          const splits = [];
          for (let k = node.min; k < node.max; k++) {
            const split = emit({ op: 'split', x: 0, y: 0 });
            prog[split].x = prog.length;
            splits.push(split);
            gen(node.node);
          }
          for (const s of splits) prog[s].y = prog.length;
        }
        break;
      }
      default:
        throw new PatternError(`unknown node ${node.type}`);
    }
  };
  gen(ast);
  emit({ op: 'match' });
  return prog;
}

function foldCase(test) {
  return (c) => test(c) || test(c.toLowerCase()) || test(c.toUpperCase());
}

/**
 * Compiles `pattern` (case-insensitive, as TensorBoard's run filter).
 * @returns {{test: (s: string) => boolean, size: number, steps: () => number}}
 * @throws {PatternError} for syntax the linear matcher cannot run
 */
export function compilePattern(pattern) {
  const prog = compile(new Parser(String(pattern)).parse());
  let work = 0;
  const n = prog.length;
  // Per-position thread lists as sparse sets: `mark[pc] === gen` says pc is in.
  const mark = new Int32Array(n).fill(-1);
  let gen = 0;
  const stack = new Int32Array(n + 1);

  const test = (s) => {
    let clist = [];
    let nlist = [];
    const assertOk = (kind, pos) => {
      if (kind === 'bol') return pos === 0;
      if (kind === 'eol') return pos === s.length;
      const b = isWord(s[pos - 1]) !== isWord(s[pos]);
      return kind === 'word' ? b : !b;
    };
    // Follows jumps, splits and assertions from `pc`, adding the char and
    // match steps it reaches to `list`; true when `match` is reachable.
    const add = (list, pc0, pos) => {
      let top = 0;
      stack[top++] = pc0;
      let matched = false;
      while (top) {
        const pc = stack[--top];
        if (mark[pc] === gen) continue;
        mark[pc] = gen;
        work += 1;
        const ins = prog[pc];
        if (ins.op === 'jmp') stack[top++] = ins.x;
        else if (ins.op === 'split') { stack[top++] = ins.y; stack[top++] = ins.x; }
        else if (ins.op === 'assert') { if (assertOk(ins.kind, pos)) stack[top++] = pc + 1; }
        else if (ins.op === 'match') matched = true;
        else list.push(pc);
      }
      return matched;
    };
    gen += 1;
    for (let pos = 0; ; pos++) {
      // A new attempt starts at every position (the search is unanchored);
      // threads already here keep their marks, so nothing is added twice.
      if (add(clist, 0, pos)) return true;
      if (pos === s.length) return false;
      const c = s[pos];
      gen += 1;
      let matched = false;
      for (const pc of clist) {
        work += 1;
        if (prog[pc].test(c) && add(nlist, pc + 1, pos + 1)) matched = true;
      }
      if (matched) return true;
      const t = clist;
      clist = nlist;
      nlist = t;
      nlist.length = 0;
    }
  };
  return { test, size: n, steps: () => work };
}

// Test values for every setting of web/state.mjs: a valid non-default one, and bad ones.

/** A valid value of the setting that is not its default. */
export function otherValue(s) {
  switch (s.type) {
    case 'enum': return s.options.map(([v]) => v).find((v) => v !== s.default);
    case 'bool': return !s.default;
    case 'intlist': return [32, 8, 4];
    case 'int': return s.default === null ? s.min + 6 : s.default === s.min ? s.min + 3 : s.default + 1;
    case 'number': {
      const lo = s.min ?? 0;
      const hi = s.max ?? lo + 10;
      const v = lo + (hi - lo) * 0.37;
      return v === s.default ? v / 2 : v;
    }
    default: throw new Error(s.type);
  }
}

/** Values that must be rejected, with the words expected in the reason. */
export function badValues(s) {
  switch (s.type) {
    case 'enum': return ['bogus', '', s.options[0][0].toUpperCase() + 'x'];
    case 'bool': return ['maybe', '2'];
    case 'intlist': return ['16,x', '0', '1,2,3,4,5,6,7,8', '2.5', '5000'];
    case 'int': return ['abc', '2.5', String(s.min - 1), ...(s.max !== undefined ? [String(s.max + 1)] : []), '1e400', 'NaN'];
    case 'number': {
      const out = ['abc', 'NaN', 'Infinity', '1e400', '0x10'];
      if (s.min !== undefined) out.push(s.minOpen ? String(s.min) : String(s.min - 1));
      if (s.max !== undefined) out.push(s.maxOpen ? String(s.max) : String(s.max + 1));
      return out;
    }
    default: throw new Error(s.type);
  }
}

// A small JSON Schema checker for the playground's schema mode: the keywords smelt's structured output
// supports (type, enum, const, properties, required, additionalProperties, items, min/max Items,
// min/max Length, minimum/maximum, anyOf). Returns a list of problems, each naming the JSON path.
export function validate(schema, value, path = '$') {
  const out = [];
  check(schema, value, path, out);
  return out;
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t, v) {
  const actual = typeOf(v);
  return t === actual || (t === 'number' && actual === 'integer');
}

function check(s, v, p, out) {
  if (s === true || s === undefined) return;
  if (s === false) { out.push(`${p}: no value is allowed here`); return; }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some(t => typeMatches(t, v))) { out.push(`${p}: expected ${types.join(' or ')}, got ${typeOf(v)}`); return; }
  }
  if (s.enum && !s.enum.some(e => JSON.stringify(e) === JSON.stringify(v))) out.push(`${p}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${p}: expected ${JSON.stringify(s.const)}`);
  if (s.anyOf) {
    if (!s.anyOf.some(sub => validate(sub, v, p).length === 0)) out.push(`${p}: matches none of anyOf`);
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && [...v].length < s.minLength) out.push(`${p}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && [...v].length > s.maxLength) out.push(`${p}: longer than ${s.maxLength}`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${p}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${p}: above ${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${p}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(`${p}: more than ${s.maxItems} items`);
    if (s.items !== undefined) v.forEach((x, i) => check(s.items, x, `${p}[${i}]`, out));
  }
  if (typeOf(v) === 'object') {
    const props = s.properties || {};
    for (const r of s.required || []) if (!(r in v)) out.push(`${p}: missing required property "${r}"`);
    for (const [k, x] of Object.entries(v)) {
      if (k in props) check(props[k], x, `${p}.${k}`, out);
      else if (s.additionalProperties === false) out.push(`${p}: property "${k}" is not allowed`);
      else if (typeof s.additionalProperties === 'object') check(s.additionalProperties, x, `${p}.${k}`, out);
    }
  }
}

//! Just enough JSON for the benchmarks' one-line outputs: a flat object of numbers,
//! strings, booleans and nulls (nested values are skipped).

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
    /// `null`, or a nested object or array (not needed here).
    Other,
}

/// One parsed object.
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj(BTreeMap<String, Value>);

impl Obj {
    /// The number under `key`; an error naming the key if it is missing or not a number.
    pub(crate) fn num(&self, key: &str) -> Result<f64, String> {
        match self.0.get(key) {
            Some(Value::Num(v)) => Ok(*v),
            _ => Err(format!("no number {key:?} in {self:?}")),
        }
    }

    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }
}

/// The last line of `out` that parses as a JSON object.
pub(crate) fn last_object(out: &str) -> Result<Obj, String> {
    out.lines().rev().find_map(parse).ok_or_else(|| format!("no JSON line in the output:\n{out}"))
}

/// Every line of `out` that parses as a JSON object.
pub(crate) fn objects(out: &str) -> Vec<Obj> {
    out.lines().filter_map(parse).collect()
}

/// Parses one line holding a JSON object.
pub(crate) fn parse(line: &str) -> Option<Obj> {
    let mut p = Parser { s: line.trim().as_bytes(), i: 0 };
    let mut map = BTreeMap::new();
    p.expect(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        p.i += 1;
        return p.at_end().then_some(Obj(map));
    }
    loop {
        p.ws();
        let key = p.string()?;
        p.ws();
        p.expect(b':')?;
        p.ws();
        let value = p.value()?;
        map.insert(key, value);
        p.ws();
        match p.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    p.at_end().then_some(Obj(map))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.s.len()
    }

    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => break,
                b'\\' => match self.next()? {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'u' => {
                        let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                        self.i += 4;
                        let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('?');
                        out.extend_from_slice(c.to_string().as_bytes());
                    }
                    c => out.push(c),
                },
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }

    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'{' | b'[' => {
                self.skip_nested()?;
                Some(Value::Other)
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()) {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                match word {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "null" => Some(Value::Other),
                    // Python's json.dumps writes NaN and Infinity for those floats.
                    "NaN" => Some(Value::Num(f64::NAN)),
                    _ => word.parse().ok().map(Value::Num),
                }
            }
        }
    }

    /// Skips a nested object or array (strings inside may hold brackets).
    fn skip_nested(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rust_and_python_lines() {
        let o = parse(r#"{"lang":"rust","n":100000,"rate":0,"cpu_s":0.07,"ok":true}"#).unwrap();
        assert_eq!(o.num("n").unwrap(), 100000.0);
        assert_eq!(o.str("lang"), Some("rust"));
        let o = parse(r#"{"lang": "python", "x": {"a": [1, "]"]}, "ns": 1.5e3}"#).unwrap();
        assert_eq!(o.num("ns").unwrap(), 1500.0);
        assert!(o.num("x").is_err());
        assert!(parse("trace-batch hot path: 2000 ops").is_none());
        assert!(parse(r#"{"a":1} trailing"#).is_none());
    }
}

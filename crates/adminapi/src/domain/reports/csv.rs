//! Writing a report as CSV (RFC 4180): every field quoted when it holds a comma, a quote or a line
//! break, and a field that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) prefixed with `'`, since report fields come from callers.

/// A table: a header and rows of the same width.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with `header` and no rows yet.
    pub fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    /// The CSV text, lines ending in CRLF.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let line: Vec<String> = row.iter().map(|f| field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut t = Table::new(&["a", "b"]);
        t.rows.push(vec!["plain".into(), "with, comma".into()]);
        t.rows.push(vec!["say \"hi\"".into(), "=HYPERLINK(1)".into()]);
        t.rows.push(vec!["two\nlines".into(), "-1".into()]);
        assert_eq!(
            t.to_csv(),
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",'=HYPERLINK(1)\r\n\"two\nlines\",'-1\r\n"
        );
    }
}

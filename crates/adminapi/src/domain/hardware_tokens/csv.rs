//! The CSV texts of hardware tokens: a header line naming the columns (any order, any case),
//! then one record per line. Fields are separated by commas and may be quoted with `"`. Errors
//! name the line and the column, never a value.

use std::collections::HashMap;

use super::DomainError;

/// The largest CSV text accepted (bytes).
pub const MAX_BYTES: usize = 1 << 20;
/// The most records in one CSV text.
pub const MAX_ROWS: usize = 10_000;

/// One record: its line number (the header is line 1) and its fields by lowercase column name.
#[derive(Debug)]
pub struct Record {
    pub line: usize,
    fields: HashMap<String, String>,
}

impl Record {
    /// The trimmed field of `column`, when present and not blank.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.fields.get(&column.to_ascii_lowercase()).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

fn split(line: &str) -> Vec<String> {
    let (mut fields, mut current, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    fields
}

/// The records of `text`, whose header must name every column of `required`.
pub fn parse(text: &str, required: &[&str]) -> Result<Vec<Record>, DomainError> {
    if text.len() > MAX_BYTES {
        return Err(DomainError::Invalid(format!("the CSV must be at most {MAX_BYTES} bytes")));
    }
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(DomainError::Invalid("the CSV is empty: a header line is required".into()));
    };
    let columns: Vec<String> = split(header).iter().map(|c| c.trim().to_ascii_lowercase()).collect();
    for column in required {
        if !columns.contains(&column.to_ascii_lowercase()) {
            return Err(DomainError::Invalid(format!("the CSV header must name the column {column}")));
        }
    }
    let mut records = Vec::new();
    for (index, line) in lines {
        if records.len() == MAX_ROWS {
            return Err(DomainError::Invalid(format!("the CSV may hold at most {MAX_ROWS} rows")));
        }
        let fields = columns.iter().cloned().zip(split(line)).collect();
        records.push(Record { line: index + 1, fields });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_their_line_and_fields_by_column() {
        let text = "SerialNumber,Seed\n\nsn1, \"ab,cd\" \n\"sn\"\"2\",\n";
        let records = parse(text, &["serialNumber", "seed"]).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            (records[0].line, records[0].get("serialnumber"), records[0].get("seed")),
            (3, Some("sn1"), Some("ab,cd"))
        );
        assert_eq!((records[1].line, records[1].get("serialNumber"), records[1].get("seed")), (4, Some("sn\"2"), None));
        let e = parse("serial\nx", &["serialNumber"]).unwrap_err();
        assert_eq!(e.to_string(), "the CSV header must name the column serialNumber");
        assert_eq!(parse("  \n", &[]).unwrap_err().to_string(), "the CSV is empty: a header line is required");
    }
}

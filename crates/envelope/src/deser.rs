//! Request input (JSON bodies, path and query parameters) read with errors that are safe to show
//! the caller and to write to the log: they name the field and say what was expected, and never
//! carry a value the request sent.
//!
//! serde's own messages quote the input: `invalid type: string "<the decrypted text>", expected
//! u32`, `unknown field `<a key the caller chose>``. Here every message is rebuilt from its kind:
//!
//! - [`from_str`] / [`from_value`] deserialize with the field path (`origin.communityId`, from
//!   `serde_path_to_error`); a path segment that is not a short identifier (a map key the caller
//!   chose) is shown as `<key>`;
//! - [`describe_json`] turns any `serde_json::Error` into a safe message (for errors that come
//!   back without a path, such as actix's `web::Json`);
//! - [`describe_message`] does the same for a message another deserializer produced (actix's
//!   path and query extractors), as serde formats them.
//!
//! What survives: the kind (`missing field`, `invalid type: string`, `unknown field`, `unknown
//! variant`, `invalid length`, a JSON syntax error with its line and column), what our type
//! expected (our own words: `expected a string`, `expected one of `qr`, `push``), and our own
//! field names. A message of any other form (a type's custom error, which may quote the input)
//! becomes `invalid value`.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

/// Why input could not be read, safe to show and log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    path: String,
    message: String,
}

impl InputError {
    /// Where in the input: `origin.communityId`, `items[2].name`; empty for the whole input.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was wrong there: `invalid type: integer, expected a string`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

impl std::error::Error for InputError {}

/// Parses JSON text into `T`; the error names the field and the expected type.
pub fn from_str<T: DeserializeOwned>(json: &str) -> Result<T, InputError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(with_path)?;
    de.end().map_err(|e| InputError { path: String::new(), message: describe_json(&e) })?;
    Ok(value)
}

/// Converts a parsed JSON value into `T`; the error names the field and the expected type.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(with_path)
}

fn with_path(e: serde_path_to_error::Error<serde_json::Error>) -> InputError {
    let raw = raw_json_message(e.inner());
    // The last segment of an unknown field's path is the caller's key itself.
    let mut path = safe_path(e.path(), e.inner().is_data() && raw.starts_with("unknown field `"));
    let mut message = describe_json(e.inner());
    // `missing field `x`` is reported at the parent: name the field itself.
    if let Some(field) = e.inner().is_data().then(|| missing_field(&raw)).flatten() {
        path = if path.is_empty() { field } else { format!("{path}.{field}") };
        message = "missing field".to_owned();
    }
    InputError { path, message }
}

fn missing_field(raw: &str) -> Option<String> {
    let name = raw.strip_prefix("missing field `")?.strip_suffix('`')?;
    Some(if is_identifier(name) { name.to_owned() } else { "<field>".to_owned() })
}

/// The path of a failed deserialization, with caller-chosen map keys replaced by `<key>`.
fn safe_path(path: &serde_path_to_error::Path, drop_last: bool) -> String {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = path.iter().collect();
    if drop_last {
        segments.pop();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if is_identifier(key) { key } else { "<key>" });
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// A short name made of letters, digits, `_` and `-`, starting with a letter or `_`: the shape of
/// our field names, so showing one reveals nothing the caller did not already know.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// serde_json's message without its ` at line L column C` suffix.
fn raw_json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).map(str::to_owned).unwrap_or(text)
}

/// A safe message for any serde_json error (no field path: see [`from_str`] for that).
pub fn describe_json(e: &serde_json::Error) -> String {
    match e.classify() {
        // Syntax and EOF messages are serde_json's fixed texts ("expected value", "EOF while
        // parsing a string"): they never quote the input.
        Category::Syntax | Category::Eof => {
            format!("syntax error at line {} column {}: {}", e.line(), e.column(), raw_json_message(e))
        }
        Category::Data => describe_message(&raw_json_message(e)),
        Category::Io => "could not be read".to_owned(),
    }
}

/// The kinds serde's `Unexpected` names, in the words it uses (`string "…"` becomes `string`).
const KINDS: [&str; 18] = [
    "boolean",
    "integer",
    "floating point",
    "character",
    "string",
    "byte array",
    "unit value",
    "null",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
    "unit",
];

/// Messages of std's parsers, which deserializers of text (paths, queries) pass on as they are.
const FIXED: [&str; 7] = [
    "invalid digit found in string",
    "cannot parse integer from empty string",
    "number too large to fit in target type",
    "number too small to fit in target type",
    "invalid float literal",
    "expected at least one parameters",
    "data did not match any variant of untagged enum",
];

/// A safe version of a serde error message produced by any deserializer: the kind and what was
/// expected survive, the input does not.
pub fn describe_message(raw: &str) -> String {
    let raw = raw.trim();
    for (prefix, kind) in [("invalid type: ", "invalid type"), ("invalid value: ", "invalid value")] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let (unexpected, expected) = split_expected(rest);
            let found = KINDS.iter().find(|k| starts_with_word(unexpected, k)).copied().unwrap_or("value");
            return with_expected(&format!("{kind}: {found}"), expected);
        }
    }
    for (prefix, kind) in [("unknown field `", "unknown field"), ("unknown variant `", "unknown variant")] {
        if raw.starts_with(prefix) {
            // `…, there are no fields` has no expectation to show, and the name before it is the
            // caller's, so it is never searched for one.
            if raw.ends_with(", there are no fields") || raw.ends_with(", there are no variants") {
                return kind.to_owned();
            }
            return with_expected(kind, split_expected(raw).1);
        }
    }
    if raw.starts_with("invalid length ") {
        return with_expected("invalid length", split_expected(raw).1);
    }
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(name) = raw.strip_prefix(prefix).and_then(|r| r.strip_suffix('`')) {
            let name = if is_identifier(name) { name } else { "<field>" };
            return format!("{}`{name}`", &prefix[..prefix.len() - 1]);
        }
    }
    // actix-router's path deserializer: `can not parse "<segment>" to a u32`.
    if raw.starts_with("can not parse ") {
        return with_expected("invalid value", raw.rsplit_once(" to a ").map(|(_, t)| t));
    }
    if raw.starts_with("wrong number of parameters") {
        return "wrong number of path parameters".to_owned();
    }
    if let Some(fixed) = FIXED.iter().find(|f| raw.starts_with(*f)) {
        return (*fixed).to_owned();
    }
    "invalid value".to_owned()
}

/// Splits `<what was found>, expected <what we expect>` at the last `, expected `: the found part
/// may contain that text (it is the caller's), our expectation does not.
fn split_expected(rest: &str) -> (&str, Option<&str>) {
    match rest.rsplit_once(", expected ") {
        Some((found, expected)) => (found, Some(expected)),
        None => (rest, None),
    }
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word).is_some_and(|r| r.is_empty() || r.starts_with([' ', '`', '"']))
}

/// `kind, expected <our expectation>`, bounded and on one line.
fn with_expected(kind: &str, expected: Option<&str>) -> String {
    match expected {
        Some(e) => {
            let e: String = e.chars().filter(|c| !c.is_control()).take(160).collect();
            format!("{kind}, expected {e}")
        }
        None => kind.to_owned(),
    }
}

#[cfg(test)]
#[path = "deser_tests.rs"]
mod tests;

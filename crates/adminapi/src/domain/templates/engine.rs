//! The template engine (minijinja) as templates use it: no loader (no `include`, `import` or
//! `extends`), strict undefined (a variable the context lacks is an error, not an empty string),
//! bounded work (fuel, recursion) and HTML auto-escape for email bodies only. Errors name the
//! engine's error kind and line, never the template text or a variable's value.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

/// Work one render may do (instructions of the engine): ample for a message, an end for a loop
/// over a huge `range`.
const FUEL: u64 = 200_000;

/// How deep blocks, loops and calls may nest.
const RECURSION: usize = 50;

/// What went wrong, fit for a message: the engine's error kind and the line, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    /// The engine's error kind (`syntax error`, `undefined value`…).
    pub kind: String,
    /// The template line (1-based), when the engine knows it.
    pub line: Option<usize>,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} at line {line}", self.kind),
            None => f.write_str(&self.kind),
        }
    }
}

impl From<minijinja::Error> for EngineError {
    fn from(e: minijinja::Error) -> Self {
        Self { kind: e.kind().to_string(), line: e.line() }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION);
    env.set_auto_escape_callback(|name| if name.ends_with(".html") { AutoEscape::Html } else { AutoEscape::None });
    env
}

/// Compiles `source` and renders it with `variables`, HTML-escaping every variable when `html`.
pub fn render(source: &str, html: bool, variables: &impl Serialize) -> Result<String, EngineError> {
    let env = environment();
    let name = if html { "body.html" } else { "body.txt" };
    let template = env.template_from_named_str(name, source)?;
    Ok(template.render(minijinja::value::Serde(variables))?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn variables_are_escaped_in_html_only() {
        let vars = json!({"user": {"firstname": "<b>Ann</b>"}});
        assert_eq!(render("Hi {{ user.firstname }}", true, &vars).unwrap(), "Hi &lt;b&gt;Ann&lt;&#x2f;b&gt;");
        assert_eq!(render("Hi {{ user.firstname }}", false, &vars).unwrap(), "Hi <b>Ann</b>");
    }

    #[test]
    fn errors_name_the_kind_and_line_never_the_text() {
        let e = render("line one\n{{ secret_token ", false, &json!({})).unwrap_err();
        assert_eq!(e.kind, "syntax error");
        assert_eq!(e.line, Some(2));
        assert!(!e.to_string().contains("secret_token"), "{e}");

        let e = render("ok\n\n{{ user.middlename }}", false, &json!({"user": {"firstname": "Ann"}})).unwrap_err();
        assert_eq!(e.to_string(), "undefined value at line 3");
        let e = render("{{ nowhere }}", false, &json!({})).unwrap_err();
        assert_eq!(e.kind, "undefined value", "strict: an unknown variable is an error");
        // `default` and `is defined` still work for optional values.
        assert_eq!(render("{{ params.x | default('-') }}", false, &json!({"params": {}})).unwrap(), "-");
    }

    #[test]
    fn no_loader_and_bounded_work() {
        let e = render("{% include 'other.html' %}", false, &json!({})).unwrap_err();
        assert_eq!(e.kind, "template not found");
        let e = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            false,
            &json!({}),
        )
        .unwrap_err();
        assert_eq!(e.kind, "engine ran out of fuel");
    }
}

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::transform::{Identity, transform};
use super::*;

fn limits() -> Limits {
    Limits { wall: Duration::from_millis(300), memory: 8 << 20, ..Limits::default() }
}

fn go(script: &str, input: &Value) -> Result<Value, ScriptError> {
    run(script, &input.to_string(), &limits())
}

#[test]
fn the_last_expression_or_a_function_of_input_is_the_json_output() {
    let input = json!({"givenName": "Ann", "sn": "Example", "tags": [1, 2]});
    assert_eq!(go("({first: input.givenName, n: input.tags.length})", &input), Ok(json!({"first": "Ann", "n": 2})));
    assert_eq!(go("(p) => ({last: p.sn.toUpperCase()})", &input), Ok(json!({"last": "EXAMPLE"})));
    let with_stdlib = "const m = new Map([['a', 1]]); JSON.parse(JSON.stringify({a: m.get('a'), ok: /^A/.test(input.givenName), y: new Date(0).getUTCFullYear()}))";
    assert_eq!(go(with_stdlib, &input), Ok(json!({"a": 1, "ok": true, "y": 1970})));
    assert_eq!(go("[1, 'two', null]", &json!(null)), Ok(json!([1, "two", null])));
}

#[test]
fn output_must_be_json() {
    assert_eq!(go("undefined", &json!({})), Err(ScriptError::Output("must be JSON, not undefined".into())));
    assert_eq!(go("Symbol('x')", &json!({})), Err(ScriptError::Output("must be JSON, not symbol".into())));
    assert!(
        matches!(go("const a = {}; a.self = a; a", &json!({})), Err(ScriptError::Output(m)) if m.contains("cannot be serialized"))
    );
    assert!(matches!(go("10n", &json!({})), Err(ScriptError::Output(m)) if m.contains("cannot be serialized")));
    let big = run("'x'.repeat(2000)", "{}", &Limits { output: 1000, ..limits() });
    assert_eq!(big, Err(ScriptError::Output("must be at most 1000 bytes of JSON".into())));
}

#[test]
fn no_modules_files_network_timers_or_console() {
    for (script, name) in [
        ("require('fs')", "ReferenceError"),
        ("fetch('http://127.0.0.1/')", "ReferenceError"),
        ("std.open('/etc/passwd', 'r')", "ReferenceError"),
        ("os.exec(['ls'])", "ReferenceError"),
        ("setTimeout(() => 1, 0)", "ReferenceError"),
        ("console.log(1)", "ReferenceError"),
        ("XMLHttpRequest", "ReferenceError"),
    ] {
        match go(script, &json!({})) {
            Err(ScriptError::Failed { name: got, .. }) => assert_eq!(got, name, "{script}"),
            other => panic!("{script}: {other:?}"),
        }
    }
    assert_eq!(
        go("typeof print + typeof std + typeof os + typeof scriptArgs", &json!({})),
        Ok(json!("undefinedundefinedundefinedundefined"))
    );
    let promise = Err(ScriptError::Output("must be JSON, not a promise (async scripts are not supported)".into()));
    assert_eq!(go("import('fs')", &json!({})), promise);
    assert_eq!(go("(async () => 1)()", &json!({})), promise);
    assert_eq!(
        go("async function f() {}; f(); Promise.resolve().then(() => { while (true) {} }); 7", &json!({})),
        Ok(json!(7)),
        "no job runs"
    );
    assert_eq!(
        go("import fs from 'fs'", &json!({})),
        Err(ScriptError::Failed { name: "SyntaxError".into(), line: Some(1) })
    );
}

#[test]
fn errors_name_the_kind_and_line_never_the_text() {
    let e = go("const a = 1;\n\nthrow new TypeError('sEcReT ' + input.password)", &json!({"password": "hunter2"}))
        .unwrap_err();
    assert_eq!(e, ScriptError::Failed { name: "TypeError".into(), line: Some(3) });
    assert_eq!(e.to_string(), "the script failed: TypeError at line 3");
    let e = go("let x = ;", &json!({})).unwrap_err();
    assert_eq!(e.to_string(), "the script failed: SyntaxError at line 1");
    let e = go("throw 'sEcReT'", &json!({})).unwrap_err();
    assert!(!e.to_string().contains("sEcReT"), "{e}");
    let e =
        go("const e = new Error('x'); e.name = input.password; throw e", &json!({"password": "hunter2"})).unwrap_err();
    assert_eq!(e.to_string(), "the script failed: Error at line 1", "a name the script chose is not shown");
    let e = go("function f() { return f(); } f()", &json!({})).unwrap_err();
    assert!(
        matches!(e, ScriptError::Failed { ref name, .. } if name == "RangeError" || name == "InternalError"),
        "{e:?}"
    );
}

#[test]
fn an_endless_script_is_stopped_at_the_deadline() {
    assert_eq!(go("while (true) {}", &json!({})), Err(ScriptError::Timeout(300)));
    assert_eq!(
        go("for (;;) { try { while (true) {} } catch (e) {} }", &json!({})),
        Err(ScriptError::Timeout(300)),
        "not catchable"
    );
    assert_eq!(
        go("/(a+)+$/.test('a'.repeat(40) + 'b')", &json!({})),
        Err(ScriptError::Timeout(300)),
        "regex backtracking too"
    );
}

#[test]
fn the_memory_limit_stops_a_greedy_script() {
    let slow = Limits { wall: Duration::from_secs(30), ..limits() };
    let greedy = "const a = []; while (true) { a.push(new Array(100000).fill(1)); }";
    assert_eq!(run(greedy, "{}", &slow), Err(ScriptError::Memory(8)));
    let objects = "const m = {}; for (let i = 0; ; i++) { m['k' + i] = {i, s: 'v' + i}; }";
    assert_eq!(run(objects, "{}", &slow), Err(ScriptError::Memory(8)));
    assert_eq!(ScriptError::Memory(8).to_string(), "the script used more than 8 MiB of memory");
}

#[tokio::test]
async fn a_full_pool_is_busy_and_errors_map_to_statuses() {
    let sandbox = Sandbox::new(1, limits());
    assert_eq!(sandbox.run("input.a + 1", &json!({"a": 1})).await, Ok(json!(2)));
    let held = sandbox.permits.clone().try_acquire_owned().unwrap();
    assert_eq!(sandbox.run("1", &json!({})).await, Err(ScriptError::Busy));
    drop(held);
    assert_eq!(sandbox.run("1", &json!({})).await, Ok(json!(1)));
    assert!(matches!(DomainError::from(ScriptError::Busy), DomainError::Busy(_)));
    assert!(
        matches!(DomainError::from(ScriptError::Timeout(5)), DomainError::Invalid(m) if m == "the script ran longer than 5 ms")
    );
}

#[tokio::test]
async fn the_sspr_transformation_gives_an_identity() {
    let sandbox = Sandbox::new(1, limits());
    let b64 = |s: &str| STANDARD.encode(s);
    let profile = json!({"name": {"given": "Ann", "family": "Example"}, "birthDate": "1990-02-03"});
    let script = b64("(p) => ({firstname: p.name.given, lastname: p.name.family, dob: p.birthDate, extra: 1})");
    let identity = transform(&sandbox, &script, &profile).await.unwrap();
    let expected = Identity {
        firstname: "Ann".into(),
        lastname: "Example".into(),
        dob: Some("1990-02-03".into()),
        email: None,
        phone: None,
    };
    assert_eq!(identity, expected);

    let invalid = |r: Result<Identity, DomainError>| match r {
        Err(DomainError::Invalid(m)) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(invalid(transform(&sandbox, "%%%", &profile).await), "transformationB64 must be the script in base64");
    assert_eq!(invalid(transform(&sandbox, &b64("[1]"), &profile).await), "the script's result must be an object");
    let m = invalid(transform(&sandbox, &b64("({firstname: 'A'})"), &profile).await);
    assert!(m.starts_with("the script's result: ") && m.contains("lastname"), "{m}");
    let m = invalid(transform(&sandbox, &b64("({firstname: 1, lastname: 'B'})"), &profile).await);
    assert!(m.contains("firstname"), "{m}");
    assert_eq!(invalid(transform(&sandbox, &b64("while(1){}"), &profile).await), "the script ran longer than 300 ms");
}

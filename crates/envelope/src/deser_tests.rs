use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Origin {
    community_id: String,
    tag: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthType {
    Qr,
    Push,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Request {
    origin: Origin,
    authtype: Option<AuthType>,
    count: Option<u8>,
    items: Option<Vec<u32>>,
    extra: Option<BTreeMap<String, u32>>,
}

const SECRET: &str = "s3cr3t-decrypted-value, expected evil`";

fn err(value: serde_json::Value) -> InputError {
    from_value::<Request>(value).unwrap_err()
}

fn assert_clean(e: &InputError) {
    let text = e.to_string();
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(!text.contains("evil"), "{text}");
}

#[test]
fn a_wrong_type_names_the_field_and_the_kind_but_not_the_value() {
    let e = err(json!({"origin": {"communityId": 5, "tag": SECRET}}));
    assert_eq!(e.to_string(), "origin.communityId: invalid type: integer, expected a string");
    let e = err(json!({"origin": {"communityId": "c", "tag": [SECRET]}}));
    assert_eq!(e.to_string(), "origin.tag: invalid type: sequence, expected a string");
    let e = err(json!({"origin": {"communityId": "c"}, "count": SECRET}));
    assert_clean(&e);
    assert_eq!(e.to_string(), "count: invalid type: string, expected u8");
    let e = err(json!({"origin": {"communityId": "c"}, "count": 300}));
    assert_eq!(e.to_string(), "count: invalid value: integer, expected u8");
    let e = err(json!({"origin": {"communityId": "c"}, "items": [1, SECRET]}));
    assert_eq!(e.to_string(), "items[1]: invalid type: string, expected u32");
}

#[test]
fn missing_fields_are_named_with_their_path() {
    let e = err(json!({"origin": {}}));
    assert_eq!(e.path(), "origin.communityId");
    assert_eq!(e.to_string(), "origin.communityId: missing field");
    let e = err(json!({}));
    assert_eq!(e.to_string(), "origin: missing field");
}

#[test]
fn unknown_fields_variants_and_keys_are_not_echoed() {
    let e = err(json!({"origin": {"communityId": "c"}, SECRET: 1}));
    assert_clean(&e);
    assert!(e.to_string().starts_with("unknown field, expected one of `origin`"), "{e}");
    let e = err(json!({"origin": {"communityId": "c"}, "callerKey": 1}));
    assert!(!e.to_string().contains("callerKey"), "{e}");
    let e = err(json!({"origin": {"communityId": "c"}, "authtype": SECRET}));
    assert_clean(&e);
    assert_eq!(e.to_string(), "authtype: unknown variant, expected `qr` or `push`");
    let e = err(json!({"origin": {"communityId": "c"}, "extra": {SECRET: "x"}}));
    assert_clean(&e);
    assert_eq!(e.to_string(), "extra.<key>: invalid type: string, expected u32");
    let e = err(json!({"origin": {"communityId": "c"}, "extra": {"plainKey": "x"}}));
    assert_eq!(e.to_string(), "extra.plainKey: invalid type: string, expected u32");
}

#[test]
fn syntax_errors_give_the_place_and_serdes_fixed_text() {
    let e = from_str::<Request>(r#"{"origin": {"communityId": "s3cr3t" "#).unwrap_err();
    assert_clean(&e);
    assert!(e.to_string().contains("syntax error at line 1 column"), "{e}");
    let e = from_str::<Request>(r#"{"origin": {"communityId": "c"}} s3cr3t"#).unwrap_err();
    assert_clean(&e);
    assert!(e.to_string().contains("trailing characters"), "{e}");
    let e = from_str::<Request>(r#"{"origin": {"communityId": true}}"#).unwrap_err();
    assert_eq!(e.to_string(), "origin.communityId: invalid type: boolean, expected a string");
}

#[test]
fn messages_from_other_deserializers_are_rebuilt_from_their_kind() {
    let cases = [
        (r#"can not parse "s3cr3t" to a u32"#, "invalid value, expected u32"),
        ("wrong number of parameters: 1 expected 2", "wrong number of path parameters"),
        ("missing field `nonce`", "missing field `nonce`"),
        ("missing field `s3cr3t key`", "missing field `<field>`"),
        ("invalid digit found in string", "invalid digit found in string"),
        (r#"invalid type: string "s3cr3t, expected evil", expected u32"#, "invalid type: string, expected u32"),
        ("unknown variant `s3cr3t, expected evil`, there are no variants", "unknown variant"),
        ("unknown field `s3cr3t`, there are no fields", "unknown field"),
        ("invalid length 3, expected a tuple of size 2", "invalid length, expected a tuple of size 2"),
        ("invalid character: expected [0-9a-f], found `s3cr3t` at 1", "invalid value"),
        ("s3cr3t is not allowed", "invalid value"),
    ];
    for (raw, expected) in cases {
        assert_eq!(describe_message(raw), expected, "{raw}");
    }
}

#[test]
fn a_value_that_parses_is_returned() {
    let r: Request = from_str(r#"{"origin": {"communityId": "c"}, "authtype": "qr"}"#).unwrap();
    assert_eq!(r.origin.community_id, "c");
    assert!(matches!(r.authtype, Some(AuthType::Qr)));
    assert!(!matches!(r.authtype, Some(AuthType::Push)));
}

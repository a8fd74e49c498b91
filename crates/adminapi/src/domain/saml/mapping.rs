//! What an assertion says of the user, per service provider: the name id (the user attribute
//! `nameid.value` names, in `nameid.format`) and the attributes (`attributes[]`: each
//! `claim_name` carries the user's `attribute_name`, or the static `value`, or the value as a
//! default when the user has none).

use serde_json::Value;

use crate::domain::service_providers::SamlConfig;
use crate::domain::service_providers::saml::NAME_ID_FORMATS;

/// The user an assertion is about.
#[derive(Debug, Clone)]
pub struct UserView<'a> {
    pub uid: &'a str,
    pub username: &'a str,
    /// The user's record in users-mgmt (`data` of `fetch_single_user_by_username`).
    pub data: &'a Value,
}

/// A value as XML may carry it (no control characters but tab and line breaks).
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')).collect()
}

fn scalars(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) if !s.is_empty() => vec![clean(s)],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Array(items) => items.iter().flat_map(scalars).collect(),
        _ => Vec::new(),
    }
}

/// The user's values of the attribute `name`.
pub fn values(user: &UserView<'_>, name: &str) -> Vec<String> {
    match name.trim() {
        "uid" | "sub" => vec![clean(user.uid)],
        "username" => vec![clean(user.username)],
        "email" => {
            let found = scalars(&user.data["email1"]);
            if found.is_empty() { scalars(&user.data["email"]) } else { found }
        }
        "firstname" | "givenName" => scalars(&user.data["firstname"]),
        "lastname" | "surname" | "sn" => scalars(&user.data["lastname"]),
        other => scalars(&user.data[other]),
    }
}

/// The name id and its format's URN for `config`: the user's value of `nameid.value` (the
/// username when the user has none).
pub fn name_id(config: &SamlConfig, user: &UserView<'_>) -> (String, String) {
    let format = NAME_ID_FORMATS
        .iter()
        .find(|(short, _)| *short == config.nameid.format)
        .map_or(NAME_ID_FORMATS[0].1, |(_, urn)| *urn);
    let value = values(user, &config.nameid.value).into_iter().next().unwrap_or_else(|| clean(user.username));
    (value, format.to_owned())
}

/// The attributes `config` sends: `(claim_name, values)`.
pub fn attributes(config: &SamlConfig, user: &UserView<'_>) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for a in &config.attributes {
        let given = || a.value.as_ref().map(scalars).unwrap_or_default();
        let values = match a.value_type.as_deref() {
            Some("static") => given(),
            Some("null") => Vec::new(),
            Some("default") => {
                let v = values(user, &a.attribute_name);
                if v.is_empty() { given() } else { v }
            }
            _ => values(user, &a.attribute_name),
        };
        if values.is_empty() && a.value_type.as_deref() != Some("null") {
            continue;
        }
        out.push((clean(&a.claim_name), values));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(attributes: Value) -> SamlConfig {
        serde_json::from_value(json!({
            "_id": "a", "accessUrl": "https://sp.example.com", "entityId": "https://sp.example.com",
            "assertionMethod": "post", "assertionConsumerServiceURL": "https://sp.example.com/acs",
            "logoutRequestSignRequired": false, "logoutResponseSignRequired": false,
            "authRequestSignRequired": false, "assertionSignRequired": true,
            "signingAlgo": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "encryptAssertion": false,
            "idpInitiated": false, "relayState": "",
            "nameid": {"_id": "b", "format": "emailAddress", "value": "email", "attribute_type": "identity"},
            "attributes": attributes,
        }))
        .unwrap()
    }

    #[test]
    fn the_name_id_and_the_attributes_follow_the_configuration() {
        let data = json!({"email1": "carol@example.com", "firstname": "Carol", "groups": ["a", "b"], "age": 7});
        let user = UserView { uid: "u1", username: "carol", data: &data };
        let c = config(json!([
            {"_id": "1", "uuid": "x", "claim_name": "mail", "attribute_name": "email", "attribute_type": "identity"},
            {"_id": "2", "uuid": "y", "claim_name": "groups", "attribute_name": "groups", "attribute_type": "identity"},
            {"_id": "3", "uuid": "z", "claim_name": "dept", "attribute_name": "dept", "attribute_type": "identity",
             "value_type": "default", "value": "sales"},
            {"_id": "4", "uuid": "w", "claim_name": "tier", "attribute_name": "tier", "attribute_type": "session",
             "value_type": "static", "value": "gold"},
            {"_id": "5", "uuid": "v", "claim_name": "phone", "attribute_name": "phone1", "attribute_type": "identity"},
        ]));
        let (value, format) = name_id(&c, &user);
        assert_eq!((value.as_str(), format.as_str()), ("carol@example.com", NAME_ID_FORMATS[1].1));
        let got = attributes(&c, &user);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["mail", "groups", "dept", "tier"], "an attribute the user lacks is left out");
        assert_eq!(got[1].1, ["a", "b"]);
        assert_eq!(got[2].1, ["sales"]);
        assert_eq!(got[3].1, ["gold"]);
    }
}

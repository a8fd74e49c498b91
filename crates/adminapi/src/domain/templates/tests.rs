use std::sync::Mutex;

use super::*;
use crate::domain::config::Owner;

const OWNER: Owner<'static> = Owner { tenant_id: "t", community_id: "c" };

fn email(id: &str, data: &str, is_default: bool) -> Value {
    json!({"self_onboarding": {"email": {id: {"name": "Welcome", "subject": "Join {{ community.name }}", "data": data, "isDefault": is_default}}}})
}

fn parse(data: &Value) -> Result<Vec<Template>, DomainError> {
    parse_template_data(data, "admin", 100)
}

fn message(r: Result<Vec<Template>, DomainError>) -> String {
    match r {
        Err(DomainError::Invalid(m)) => m,
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn every_builtin_template_renders_with_its_purposes_variables() {
    for purpose in Purpose::ALL {
        for channel in [Channel::Email, Channel::Sms] {
            let (subject, data) = builtin::template(purpose, channel);
            let t = Template {
                purpose,
                channel,
                id: "builtin".into(),
                name: "Built-in".into(),
                subject: subject.map(str::to_owned),
                data: data.into(),
                is_default: true,
                updated_by: String::new(),
                updated_at: 0,
            };
            check(&t).unwrap_or_else(|e| panic!("{}: {e}", t.path()));
        }
    }
}

#[test]
fn templates_are_parsed_and_checked_naming_the_template() {
    let ok = parse(&email("a-1", "<a href=\"{{ link }}\">{{ email }}</a>", true)).unwrap();
    assert_eq!(
        (ok[0].path(), ok[0].is_default, ok[0].updated_by.as_str()),
        ("self_onboarding.email.a-1".into(), true, "admin")
    );

    let m = message(parse(&email("a-1", "Hello\n{% if link %}", false)));
    assert_eq!(m, "template self_onboarding.email.a-1: data: syntax error at line 2");
    let m = message(parse(&email("a-1", "{{ otp }}", false)));
    assert_eq!(
        m, "template self_onboarding.email.a-1: data: undefined value at line 1",
        "otp is not a variable of self_onboarding"
    );
    let sms = json!({"otp": {"sms": {"s": {"name": "Code", "data": "{{ otp }} {{ user.firstname }} {{ params.x | default('') }}"}}}});
    assert_eq!(parse(&sms).unwrap()[0].subject, None);
    let with_subject = json!({"otp": {"sms": {"s": {"name": "Code", "subject": "x", "data": "{{ otp }}"}}}});
    assert!(message(parse(&with_subject)).ends_with("subject is only for an email"));
    let no_subject = json!({"otp": {"email": {"e": {"name": "Code", "data": "{{ otp }}"}}}});
    assert_eq!(message(parse(&no_subject)), "template otp.email.e: subject is required for an email");
    let bad_subject = json!({"otp": {"email": {"e": {"name": "Code", "subject": "{{ link }}", "data": "{{ otp }}"}}}});
    assert_eq!(message(parse(&bad_subject)), "template otp.email.e: subject: undefined value at line 1");
    let long = json!({"otp": {"sms": {"s": {"name": "Code", "data": "x".repeat(MAX_SMS_BODY + 1)}}}});
    assert!(message(parse(&long)).ends_with("data must be 1 to 1600 characters"));

    assert_eq!(
        message(parse(&json!({"newsletter": {}}))),
        "templateData.newsletter must be one of self_onboarding, invite, reset_password, otp, phone_verify"
    );
    assert_eq!(message(parse(&json!({"otp": {"fax": {}}}))), "templateData.otp.fax must be email or sms");
    assert!(message(parse(&json!({"otp": {"sms": {"a.b": {}}}}))).starts_with("templateData.otp.sms keys must be"));
    let unknown = json!({"otp": {"sms": {"s": {"name": "Code", "data": "{{ otp }}", "colour": "red"}}}});
    assert!(message(parse(&unknown)).contains("unknown field"));
    assert_eq!(message(parse(&json!({}))), "templateData must give 1 to 50 templates");
    let two = json!({"otp": {"sms": {"a": {"name": "A", "data": "{{ otp }}", "isDefault": true}, "b": {"name": "B", "data": "{{ otp }}", "isDefault": true}}}});
    assert_eq!(message(parse(&two)), "templateData.otp.sms gives more than one default template");
}

#[test]
fn a_new_default_demotes_the_former_one_and_unchanged_templates_are_left_alone() {
    let current = parse(&email("old", "{{ link }}", true)).unwrap();
    let given = parse_template_data(&email("new", "{{ link }}!", true), "root", 200).unwrap();
    let write = plan_put(OWNER, &current, given);
    assert_eq!(
        write.upserts.iter().map(|t| (t.id.as_str(), t.is_default)).collect::<Vec<_>>(),
        [("old", false), ("new", true)]
    );
    assert_eq!(write.changes.len(), 2);
    let new = write.changes.iter().find(|c| c.record == "self_onboarding.email.new").unwrap();
    assert_eq!(
        (new.action.as_str(), new.fields.clone(), new.actor.as_str(), new.at),
        ("create", vec!["data".into(), "isDefault".into(), "name".into(), "subject".into()], "root", 200)
    );
    let old = write.changes.iter().find(|c| c.record == "self_onboarding.email.old").unwrap();
    assert_eq!((old.action.as_str(), old.fields.clone()), ("update", vec!["isDefault".to_owned()]));
    assert_eq!((old.kind.as_str(), old.tenant_id.as_str(), old.community_id.as_str()), ("template", "t", "c"));

    let same = plan_put(OWNER, &current, parse(&email("old", "{{ link }}", true)).unwrap());
    assert!(same.upserts.is_empty() && same.changes.is_empty(), "{same:?}");
}

#[test]
fn deletes_name_existing_templates_by_key_path() {
    let current = parse(&email("old", "{{ link }}", true)).unwrap();
    let write = plan_delete(OWNER, &current, &["self_onboarding.email.old".into()], "root", 300).unwrap();
    assert_eq!(write.deletes.len(), 1);
    assert_eq!((write.changes[0].action.as_str(), write.changes[0].actor.as_str()), ("delete", "root"));
    assert_eq!(write.changes[0].fields, vec!["data", "isDefault", "name", "subject"]);
    let nowhere = plan_delete(OWNER, &current, &["self_onboarding.sms.old".into()], "root", 300);
    assert!(matches!(nowhere, Err(DomainError::NotFound(m)) if m == "key_paths[0] names no template of the community"));
    let bad = plan_delete(OWNER, &current, &["self_onboarding.email".into()], "root", 300);
    assert!(matches!(bad, Err(DomainError::Invalid(m)) if m == "key_paths[0] must be purpose.channel.id"));
    assert!(matches!(plan_delete(OWNER, &current, &[], "root", 300), Err(DomainError::Invalid(_))));
}

#[derive(Default)]
struct Memory(Mutex<Vec<Template>>);

#[async_trait]
impl TemplateStore for Memory {
    async fn list(&self, _: &str) -> Result<Vec<Template>, StoreError> {
        Ok(self.0.lock().unwrap().clone())
    }
    async fn default_of(&self, _: &str, p: Purpose, c: Channel) -> Result<Option<Template>, StoreError> {
        Ok(self.0.lock().unwrap().iter().find(|t| t.purpose == p && t.channel == c && t.is_default).cloned())
    }
    async fn write(&self, w: &Write) -> Result<(), StoreError> {
        self.0.lock().unwrap().extend(w.upserts.iter().cloned());
        Ok(())
    }
}

#[tokio::test]
async fn render_uses_the_communitys_default_or_the_builtin_template() {
    let store = Memory::default();
    let vars = json!({"user": {"firstname": "<Ann>", "lastname": "E", "username": "ann"}, "otp": "987654", "expires_in_minutes": 3, "community": {"name": "Acme"}});
    let r = render(&store, "c", Purpose::Otp, Channel::Sms, &vars).await.unwrap();
    assert_eq!(r, Rendered { subject: None, body: "Your Acme code is 987654. It expires in 3 minutes.".into() });
    let r = render(&store, "c", Purpose::Otp, Channel::Email, &vars).await.unwrap();
    assert_eq!(r.subject.as_deref(), Some("Your Acme code"));
    assert!(r.body.starts_with("<p>Hello &lt;Ann&gt;,</p>"), "escaped: {}", r.body);

    let own = json!({"otp": {"email": {"mine": {"name": "Mine", "subject": "Code for {{ user.firstname }}", "data": "<i>{{ user.firstname }}</i>: {{ otp }}", "isDefault": true}}}});
    store.write(&plan_put(OWNER, &[], parse(&own).unwrap())).await.unwrap();
    let r = render(&store, "c", Purpose::Otp, Channel::Email, &vars).await.unwrap();
    assert_eq!(r, Rendered { subject: Some("Code for <Ann>".into()), body: "<i>&lt;Ann&gt;</i>: 987654".into() });
    let missing = render(&store, "c", Purpose::Otp, Channel::Email, &json!({"otp": "1"})).await;
    assert!(
        matches!(missing, Err(DomainError::Invalid(m)) if m == "template otp.email.mine: subject: undefined value at line 1")
    );
}

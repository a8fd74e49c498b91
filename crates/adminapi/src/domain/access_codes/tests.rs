//! The rules of access codes over an in-memory store.

use std::sync::Mutex;

use kit::ephemeral::MemoryStore;

use super::*;

#[derive(Default)]
struct Memory {
    codes: Mutex<Vec<AccessCode>>,
    changes: Mutex<Vec<Change>>,
}

#[async_trait]
impl AccessCodeStore for Memory {
    async fn insert(&self, code: &AccessCode, change: &Change) -> Result<(), StoreError> {
        self.codes.lock().unwrap().push(code.clone());
        self.changes.lock().unwrap().push(change.clone());
        Ok(())
    }
    async fn by_hash(&self, code_hash: &str) -> Result<Option<AccessCode>, StoreError> {
        Ok(self.codes.lock().unwrap().iter().find(|c| c.code_hash == code_hash).cloned())
    }
    async fn by_id(&self, id: &str) -> Result<Option<AccessCode>, StoreError> {
        Ok(self.codes.lock().unwrap().iter().find(|c| c.id == id).cloned())
    }
    async fn list(&self, community_id: &str, uids: Option<&[String]>) -> Result<Vec<AccessCode>, StoreError> {
        let codes = self.codes.lock().unwrap();
        let wanted = |c: &&AccessCode| c.community_id == community_id && uids.is_none_or(|u| u.contains(&c.uid));
        Ok(codes.iter().rev().filter(wanted).cloned().collect())
    }
    async fn replace(&self, old_id: &str, new: &AccessCode, change: &Change) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        let Some(old) = codes.iter_mut().find(|c| c.id == old_id && c.status == Status::Active) else {
            return Ok(false);
        };
        old.status = Status::Revoked;
        codes.push(new.clone());
        self.changes.lock().unwrap().push(change.clone());
        Ok(true)
    }
    async fn revoke(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        let found = codes.iter_mut().find(|c| c.id == id && c.status == Status::Active);
        Ok(found.map(|c| (c.status, c.updated_at) = (Status::Revoked, now)).is_some())
    }
    async fn redeem(&self, id: &str, now: i64, result: &str) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        let found = codes.iter_mut().find(|c| c.id == id && c.status == Status::Active && c.expires_at > now);
        Ok(found
            .map(|c| {
                c.status = Status::Redeemed;
                c.redeemed_at = Some(now);
                c.redeem_result = Some(result.to_owned());
            })
            .is_some())
    }
    async fn release(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        let found = codes.iter_mut().find(|c| c.id == id && c.status == Status::Redeemed);
        Ok(found
            .map(|c| {
                (c.status, c.updated_at, c.redeemed_at, c.redeem_result) = (Status::Active, now, None, None);
            })
            .is_some())
    }
    async fn delete(&self, id: &str, change: &Change) -> Result<bool, StoreError> {
        let mut codes = self.codes.lock().unwrap();
        let before = codes.len();
        codes.retain(|c| c.id != id);
        self.changes.lock().unwrap().push(change.clone());
        Ok(codes.len() < before)
    }
}

fn service(store: Arc<Memory>, ttl: u64) -> AccessCodes {
    AccessCodes::new(store, Arc::new(Sealer::from_key(&[9; 32])), Arc::new(MemoryStore::new()), ttl)
}

fn draft(uid: &str) -> Draft {
    Draft {
        tenant_id: "t".into(),
        community_id: "c".into(),
        uid: uid.into(),
        username: format!("{uid}-name"),
        module_id: "m".into(),
        email_to: Some(format!("{uid}@example.com")),
        sms_to: None,
        template_key: "default".into(),
        created_by: "admin".into(),
        created_by_uid: "admin-uid".into(),
    }
}

#[tokio::test]
async fn a_code_is_random_kept_as_its_mac_and_redeemed_once() {
    let store = Arc::new(Memory::default());
    let codes = service(store.clone(), 60);
    let a = codes.issue(draft("u1"), 1000).await.unwrap();
    let b = codes.issue(draft("u1"), 1000).await.unwrap();
    assert_eq!(a.code.len(), 32, "192 bits in URL-safe base64");
    assert!(looks_like_code(&a.code) && a.code != b.code && a.record.id != b.record.id);
    assert!(!format!("{a:?}").contains(a.code.as_str()));
    let stored = store.codes.lock().unwrap().clone();
    assert!(stored.iter().all(|c| !c.code_hash.contains(a.code.as_str()) && c.code_hash.len() == 64));
    assert_eq!(
        (a.record.expires_at, a.record.state(1059), a.record.state(1060)),
        (1060, State::Active, State::Expired)
    );

    let found = codes.find(&format!(" {} ", a.code.as_str())).await.unwrap().unwrap();
    assert_eq!(found.id, a.record.id);
    assert!(codes.find("not a code!").await.unwrap().is_none());
    assert!(codes.find(&"A".repeat(32)).await.unwrap().is_none());
    assert_eq!(codes.find_by_id_or_code(&a.record.id.to_uppercase()).await.unwrap().unwrap().id, a.record.id);

    let redeemed = codes.redeem(&found, r#"{"publicKey":"k"}"#, 1001).await.unwrap();
    assert_eq!((redeemed.status, redeemed.redeemed_at), (Status::Redeemed, Some(1001)));
    // The record read before the redeem: the store refuses it, and says why.
    let again = codes.redeem(&found, "{}", 1002).await.unwrap_err();
    assert!(matches!(again, RedeemOutcome::Refused(RedeemError::Redeemed)), "{again:?}");
    let reread = codes.find(&a.code).await.unwrap().unwrap();
    assert!(matches!(codes.redeem(&reread, "{}", 1002).await, Err(RedeemOutcome::Refused(RedeemError::Redeemed))));
    // Expired.
    let b_record = codes.find(&b.code).await.unwrap().unwrap();
    assert!(matches!(codes.redeem(&b_record, "{}", 1060).await, Err(RedeemOutcome::Refused(RedeemError::Expired))));
}

#[tokio::test]
async fn a_resend_revokes_the_old_code_and_refuses_a_redeemed_one() {
    let store = Arc::new(Memory::default());
    let codes = service(store.clone(), 60);
    let first = codes.issue(draft("u1"), 1000).await.unwrap();
    // Expired codes may be sent again: the new one lives a full ttl.
    let second = codes.reissue(&first.record, "new@example.com".into(), ("jane", "jane-uid"), 2000).await.unwrap();
    assert_eq!((second.record.expires_at, second.record.uid.as_str()), (2060, "u1"));
    assert_eq!(second.record.email_to.as_deref(), Some("new@example.com"));
    let old = codes.find(&first.code).await.unwrap().unwrap();
    assert_eq!(old.state(2001), State::Revoked);
    assert!(matches!(codes.redeem(&old, "{}", 2001).await, Err(RedeemOutcome::Refused(RedeemError::Revoked))));
    let e = codes.reissue(&old, "x@example.com".into(), ("jane", "jane-uid"), 2001).await.unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "{e:?}");
    // A read of the old record taken before the resend loses to it too.
    let e = codes.reissue(&first.record, "x@example.com".into(), ("jane", "jane-uid"), 2001).await.unwrap_err();
    assert!(matches!(e, DomainError::Conflict(_)), "{e:?}");
    let actions: Vec<String> = store.changes.lock().unwrap().iter().map(|c| c.action.clone()).collect();
    assert_eq!(actions, ["create", "resend"]);
}

#[tokio::test]
async fn lists_filter_by_user_and_requests_are_limited() {
    let store = Arc::new(Memory::default());
    let codes = service(store, DEFAULT_TTL);
    codes.issue(draft("u1"), 1).await.unwrap();
    codes.issue(draft("u2"), 2).await.unwrap();
    assert_eq!(codes.list("c", None).await.unwrap().len(), 2);
    let only = codes.list("c", Some(&["u2".to_owned()])).await.unwrap();
    assert_eq!(only.iter().map(|c| c.uid.as_str()).collect::<Vec<_>>(), ["u2"]);
    assert!(codes.list("other", None).await.unwrap().is_empty());
    for _ in 0..REQUEST_LIMIT {
        assert!(codes.count_request("c", "u1").await.unwrap());
    }
    assert!(!codes.count_request("c", "u1").await.unwrap(), "past the limit");
    assert!(codes.count_request("c", "u2").await.unwrap(), "per user");
}

#[tokio::test]
async fn reset_codes_live_their_own_time_and_stay_apart_from_invitations() {
    let store = Arc::new(Memory::default());
    let codes = service(store, DEFAULT_TTL).with_reset_ttl(30);
    let invite = codes.issue(draft("u1"), 1000).await.unwrap();
    let reset = codes.issue_reset(draft("u1"), 1000).await.unwrap();
    assert_eq!((reset.record.purpose, reset.record.expires_at), (Purpose::PasswordReset, 1030));
    assert!(codes.find(&reset.code).await.unwrap().is_none());
    assert!(codes.find_by_id_or_code(&reset.record.id).await.unwrap().is_none());
    assert!(codes.find_reset(&invite.code).await.unwrap().is_none());
    assert_eq!(codes.find_reset(&reset.code).await.unwrap().unwrap().id, reset.record.id);
    let listed: Vec<String> = codes.list("c", None).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![invite.record.id]);
    // A redeem whose purpose failed is released: the code redeems again, once.
    let used = codes.redeem(&reset.record, "{}", 1001).await.unwrap();
    codes.release(&used, 1002).await.unwrap();
    let back = codes.find_reset(&reset.code).await.unwrap().unwrap();
    assert_eq!(back.state(1002), State::Active);
    codes.redeem(&back, "{}", 1003).await.unwrap();
    assert!(matches!(codes.redeem(&back, "{}", 1004).await, Err(RedeemOutcome::Refused(RedeemError::Redeemed))));
}

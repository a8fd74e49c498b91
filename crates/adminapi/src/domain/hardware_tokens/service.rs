//! [`HardwareTokens`]: the operations on a community's tokens, over a [`TokenStore`] and the
//! sealer. Time is passed in (`now`, epoch seconds).

use std::sync::Arc;

use kit::StoreError;
use serde::Serialize;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::codes::{self, SeedFormat};
use super::{DomainError, HOTP_WINDOW, KIND, RESYNC_WINDOW, Token, TokenStore, TokenType, csv};
use crate::domain::audit::Change;
use crate::domain::config::Owner;
use crate::domain::secrets::{Sealer, sealing};

/// Compare-and-swap attempts that lost to a concurrent use before giving up.
const RETRIES: usize = 8;

/// A record (CSV line or list item, from 1) that was not applied, and why (never a value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

/// What a batch did: the records applied and the errors of the others.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Outcome {
    pub applied: usize,
    pub errors: Vec<RowError>,
}

impl Outcome {
    /// Counts `result` for record `row`.
    pub fn count(&mut self, row: usize, result: Result<(), DomainError>) -> Result<(), DomainError> {
        match result {
            Ok(()) => self.applied += 1,
            Err(DomainError::Store(e)) => return Err(DomainError::Store(e)),
            Err(e) => self.errors.push(RowError { row, message: e.to_string() }),
        }
        Ok(())
    }
}

/// The tokens of every community.
#[derive(Clone)]
pub struct HardwareTokens {
    store: Arc<dyn TokenStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for HardwareTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HardwareTokens").finish_non_exhaustive()
    }
}

fn change(token: &Token, action: &str, fields: &[&str], actor: &str, at: i64) -> Change {
    Change {
        tenant_id: token.tenant_id.clone(),
        community_id: token.community_id.clone(),
        kind: KIND.to_owned(),
        record: token.id.clone(),
        action: action.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        actor: actor.to_owned(),
        at,
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The format named by a `seedFormat` (hex when not given).
pub fn seed_format(given: Option<&str>) -> Result<SeedFormat, DomainError> {
    match given.map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        None | Some("" | "hex") => Ok(SeedFormat::Hex),
        Some("base32") => Ok(SeedFormat::Base32),
        Some(_) => Err(invalid("seedFormat must be hex or base32")),
    }
}

fn number<T: std::str::FromStr>(r: &csv::Record, column: &str, default: T) -> Result<T, DomainError> {
    r.get(column).map_or(Ok(default), |v| v.parse().map_err(|_| invalid(format!("{column} must be a whole number"))))
}

impl HardwareTokens {
    /// Over `store`, sealing seeds with `sealer`.
    pub fn new(store: Arc<dyn TokenStore>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    fn seal(&self, token: &Token, seed: &[u8]) -> Result<String, DomainError> {
        let text = Zeroizing::new(hex::encode(seed));
        self.sealer.seal(&[KIND, &token.community_id, &token.id], &text).map_err(sealing)
    }

    fn seed(&self, token: &Token) -> Result<Zeroizing<Vec<u8>>, DomainError> {
        let text = self
            .sealer
            .open(&[KIND, &token.community_id, &token.id], &token.sealed_seed)
            .map_err(|e| StoreError::Corrupt(format!("hardware token seed: {e}")))?;
        Ok(Zeroizing::new(hex::decode(text.as_bytes()).map_err(|_| StoreError::Corrupt("hardware token seed".into()))?))
    }

    /// Imports the tokens of a CSV text (columns `serialNumber`, `seed`, and optionally
    /// `seedFormat` hex|base32, `type` hotp|totp, `counter`, `digits` 6-8, `period` 10-300 s).
    pub async fn import(&self, owner: Owner<'_>, actor: &str, text: &str, now: i64) -> Result<Outcome, DomainError> {
        let mut outcome = Outcome::default();
        for record in csv::parse(text, &["serialNumber", "seed"])? {
            let result = self.import_one(owner, actor, &record, now).await;
            outcome.count(record.line, result.map_err(|e| line_error(record.line, e)))?;
        }
        Ok(outcome)
    }

    async fn import_one(&self, owner: Owner<'_>, actor: &str, r: &csv::Record, now: i64) -> Result<(), DomainError> {
        let serial = r.get("serialNumber").ok_or_else(|| invalid("serialNumber is required"))?;
        if serial.chars().count() > 128 {
            return Err(invalid("serialNumber must be at most 128 characters"));
        }
        let seed_text = r.get("seed").ok_or_else(|| invalid("seed is required"))?;
        let seed =
            codes::decode_seed(seed_text, seed_format(r.get("seedFormat"))?).map_err(|e| invalid(e.to_string()))?;
        let token_type = match r.get("type") {
            None => TokenType::Hotp,
            Some(t) => TokenType::parse(t).ok_or_else(|| invalid("type must be hotp or totp"))?,
        };
        let digits: u32 = number(r, "digits", 6)?;
        let period: u64 = number(r, "period", 30)?;
        if !(6..=8).contains(&digits) || !(10..=300).contains(&period) {
            return Err(invalid("digits must be 6 to 8 and period 10 to 300 seconds"));
        }
        let mut token = Token {
            id: kit::ids::new_object_id(),
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            serial_number: serial.to_owned(),
            token_type,
            sealed_seed: String::new(),
            digits,
            period,
            counter: number(r, "counter", 0)?,
            drift: 0,
            username: None,
            user_uid: None,
            created_at: now,
            updated_at: now,
            last_used_at: None,
        };
        token.sealed_seed = self.seal(&token, &seed)?;
        let fields = ["counter", "digits", "period", "seed", "serialNumber", "type"];
        match self.store.insert(&token, &change(&token, "create", &fields, actor, now)).await {
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict("serialNumber is already imported".into())),
            other => Ok(other?),
        }
    }

    /// The community's tokens.
    pub async fn list(&self, community_id: &str) -> Result<Vec<Token>, DomainError> {
        Ok(self.store.list(community_id).await?)
    }

    /// The community's token `serial` (404 when there is none).
    pub async fn by_serial(&self, community_id: &str, serial: &str) -> Result<Token, DomainError> {
        self.store
            .by_serial(community_id, serial.trim())
            .await?
            .ok_or_else(|| DomainError::NotFound("no hardware token has this serialNumber".into()))
    }

    async fn save(&self, token: &Token, c: Change) -> Result<(), DomainError> {
        if self.store.save(token, &c).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("no hardware token has this serialNumber".into()))
        }
    }

    /// Replaces the seed and/or the counter of token `id` (400 when neither is given).
    pub async fn edit(
        &self,
        community_id: &str,
        actor: &str,
        id: &str,
        seed: Option<(&str, SeedFormat)>,
        counter: Option<u64>,
        now: i64,
    ) -> Result<Token, DomainError> {
        if seed.is_none() && counter.is_none() {
            return Err(invalid("seed or counter is required"));
        }
        let mut token = self
            .store
            .by_id(community_id, id)
            .await?
            .ok_or_else(|| DomainError::NotFound("no hardware token has this id".into()))?;
        let mut fields = Vec::new();
        if let Some((text, format)) = seed {
            let bytes = codes::decode_seed(text, format).map_err(|e| invalid(e.to_string()))?;
            token.sealed_seed = self.seal(&token, &bytes)?;
            (token.drift, token.last_used_at) = (0, None);
            fields.push("seed");
        }
        if let Some(counter) = counter {
            token.counter = counter;
            fields.insert(0, "counter");
        }
        token.updated_at = now;
        self.save(&token, change(&token, "update", &fields, actor, now)).await?;
        Ok(token)
    }

    /// Deletes the community's token `serial`.
    pub async fn delete(&self, community_id: &str, actor: &str, serial: &str, now: i64) -> Result<(), DomainError> {
        let token = self.by_serial(community_id, serial).await?;
        if self.store.delete(community_id, &token.id, &change(&token, "delete", &[], actor, now)).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("no hardware token has this serialNumber".into()))
        }
    }

    /// Assigns token `serial` to the user `username` (uid `uid`); 409 when another user has it.
    pub async fn assign(
        &self,
        community_id: &str,
        actor: &str,
        serial: &str,
        (username, uid): (&str, &str),
        now: i64,
    ) -> Result<(), DomainError> {
        let mut token = self.by_serial(community_id, serial).await?;
        let username = username.trim().to_lowercase();
        match &token.username {
            Some(holder) if *holder == username => return Ok(()),
            Some(_) => return Err(DomainError::Conflict("the token is assigned to another user".into())),
            None => {}
        }
        (token.username, token.user_uid, token.updated_at) = (Some(username), Some(uid.to_owned()), now);
        self.save(&token, change(&token, "update", &["username"], actor, now)).await
    }

    /// Takes token `serial` from the user `username` (404 when it is not theirs).
    pub async fn unassign(
        &self,
        community_id: &str,
        actor: &str,
        serial: &str,
        username: &str,
        now: i64,
    ) -> Result<(), DomainError> {
        let mut token = self.by_serial(community_id, serial).await?;
        if token.username.as_deref() != Some(username.trim().to_lowercase().as_str()) {
            return Err(DomainError::NotFound("the token is not assigned to this user".into()));
        }
        (token.username, token.user_uid, token.updated_at) = (None, None, now);
        self.save(&token, change(&token, "update", &["username"], actor, now)).await
    }

    /// Resynchronises token `serial` with three consecutive codes: the counter moves past them.
    pub async fn resync(
        &self,
        community_id: &str,
        actor: &str,
        serial: &str,
        given: [&str; 3],
        now: i64,
    ) -> Result<Token, DomainError> {
        let mut token = self.by_serial(community_id, serial).await?;
        let seed = self.seed(&token)?;
        let given = given.map(str::trim);
        let found = match token.token_type {
            TokenType::Hotp => codes::find_run(&seed, token.digits, &given, token.counter, RESYNC_WINDOW)
                .map(|c| (c.saturating_add(3), token.drift)),
            TokenType::Totp => {
                let step = codes::time_step(now, token.period);
                let from = step.saturating_sub(RESYNC_WINDOW);
                codes::find_run(&seed, token.digits, &given, from, 2 * RESYNC_WINDOW).map(|s| {
                    // The third code is the token's current step.
                    let last = s.saturating_add(2);
                    (last.saturating_add(1), i64::try_from(last).unwrap_or(0) - i64::try_from(step).unwrap_or(0))
                })
            }
        };
        let (counter, drift) =
            found.ok_or_else(|| invalid("the codes are not three consecutive codes of this token"))?;
        (token.counter, token.drift, token.updated_at) = (counter, drift, now);
        self.save(&token, change(&token, "update", &["counter"], actor, now)).await?;
        Ok(token)
    }

    /// Whether `code` is a code of a token assigned to `username`, which it consumes.
    /// `first_window`: the look-ahead for a token never used (the MFA settings').
    pub async fn verify(
        &self,
        community_id: &str,
        username: &str,
        code: &str,
        first_window: u64,
        now: i64,
    ) -> Result<bool, DomainError> {
        let (username, code) = (username.trim().to_lowercase(), code.trim());
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(false);
        }
        for _ in 0..RETRIES {
            let mut raced = false;
            for token in self.store.by_user(community_id, &username).await? {
                let Some((to, drift)) = self.accepts(&token, code, first_window, now)? else { continue };
                if self.store.advance(&token.id, token.counter, to, drift, now).await? {
                    tracing::info!(token = %token.id, "hardware token code accepted");
                    return Ok(true);
                }
                raced = true;
            }
            if !raced {
                return Ok(false);
            }
        }
        Ok(false)
    }

    /// The counter and drift after accepting `code` on `token`, if it does.
    fn accepts(
        &self,
        token: &Token,
        code: &str,
        first_window: u64,
        now: i64,
    ) -> Result<Option<(u64, i64)>, DomainError> {
        if code.len() != token.digits as usize {
            return Ok(None);
        }
        let seed = self.seed(token)?;
        let first = token.last_used_at.is_none();
        Ok(match token.token_type {
            TokenType::Hotp => {
                let window = if first { first_window.max(HOTP_WINDOW) } else { HOTP_WINDOW };
                codes::find(&seed, token.digits, code, token.counter, window)
                    .map(|c| (c.saturating_add(1), token.drift))
            }
            TokenType::Totp => {
                let spread = if first { first_window.max(1) } else { 1 };
                let step = i64::try_from(codes::time_step(now, token.period)).unwrap_or(i64::MAX) + token.drift;
                let from = u64::try_from(step.saturating_sub(i64::try_from(spread).unwrap_or(1))).unwrap_or(0);
                let from = from.max(token.counter);
                let end = u64::try_from(step).unwrap_or(0).saturating_add(spread).saturating_add(1);
                let found = codes::find(&seed, token.digits, code, from, end.saturating_sub(from));
                found.map(|s| {
                    let drift = if first { i64::try_from(s).unwrap_or(0) - (step - token.drift) } else { token.drift };
                    (s.saturating_add(1), drift)
                })
            }
        })
    }
}

/// Prefixes a row's error with its line.
fn line_error(line: usize, e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid(m) => DomainError::Invalid(format!("row {line}: {m}")),
        DomainError::Conflict(m) => DomainError::Conflict(format!("row {line}: {m}")),
        DomainError::NotFound(m) => DomainError::NotFound(format!("row {line}: {m}")),
        other => other,
    }
}

/// A `(row, serialNumber, username)` to apply.
pub type Assignment = (usize, String, String);

/// The `(line, serialNumber, username)` of a CSV text of assignments (columns `serialNumber`,
/// `username`); lines missing either are row errors.
pub fn assignments(text: &str) -> Result<(Vec<Assignment>, Vec<RowError>), DomainError> {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for r in csv::parse(text, &["serialNumber", "username"])? {
        match (r.get("serialNumber"), r.get("username")) {
            (Some(s), Some(u)) => rows.push((r.line, s.to_owned(), u.to_owned())),
            _ => errors.push(RowError {
                row: r.line,
                message: format!("row {}: serialNumber and username are required", r.line),
            }),
        }
    }
    Ok((rows, errors))
}

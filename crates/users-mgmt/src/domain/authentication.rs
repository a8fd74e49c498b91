//! Checking a user's factors: password (argon2id here, or the directory's bind for a directory
//! user, checked beforehand), PIN (SHA-512), one-time passcode (checked by adminapi beforehand,
//! see [`super::otp`]) and typing pattern (scored beforehand, see [`super::behavior`]), with the
//! lockout counted per factor. An unknown user, a wrong factor and a missing one give the same refusal, and an
//! unknown user costs one argon2 verification too, so neither the reply nor its time tells them
//! apart; a locked or disabled user is only told so once its factors were right.

use kit::DomainError;

use super::lockout::Lockout;
use super::passwords::Hasher;
use super::pins::{self, PinStore};
use super::users::{User, UserStore};

/// The factors of an attempt; at least one must be given.
#[derive(Clone, Copy, Default)]
pub struct Factors<'a> {
    pub password: Option<&'a str>,
    pub pin: Option<&'a str>,
    /// The verifier's verdict on the one-time passcode given, when one was.
    pub otp: Option<bool>,
    /// The verdict on the typing pattern given, when one was ([`super::behavior::verdict`]).
    pub behavior: Option<bool>,
    /// The directory's verdict on the password of a directory user (then `password` is not
    /// checked here).
    pub password_checked: Option<bool>,
    /// A Kerberos ticket accepted for the user (see [`super::kerberos`]), when one was given.
    pub ktoken: Option<bool>,
}

impl std::fmt::Debug for Factors<'_> {
    /// Without the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factors")
            .field("password", &self.password.is_some())
            .field("pin", &self.pin.is_some())
            .field("otp", &self.otp.is_some())
            .field("behavior", &self.behavior.is_some())
            .field("password_checked", &self.password_checked.is_some())
            .field("ktoken", &self.ktoken.is_some())
            .finish()
    }
}

/// Why an attempt is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user, or a factor that does not match (or that the user does not have).
    BadCredentials,
    /// The factors were right but the user is locked.
    Locked,
    /// The factors were right but the user is disabled.
    Disabled,
}

impl Refusal {
    /// What the caller is told.
    pub fn message(self) -> &'static str {
        match self {
            Self::BadCredentials => "invalid username or credentials",
            Self::Locked => "the user is locked",
            Self::Disabled => "the user is disabled",
        }
    }
}

/// What the checks need.
#[derive(Clone, Copy)]
pub struct Checker<'a> {
    pub users: &'a dyn UserStore,
    pub pins: &'a dyn PinStore,
    pub hasher: &'a Hasher,
    pub lockout: &'a Lockout,
    /// A PHC string of no one's password, verified for unknown users.
    pub decoy: &'a str,
}

/// A user whose factors were checked, and the methods of its proof (`password`, `user_pin`,
/// `otp`, `behavior_auth`).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub methods: Vec<&'static str>,
}

/// Checks the factors of `user` (none: an unknown user) at `now`.
pub async fn check(
    c: Checker<'_>,
    user: Option<User>,
    factors: Factors<'_>,
    now: i64,
) -> Result<Result<Authenticated, Refusal>, DomainError> {
    let Some(user) = user else {
        if factors.password_checked.is_none()
            && let Some(password) = factors.password
        {
            c.hasher.verify(password.to_owned(), c.decoy.to_owned()).await?;
        }
        return Ok(Err(Refusal::BadCredentials));
    };
    let mut methods = Vec::new();
    let mut failed = false;
    if let Some(ok) = factors.password_checked {
        if ok {
            methods.push("password");
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, "password", now).await?;
        }
    } else if let Some(password) = factors.password {
        let ok = match c.users.password_hash(&user.uid).await? {
            Some(hash) => c.hasher.verify(password.to_owned(), hash).await?,
            None => {
                c.hasher.verify(password.to_owned(), c.decoy.to_owned()).await?;
                false
            }
        };
        if ok {
            methods.push("password");
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, "password", now).await?;
        }
    }
    if let Some(pin) = factors.pin {
        let ok = c.pins.get(&user.uid).await?.is_some_and(|stored| pins::matches(pin, &stored));
        if ok {
            methods.push("user_pin");
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, "user_pin", now).await?;
        }
    }
    if let Some(valid) = factors.otp {
        if valid {
            methods.push("otp");
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, "otp", now).await?;
        }
    }
    if let Some(valid) = factors.ktoken {
        if valid {
            methods.push("ktoken");
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, "ktoken", now).await?;
        }
    }
    if let Some(valid) = factors.behavior {
        if valid {
            methods.push(super::behavior::FACTOR);
        } else {
            failed = true;
            c.lockout.record_failure(&user.uid, super::behavior::FACTOR, now).await?;
        }
    }
    if failed || methods.is_empty() {
        return Ok(Err(Refusal::BadCredentials));
    }
    if c.lockout.is_locked(&user.uid).await? {
        return Ok(Err(Refusal::Locked));
    }
    if user.disabled {
        return Ok(Err(Refusal::Disabled));
    }
    c.lockout.record_success(&user.uid, &methods).await?;
    Ok(Ok(Authenticated { user, methods }))
}

//! The login session of a request: `AdminSession<P>` puts the permission an endpoint needs into
//! its handler's type, as `Licensed<L>` does for license levels. The router runs the [`Gate`]
//! before the handler's extractors (so a request is authorized before its body is read): the
//! `authorization` JWT (`Bearer <jwt>` or the bare token) must name a live login session
//! ([`crate::domain::login`]) whose role grants `P` and reaches the path's community.

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use envelope::{ApiError, Caller, KeyPair};
use futures_util::future::LocalBoxFuture;
use kit::access::{Describe, Requirement, SessionGate, require_session};
use kit::clock::WallClock;

use crate::domain::login::{LoginSession, LoginSessions};
use crate::domain::roles::{self, Role, permission};

/// A permission an endpoint needs, as a type.
pub trait Permission {
    /// The permission's name (`""`: any logged-in user).
    const NAME: &'static str;
}

/// Any logged-in user ("This endpoint can be accessed by logged in user").
#[derive(Debug)]
pub struct LoggedIn;
impl Permission for LoggedIn {
    const NAME: &'static str = "";
}

/// "This endpoint must be accessed by an administrator."
#[derive(Debug)]
pub struct Administrator;
impl Permission for Administrator {
    const NAME: &'static str = permission::ADMIN;
}

/// Ending other users' login sessions.
#[derive(Debug)]
pub struct SessionsManager;
impl Permission for SessionsManager {
    const NAME: &'static str = permission::SESSIONS_MANAGE;
}

/// Reading users (`users.read`: helpdesk and administrators).
#[derive(Debug)]
pub struct UsersReader;
impl Permission for UsersReader {
    const NAME: &'static str = permission::USERS_READ;
}

/// Locking and unlocking users (`users.lock`: helpdesk and administrators).
#[derive(Debug)]
pub struct UsersLocker;
impl Permission for UsersLocker {
    const NAME: &'static str = permission::USERS_LOCK;
}

/// Generating helpdesk passcodes (`user.helpdesk-passcode.generate`: helpdesk and
/// administrators).
#[derive(Debug)]
pub struct HelpdeskPasscode;
impl Permission for HelpdeskPasscode {
    const NAME: &'static str = permission::HELPDESK_PASSCODE;
}

/// Giving and taking roles.
#[derive(Debug)]
pub struct RolesManager;
impl Permission for RolesManager {
    const NAME: &'static str = permission::ROLES_MANAGE;
}

/// The instance-wide settings ("must be accessed by a super admin").
#[derive(Debug)]
pub struct SuperAdmin;
impl Permission for SuperAdmin {
    const NAME: &'static str = permission::INSTANCE_MANAGE;
}

/// A verified caller with a live login session granting `P`.
#[derive(Debug)]
pub struct AdminSession<P> {
    pub caller: Caller,
    pub session: LoginSession,
    pub role: &'static Role,
    permission: PhantomData<P>,
}

impl<P> AdminSession<P> {
    /// Refuses (403) what the session's role does not grant, for the endpoints whose need
    /// depends on the request (a user reading their own record needs nothing more, another's
    /// needs `permission`).
    pub fn require(&self, permission: &str) -> Result<(), ApiError> {
        if self.role.grants(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the role {} may not do this", self.role.name)))
        }
    }

    /// Refuses (403) a tenant and community the session's role does not reach (for the
    /// endpoints that name them in the body rather than the path).
    pub fn require_community(&self, tenant_id: &str, community_id: &str) -> Result<(), ApiError> {
        reach(self.role, &self.session, tenant_id, community_id)
    }
}

fn reach(role: &Role, s: &LoginSession, tenant_id: &str, community_id: &str) -> Result<(), ApiError> {
    let target = (tenant_id.to_ascii_lowercase(), community_id.to_ascii_lowercase());
    if role.reaches((&s.tenant_id, &s.community_id), (&target.0, &target.1)) {
        Ok(())
    } else {
        Err(ApiError::forbidden("the login session may not act in this community"))
    }
}

impl<P: Permission> Describe for AdminSession<P> {
    fn describe(r: &mut Requirement) {
        require_session(r, P::NAME);
    }
}

/// The session the gate admitted, kept in the request's extensions.
#[derive(Clone)]
struct Admitted(LoginSession);

/// The token of the `authorization` header: `Bearer <jwt>` or the bare token.
fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = envelope::server::header(req.headers(), "authorization")?
        .ok_or_else(|| ApiError::unauthorized("authorization header is required"))?;
    let value = value.trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    };
    if token.is_empty() {
        return Err(ApiError::unauthorized("authorization header is required"));
    }
    Ok(token.to_owned())
}

/// Checks login sessions for the router.
#[derive(Debug, Clone)]
pub struct Gate {
    keys: Arc<KeyPair>,
    sessions: LoginSessions,
    clock: Arc<dyn WallClock>,
}

impl Gate {
    /// Verifying tokens signed with `keys` against `sessions`, at `clock`'s time.
    pub fn new(keys: Arc<KeyPair>, sessions: LoginSessions, clock: Arc<dyn WallClock>) -> Self {
        Self { keys, sessions, clock }
    }

    /// The live session of `req`'s token, or the 401 saying why not.
    pub async fn session(&self, req: &HttpRequest) -> Result<LoginSession, ApiError> {
        let token = bearer(req)?;
        let now = self.clock.epoch_secs();
        match self.sessions.verify(self.keys.public(), &token, now).await {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(refusal)) => {
                tracing::info!(reason = %refusal, "access token refused");
                Err(ApiError::unauthorized(refusal.to_string()))
            }
            Err(e) => Err(kit::AppError::from(e).into_api()),
        }
    }
}

/// The role of a session (an unknown name, say a role since withdrawn, counts as the default).
fn role_of(session: &LoginSession) -> &'static Role {
    roles::find(&session.role).or_else(|| roles::find(roles::DEFAULT_ROLE)).unwrap_or(&roles::ROLES[4])
}

#[async_trait::async_trait(?Send)]
impl SessionGate for Gate {
    async fn admit(&self, req: &HttpRequest, permission: &'static str) -> Result<(), ApiError> {
        let session = self.session(req).await?;
        let role = role_of(&session);
        if !role.grants(permission) {
            return Err(ApiError::forbidden(format!("the role {} may not call this endpoint", role.name)));
        }
        if let (Some(tenant), Some(community)) = (req.match_info().get("tenantId"), req.match_info().get("communityId"))
        {
            reach(role, &session, tenant, community)?;
        }
        req.extensions_mut().insert(Admitted(session));
        Ok(())
    }
}

impl<P: Permission + 'static> FromRequest for AdminSession<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::from_request(&req, &mut Payload::None).await?;
            let admitted = req.extensions().get::<Admitted>().cloned();
            let session = match admitted {
                Some(Admitted(s)) => s,
                None => {
                    // Outside the router (never in the route table): run the gate here.
                    let gate = req
                        .app_data::<actix_web::web::Data<Gate>>()
                        .ok_or_else(|| {
                            tracing::error!("no session Gate registered as app data");
                            ApiError::internal()
                        })?
                        .clone();
                    gate.admit(&req, P::NAME).await?;
                    req.extensions().get::<Admitted>().cloned().map(|a| a.0).ok_or_else(ApiError::internal)?
                }
            };
            let role = role_of(&session);
            Ok(Self { caller, session, role, permission: PhantomData })
        })
    }
}

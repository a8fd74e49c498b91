//! What a handler's extractors ask of a request, read from the handler's type: which
//! authentication headers, which license levels, whether it reads a body, path or query.
//!
//! Every extractor a handler takes implements [`Describe`]; a handler's argument tuple combines
//! them into one [`Requirement`]. The router uses it to admit the caller before the handler runs
//! (so a request is authorized before its body is read), the OpenAPI document adds the headers
//! and the 400/401/403/503 rows from it once, and the catalog test compares its levels with the
//! reference. An extractor that does not implement `Describe` cannot be used in a route table.

use actix_web::{HttpRequest, web};
use envelope::{Body, Caller, OptionalCaller, PlainLicense, Sealed};

use crate::license::{Accept, Levels, Licensed, PlainLicensed};

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    /// No authentication.
    #[default]
    None,
    /// Authentication headers verified when `requestid` is present (`OptionalCaller`).
    OptionalCaller,
    /// Verified `publickey` + `requestid`, `licensekey` optional (`Caller`).
    Caller,
    /// A plain `license` header of the accepted levels (`PlainLicensed<L>`).
    PlainLicense(Accept),
    /// A verified caller with a `licensekey` of the accepted levels (`Licensed<L>`).
    Licensed(Accept),
}

impl Auth {
    fn rank(self) -> u8 {
        match self {
            Self::None => 0,
            Self::OptionalCaller => 1,
            Self::Caller => 2,
            Self::PlainLicense(_) => 3,
            Self::Licensed(_) => 4,
        }
    }

    /// What is accepted, for the endpoints that check a license.
    pub fn accept(self) -> Option<Accept> {
        match self {
            Self::PlainLicense(a) | Self::Licensed(a) => Some(a),
            _ => None,
        }
    }
}

/// What a handler asks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requirement {
    pub auth: Auth,
    /// It reads a JSON body (plain, sealed or either).
    pub body: bool,
    /// It parses path parameters.
    pub path: bool,
    /// It parses the query string.
    pub query: bool,
    /// It needs a logged-in user's session (the `authorization` JWT) granting this permission
    /// (`""` for any logged-in user): checked by the service's [`SessionGate`].
    pub session: Option<&'static str>,
}

/// Checks the session of a request (adminapi's admin login) for a [`Requirement::session`]:
/// registered as `web::Data<dyn SessionGate>` by the service that has sessions; the router calls
/// it after the caller's headers are verified and before the handler's extractors run.
#[async_trait::async_trait(?Send)]
pub trait SessionGate: Send + Sync {
    /// Admits `req` when its session grants `permission` (`""`: any session), or says why not
    /// (401 without a valid session, 403 without the permission or outside its community).
    async fn admit(&self, req: &HttpRequest, permission: &'static str) -> Result<(), envelope::ApiError>;
}

/// Marks the requirement of an extractor that needs a session granting `permission`.
pub fn require_session(r: &mut Requirement, permission: &'static str) {
    r.session = Some(permission);
    authenticate(r, Auth::Caller);
}

/// An extractor's contribution to its handler's [`Requirement`].
pub trait Describe {
    /// Adds what this extractor asks of a request.
    fn describe(requirement: &mut Requirement);
}

fn authenticate(r: &mut Requirement, auth: Auth) {
    if auth.rank() > r.auth.rank() {
        r.auth = auth;
    }
}

impl<L: Levels> Describe for Licensed<L> {
    fn describe(r: &mut Requirement) {
        authenticate(r, Auth::Licensed(L::ACCEPT));
    }
}

impl<L: Levels> Describe for PlainLicensed<L> {
    fn describe(r: &mut Requirement) {
        authenticate(r, Auth::PlainLicense(L::ACCEPT));
    }
}

impl Describe for Caller {
    fn describe(r: &mut Requirement) {
        authenticate(r, Auth::Caller);
    }
}

impl Describe for OptionalCaller {
    fn describe(r: &mut Requirement) {
        authenticate(r, Auth::OptionalCaller);
    }
}

impl<T> Describe for Body<T> {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

impl<T> Describe for Sealed<T> {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

impl<T> Describe for web::Json<T> {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

impl<T> Describe for web::Form<T> {
    fn describe(r: &mut Requirement) {
        r.body = true;
    }
}

impl<T> Describe for web::Path<T> {
    fn describe(r: &mut Requirement) {
        r.path = true;
    }
}

impl<T> Describe for web::Query<T> {
    fn describe(r: &mut Requirement) {
        r.query = true;
    }
}

/// Reads the `license` header without checking it: the handler checks it (prefer
/// `PlainLicensed<L>`, whose levels are part of the type).
impl Describe for PlainLicense {
    fn describe(_: &mut Requirement) {}
}

impl<T: ?Sized> Describe for web::Data<T> {
    fn describe(_: &mut Requirement) {}
}

impl Describe for crate::directory::Located {
    fn describe(_: &mut Requirement) {}
}

impl Describe for HttpRequest {
    fn describe(_: &mut Requirement) {}
}

macro_rules! describe_tuple {
    ($($t:ident),*) => {
        impl<$($t: Describe),*> Describe for ($($t,)*) {
            #[allow(unused_variables)]
            fn describe(r: &mut Requirement) {
                $($t::describe(r);)*
            }
        }
    };
}

describe_tuple!();
describe_tuple!(A);
describe_tuple!(A, B);
describe_tuple!(A, B, C);
describe_tuple!(A, B, C, D);
describe_tuple!(A, B, C, D, E);
describe_tuple!(A, B, C, D, E, F);
describe_tuple!(A, B, C, D, E, F, G);
describe_tuple!(A, B, C, D, E, F, G, H);
describe_tuple!(A, B, C, D, E, F, G, H, I);
describe_tuple!(A, B, C, D, E, F, G, H, I, J);

/// The requirement of a handler whose arguments are `Args`.
pub fn requirement_of<Args: Describe>() -> Requirement {
    let mut r = Requirement::default();
    Args::describe(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::{AnyLevel, SystemOnly};

    #[test]
    fn the_strongest_authentication_wins() {
        type Args = (web::Data<()>, Caller, Licensed<SystemOnly>, Body<()>);
        let r = requirement_of::<Args>();
        assert_eq!(r.auth, Auth::Licensed(SystemOnly::ACCEPT));
        assert!(r.body && !r.path && !r.query);
        let r = requirement_of::<(web::Path<String>, OptionalCaller)>();
        assert_eq!(r.auth, Auth::OptionalCaller);
        assert!(r.path);
        assert_eq!(requirement_of::<(Licensed<AnyLevel>, Caller)>().auth.accept(), Some(AnyLevel::ACCEPT));
        assert_eq!(requirement_of::<()>(), Requirement::default());
    }

    #[test]
    fn each_extractor_says_what_it_reads() {
        let only = |auth, body, path, query| Requirement { auth, body, path, query, session: None };
        let plain = Auth::PlainLicense(SystemOnly::ACCEPT);
        assert_eq!(requirement_of::<(PlainLicensed<SystemOnly>,)>(), only(plain, false, false, false));
        assert_eq!(requirement_of::<(Caller,)>(), only(Auth::Caller, false, false, false));
        assert_eq!(requirement_of::<(OptionalCaller,)>(), only(Auth::OptionalCaller, false, false, false));
        for body in [requirement_of::<(Body<()>,)>(), requirement_of::<(Sealed<()>,)>()] {
            assert_eq!(body, only(Auth::None, true, false, false));
        }
        for body in [requirement_of::<(web::Json<()>,)>(), requirement_of::<(web::Form<()>,)>()] {
            assert_eq!(body, only(Auth::None, true, false, false));
        }
        assert_eq!(requirement_of::<(web::Path<String>,)>(), only(Auth::None, false, true, false));
        assert_eq!(requirement_of::<(web::Query<()>,)>(), only(Auth::None, false, false, true));
        type Neutral = (web::Data<()>, HttpRequest, PlainLicense, crate::directory::Located);
        assert_eq!(requirement_of::<Neutral>(), Requirement::default());
    }

    #[test]
    fn a_weaker_or_equal_authentication_does_not_replace_a_stronger_one() {
        let r = requirement_of::<(Licensed<SystemOnly>, Caller, OptionalCaller, PlainLicensed<AnyLevel>)>();
        assert_eq!(r.auth, Auth::Licensed(SystemOnly::ACCEPT));
        // Of two of the same rank, the first stays.
        let r = requirement_of::<(Licensed<SystemOnly>, Licensed<AnyLevel>)>();
        assert_eq!(r.auth, Auth::Licensed(SystemOnly::ACCEPT));
        let r = requirement_of::<(PlainLicensed<SystemOnly>, PlainLicensed<AnyLevel>)>();
        assert_eq!(r.auth, Auth::PlainLicense(SystemOnly::ACCEPT));
    }

    #[test]
    fn a_session_needs_a_verified_caller_and_names_its_permission() {
        let mut r = requirement_of::<(web::Path<String>,)>();
        require_session(&mut r, "users.read");
        assert_eq!((r.session, r.auth, r.path), (Some("users.read"), Auth::Caller, true));
        let mut r = requirement_of::<(Licensed<SystemOnly>,)>();
        require_session(&mut r, "");
        assert_eq!((r.session, r.auth), (Some(""), Auth::Licensed(SystemOnly::ACCEPT)));
    }
}

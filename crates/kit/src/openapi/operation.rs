//! What the route table adds to a handler's operation: the headers, levels and error rows its
//! extractors imply, the security requirements, and the 501 operations of endpoints not built.

use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, schema::Type};
use utoipa::{IntoParams, ToSchema};

use super::NOT_IMPLEMENTED;
use super::parts::{
    CallerHeaders, ErrorBody, LicensedHeaders, OptionalCallerHeaders, PlainLicenseHeader, SCHEMES, SessionHeader,
};
use crate::access::{Auth, Requirement};
use crate::catalog::{CatalogEntry, parameters_of};

/// The error rows every endpoint with this requirement can answer, with their description.
fn implied_errors(requirement: Requirement) -> Vec<(&'static str, &'static str)> {
    let mut rows = Vec::new();
    let bad_input = match (requirement.body, requirement.path || requirement.query) {
        (true, true) => Some("Bad body, path parameter or query string"),
        (true, false) => Some("Bad body"),
        (false, true) => Some("Bad path parameter or query string"),
        (false, false) => None,
    };
    match requirement.auth {
        Auth::None => rows.extend(bad_input.map(|d| ("400", d))),
        Auth::OptionalCaller | Auth::Caller if requirement.session.is_some() => {
            rows.push(("400", bad_input.unwrap_or("Unreadable authentication header")));
            rows.push(("401", "Missing or invalid authentication headers, or no valid login session"));
            rows.push(("403", "The session's role may not call this endpoint, or not in this community"));
            rows.push(("503", "Request verification or the session store is unavailable"));
        }
        Auth::OptionalCaller | Auth::Caller => {
            rows.push((
                "400",
                bad_input
                    .map_or("Unreadable authentication header", |_| "Bad input or unreadable authentication header"),
            ));
            rows.push(("401", "Missing, stale, replayed or undecryptable authentication headers"));
            rows.push(("503", "Request verification is unavailable (replay cache)"));
        }
        Auth::PlainLicense(_) => {
            rows.extend(bad_input.map(|d| ("400", d)));
            rows.push(("401", "No license header, or an unknown, disabled or expired license"));
            rows.push(("403", "The license's level may not call this endpoint"));
            rows.push(("503", "The license authority is unavailable"));
        }
        Auth::Licensed(_) => {
            rows.push((
                "400",
                bad_input
                    .map_or("Unreadable authentication header", |_| "Bad input or unreadable authentication header"),
            ));
            rows.push(("401", "Missing or invalid authentication headers, or an unknown, disabled or expired license"));
            rows.push(("403", "The license's level may not call this endpoint, or it does not cover the community"));
            rows.push(("503", "The license authority or request verification is unavailable"));
        }
    }
    rows
}

/// Adds to a handler's operation what its extractors imply: the authentication headers, the
/// accepted license levels (`x-license-levels` and a line of the description) and the error
/// rows. What the handler documents itself is kept.
pub(super) fn complete(op: &mut Operation, requirement: Requirement) {
    let mut headers = match requirement.auth {
        Auth::None => Vec::new(),
        Auth::OptionalCaller => OptionalCallerHeaders::into_params(|| Some(ParameterIn::Header)),
        Auth::Caller => CallerHeaders::into_params(|| Some(ParameterIn::Header)),
        Auth::PlainLicense(_) => PlainLicenseHeader::into_params(|| Some(ParameterIn::Header)),
        Auth::Licensed(_) => LicensedHeaders::into_params(|| Some(ParameterIn::Header)),
    };
    if requirement.session.is_some() {
        headers.extend(SessionHeader::into_params(|| Some(ParameterIn::Header)));
    }
    for header in headers {
        let params = op.parameters.get_or_insert_with(Vec::new);
        let present = params.iter().any(|p| match p {
            RefOr::T(p) => p.name == header.name && p.parameter_in == ParameterIn::Header,
            RefOr::Ref(_) => false,
        });
        if !present {
            params.push(RefOr::T(header));
        }
    }
    if let Some(accept) = requirement.auth.accept() {
        let names = accept.names();
        let line = format!("License levels: {}.", names.join(", "));
        op.description = Some(match op.description.take() {
            Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
            _ => line,
        });
        let extensions = op.extensions.get_or_insert_with(Default::default);
        extensions.merge(ExtensionsBuilder::new().add("x-license-levels", serde_json::json!(names)).build());
    }
    for (status, description) in implied_errors(requirement) {
        if op.responses.responses.contains_key(status) {
            continue;
        }
        let error = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", error).build();
        op.responses.responses.insert(status.to_owned(), RefOr::T(response));
    }
}

/// The security requirements of an operation, from the scheme headers among its parameters:
/// the required ones together, or (none required) optionally the ones it takes.
pub(super) fn secure(op: &mut Operation) {
    let headers: Vec<(&str, bool)> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Header => Some(p),
            _ => None,
        })
        .filter(|p| SCHEMES.iter().any(|(name, _)| *name == p.name))
        .map(|p| (p.name.as_str(), p.required == Required::True))
        .collect();
    if headers.is_empty() {
        return;
    }
    let required: Vec<&str> = headers.iter().filter(|(_, r)| *r).map(|(n, _)| *n).collect();
    let requirement = |names: &[&str]| {
        names.iter().fold(SecurityRequirement::default(), |req, name| req.add(*name, Vec::<String>::new()))
    };
    op.security = Some(if required.is_empty() {
        let present: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
        vec![SecurityRequirement::default(), requirement(&present)]
    } else {
        vec![requirement(&required)]
    });
}

/// The 501 operation of a catalog endpoint not built yet.
pub(super) fn not_built(entry: &CatalogEntry) -> Operation {
    let params = parameters_of(&entry.path).into_iter().map(|name| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .schema(Some(Schema::from(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String))))
            .build()
    });
    let error = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
    let summary = entry.summary.lines().next().map(str::trim).filter(|s| !s.is_empty());
    OperationBuilder::new()
        .tag(entry.group.clone())
        .summary(summary)
        .description(Some(NOT_IMPLEMENTED))
        .operation_id(Some(operation_id(&entry.method, &entry.path)))
        .parameters(Some(params.collect::<Vec<Parameter>>()))
        .response("501", ResponseBuilder::new().description(NOT_IMPLEMENTED).content("application/json", error))
        .build()
}

/// A stable operation id for an unbuilt endpoint: `post_tenant_tenantId_community`, ….
fn operation_id(method: &str, path: &str) -> String {
    let words = path.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    std::iter::once(method.to_ascii_lowercase()).chain(words.map(str::to_owned)).collect::<Vec<_>>().join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids() {
        assert_eq!(operation_id("POST", "/tenant/{tenantId}/x_y"), "post_tenant_tenantId_x_y");
    }
}

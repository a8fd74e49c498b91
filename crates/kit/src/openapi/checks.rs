//! Checks of a document and of the routes it is built from, for the route-table tests.

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::ParameterIn;

use super::{Entry, has_operation, operations};
use crate::catalog::{catalog, parameters_of};

/// Schema names that two routes of `entries` use for different schemas: a document can hold
/// only one of them, so the other route would be documented wrongly. Should be empty.
pub fn schema_collisions(entries: &[Entry]) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<String, (String, serde_json::Value)> = Default::default();
    let mut found = Vec::new();
    for entry in entries {
        let mut schemas = Vec::new();
        (entry.schemas)(&mut schemas);
        for (name, schema) in schemas {
            let json = serde_json::to_value(&schema).unwrap_or_default();
            match seen.get(&name) {
                Some((first, other)) if *other != json => {
                    found.push(format!("schema {name}: {first} and {} define it differently", entry.path));
                }
                Some(_) => {}
                None => {
                    seen.insert(name, (entry.path.clone(), json));
                }
            }
        }
    }
    found
}

/// The routes of `entries` and of the catalog of `service` that `doc` has no operation for, as
/// `METHOD /path`: should be empty.
pub fn missing_operations(doc: &OpenApi, service: &str, entries: &[Entry]) -> Vec<String> {
    let table = entries.iter().flat_map(|e| e.methods.iter().map(|m| (*m, e.path.as_str())));
    let catalogued = catalog(service).map(|c| (c.method.as_str(), c.path.as_str()));
    table
        .chain(catalogued)
        .filter(|(method, path)| !has_operation(doc, method, path))
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}

/// What makes `doc` an invalid or ambiguous document: duplicate operation ids, path parameters
/// not declared, operations without a response. Should be empty.
pub fn problems(doc: &OpenApi) -> Vec<String> {
    let mut found = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let declared: Vec<&str> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) if p.parameter_in == ParameterIn::Path => Some(p.name.as_str()),
                    _ => None,
                })
                .collect();
            for name in parameters_of(path) {
                if !declared.contains(&name) {
                    found.push(format!("{method} {path}: path parameter {name} is not declared"));
                }
            }
            match &op.operation_id {
                Some(id) if !ids.insert(id.clone()) => {
                    found.push(format!("{method} {path}: duplicate operationId {id}"))
                }
                Some(_) => {}
                None => found.push(format!("{method} {path}: no operationId")),
            }
            if op.responses.responses.is_empty() {
                found.push(format!("{method} {path}: no response"));
            }
        }
    }
    found
}

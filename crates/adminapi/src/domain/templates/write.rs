//! Writes of templates: what a put or a delete changes ([`plan_put`], [`plan_delete`], plain
//! functions over the community's current templates) and their runs over a [`TemplateStore`].

use serde_json::{Value, json};

use super::{
    Channel, DomainError, MAX_PER_WRITE, Purpose, Template, TemplateStore, Write, parse_template_data, same_slot,
};
use crate::domain::audit::{Change, changed_fields};
use crate::domain::config::Owner;

fn change(owner: Owner<'_>, t: &Template, action: &str, before: &Value, after: &Value) -> Change {
    Change {
        tenant_id: owner.tenant_id.to_owned(),
        community_id: owner.community_id.to_owned(),
        kind: "template".to_owned(),
        record: t.path(),
        action: action.to_owned(),
        fields: changed_fields(before, after),
        actor: t.updated_by.clone(),
        at: t.updated_at,
    }
}

/// The write that puts `given` over `current` (the community's templates): each given template
/// created or replaced (unchanged ones left alone), and a former default of a purpose and channel
/// that gets a new default no longer the default.
pub fn plan_put(owner: Owner<'_>, current: &[Template], given: Vec<Template>) -> Write {
    let mut write = Write {
        tenant_id: owner.tenant_id.to_owned(),
        community_id: owner.community_id.to_owned(),
        ..Write::default()
    };
    let empty = json!({});
    for t in &given {
        let before = current.iter().find(|c| c.path() == t.path());
        let before_body = before.map_or_else(|| empty.clone(), Template::body);
        if before_body == t.body() {
            continue;
        }
        let action = if before.is_some() { "update" } else { "create" };
        write.changes.push(change(owner, t, action, &before_body, &t.body()));
        write.upserts.push(t.clone());
    }
    for t in given.iter().filter(|t| t.is_default) {
        for old in current.iter().filter(|c| c.is_default && same_slot(c, t) && c.id != t.id) {
            if given.iter().any(|g| g.path() == old.path()) {
                continue;
            }
            let demoted = Template {
                is_default: false,
                updated_by: t.updated_by.clone(),
                updated_at: t.updated_at,
                ..old.clone()
            };
            write.changes.push(change(owner, &demoted, "update", &old.body(), &demoted.body()));
            write.upserts.push(demoted);
        }
    }
    // Demotions first: the store keeps one default per purpose and channel at every step.
    write.upserts.sort_by_key(|t| t.is_default);
    write
}

/// The write that deletes the templates `key_paths` name (`purpose.channel.id`) from `current`;
/// a path that names no template is a 404 (and nothing is deleted).
pub fn plan_delete(
    owner: Owner<'_>,
    current: &[Template],
    key_paths: &[String],
    actor: &str,
    at: i64,
) -> Result<Write, DomainError> {
    if key_paths.is_empty() || key_paths.len() > MAX_PER_WRITE {
        return Err(DomainError::Invalid(format!("key_paths must hold 1 to {MAX_PER_WRITE} paths")));
    }
    let mut write = Write {
        tenant_id: owner.tenant_id.to_owned(),
        community_id: owner.community_id.to_owned(),
        ..Write::default()
    };
    for (i, path) in key_paths.iter().enumerate() {
        let field = format!("key_paths[{i}]");
        let parts: Vec<&str> = path.split('.').collect();
        let [p, c, id] = parts[..] else {
            return Err(DomainError::Invalid(format!("{field} must be purpose.channel.id")));
        };
        let (purpose, channel) = (Purpose::parse(&field, p)?, Channel::parse(&field, c)?);
        let found = current
            .iter()
            .find(|t| t.purpose == purpose && t.channel == channel && t.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("{field} names no template of the community")))?;
        if write.deletes.iter().any(|d| d.path() == found.path()) {
            continue;
        }
        let stamped = Template { updated_by: actor.to_owned(), updated_at: at, ..found.clone() };
        write.changes.push(change(owner, &stamped, "delete", &found.body(), &json!({})));
        write.deletes.push(found.clone());
    }
    Ok(write)
}

/// Puts the templates `template_data` gives into the community's (see [`parse_template_data`]
/// and [`plan_put`]): the community's templates after the write.
pub async fn put(
    store: &dyn TemplateStore,
    owner: Owner<'_>,
    template_data: &Value,
    actor: &str,
    at: i64,
) -> Result<Vec<Template>, DomainError> {
    let given = parse_template_data(template_data, actor, at)?;
    let write = plan_put(owner, &store.list(owner.community_id).await?, given);
    if !write.changes.is_empty() {
        store.write(&write).await?;
        tracing::info!(templates = write.changes.len(), "community templates changed");
    }
    Ok(store.list(owner.community_id).await?)
}

/// Deletes the templates `key_paths` name (see [`plan_delete`]).
pub async fn delete(
    store: &dyn TemplateStore,
    owner: Owner<'_>,
    key_paths: &[String],
    actor: &str,
    at: i64,
) -> Result<(), DomainError> {
    let write = plan_delete(owner, &store.list(owner.community_id).await?, key_paths, actor, at)?;
    store.write(&write).await?;
    tracing::info!(templates = write.changes.len(), "community templates deleted");
    Ok(())
}

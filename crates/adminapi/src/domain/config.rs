//! A community's configuration: one document per kind of setting (MFA, FIDO, branding…), each a
//! Rust type ([`Setting`]) validated on write, with documented defaults for a community that has
//! set none. [`Configs`] reads through a cache that every write drops on every instance (the
//! writer at once, the others through the `config` invalidation topic over Redis, or the cache's
//! time to live without it), and records each write in the [`audit`](super::audit) log: who
//! changed which fields of which kind, and when.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kit::StoreError;
use kit::invalidation::{Invalidate, Invalidations, Topic};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::DomainError;
use super::audit::{Change, changed_fields};

/// A kind of setting: its name and its rules beyond the types.
pub trait Setting: Serialize + DeserializeOwned + Default + Send + Sync + 'static {
    /// The kind's name in the store and the audit log.
    const KIND: &'static str;
    /// The fields a write must give (the others keep their current value when left out).
    const REQUIRED: &'static [&'static str] = &[];

    /// Refuses values the types allow but the rules do not (ranges, enumerations).
    fn validate(&self) -> Result<(), DomainError> {
        Ok(())
    }
}

/// The setting `T` that `given` (the fields of a write) makes of `current`: each given field
/// replaces the current one, the others stay. Refuses (400) a missing [`Setting::REQUIRED`] field,
/// an unknown field, a wrong type (naming the field, never the value) and a value the rules refuse.
pub fn apply<T: Setting>(current: &T, given: Map<String, Value>) -> Result<T, DomainError> {
    if let Some(missing) = T::REQUIRED.iter().find(|f| given.get(**f).is_none_or(Value::is_null)) {
        return Err(DomainError::Invalid(format!("{missing} is required")));
    }
    let mut merged = match serde_json::to_value(current) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    merged.extend(given);
    let value: T = envelope::deser::from_value(Value::Object(merged))
        .map_err(|e| DomainError::Invalid(format!("invalid {}: {e}", T::KIND)))?;
    value.validate()?;
    Ok(value)
}

/// A stored setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub value: Value,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// Where settings are kept (`crate::store::SqlConfigs`).
#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// The community's setting of `kind`, if one was set.
    async fn get(&self, community_id: &str, kind: &str) -> Result<Option<Stored>, StoreError>;
    /// Sets the setting `change.kind` of `change.community_id` to `value` and records `change`,
    /// both or neither.
    async fn put(&self, value: &Value, change: &Change) -> Result<(), StoreError>;
}

/// The community a setting belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub tenant_id: &'a str,
    pub community_id: &'a str,
}

type Key = (String, &'static str);

/// The cache, dropped by community.
struct Cached(moka::sync::Cache<Key, Option<Arc<Value>>>);

impl Invalidate for Cached {
    fn invalidate(&self, id: &str) {
        let id = id.to_owned();
        if self.0.invalidate_entries_if(move |(community, _), _| *community == id).is_err() {
            self.0.invalidate_all();
        }
    }

    fn invalidate_all(&self) {
        self.0.invalidate_all();
    }
}

/// Reads and writes settings, cached.
#[derive(Clone)]
pub struct Configs {
    store: Arc<dyn ConfigStore>,
    cache: Arc<Cached>,
    invalidations: Invalidations,
}

impl std::fmt::Debug for Configs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Configs").finish_non_exhaustive()
    }
}

impl Configs {
    /// Over `store`, caching for `ttl`, dropping and publishing through `invalidations`.
    pub fn new(store: Arc<dyn ConfigStore>, ttl: Duration, invalidations: Invalidations) -> Self {
        let cache =
            moka::sync::Cache::builder().max_capacity(50_000).time_to_live(ttl).support_invalidation_closures().build();
        let cache = Arc::new(Cached(cache));
        invalidations.subscribe(Topic::Config, cache.clone());
        Self { store, cache, invalidations }
    }

    /// The stored value of `kind`, if any (cached).
    async fn stored(&self, community_id: &str, kind: &'static str) -> Result<Option<Arc<Value>>, StoreError> {
        let key = (community_id.to_owned(), kind);
        if let Some(hit) = self.cache.0.get(&key) {
            return Ok(hit);
        }
        let found = self.store.get(community_id, kind).await?.map(|s| Arc::new(s.value));
        self.cache.0.insert(key, found.clone());
        Ok(found)
    }

    /// The community's setting `T`, or its default when none was set.
    pub async fn get<T: Setting>(&self, community_id: &str) -> Result<T, DomainError> {
        match self.stored(community_id, T::KIND).await? {
            Some(value) => serde_json::from_value(Value::clone(&value))
                .map_err(|e| StoreError::Corrupt(format!("setting {}: {e}", T::KIND)).into()),
            None => Ok(T::default()),
        }
    }

    /// Validates and stores `value` as the community's setting `T`, recording `actor` as the one
    /// who changed it (when anything changed), and drops the cached copies everywhere.
    pub async fn set<T: Setting>(&self, owner: Owner<'_>, actor: &str, value: &T) -> Result<(), DomainError> {
        value.validate()?;
        let value =
            serde_json::to_value(value).map_err(|e| StoreError::Corrupt(format!("setting {}: {e}", T::KIND)))?;
        let before = self.stored(owner.community_id, T::KIND).await?;
        let default = serde_json::to_value(T::default()).unwrap_or(Value::Null);
        let fields = changed_fields(before.as_deref().unwrap_or(&default), &value);
        let change = Change {
            tenant_id: owner.tenant_id.to_owned(),
            community_id: owner.community_id.to_owned(),
            kind: T::KIND.to_owned(),
            record: String::new(),
            action: "set".to_owned(),
            fields,
            actor: actor.to_owned(),
            at: envelope::wire::now_epoch(),
        };
        self.store.put(&value, &change).await?;
        self.cache.invalidate(owner.community_id);
        self.invalidations.publish(Topic::Config, owner.community_id).await;
        tracing::info!(kind = T::KIND, fields = change.fields.len(), "community setting changed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde::Deserialize;

    use super::*;

    #[derive(Default)]
    struct Memory {
        values: Mutex<Vec<(String, String, Value)>>,
        changes: Mutex<Vec<Change>>,
        reads: Mutex<u32>,
    }

    #[async_trait]
    impl ConfigStore for Memory {
        async fn get(&self, community_id: &str, kind: &str) -> Result<Option<Stored>, StoreError> {
            *self.reads.lock().unwrap() += 1;
            let values = self.values.lock().unwrap();
            Ok(values.iter().find(|(c, k, _)| c == community_id && k == kind).map(|(_, _, v)| Stored {
                value: v.clone(),
                updated_by: String::new(),
                updated_at: 0,
            }))
        }

        async fn put(&self, value: &Value, change: &Change) -> Result<(), StoreError> {
            let mut values = self.values.lock().unwrap();
            values.retain(|(c, k, _)| !(c == &change.community_id && k == &change.kind));
            values.push((change.community_id.clone(), change.kind.clone(), value.clone()));
            self.changes.lock().unwrap().push(change.clone());
            Ok(())
        }
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Limits {
        attempts: u32,
        label: String,
    }

    impl Setting for Limits {
        const KIND: &'static str = "limits";
        fn validate(&self) -> Result<(), DomainError> {
            if self.attempts > 10 { Err(DomainError::Invalid("attempts must be at most 10".into())) } else { Ok(()) }
        }
    }

    #[tokio::test]
    async fn defaults_then_the_stored_value_with_each_change_recorded() {
        let memory = Arc::new(Memory::default());
        let configs = Configs::new(memory.clone(), Duration::from_secs(60), Invalidations::disabled());
        let owner = Owner { tenant_id: "t", community_id: "c" };
        assert_eq!(configs.get::<Limits>("c").await.unwrap(), Limits::default());
        assert_eq!(configs.get::<Limits>("c").await.unwrap(), Limits::default());
        assert_eq!(*memory.reads.lock().unwrap(), 1, "the absence is cached too");

        let bad = Limits { attempts: 11, label: String::new() };
        assert!(matches!(configs.set(owner, "admin", &bad).await, Err(DomainError::Invalid(_))));
        let good = Limits { attempts: 3, label: "x".into() };
        configs.set(owner, "admin", &good).await.unwrap();
        assert_eq!(configs.get::<Limits>("c").await.unwrap(), good, "the write dropped the cached default");
        assert_eq!(configs.get::<Limits>("other").await.unwrap(), Limits::default(), "per community");
        configs.set(owner, "root", &Limits { attempts: 3, label: "y".into() }).await.unwrap();

        let changes = memory.changes.lock().unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(
            (changes[0].fields.clone(), changes[0].actor.as_str()),
            (vec!["attempts".into(), "label".into()], "admin")
        );
        assert_eq!((changes[1].fields.clone(), changes[1].actor.as_str()), (vec!["label".into()], "root"));
        assert_eq!((changes[1].kind.as_str(), changes[1].tenant_id.as_str()), ("limits", "t"));
    }
}

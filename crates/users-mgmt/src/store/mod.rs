//! The SQL implementations of users-mgmt's stores, one per aggregate, over the kit's sqlx `Any`
//! pool (portable SQL for SQLite and PostgreSQL). The traits belong to the domain modules:
//! [`crate::domain::modules::ModuleStore`], [`crate::domain::users::UserStore`],
//! [`crate::domain::attributes::AttributeStore`], [`crate::domain::system_users::SystemUserStore`],
//! [`crate::domain::user_properties::UserPropertiesStore`], [`crate::domain::behavior::BehaviorStore`],
//! [`crate::domain::passkeys::PasskeyStore`], [`crate::domain::brokers::BrokerStore`].

mod attributes;
mod behavior;
mod brokers;
mod modules;
mod passkeys;
mod pins;
mod system_users;
mod user_properties;
mod users;

use std::sync::Arc;

use kit::db::Db;

pub use attributes::SqlAttributes;
pub use behavior::SqlBehavior;
pub use brokers::SqlBrokers;
pub use modules::SqlModules;
pub use passkeys::SqlPasskeys;
pub use pins::SqlPins;
pub use system_users::SqlSystemUsers;
pub use user_properties::SqlUserProperties;
pub use users::SqlUsers;

use crate::domain::attributes::AttributeStore;
use crate::domain::behavior::BehaviorStore;
use crate::domain::brokers::BrokerStore;
use crate::domain::modules::ModuleStore;
use crate::domain::passkeys::PasskeyStore;
use crate::domain::pins::PinStore;
use crate::domain::system_users::SystemUserStore;
use crate::domain::user_properties::UserPropertiesStore;
use crate::domain::users::UserStore;

/// Every store of users-mgmt.
#[derive(Clone)]
pub struct Stores {
    pub modules: Arc<dyn ModuleStore>,
    pub users: Arc<dyn UserStore>,
    pub attributes: Arc<dyn AttributeStore>,
    pub system_users: Arc<dyn SystemUserStore>,
    pub user_properties: Arc<dyn UserPropertiesStore>,
    pub pins: Arc<dyn PinStore>,
    pub behavior: Arc<dyn BehaviorStore>,
    pub passkeys: Arc<dyn PasskeyStore>,
    pub brokers: Arc<dyn BrokerStore>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

impl Stores {
    /// The SQL stores over a migrated database.
    pub fn sql(db: &Db) -> Self {
        Self {
            modules: Arc::new(SqlModules::new(db.clone())),
            users: Arc::new(SqlUsers::new(db.clone())),
            attributes: Arc::new(SqlAttributes::new(db.clone())),
            system_users: Arc::new(SqlSystemUsers::new(db.clone())),
            user_properties: Arc::new(SqlUserProperties::new(db.clone())),
            pins: Arc::new(SqlPins::new(db.clone())),
            behavior: Arc::new(SqlBehavior::new(db.clone())),
            passkeys: Arc::new(SqlPasskeys::new(db.clone())),
            brokers: Arc::new(SqlBrokers::new(db.clone())),
        }
    }
}

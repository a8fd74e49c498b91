//! The rules of users-mgmt, as plain functions over plain types and store traits.

pub mod attributes;
pub mod modules;
pub mod password_policy;
pub mod passwords;
pub mod system_users;
pub mod user_properties;
pub mod users;

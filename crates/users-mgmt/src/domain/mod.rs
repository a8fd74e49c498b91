//! The rules of users-mgmt, as plain functions over plain types and store traits.

pub mod modules;
pub mod password_policy;

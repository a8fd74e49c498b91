//! The rules of users-mgmt, as plain functions over plain types and store traits.

pub mod attributes;
pub mod authentication;
pub mod behavior;
pub mod brokers;
pub mod directory;
pub mod kerberos;
pub mod lockout;
pub mod module_kerberos;
pub mod module_secrets;
pub mod modules;
pub mod otp;
pub mod passkeys;
pub mod password_policy;
pub mod passwords;
pub mod pins;
pub mod proof;
pub mod scep;
pub mod system_users;
pub mod user_properties;
pub mod users;

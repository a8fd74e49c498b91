//! Roles and permissions of logged-in users. A role is a named set of permissions with a scope:
//! a tenant role acts in every community of its tenant, a community role only in the community it
//! was given in. Endpoints name the permission they need (or none, for any logged-in user) in
//! their handler's type ([`crate::session::AdminSession`]); a role grants it or not.
//!
//! The built-in roles: `super_admin` (everything, in every tenant, and the instance-wide
//! settings; given from the command line), `tenant_admin` (everything, tenant-wide), `community_admin` (everything,
//! in its community), `helpdesk` (read users, unlock them, generate helpdesk passcodes) and `user`
//! (self-service only: what a login without an assignment gets).

/// The permissions endpoints ask for.
pub mod permission {
    /// "This endpoint must be accessed by an administrator."
    pub const ADMIN: &str = "admin.access";
    /// Reading users and their profiles.
    pub const USERS_READ: &str = "users.read";
    /// Locking and unlocking users.
    pub const USERS_LOCK: &str = "users.lock";
    /// `POST /helpdesk-passcode/generate`.
    pub const HELPDESK_PASSCODE: &str = "user.helpdesk-passcode.generate";
    /// Giving and taking roles.
    pub const ROLES_MANAGE: &str = "roles.manage";
    /// Ending other users' login sessions.
    pub const SESSIONS_MANAGE: &str = "loginsessions.manage";
    /// The settings of the whole instance ("must be accessed by a super admin").
    pub const INSTANCE_MANAGE: &str = "instance.manage";
}

/// Where a role acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every community of every tenant.
    Instance,
    /// Every community of the tenant it was given in.
    Tenant,
    /// Only the community it was given in.
    Community,
}

/// A role.
#[derive(Debug, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    pub permissions: &'static [&'static str],
}

const SUPER_ADMIN_PERMISSIONS: &[&str] = &[
    permission::ADMIN,
    permission::USERS_READ,
    permission::USERS_LOCK,
    permission::HELPDESK_PASSCODE,
    permission::ROLES_MANAGE,
    permission::SESSIONS_MANAGE,
    permission::INSTANCE_MANAGE,
];

/// An administrator's permissions: a super admin's but the instance-wide settings.
const ADMIN_PERMISSIONS: &[&str] = SUPER_ADMIN_PERMISSIONS.split_at(SUPER_ADMIN_PERMISSIONS.len() - 1).0;

/// The built-in roles.
pub const ROLES: [Role; 5] = [
    Role {
        name: "super_admin",
        description: "Administers every tenant and the instance-wide settings",
        scope: Scope::Instance,
        permissions: SUPER_ADMIN_PERMISSIONS,
    },
    Role {
        name: "tenant_admin",
        description: "Administers every community of the tenant",
        scope: Scope::Tenant,
        permissions: ADMIN_PERMISSIONS,
    },
    Role {
        name: "community_admin",
        description: "Administers one community",
        scope: Scope::Community,
        permissions: ADMIN_PERMISSIONS,
    },
    Role {
        name: "helpdesk",
        description: "Helps the users of one community: reads them, unlocks them, generates helpdesk passcodes",
        scope: Scope::Community,
        permissions: &[permission::USERS_READ, permission::USERS_LOCK, permission::HELPDESK_PASSCODE],
    },
    Role {
        name: "user",
        description: "A user of the community: self-service only",
        scope: Scope::Community,
        permissions: &[],
    },
];

/// The role of a login without an assignment.
pub const DEFAULT_ROLE: &str = "user";

/// The built-in role named `name`.
pub fn find(name: &str) -> Option<&'static Role> {
    ROLES.iter().find(|r| r.name == name)
}

impl Role {
    /// Whether the role grants `permission` (`""`: any logged-in user).
    pub fn grants(&self, permission: &str) -> bool {
        permission.is_empty() || self.permissions.contains(&permission)
    }

    /// Whether this role may give `other`: no wider scope, and no permission it does not have.
    pub fn may_give(&self, other: &Role) -> bool {
        let scope_ok = match self.scope {
            Scope::Instance => true,
            Scope::Tenant => other.scope != Scope::Instance,
            Scope::Community => other.scope == Scope::Community,
        };
        scope_ok && other.permissions.iter().all(|p| self.permissions.contains(p))
    }

    /// Whether a login in `home` (tenant, community) with this role may act in `target`.
    pub fn reaches(&self, home: (&str, &str), target: (&str, &str)) -> bool {
        match self.scope {
            Scope::Instance => true,
            Scope::Tenant => home.0 == target.0,
            Scope::Community => home == target,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_their_permissions_within_their_scope() {
        let (tenant_admin, community_admin) = (find("tenant_admin").unwrap(), find("community_admin").unwrap());
        let (helpdesk, user) = (find("helpdesk").unwrap(), find(DEFAULT_ROLE).unwrap());
        assert!(tenant_admin.grants(permission::ADMIN) && community_admin.grants(permission::ROLES_MANAGE));
        assert!(helpdesk.grants(permission::HELPDESK_PASSCODE) && !helpdesk.grants(permission::ADMIN));
        assert!(user.grants("") && !user.grants(permission::USERS_READ));
        let (home, sibling, elsewhere) = (("t1", "c1"), ("t1", "c2"), ("t2", "c3"));
        assert!(tenant_admin.reaches(home, sibling) && !tenant_admin.reaches(home, elsewhere));
        assert!(community_admin.reaches(home, home) && !community_admin.reaches(home, sibling));
        assert_eq!(find("root"), None);
        assert!(tenant_admin.may_give(tenant_admin) && tenant_admin.may_give(helpdesk));
        assert!(!community_admin.may_give(tenant_admin) && community_admin.may_give(community_admin));
        assert!(!helpdesk.may_give(community_admin) && helpdesk.may_give(user));
        let root = find("super_admin").unwrap();
        assert!(root.grants(permission::INSTANCE_MANAGE) && !tenant_admin.grants(permission::INSTANCE_MANAGE));
        assert!(root.reaches(home, elsewhere) && root.may_give(root) && root.may_give(tenant_admin));
        assert!(!tenant_admin.may_give(root));
    }
}

//! What an endpoint accepts: license levels, and the deployment's infra key, named as types
//! (`Licensed<ServiceLevels>`), one per set the catalog uses.

use super::{Level, License};

/// The license levels an endpoint accepts, and whether the deployment's `INFRA_LICENSE_KEY`
/// is accepted whatever its level (the catalog's `infra`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept {
    /// The accepted levels.
    pub levels: &'static [Level],
    /// Whether the infra key is accepted.
    pub infra: bool,
}

impl Accept {
    /// Whether `license` may call an endpoint accepting `self`.
    pub fn allows(&self, license: &License) -> bool {
        self.levels.contains(&license.level) || (self.infra && license.infra)
    }

    /// The catalog's names of what is accepted: the level names, and `infra`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.levels.iter().map(|l| l.name()).collect();
        if self.infra {
            names.push("infra");
        }
        names
    }
}

/// A set of license levels a handler accepts, named in its type (`Licensed<ServiceLevels>`).
pub trait Levels {
    /// What is accepted.
    const ACCEPT: Accept;
}

macro_rules! level_set {
    ($(#[$doc:meta])* $name:ident = [$($level:ident),*] $(+ $infra:ident)?) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Levels for $name {
            const ACCEPT: Accept = Accept { levels: &[$(Level::$level),*], infra: level_set!(@infra $($infra)?) };
        }
    };
    (@infra infra) => { true };
    (@infra) => { false };
}

level_set!(
    /// system, service, service_ext, app, app_ext.
    AnyLevel = [System, Service, ServiceExt, App, AppExt]
);
level_set!(
    /// system, service, service_ext.
    ServiceLevels = [System, Service, ServiceExt]
);
level_set!(
    /// system, service.
    SystemOrService = [System, Service]
);
level_set!(
    /// system only.
    SystemOnly = [System]
);
level_set!(
    /// system, service, app, app_ext (not service_ext).
    SystemServiceApp = [System, Service, App, AppExt]
);
level_set!(
    /// system, service, app, app_ext, and the infra key.
    SystemServiceAppOrInfra = [System, Service, App, AppExt] + infra
);
level_set!(
    /// The deployment's `INFRA_LICENSE_KEY` only.
    InfraOnly = [] + infra
);
level_set!(
    /// system, and the deployment's `INFRA_LICENSE_KEY` (not any other service key).
    SystemOrInfra = [System] + infra
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::Level;

    fn license(level: Level, infra: bool) -> License {
        License { level, key_type: crate::license::KeyType::Hawk, tag: String::new(), communities: None, infra }
    }

    #[test]
    fn accept_levels_and_the_infra_key() {
        assert!(SystemOnly::ACCEPT.allows(&license(Level::System, false)));
        assert!(!SystemOnly::ACCEPT.allows(&license(Level::Service, true)));
        assert!(InfraOnly::ACCEPT.allows(&license(Level::Service, true)));
        assert!(!InfraOnly::ACCEPT.allows(&license(Level::Service, false)));
        assert!(!InfraOnly::ACCEPT.allows(&license(Level::System, false)));
        assert!(!SystemServiceApp::ACCEPT.allows(&license(Level::ServiceExt, false)));
        assert_eq!(SystemServiceAppOrInfra::ACCEPT.names(), ["system", "service", "app", "app_ext", "infra"]);
        assert_eq!(AnyLevel::ACCEPT.names().len(), 5);
    }
}

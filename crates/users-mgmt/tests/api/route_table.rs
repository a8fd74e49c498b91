//! The route table against the catalog: documented, committed, routed, and the license levels
//! of every built route the catalog's.

use kit::testing::{LevelDeviation, Storage, assert_route_table, assert_route_table_served};

use crate::helpers::spawn;

/// Built routes whose levels differ from the catalog's, and why.
const DEVIATIONS: &[LevelDeviation] = &[
    (
        "POST",
        "/internal_call/broker_request",
        "the reference calls it from one pod to another and names no key: the deployment's infra key, so no one else runs directory requests",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/update-hosts-status",
        "the reference requires the licensekey header but names no level: any valid license",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/users/fetch",
        "the rule says any valid key can fetch users; the catalog's list (no service_ext) comes from the SCEP rule",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/users/count",
        "the rule says any valid key can count users; the catalog names no level",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/user/fetch_single_user_by_username",
        "the rule says any valid key can fetch a user; the catalog names no level",
    ),
    (
        "POST",
        "/systemuser/authenticate",
        "the rule says any valid key can verify a system user's password; the catalog names no level",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/user/authenticate",
        "the rule says any valid community license key can be used; the catalog names no level",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/user/verify_user_ktoken",
        "the rule says any valid community license key can be used; the catalog names no level",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/user/validate_user_password",
        "the rule says any valid community license key can be used; the catalog names no level",
    ),
    (
        "POST",
        "/tenant/{tenantId}/community/{communityId}/user/behavior_auth/validate",
        "the rule says any valid community license key can be used; the catalog names no level",
    ),
];

#[test]
fn the_route_table_follows_the_catalog() {
    assert_route_table(&users_mgmt::routes::table(), DEVIATIONS);
}

#[tokio::test]
async fn the_route_table_is_served_and_refuses_other_levels() {
    let app = spawn(Storage::Embedded, "route table", &[]).await.unwrap();
    assert_route_table_served(&app.url, &users_mgmt::routes::table()).await;
}

//! The route table against the catalog: documented, committed, routed, and the license levels
//! of every built route the catalog's.

use kit::testing::{LevelDeviation, Storage, assert_route_table, assert_route_table_served};

use crate::helpers::spawn;

/// Built routes whose levels differ from the catalog's, and why.
const DEVIATIONS: &[LevelDeviation] = &[
    (
        "POST",
        "/pwd-policy/fetch",
        "the reference says \"Any license.\" without listing levels: every level is accepted",
    ),
    (
        "POST",
        "/webauthn/assertion/options",
        "the reference lists a licensekey header without levels: any license that may act in the community",
    ),
    (
        "POST",
        "/webauthn/authenticate_with_security_key",
        "the reference lists a licensekey header without levels: any license that may act in the community",
    ),
    (
        "POST",
        "/test-connection",
        "the reference requires a licensekey \"authorized for community\" without listing levels: every level is accepted",
    ),
];

#[test]
fn the_route_table_follows_the_catalog() {
    assert_route_table(&adminapi::routes::table(), DEVIATIONS);
}

#[tokio::test]
async fn the_route_table_is_served_and_refuses_other_levels() {
    let app = spawn(Storage::Embedded, "route table", &[]).await.unwrap();
    assert_route_table_served(&app.url, &adminapi::routes::table()).await;
}

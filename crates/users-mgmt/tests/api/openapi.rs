//! The OpenAPI document: committed and up to date, complete, valid, and served.

use kit::testing::{
    Storage, assert_openapi_committed, assert_openapi_complete, assert_openapi_served, assert_openapi_valid,
};

use crate::helpers::spawn;

#[test]
fn the_committed_document_is_up_to_date() {
    assert_openapi_committed(users_mgmt::SERVICE, &users_mgmt::routes::openapi());
}

#[test]
fn every_route_of_the_table_and_the_catalog_is_documented_with_its_method() {
    assert_openapi_complete(users_mgmt::SERVICE, &users_mgmt::routes::openapi(), &users_mgmt::routes::table(), &[]);
}

#[test]
fn the_document_is_openapi_3_1_json_without_problems() {
    assert_openapi_valid(users_mgmt::SERVICE, &users_mgmt::routes::openapi());
}

#[tokio::test]
async fn the_document_is_served_at_openapi_json() {
    let app = spawn(Storage::Embedded, "openapi", &[]).await.unwrap();
    assert_openapi_served(&app.url, &users_mgmt::routes::openapi()).await;
}

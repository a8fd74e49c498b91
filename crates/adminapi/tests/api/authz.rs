//! Roles over HTTP: the role catalog, assignments and permissions a logged-in user reads, role
//! changes by administrators within their own role, and every endpoint that needs a login
//! refusing without one (401) and a role without its permission (403), from the route table.

use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{assert_error, bearer, call, platform, uid_of};
use kit::testing::Storage;

#[tokio::test]
async fn every_endpoint_that_needs_a_login_refuses_without_one_and_without_its_permission() {
    let Some(p) = platform(Storage::Embedded, "authz sweep", 1, &[]).await else { return };
    let bob = p.token("bob", "Violet-Harbor-58").await;
    let calls = kit::testing::assert_sessions_enforced(
        &p.admin[0],
        &adminapi::routes::table(),
        &bob,
        (&p.tenant, &p.community),
    )
    .await;
    assert!(calls >= 10, "{calls} calls");
}

#[tokio::test]
async fn users_read_roles_and_their_own_permissions_and_admins_everyones() {
    let Some(p) = platform(Storage::Embedded, "authz reads", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let (bob, jane) = (p.token("bob", "Violet-Harbor-58").await, p.token("jane", "Quartz-Meadow-71").await);
    let (bob_uid, jane_uid) = (uid_of(&p, "bob").await, uid_of(&p, "jane").await);

    let (s, names) = call(url, Method::GET, "/authz/role/fetch", Some(&bearer(&bob)), None).await;
    assert_eq!(
        (s, names.clone()),
        (200, json!(["super_admin", "tenant_admin", "community_admin", "helpdesk", "user"]))
    );
    let (s, v2) = call(url, Method::GET, "/v2/authz/roles/fetch", Some(&bearer(&bob)), None).await;
    assert_eq!((s, v2), (200, names));
    let (s, r) = call(url, Method::GET, "/authz/role/fetch/helpdesk", Some(&bearer(&bob)), None).await;
    assert_eq!(s, 200, "{r}");
    assert!(r["permissions"].as_array().unwrap().contains(&json!("user.helpdesk-passcode.generate")), "{r}");
    let (s, r) = call(url, Method::GET, "/authz/role/fetch/root", Some(&bearer(&bob)), None).await;
    assert_error(s, &r, 404, "no role");

    // Own assignment (none: the role user) and permissions (none); another's needs users.read.
    let mine = json!({"objectType": "user", "objectId": bob_uid, "subjectType": "community", "subjectId": p.community});
    let (s, r) = call(url, Method::POST, "/authz/authorization/fetch", Some(&bearer(&bob)), Some(&mine)).await;
    assert_eq!((s, r), (200, json!([])));
    let janes =
        json!({"objectType": "user", "objectId": jane_uid, "subjectType": "community", "subjectId": p.community});
    let (s, r) = call(url, Method::POST, "/authz/authorization/fetch", Some(&bearer(&bob)), Some(&janes)).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::POST, "/authz/authorization/fetch", Some(&bearer(&jane)), Some(&janes)).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r[0]["objectId"].as_str(), r[0]["role"]["name"].as_str()),
        (Some(jane_uid.as_str()), Some("community_admin"))
    );
    let (s, r) = call(url, Method::POST, "/authz/authorization/fetch", Some(&bearer(&jane)), Some(&json!({}))).await;
    assert_eq!((s, r.as_array().map(Vec::len)), (200, Some(1)), "every assignment of the community: {r}");
    let other = json!({"subjectType": "community", "subjectId": "6a0000000000000000000002"});
    let (s, r) = call(url, Method::POST, "/authz/authorization/fetch", Some(&bearer(&jane)), Some(&other)).await;
    assert_error(s, &r, 403, "may not act in this community");

    let perms = |uid: &str| json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module, "uid": uid});
    let (s, r) = call(url, Method::POST, "/permission/fetch", Some(&bearer(&bob)), Some(&perms(&bob_uid))).await;
    assert_eq!((s, r), (200, json!([])));
    let (s, r) = call(url, Method::POST, "/permission/fetch", Some(&bearer(&bob)), Some(&perms(&jane_uid))).await;
    assert_error(s, &r, 403, "may not");
    let (s, r) = call(url, Method::POST, "/permission/fetch", Some(&bearer(&jane)), Some(&perms(&jane_uid))).await;
    assert_eq!(s, 200, "{r}");
    let granted: Vec<&str> = r.as_array().unwrap().iter().filter_map(|e| e["permission"].as_str()).collect();
    assert!(granted.contains(&"admin.access") && granted.contains(&"roles.manage"), "{granted:?}");
}

#[tokio::test]
async fn administrators_give_roles_within_their_own() {
    let Some(p) = platform(Storage::Embedded, "authz role update", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = p.token("jane", "Quartz-Meadow-71").await;
    let bob_uid = uid_of(&p, "bob").await;
    let change = |old: &str, new: &str, extra: Value| {
        let mut b = json!({"tenantId": p.tenant, "communityId": p.community, "moduleId": p.module,
            "username": "bob", "uid": bob_uid, "oldRole": old, "newRole": new});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let path = "/users/user/role/update";
    let bob = p.token("bob", "Violet-Harbor-58").await;
    let (s, r) =
        call(url, Method::PATCH, path, Some(&bearer(&bob)), Some(&change("user", "helpdesk", json!({})))).await;
    assert_error(s, &r, 403, "the role user may not call this endpoint");
    let (s, r) =
        call(url, Method::PATCH, path, Some(&bearer(&jane)), Some(&change("user", "tenant_admin", json!({})))).await;
    assert_error(s, &r, 403, "may not give the role tenant_admin");
    let (s, r) = call(url, Method::PATCH, path, Some(&bearer(&jane)), Some(&change("user", "root", json!({})))).await;
    assert_error(s, &r, 400, "newRole must be one of");
    let (s, r) =
        call(url, Method::PATCH, path, Some(&bearer(&jane)), Some(&change("helpdesk", "helpdesk", json!({})))).await;
    assert_error(s, &r, 409, "oldRole");
    let mut wrong_uid = change("user", "helpdesk", json!({}));
    wrong_uid["uid"] = json!("not-bobs-uid");
    let (s, r) = call(url, Method::PATCH, path, Some(&bearer(&jane)), Some(&wrong_uid)).await;
    assert_error(s, &r, 404, "no user");

    let (s, r) =
        call(url, Method::PATCH, path, Some(&bearer(&jane)), Some(&change("user", "helpdesk", json!({})))).await;
    assert_eq!((s, r), (200, json!({"status": true})));
    // From bob's next login on, he is helpdesk.
    let (s, r) = p.verify_user(0, p.credentials("bob", "Violet-Harbor-58")).await;
    assert_eq!((s, r["user"]["roles"].clone()), (200, json!(["helpdesk"])), "{r}");
    // And disabled: he cannot sign in any more.
    let (s, r) = call(
        url,
        Method::PATCH,
        path,
        Some(&bearer(&jane)),
        Some(&change("helpdesk", "user", json!({"disabled": true}))),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = p.verify_user(0, p.credentials("bob", "Violet-Harbor-58")).await;
    assert_error(s, &r, 401, "invalid username or credentials");
}

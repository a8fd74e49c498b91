#!/usr/bin/python3
"""A SAML 2.0 service provider for adminapi's tests, driven by an independent library:
OneLogin's python3-saml (Debian package python3-onelogin-saml2, installed by
scripts/install-test-deps.sh). It reads one JSON command on stdin and writes one JSON answer:

  {"cmd": "login", "settings": {...}, "relayState": "..."}
      -> {"url": the IdP SSO URL with the (signed) AuthnRequest, "id": the request's ID}
  {"cmd": "metadata", "settings": {...}} -> {"xml": the SP's metadata}
  {"cmd": "acs", "settings": {...}, "SAMLResponse": "...", "requestId": "...", "nowOffset": 0}
      -> {"authenticated", "errors", "reason", "nameid", "nameidFormat", "attributes", "sessionIndex"}
  {"cmd": "logout", "settings": {...}, "nameId": "...", "sessionIndex": "...", "relayState": "..."}
      -> {"url": the IdP SLO URL with the signed LogoutRequest, "id": the request's ID}
  {"cmd": "sls", "settings": {...}, "url": "...", "requestId": "..."}
      -> {"errors", "reason"}: the LogoutResponse the IdP sent to the SP's SLO URL, checked

`settings` is {"sp": {"entityId", "acs", "slo", "cert", "key"}, "idp": {"entityId", "sso",
"slo", "cert"}, "signRequests": bool}; `slo` entries are optional. The SP runs in strict mode and wants signed messages and assertions;
`nowOffset` moves its clock (seconds) to show that an expired assertion is refused.
"""
import json
import sys
from urllib.parse import parse_qsl, urlparse

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.utils import OneLogin_Saml2_Utils

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def onelogin_settings(s):
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": s["sp"]["entityId"],
            "assertionConsumerService": {
                "url": s["sp"]["acs"],
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "x509cert": s["sp"]["cert"],
            "privateKey": s["sp"]["key"],
            **({"singleLogoutService": {
                "url": s["sp"]["slo"],
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            }} if s["sp"].get("slo") else {}),
        },
        "idp": {
            "entityId": s["idp"]["entityId"],
            "singleSignOnService": {
                "url": s["idp"]["sso"],
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            },
            "x509cert": s["idp"]["cert"],
            **({"singleLogoutService": {
                "url": s["idp"]["slo"],
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            }} if s["idp"].get("slo") else {}),
        },
        "security": {
            "authnRequestsSigned": bool(s.get("signRequests")),
            "logoutRequestSigned": True,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": True,
            "signatureAlgorithm": RSA_SHA256,
            "digestAlgorithm": SHA256,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
        },
    }


def request_data(acs, post=None, query=None):
    url = urlparse(acs)
    https = url.scheme == "https"
    data = {
        "https": "on" if https else "off",
        "http_host": url.hostname,
        "server_port": url.port or (443 if https else 80),
        "script_name": url.path,
        "get_data": dict(parse_qsl(query, keep_blank_values=True)) if query else {},
        "post_data": post or {},
    }
    if query:
        # The signature is checked over the query as received.
        data["query_string"] = query
        data["validate_signature_from_qs"] = True
    return data


def main():
    command = json.load(sys.stdin)
    s = command["settings"]
    if command["cmd"] == "login":
        auth = OneLogin_Saml2_Auth(request_data(s["sp"]["acs"]), onelogin_settings(s))
        url = auth.login(return_to=command.get("relayState"))
        print(json.dumps({"url": url, "id": auth.get_last_request_id()}))
    elif command["cmd"] == "metadata":
        from onelogin.saml2.settings import OneLogin_Saml2_Settings
        print(json.dumps({"xml": OneLogin_Saml2_Settings(onelogin_settings(s)).get_sp_metadata().decode()}))
    elif command["cmd"] == "acs":
        offset = int(command.get("nowOffset") or 0)
        if offset:
            real_now = OneLogin_Saml2_Utils.now
            OneLogin_Saml2_Utils.now = staticmethod(lambda: real_now() + offset)
        post = {"SAMLResponse": command["SAMLResponse"]}
        auth = OneLogin_Saml2_Auth(request_data(s["sp"]["acs"], post), onelogin_settings(s))
        auth.process_response(request_id=command.get("requestId"))
        ok = auth.is_authenticated() and not auth.get_errors()
        print(json.dumps({
            "authenticated": ok,
            "errors": auth.get_errors(),
            "reason": auth.get_last_error_reason(),
            "nameid": auth.get_nameid() if ok else None,
            "nameidFormat": auth.get_nameid_format() if ok else None,
            "attributes": auth.get_attributes() if ok else {},
            "sessionIndex": auth.get_session_index() if ok else None,
        }))
    elif command["cmd"] == "logout":
        auth = OneLogin_Saml2_Auth(request_data(s["sp"]["acs"]), onelogin_settings(s))
        url = auth.logout(return_to=command.get("relayState"), name_id=command.get("nameId"),
                          session_index=command.get("sessionIndex"))
        print(json.dumps({"url": url, "id": auth.get_last_request_id()}))
    elif command["cmd"] == "sls":
        url = urlparse(command["url"])
        target = "%s://%s%s" % (url.scheme, url.netloc, url.path)
        auth = OneLogin_Saml2_Auth(request_data(target, query=url.query), onelogin_settings(s))
        auth.process_slo(keep_local_session=True, request_id=command.get("requestId"))
        print(json.dumps({"errors": auth.get_errors(), "reason": auth.get_last_error_reason()}))
    else:
        sys.exit("unknown command")


if __name__ == "__main__":
    main()

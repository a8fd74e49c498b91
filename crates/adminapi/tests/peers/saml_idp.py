#!/usr/bin/python3
"""A SAML 2.0 identity provider for adminapi's tests of the community's assertion consumer
service: the response is written here and signed by an independent implementation, OneLogin's
python3-saml (`OneLogin_Saml2_Utils.add_sign`, on xmlsec; Debian package
python3-onelogin-saml2, installed by scripts/install-test-deps.sh). It reads one JSON command on
stdin and writes one JSON answer:

  {"cmd": "response", "key", "cert", "issuer", "destination", "audience", "inResponseTo",
   "nameId", "attributes": {"name": ["value", ...]}, "lifetime": 300, "skew": 0,
   "signAssertion": true, "signResponse": true, "status": "Success"}
      -> {"SAMLResponse": base64 of the response, "xml": the response}

`skew` moves the IdP's clock (seconds), so that an expired assertion can be made.
"""
import base64
import datetime
import json
import sys
import uuid
from xml.sax.saxutils import escape, quoteattr

from onelogin.saml2.utils import OneLogin_Saml2_Utils

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"


def instant(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    return "_" + uuid.uuid4().hex


def response(c):
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(c.get("skew") or 0))
    until = now + datetime.timedelta(seconds=int(c.get("lifetime") or 300))
    before = now - datetime.timedelta(seconds=60)
    in_response_to = c.get("inResponseTo")
    irt = " InResponseTo=%s" % quoteattr(in_response_to) if in_response_to else ""
    attributes = ""
    if c.get("attributes"):
        attributes = "<saml:AttributeStatement>"
        for name, values in c["attributes"].items():
            attributes += "<saml:Attribute Name=%s>" % quoteattr(name)
            for v in values:
                attributes += "<saml:AttributeValue>%s</saml:AttributeValue>" % escape(v)
            attributes += "</saml:Attribute>"
        attributes += "</saml:AttributeStatement>"
    assertion = (
        '<saml:Assertion xmlns:saml="%s" ID="%s" Version="2.0" IssueInstant="%s">'
        "<saml:Issuer>%s</saml:Issuer>"
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">%s</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        "<saml:SubjectConfirmationData NotOnOrAfter=%s Recipient=%s%s/></saml:SubjectConfirmation></saml:Subject>"
        "<saml:Conditions NotBefore=%s NotOnOrAfter=%s><saml:AudienceRestriction>"
        "<saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        '<saml:AuthnStatement AuthnInstant="%s" SessionIndex="%s"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>%s</saml:Assertion>"
    ) % (
        ASSERTION, new_id(), instant(now), escape(c["issuer"]), escape(c["nameId"]),
        quoteattr(instant(until)), quoteattr(c["destination"]), irt,
        quoteattr(instant(before)), quoteattr(instant(until)), escape(c["audience"]),
        instant(now), new_id(), attributes,
    )
    if c.get("signAssertion", True):
        assertion = OneLogin_Saml2_Utils.add_sign(assertion, c["key"], c["cert"],
                                                  sign_algorithm=RSA_SHA256, digest_algorithm=SHA256).decode()
        if assertion.startswith("<?xml"):
            assertion = assertion[assertion.index("?>") + 2:]
    status = c.get("status") or "Success"
    xml = (
        '<samlp:Response xmlns:samlp="%s" xmlns:saml="%s" ID="%s" Version="2.0" IssueInstant="%s" '
        "Destination=%s%s><saml:Issuer>%s</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:%s"/></samlp:Status>'
        "%s</samlp:Response>"
    ) % (PROTOCOL, ASSERTION, new_id(), instant(now), quoteattr(c["destination"]), irt,
         escape(c["issuer"]), status, assertion)
    if c.get("signResponse", True):
        xml = OneLogin_Saml2_Utils.add_sign(xml, c["key"], c["cert"],
                                            sign_algorithm=RSA_SHA256, digest_algorithm=SHA256).decode()
    return {"SAMLResponse": base64.b64encode(xml.encode()).decode(), "xml": xml}


def main():
    command = json.load(sys.stdin)
    if command["cmd"] == "response":
        print(json.dumps(response(command)))
    else:
        sys.exit("unknown command")


if __name__ == "__main__":
    main()

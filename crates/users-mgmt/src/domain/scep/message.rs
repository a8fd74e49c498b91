//! The SCEP messages (RFC 8894) as CMS: a PKCSReq (the CSR enveloped for the CA, then signed by
//! a transient self-signed certificate with the SCEP attributes) and the reading of a CertRep
//! (its signature checked against the CA's certificates, its status, its enveloped degenerate
//! certificates-only SignedData opened with the requester's key).

use cms::builder::{
    ContentEncryptionAlgorithm, EnvelopedDataBuilder, KeyEncryptionInfo, KeyTransRecipientInfoBuilder,
    SignedDataBuilder, SignerInfoBuilder,
};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::enveloped_data::{RecipientIdentifier, RecipientInfo};
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_DATA, ID_ENVELOPED_DATA, ID_SIGNED_DATA};
use der::asn1::{OctetString, PrintableString, SetOfVec};
use der::referenced::OwnedToRef as _;
use der::{Any, Decode, Encode, Tag, Tagged as _};
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use sha2::Digest as _;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::ScepError;

/// `id-messageType` and the other SCEP attributes (RFC 8894 §3.2.1).
const MESSAGE_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.2");
const PKI_STATUS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.3");
const FAIL_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.4");
const SENDER_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.5");
const RECIPIENT_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.6");
const TRANSACTION_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.7");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const AES_128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
const AES_256_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const DES_EDE3_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.3.7");
const DES_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.7");

fn bad(what: &str) -> ScepError {
    ScepError::Server(format!("the SCEP server's reply is not valid: {what}"))
}

fn internal(e: impl std::fmt::Display) -> ScepError {
    ScepError::Internal(e.to_string())
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, ScepError> {
    let mut values = SetOfVec::new();
    values.insert(value).map_err(internal)?;
    Ok(Attribute { oid, values })
}

fn printable(text: &str) -> Result<Any, ScepError> {
    Any::encode_from(&PrintableString::new(text).map_err(internal)?).map_err(internal)
}

/// What a PKCSReq needs: the CSR, the CA certificate it is enveloped for, the transient signer.
pub struct Request<'a> {
    pub csr_der: &'a [u8],
    pub recipient: &'a Certificate,
    pub signer: &'a rsa::pkcs1v15::SigningKey<sha2::Sha256>,
    pub signer_cert: &'a Certificate,
    pub transaction_id: &'a str,
    pub nonce: &'a [u8; 16],
}

/// The DER of a PKCSReq message.
pub fn pkcs_req(r: &Request<'_>) -> Result<Vec<u8>, ScepError> {
    let recipient_key = RsaPublicKey::try_from(r.recipient.tbs_certificate().subject_public_key_info().owned_to_ref())
        .map_err(|_| ScepError::Server("the SCEP CA's key is not an RSA key".into()))?;
    let rid = RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: r.recipient.tbs_certificate().issuer().clone(),
        serial_number: r.recipient.tbs_certificate().serial_number().clone(),
    });
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let recipient = KeyTransRecipientInfoBuilder::new(rid, KeyEncryptionInfo::Rsa(recipient_key)).map_err(internal)?;
    let mut envelope =
        EnvelopedDataBuilder::new(None, r.csr_der, ContentEncryptionAlgorithm::Aes128Cbc, None).map_err(internal)?;
    envelope.add_recipient_info(recipient).map_err(internal)?;
    let enveloped = envelope.build_with_rng(&mut rng).map_err(internal)?;
    let envelope =
        ContentInfo { content_type: ID_ENVELOPED_DATA, content: Any::encode_from(&enveloped).map_err(internal)? }
            .to_der()
            .map_err(internal)?;
    let econtent = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: Some(Any::new(Tag::OctetString, envelope).map_err(internal)?),
    };
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: r.signer_cert.tbs_certificate().issuer().clone(),
        serial_number: r.signer_cert.tbs_certificate().serial_number().clone(),
    });
    let sha256 = AlgorithmIdentifierOwned { oid: SHA256, parameters: None };
    let mut signer_info = SignerInfoBuilder::new(sid, sha256.clone(), &econtent, None).map_err(internal)?;
    signer_info.add_signed_attribute(attribute(MESSAGE_TYPE, printable("19")?)?).map_err(internal)?;
    signer_info.add_signed_attribute(attribute(TRANSACTION_ID, printable(r.transaction_id)?)?).map_err(internal)?;
    let nonce = Any::encode_from(&OctetString::new(r.nonce.to_vec()).map_err(internal)?).map_err(internal)?;
    signer_info.add_signed_attribute(attribute(SENDER_NONCE, nonce)?).map_err(internal)?;
    let mut signed = SignedDataBuilder::new(&econtent);
    signed.add_digest_algorithm(sha256).map_err(internal)?;
    signed.add_certificate(CertificateChoices::Certificate(r.signer_cert.clone())).map_err(internal)?;
    signed.add_signer_info::<_, rsa::pkcs1v15::Signature>(signer_info, r.signer).map_err(internal)?;
    signed.build().map_err(internal)?.to_der().map_err(internal)
}

/// The certificates of a `GetCACert` reply: one DER certificate, or a degenerate PKCS#7.
pub fn ca_certificates(der: &[u8]) -> Result<Vec<Certificate>, ScepError> {
    if let Ok(cert) = Certificate::from_der(der) {
        return Ok(vec![cert]);
    }
    let info = ContentInfo::from_der(der).map_err(|_| bad("GetCACert is neither a certificate nor PKCS#7"))?;
    let certs = certificates(&info)?;
    if certs.is_empty() {
        return Err(bad("GetCACert holds no certificate"));
    }
    Ok(certs)
}

fn certificates(info: &ContentInfo) -> Result<Vec<Certificate>, ScepError> {
    if info.content_type != ID_SIGNED_DATA {
        return Err(bad("not a SignedData"));
    }
    let signed: SignedData = info.content.decode_as().map_err(|_| bad("malformed SignedData"))?;
    Ok(signed
        .certificates
        .map(|set| {
            set.0
                .into_vec()
                .into_iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    CertificateChoices::Other(_) => None,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// The octets of a SignedData's encapsulated content (what its message digest covers).
fn content_bytes(signed: &SignedData) -> &[u8] {
    signed.encap_content_info.econtent.as_ref().map(Any::value).unwrap_or_default()
}

fn attr_value(attrs: &[Attribute], oid: ObjectIdentifier) -> Option<&Any> {
    attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.get(0))
}

fn text(value: &Any) -> Option<String> {
    value.decode_as::<PrintableString>().ok().map(|p| p.to_string())
}

/// The certificate a CertRep `reply` carries for `key`, after checking its signature by one of
/// `trusted` (the CA's certificates), its `recipientNonce` (our `nonce`) and its status.
pub fn cert_rep(
    reply: &[u8],
    trusted: &[Certificate],
    nonce: &[u8; 16],
    key: &RsaPrivateKey,
) -> Result<Certificate, ScepError> {
    let info = ContentInfo::from_der(reply).map_err(|_| bad("not a CMS message"))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(bad("not a SignedData"));
    }
    let signed: SignedData = info.content.decode_as().map_err(|_| bad("malformed SignedData"))?;
    let signer = signed.signer_infos.0.get(0).ok_or_else(|| bad("no signer"))?;
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| bad("no signed attributes"))?;
    let attrs: Vec<Attribute> = attrs.iter().cloned().collect();
    // The signature: by a certificate of the CA, over the signed attributes.
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(bad("the signer is not named by issuer and serial"));
    };
    let cert = trusted
        .iter()
        .find(|c| {
            c.tbs_certificate().issuer() == &sid.issuer && c.tbs_certificate().serial_number() == &sid.serial_number
        })
        .ok_or_else(|| ScepError::Server("the SCEP reply is not signed by the CA's certificate".into()))?;
    let signed_attrs =
        signer.signed_attrs.as_ref().ok_or_else(|| bad("no signed attributes"))?.to_der().map_err(internal)?;
    let signature = rsa::pkcs1v15::Signature::try_from(signer.signature.as_bytes()).map_err(|_| bad("signature"))?;
    let spki = cert.tbs_certificate().subject_public_key_info().owned_to_ref();
    let no_rsa = |_| bad("the CA's key is not an RSA key");
    // SHA-1 is what many SCEP servers (micromdm's among them) still sign replies with.
    let (verified, expected) = match signer.digest_alg.oid {
        SHA256 => (
            signature::Verifier::verify(
                &rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::try_from(spki).map_err(no_rsa)?,
                &signed_attrs,
                &signature,
            ),
            sha2::Sha256::digest(content_bytes(&signed)).to_vec(),
        ),
        SHA1 => (
            signature::Verifier::verify(
                &rsa::pkcs1v15::VerifyingKey::<sha1::Sha1>::try_from(spki).map_err(no_rsa)?,
                &signed_attrs,
                &signature,
            ),
            sha1::Sha1::digest(content_bytes(&signed)).to_vec(),
        ),
        _ => return Err(bad("the reply's digest is neither SHA-256 nor SHA-1")),
    };
    verified.map_err(|_| ScepError::Server("the SCEP reply's signature does not verify".into()))?;
    let content = signed.encap_content_info.econtent.as_ref();
    let digest = attr_value(&attrs, MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("no message digest"))?;
    if digest.as_bytes() != expected.as_slice() {
        return Err(ScepError::Server("the SCEP reply's content does not match its signature".into()));
    }
    let recipient_nonce = attr_value(&attrs, RECIPIENT_NONCE).and_then(|v| v.decode_as::<OctetString>().ok());
    if recipient_nonce.as_ref().map(OctetString::as_bytes) != Some(nonce.as_slice()) {
        return Err(ScepError::Server("the SCEP reply answers another request (recipientNonce)".into()));
    }
    match attr_value(&attrs, PKI_STATUS).and_then(text).as_deref() {
        Some("0") => {}
        Some("3") => return Err(ScepError::Refused("the SCEP server left the request pending".into())),
        Some("2") => {
            let why = attr_value(&attrs, FAIL_INFO).and_then(text).unwrap_or_default();
            return Err(ScepError::Refused(format!("the SCEP server refused the request (failInfo {why})")));
        }
        _ => return Err(bad("pkiStatus")),
    }
    let enveloped = content.ok_or_else(|| bad("no content"))?;
    let enveloped = ContentInfo::from_der(enveloped.value()).map_err(|_| bad("the content is not CMS"))?;
    if enveloped.content_type != ID_ENVELOPED_DATA {
        return Err(bad("the content is not an EnvelopedData"));
    }
    let plain = open(&Enveloped::parse(enveloped.content.value())?, key)?;
    let degenerate = ContentInfo::from_der(&plain).map_err(|_| bad("the enveloped content is not CMS"))?;
    let ours = rsa::RsaPublicKey::from(key);
    certificates(&degenerate)?
        .into_iter()
        .find(|c| {
            RsaPublicKey::try_from(c.tbs_certificate().subject_public_key_info().owned_to_ref()).ok().as_ref()
                == Some(&ours)
        })
        .ok_or_else(|| bad("no certificate for the requested key"))
}

/// The parts of an EnvelopedData that opening it needs, read leniently: PKCS#7 writers (Go's
/// `pkcs7`, which micromdm and others use) put the encrypted content in a constructed `[0]`
/// holding OCTET STRINGs, which strict DER (`cms::EnvelopedData`) refuses.
struct Enveloped {
    recipients: Vec<RecipientInfo>,
    algorithm: AlgorithmIdentifierOwned,
    content: Vec<u8>,
}

impl Enveloped {
    fn parse(sequence_value: &[u8]) -> Result<Self, ScepError> {
        let malformed = |_| bad("malformed EnvelopedData");
        let mut reader = der::SliceReader::new(sequence_value).map_err(malformed)?;
        let mut recipients = None;
        let mut info = None;
        while !der::Reader::is_finished(&reader) {
            let any: Any = der::Reader::decode(&mut reader).map_err(malformed)?;
            match any.tag() {
                Tag::Set if recipients.is_none() => {
                    let set: SetOfVec<RecipientInfo> = any.decode_as().map_err(malformed)?;
                    recipients = Some(set.into_vec());
                }
                Tag::Sequence if info.is_none() => info = Some(any),
                _ => {}
            }
        }
        let (Some(recipients), Some(info)) = (recipients, info) else {
            return Err(bad("malformed EnvelopedData"));
        };
        let mut reader = der::SliceReader::new(info.value()).map_err(malformed)?;
        let _content_type: ObjectIdentifier = der::Reader::decode(&mut reader).map_err(malformed)?;
        let algorithm: AlgorithmIdentifierOwned = der::Reader::decode(&mut reader).map_err(malformed)?;
        let content: Any = der::Reader::decode(&mut reader).map_err(malformed)?;
        let content = if content.tag().is_constructed() {
            let mut parts = der::SliceReader::new(content.value()).map_err(malformed)?;
            let mut all = Vec::new();
            while !der::Reader::is_finished(&parts) {
                let part: OctetString = der::Reader::decode(&mut parts).map_err(malformed)?;
                all.extend_from_slice(part.as_bytes());
            }
            all
        } else {
            content.value().to_vec()
        };
        Ok(Self { recipients, algorithm, content })
    }
}

/// Decrypts an EnvelopedData sent to `key` (RSA key transport; AES-128/256-CBC, 3DES or DES).
fn open(enveloped: &Enveloped, key: &RsaPrivateKey) -> Result<Vec<u8>, ScepError> {
    use cipher::{BlockModeDecrypt as _, KeyIvInit as _};
    let ktri = enveloped
        .recipients
        .iter()
        .find_map(|r| match r {
            RecipientInfo::Ktri(k) => Some(k),
            _ => None,
        })
        .ok_or_else(|| bad("no key transport recipient"))?;
    let cek = zeroize::Zeroizing::new(
        key.decrypt(Pkcs1v15Encrypt, ktri.enc_key.as_bytes()).map_err(|_| bad("the content key does not decrypt"))?,
    );
    let iv = enveloped
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("no IV"))?;
    let data = enveloped.content.as_slice();
    let (k, v) = (cek.as_slice(), iv.as_bytes());
    let err = |_| bad("the content does not decrypt");
    type Pkcs7 = cipher::block_padding::Pkcs7;
    let oid = enveloped.algorithm.oid;
    let plain = if oid == AES_128_CBC {
        cbc::Decryptor::<aes::Aes128>::new_from_slices(k, v)
            .map_err(|_| bad("key size"))?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(err)?
    } else if oid == AES_256_CBC {
        cbc::Decryptor::<aes::Aes256>::new_from_slices(k, v)
            .map_err(|_| bad("key size"))?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(err)?
    } else if oid == DES_EDE3_CBC {
        cbc::Decryptor::<des::TdesEde3>::new_from_slices(k, v)
            .map_err(|_| bad("key size"))?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(err)?
    } else if oid == DES_CBC {
        cbc::Decryptor::<des::Des>::new_from_slices(k, v)
            .map_err(|_| bad("key size"))?
            .decrypt_padded_vec::<Pkcs7>(data)
            .map_err(err)?
    } else {
        return Err(bad("an unsupported content encryption"));
    };
    Ok(plain)
}

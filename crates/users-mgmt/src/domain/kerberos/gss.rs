//! Unwrapping the token a client sends (RFC 4178 SPNEGO, RFC 4121 / 1964 Kerberos GSS-API) down
//! to its Kerberos AP-REQ: a SPNEGO `NegTokenInit` whose `mechToken` is the Kerberos token, the
//! Kerberos token itself (`[APPLICATION 0]`, the Kerberos OID, token id `01 00`), or a bare AP-REQ.
//! Lengths are checked against the data: a malformed token is an error, never a panic.

use picky_asn1::wrapper::ExplicitContextTag0;
use picky_krb::gss_api::NegTokenInit;

/// DER of the SPNEGO OID 1.3.6.1.5.5.2.
const SPNEGO_OID: &[u8] = &[0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/// DER of the Kerberos V5 OID 1.2.840.113554.1.2.2.
const KRB5_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// DER of Microsoft's Kerberos OID 1.2.840.48018.1.2.2 (sent by Windows clients).
const MS_KRB5_OID: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// The token id of an AP-REQ in a Kerberos GSS token.
const TOK_ID_AP_REQ: &[u8] = &[0x01, 0x00];
/// The tag of a Kerberos AP-REQ (`[APPLICATION 14]`).
const AP_REQ_TAG: u8 = 0x6e;

const MALFORMED: &str = "ktoken must be a SPNEGO or Kerberos AP-REQ token";

/// Splits one DER element off `data`: its tag, its content and what follows it.
fn element(data: &[u8]) -> Result<(u8, &[u8], &[u8]), &'static str> {
    let (&tag, rest) = data.split_first().ok_or(MALFORMED)?;
    let (&first, rest) = rest.split_first().ok_or(MALFORMED)?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return Err(MALFORMED);
        }
        let (bytes, rest) = rest.split_at(n);
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), rest)
    };
    if rest.len() < len {
        return Err(MALFORMED);
    }
    let (content, after) = rest.split_at(len);
    Ok((tag, content, after))
}

/// The AP-REQ (DER) inside `token`.
pub fn ap_req(token: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (tag, content, _) = element(token)?;
    match tag {
        AP_REQ_TAG => Ok(token.to_vec()),
        0x60 if content.starts_with(SPNEGO_OID) => {
            let init: ExplicitContextTag0<NegTokenInit> =
                picky_asn1_der::from_bytes(&content[SPNEGO_OID.len()..]).map_err(|_| MALFORMED)?;
            let inner = init.0.mech_token.0.ok_or("ktoken's SPNEGO token carries no Kerberos token")?;
            ap_req_of_krb5(&inner.0.0)
        }
        0x60 => ap_req_of_krb5(token),
        _ => Err(MALFORMED),
    }
}

/// The AP-REQ of a Kerberos GSS-API initial context token.
fn ap_req_of_krb5(token: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (tag, content, _) = element(token)?;
    if tag != 0x60 {
        return Err(MALFORMED);
    }
    let rest = content
        .strip_prefix(KRB5_OID)
        .or_else(|| content.strip_prefix(MS_KRB5_OID))
        .ok_or("ktoken must be a Kerberos token (SPNEGO offering another mechanism first is not supported)")?;
    let rest = rest.strip_prefix(TOK_ID_AP_REQ).ok_or(MALFORMED)?;
    let (tag, _, _) = element(rest)?;
    if tag != AP_REQ_TAG {
        return Err(MALFORMED);
    }
    Ok(rest.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tokens_are_errors() {
        for bad in
            [&[][..], &[0x60], &[0x60, 0x85, 1, 1, 1, 1, 1], &[0x60, 0x05, 0x06], &[0x6e, 0x10, 0x00], &[0x30, 0x00]]
        {
            assert!(ap_req(bad).is_err());
        }
        let mut krb = vec![0x60, 0x0f];
        krb.extend_from_slice(KRB5_OID);
        krb.extend_from_slice(&[0x01, 0x00, 0x6e, 0x00]);
        assert_eq!(ap_req(&krb).unwrap(), vec![0x6e, 0x00]);
        let mut spnego = vec![0x60, 0x0c];
        spnego.extend_from_slice(SPNEGO_OID);
        spnego.extend_from_slice(&[0xa0, 0x02, 0x30, 0x00]);
        assert!(ap_req(&spnego).is_err());
    }
}

//! The MIT keytab file format (version 0x502, big-endian): a list of entries, each a principal
//! (realm and name components), a key version number and one key of one encryption type. Holes
//! (negative sizes) are skipped; any length that runs past the data is an error, never a panic.

use zeroize::Zeroizing;

/// One key of a keytab.
pub struct Entry {
    pub realm: String,
    pub components: Vec<String>,
    pub kvno: u32,
    pub etype: i32,
    pub key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Entry {
    /// Without the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("principal", &format!("{}@{}", self.components.join("/"), self.realm))
            .field("kvno", &self.kvno)
            .field("etype", &self.etype)
            .finish_non_exhaustive()
    }
}

/// The keys of a keytab file.
#[derive(Debug, Default)]
pub struct Keytab {
    pub entries: Vec<Entry>,
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.data.len() < n {
            return Err("the keytab is truncated".into());
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn text(&mut self) -> Result<String, String> {
        let n = usize::from(self.u16()?);
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "a keytab principal is not UTF-8".to_owned())
    }
}

impl Keytab {
    /// Parses a keytab file's bytes.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let mut r = Reader { data };
        if r.take(2)? != [0x05, 0x02] {
            return Err("the keytab must be an MIT keytab of version 0x502".into());
        }
        let mut entries = Vec::new();
        while !r.data.is_empty() {
            let size = i32::from_be_bytes(r.u32()?.to_be_bytes());
            if size == 0 {
                break;
            }
            let body = r.take(usize::try_from(size.unsigned_abs()).map_err(|_| "bad entry size".to_owned())?)?;
            if size > 0 {
                entries.push(entry(body)?);
            }
        }
        if entries.is_empty() {
            return Err("the keytab holds no key".into());
        }
        Ok(Self { entries })
    }
}

fn entry(body: &[u8]) -> Result<Entry, String> {
    let mut e = Reader { data: body };
    let count = e.u16()?;
    let realm = e.text()?;
    let components = (0..count).map(|_| e.text()).collect::<Result<Vec<_>, _>>()?;
    let _name_type = e.u32()?;
    let _timestamp = e.u32()?;
    let vno8 = e.u8()?;
    let etype = i32::from(e.u16()?);
    let n = usize::from(e.u16()?);
    let key = Zeroizing::new(e.take(n)?.to_vec());
    let kvno = match e.data.len() {
        4.. => match e.u32()? {
            0 => u32::from(vno8),
            v => v,
        },
        _ => u32::from(vno8),
    };
    Ok(Entry { realm, components, kvno, etype, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(s: &[u8]) -> Vec<u8> {
        let mut v = u16::try_from(s.len()).unwrap().to_be_bytes().to_vec();
        v.extend_from_slice(s);
        v
    }

    #[test]
    fn parses_an_entry_and_refuses_truncation() {
        let mut body = 2u16.to_be_bytes().to_vec();
        body.extend(counted(b"TEST.LOCAL"));
        body.extend(counted(b"HTTP"));
        body.extend(counted(b"127.0.0.1"));
        body.extend(1u32.to_be_bytes());
        body.extend(0u32.to_be_bytes());
        body.push(3);
        body.extend(18u16.to_be_bytes());
        body.extend(counted(&[7u8; 32]));
        body.extend(300u32.to_be_bytes());
        let mut file = vec![5, 2];
        file.extend(u32::try_from(body.len()).unwrap().to_be_bytes());
        file.extend(&body);
        let kt = Keytab::parse(&file).unwrap();
        assert_eq!(kt.entries.len(), 1);
        let e = &kt.entries[0];
        assert_eq!(
            (e.realm.as_str(), e.components.join("/").as_str(), e.kvno, e.etype),
            ("TEST.LOCAL", "HTTP/127.0.0.1", 300, 18)
        );
        assert_eq!(e.key.len(), 32);
        for cut in 0..file.len() - 1 {
            assert!(Keytab::parse(&file[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Keytab::parse(&[5, 1, 0, 0, 0, 0]).is_err());
    }
}

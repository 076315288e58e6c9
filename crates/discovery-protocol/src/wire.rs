//! The discovery wire format: versioned binary messages with strict parsing.
//!
//! Every message starts `[version = 1][kind]`; integers are big-endian except filter
//! fingerprints and keys (little-endian, the filter's native order). A parser reads exactly
//! the bytes a message declares: a short, long, oversized or inconsistent message is
//! `WireError`, never a panic and never a partial result. Limits bound what a hostile peer
//! can make either side allocate before any cryptography runs.
//!
//! | kind | message | body |
//! | --- | --- | --- |
//! | 0x01 | OPRF request | key id (8), count (u16), count x 32-byte blinded elements |
//! | 0x02 | hashed request | hash length (u8), count (u16), count x hash |
//! | 0x81 | OPRF response | key id (8), count (u16), count x 32-byte evaluated elements, 64-byte batch DLEQ proof |
//! | 0x82 | hashed response | count (u16), bitmap of ceil(count / 8) bytes, bit i of byte i/8 (LSB first) |
//! | 0xE0 | refusal | reason (u8), retry after in seconds (u32) |
//! | 0x90 | full filter | key id (8), version (u64), descriptor, fingerprints, joins, leaves |
//! | 0x91 | filter delta | key id (8), from version (u64), to version (u64), joins, leaves |
//!
//! Counts in requests are multiples of [`PAD_TO`], so a request says the address book's size
//! only to within 64 identifiers.

use std::fmt;

/// The format version every message starts with; others are refused.
pub const VERSION: u8 = 1;
pub const KIND_OPRF_REQUEST: u8 = 0x01;
pub const KIND_HASHED_REQUEST: u8 = 0x02;
pub const KIND_OPRF_RESPONSE: u8 = 0x81;
pub const KIND_HASHED_RESPONSE: u8 = 0x82;
pub const KIND_REFUSAL: u8 = 0xE0;
pub const KIND_FILTER_FULL: u8 = 0x90;
pub const KIND_FILTER_DELTA: u8 = 0x91;

/// Requests carry a multiple of this many identifiers (real ones plus random padding).
pub const PAD_TO: usize = 64;
/// At most this many identifiers per request; larger books take several requests.
pub const MAX_BATCH: usize = 4096;
pub const ELEMENT_LEN: usize = 32;
pub const PROOF_LEN: usize = 64;
pub const KEY_ID_LEN: usize = 8;
pub const MIN_HASH_LEN: u8 = 4;
pub const MAX_HASH_LEN: u8 = 32;
/// 2^26 fingerprints (128 MiB) is room for about 60 million registered users.
pub const MAX_FINGERPRINTS: usize = 1 << 26;
/// Joins or leaves in one filter message; more than that and the server sends a new filter.
pub const MAX_EVENTS: usize = 1 << 20;

/// The 8-byte name of a server key (`oprf::key_id`) in requests, responses and filters.
pub type KeyId = [u8; KEY_ID_LEN];

/// Why a message was refused. The text names the part that is wrong and nothing the message
/// carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError(pub &'static str);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub type Result<T> = std::result::Result<T, WireError>;

/// Why the server refused to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The account's evaluation budget is used up.
    BudgetExceeded = 1,
    /// The request names a key the server does not hold (rotated away).
    UnknownKey = 2,
    /// The request is malformed.
    BadRequest = 3,
}

impl RefusalReason {
    fn from_byte(b: u8) -> Result<Self> {
        match b {
            1 => Ok(RefusalReason::BudgetExceeded),
            2 => Ok(RefusalReason::UnknownKey),
            3 => Ok(RefusalReason::BadRequest),
            _ => Err(WireError("unknown refusal reason")),
        }
    }
}

/// The server's refusal to evaluate, sent in place of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub retry_after_seconds: u32,
}

/// A reader that refuses to read past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(WireError(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(
            self.take(2, what)?.try_into().expect("2"),
        ))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.take(4, what)?.try_into().expect("4"),
        ))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(
            self.take(8, what)?.try_into().expect("8"),
        ))
    }

    pub fn key_id(&mut self) -> Result<KeyId> {
        Ok(self
            .take(KEY_ID_LEN, "truncated key id")?
            .try_into()
            .expect("8"))
    }

    /// A u32 count of little-endian u64 keys, at most `MAX_EVENTS`.
    pub fn keys(&mut self, what: &'static str) -> Result<Vec<u64>> {
        let n = self.u32(what)? as usize;
        if n > MAX_EVENTS {
            return Err(WireError("too many filter events"));
        }
        let bytes = self.take(n.checked_mul(8).ok_or(WireError(what))?, what)?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8")))
            .collect())
    }

    pub fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(WireError("trailing bytes after the message"))
        }
    }
}

/// Writes a u32 count and the keys, little-endian: what [`Reader::keys`] reads.
pub fn put_keys(out: &mut Vec<u8>, keys: &[u64]) {
    out.extend_from_slice(&(keys.len() as u32).to_be_bytes());
    for key in keys {
        out.extend_from_slice(&key.to_le_bytes());
    }
}

/// Reads `[version][kind]`; refuses other versions.
pub fn header(reader: &mut Reader<'_>) -> Result<u8> {
    if reader.u8("empty message")? != VERSION {
        return Err(WireError("unsupported message version"));
    }
    reader.u8("truncated message header")
}

fn check_count(count: usize) -> Result<()> {
    if count == 0 || count > MAX_BATCH || !count.is_multiple_of(PAD_TO) {
        return Err(WireError(
            "identifier count must be a multiple of 64, at most 4096",
        ));
    }
    Ok(())
}

/// An OPRF request: blinded elements under the key named `key_id`.
pub fn encode_oprf_request(key_id: &KeyId, elements: &[[u8; ELEMENT_LEN]]) -> Vec<u8> {
    debug_assert!(check_count(elements.len()).is_ok());
    let mut out = Vec::with_capacity(2 + KEY_ID_LEN + 2 + elements.len() * ELEMENT_LEN);
    out.extend_from_slice(&[VERSION, KIND_OPRF_REQUEST]);
    out.extend_from_slice(key_id);
    out.extend_from_slice(&(elements.len() as u16).to_be_bytes());
    for element in elements {
        out.extend_from_slice(element);
    }
    out
}

/// An OPRF request as the server reads it: the key it names and the blinded elements.
#[cfg(feature = "server")]
pub struct OprfRequest<'a> {
    pub key_id: KeyId,
    pub elements: Vec<&'a [u8]>,
}

/// Parses an OPRF request; refuses counts that are not a multiple of [`PAD_TO`] up to
/// [`MAX_BATCH`].
#[cfg(feature = "server")]
pub fn decode_oprf_request(bytes: &[u8]) -> Result<OprfRequest<'_>> {
    let mut r = Reader::new(bytes);
    if header(&mut r)? != KIND_OPRF_REQUEST {
        return Err(WireError("not an OPRF request"));
    }
    let key_id = r.key_id()?;
    let count = r.u16("truncated count")? as usize;
    check_count(count)?;
    let body = r.take(count * ELEMENT_LEN, "truncated blinded elements")?;
    r.finish()?;
    Ok(OprfRequest {
        key_id,
        elements: body.chunks_exact(ELEMENT_LEN).collect(),
    })
}

/// The answer to an OPRF request: the evaluated elements, in order, and the batch proof.
#[cfg(feature = "server")]
pub fn encode_oprf_response(
    key_id: &KeyId,
    elements: &[[u8; ELEMENT_LEN]],
    proof: &[u8; PROOF_LEN],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + KEY_ID_LEN + 2 + elements.len() * ELEMENT_LEN + PROOF_LEN);
    out.extend_from_slice(&[VERSION, KIND_OPRF_RESPONSE]);
    out.extend_from_slice(key_id);
    out.extend_from_slice(&(elements.len() as u16).to_be_bytes());
    for element in elements {
        out.extend_from_slice(element);
    }
    out.extend_from_slice(proof);
    out
}

/// What the server answered to an evaluation request.
pub enum Answer<T> {
    Evaluated(T),
    Refused(Refusal),
}

/// An OPRF answer as the client reads it.
pub struct OprfResponse<'a> {
    pub elements: Vec<&'a [u8]>,
    pub proof: &'a [u8],
}

/// Parses the answer to an OPRF request that carried `expected` elements under `key_id`.
pub fn decode_oprf_response<'a>(
    bytes: &'a [u8],
    key_id: &KeyId,
    expected: usize,
) -> Result<Answer<OprfResponse<'a>>> {
    let mut r = Reader::new(bytes);
    match header(&mut r)? {
        KIND_OPRF_RESPONSE => {}
        KIND_REFUSAL => return decode_refusal_body(r).map(Answer::Refused),
        _ => return Err(WireError("not an OPRF response")),
    }
    if &r.key_id()? != key_id {
        return Err(WireError("evaluated under another key than the pinned one"));
    }
    let count = r.u16("truncated count")? as usize;
    if count != expected {
        return Err(WireError(
            "the response's element count differs from the request's",
        ));
    }
    let body = r.take(count * ELEMENT_LEN, "truncated evaluated elements")?;
    let proof = r.take(PROOF_LEN, "truncated proof")?;
    r.finish()?;
    Ok(Answer::Evaluated(OprfResponse {
        elements: body.chunks_exact(ELEMENT_LEN).collect(),
        proof,
    }))
}

/// A hashed-mode request: `hashes`, each `hash_len` bytes, padding included.
pub fn encode_hashed_request(hash_len: u8, hashes: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + hashes.len() * hash_len as usize);
    out.extend_from_slice(&[VERSION, KIND_HASHED_REQUEST, hash_len]);
    out.extend_from_slice(&(hashes.len() as u16).to_be_bytes());
    for hash in hashes {
        debug_assert_eq!(hash.len(), hash_len as usize);
        out.extend_from_slice(hash);
    }
    out
}

/// A hashed-mode request as the server reads it.
#[cfg(feature = "server")]
pub struct HashedRequest<'a> {
    pub hash_len: u8,
    pub hashes: Vec<&'a [u8]>,
}

/// Parses a hashed-mode request; refuses hash lengths outside 4 to 32 and bad counts.
#[cfg(feature = "server")]
pub fn decode_hashed_request(bytes: &[u8]) -> Result<HashedRequest<'_>> {
    let mut r = Reader::new(bytes);
    if header(&mut r)? != KIND_HASHED_REQUEST {
        return Err(WireError("not a hashed request"));
    }
    let hash_len = r.u8("truncated hash length")?;
    if !(MIN_HASH_LEN..=MAX_HASH_LEN).contains(&hash_len) {
        return Err(WireError("hash length must be 4 to 32 bytes"));
    }
    let count = r.u16("truncated count")? as usize;
    check_count(count)?;
    let body = r.take(count * hash_len as usize, "truncated hashes")?;
    r.finish()?;
    Ok(HashedRequest {
        hash_len,
        hashes: body.chunks_exact(hash_len as usize).collect(),
    })
}

/// The answer to a hashed-mode request: which hashes belong to registered users.
#[cfg(feature = "server")]
pub fn encode_hashed_response(matches: &[bool]) -> Vec<u8> {
    let mut out = vec![VERSION, KIND_HASHED_RESPONSE];
    out.extend_from_slice(&(matches.len() as u16).to_be_bytes());
    let mut bitmap = vec![0u8; matches.len().div_ceil(8)];
    for (i, _) in matches.iter().enumerate().filter(|(_, m)| **m) {
        bitmap[i / 8] |= 1 << (i % 8);
    }
    out.extend_from_slice(&bitmap);
    out
}

/// Parses the answer to a hashed request that carried `expected` hashes.
pub fn decode_hashed_response(bytes: &[u8], expected: usize) -> Result<Answer<Vec<bool>>> {
    let mut r = Reader::new(bytes);
    match header(&mut r)? {
        KIND_HASHED_RESPONSE => {}
        KIND_REFUSAL => return decode_refusal_body(r).map(Answer::Refused),
        _ => return Err(WireError("not a hashed response")),
    }
    let count = r.u16("truncated count")? as usize;
    if count != expected {
        return Err(WireError("the response's count differs from the request's"));
    }
    let bitmap = r.take(count.div_ceil(8), "truncated bitmap")?;
    r.finish()?;
    if !count.is_multiple_of(8) && bitmap[count / 8] >> (count % 8) != 0 {
        return Err(WireError("bits set past the end of the bitmap"));
    }
    Ok(Answer::Evaluated(
        (0..count)
            .map(|i| bitmap[i / 8] & (1 << (i % 8)) != 0)
            .collect(),
    ))
}

/// A refusal, sent in place of an answer.
#[cfg(feature = "server")]
pub fn encode_refusal(refusal: Refusal) -> Vec<u8> {
    let mut out = vec![VERSION, KIND_REFUSAL, refusal.reason as u8];
    out.extend_from_slice(&refusal.retry_after_seconds.to_be_bytes());
    out
}

fn decode_refusal_body(mut r: Reader<'_>) -> Result<Refusal> {
    let reason = RefusalReason::from_byte(r.u8("truncated refusal")?)?;
    let retry_after_seconds = r.u32("truncated refusal")?;
    r.finish()?;
    Ok(Refusal {
        reason,
        retry_after_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_refuse_bad_counts() {
        let elements = vec![[7u8; 32]; 64];
        let bytes = encode_oprf_request(&[1; 8], &elements);
        assert_eq!(bytes.len(), 12 + 64 * 32);
        let parsed = decode_oprf_request(&bytes).unwrap();
        assert_eq!(parsed.key_id, [1; 8]);
        assert_eq!(parsed.elements.len(), 64);

        for cut in [0, 1, 2, 11, bytes.len() - 1] {
            assert!(decode_oprf_request(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_oprf_request(&long).is_err());
        let mut odd = bytes.clone();
        odd[11] = 63; // count 63: not padded
        assert!(decode_oprf_request(&odd).is_err());
        let mut version = bytes;
        version[0] = 2;
        assert_eq!(
            decode_oprf_request(&version).err(),
            Some(WireError("unsupported message version"))
        );
    }

    #[test]
    fn responses_must_match_the_request() {
        let bytes = encode_oprf_response(&[2; 8], &vec![[1u8; 32]; 64], &[3; 64]);
        assert!(matches!(
            decode_oprf_response(&bytes, &[2; 8], 64),
            Ok(Answer::Evaluated(_))
        ));
        assert!(decode_oprf_response(&bytes, &[9; 8], 64).is_err());
        assert!(decode_oprf_response(&bytes, &[2; 8], 128).is_err());
        assert!(decode_oprf_response(&bytes[..bytes.len() - 1], &[2; 8], 64).is_err());
    }

    #[test]
    fn hashed_bitmaps_round_trip() {
        let mut matches = vec![false; 64];
        matches[0] = true;
        matches[63] = true;
        let bytes = encode_hashed_response(&matches);
        match decode_hashed_response(&bytes, 64).unwrap() {
            Answer::Evaluated(m) => assert_eq!(m, matches),
            Answer::Refused(_) => panic!("refused"),
        }
        let request = encode_hashed_request(8, &vec![vec![5u8; 8]; 64]);
        let parsed = decode_hashed_request(&request).unwrap();
        assert_eq!((parsed.hash_len, parsed.hashes.len()), (8, 64));
        let mut short_hash = request.clone();
        short_hash[2] = 3;
        assert!(decode_hashed_request(&short_hash).is_err());
    }

    #[test]
    fn refusals_are_read_in_place_of_answers() {
        let bytes = encode_refusal(Refusal {
            reason: RefusalReason::BudgetExceeded,
            retry_after_seconds: 86_400,
        });
        match decode_oprf_response(&bytes, &[0; 8], 64).unwrap() {
            Answer::Refused(r) => {
                assert_eq!(r.reason, RefusalReason::BudgetExceeded);
                assert_eq!(r.retry_after_seconds, 86_400);
            }
            Answer::Evaluated(_) => panic!("not a refusal"),
        }
        let mut bad = bytes;
        bad[2] = 77;
        assert!(decode_hashed_response(&bad, 64).is_err());
    }
}

//! The published set of registered, discoverable users: a binary fuse filter over their OPRF
//! outputs' filter keys, plus the joins and leaves since it was built.
//!
//! A binary fuse filter cannot be changed once built, so the server publishes a base filter
//! now and then and, between rebuilds, exact lists of joined and left keys. Membership is
//! `(in base and not left) or joined`. Joins and leaves are exact 64-bit keys; only the base
//! filter has false positives.
//!
//! False positives: 16-bit fingerprints give a false-positive rate of 2^-16 per query for a
//! key not in the set, so a contact who is not registered shows as a match with probability
//! about 1 in 65,536 (in a 1,000-contact book, a wrong match about once in 65 books). The
//! server could weed these out only by learning the identifier, which is the point of not
//! asking it; apps that need certainty confirm a match when the user starts a conversation.
//!
//! The filter carries the key id it was built under and the client refuses any other, so a
//! filter for another key, or a delta for another base, is never mixed in. It is not
//! signed: TLS authenticates the server, and a server that lies in its own filter gains
//! nothing a signature would stop.

use std::collections::HashSet;

use xorf::{BinaryFuse16, Filter as _};

use crate::wire::{self, KeyId, Reader, WireError, KIND_FILTER_DELTA, KIND_FILTER_FULL};

/// The base filter (`None` when the set was empty when it was built) and the events since.
#[derive(Clone)]
pub struct FilterState {
    pub key_id: KeyId,
    pub version: u64,
    base: Option<BinaryFuse16>,
    joined: HashSet<u64>,
    left: HashSet<u64>,
}

/// What the server sent in answer to `fetch_filter(since)`.
pub enum FilterMessage {
    Full(FilterState),
    Delta {
        key_id: KeyId,
        from: u64,
        to: u64,
        joins: Vec<u64>,
        leaves: Vec<u64>,
    },
}

impl FilterState {
    /// Builds a filter of `keys` (duplicates are fine).
    #[cfg(feature = "server")]
    pub fn build(key_id: KeyId, version: u64, keys: &[u64]) -> Result<Self, &'static str> {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        let base = if keys.is_empty() {
            None
        } else {
            Some(BinaryFuse16::try_from(&keys)?)
        };
        Ok(FilterState {
            key_id,
            version,
            base,
            joined: HashSet::new(),
            left: HashSet::new(),
        })
    }

    pub fn contains(&self, key: u64) -> bool {
        if self.joined.contains(&key) {
            return true;
        }
        if self.left.contains(&key) {
            return false;
        }
        self.base.as_ref().is_some_and(|f| f.contains(&key))
    }

    /// Applies joins and leaves in order: a later event for a key wins.
    pub fn apply(&mut self, to: u64, joins: &[u64], leaves: &[u64]) {
        for key in leaves {
            self.joined.remove(key);
            self.left.insert(*key);
        }
        for key in joins {
            self.left.remove(key);
            self.joined.insert(*key);
        }
        self.version = to;
    }

    /// Bytes of the base filter's fingerprints.
    #[cfg(feature = "server")]
    pub fn base_bytes(&self) -> usize {
        self.base.as_ref().map_or(0, |f| f.fingerprints.len() * 2)
    }

    pub fn pending_events(&self) -> usize {
        self.joined.len() + self.left.len()
    }

    /// The full-filter message: what the server publishes and what the client stores.
    pub fn encode(&self) -> Vec<u8> {
        let fingerprints: &[u16] = self.base.as_ref().map_or(&[], |f| &f.fingerprints);
        let mut out = Vec::with_capacity(64 + fingerprints.len() * 2 + self.pending_events() * 8);
        out.extend_from_slice(&[wire::VERSION, KIND_FILTER_FULL]);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&self.version.to_be_bytes());
        let (seed, len, count_len) = self.base.as_ref().map_or((0, 0, 0), |f| {
            (
                f.descriptor.seed,
                f.descriptor.segment_length,
                f.descriptor.segment_count_length,
            )
        });
        out.extend_from_slice(&seed.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&count_len.to_be_bytes());
        out.extend_from_slice(&(fingerprints.len() as u32).to_be_bytes());
        for fp in fingerprints {
            out.extend_from_slice(&fp.to_le_bytes());
        }
        let mut joined: Vec<u64> = self.joined.iter().copied().collect();
        let mut left: Vec<u64> = self.left.iter().copied().collect();
        joined.sort_unstable();
        left.sort_unstable();
        wire::put_keys(&mut out, &joined);
        wire::put_keys(&mut out, &left);
        out
    }
}

/// A delta message from `from` to `to`.
#[cfg(feature = "server")]
pub fn encode_delta(key_id: &KeyId, from: u64, to: u64, joins: &[u64], leaves: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(30 + (joins.len() + leaves.len()) * 8);
    out.extend_from_slice(&[wire::VERSION, KIND_FILTER_DELTA]);
    out.extend_from_slice(key_id);
    out.extend_from_slice(&from.to_be_bytes());
    out.extend_from_slice(&to.to_be_bytes());
    wire::put_keys(&mut out, joins);
    wire::put_keys(&mut out, leaves);
    out
}

/// Parses a filter message, checking the base filter's shape so that no lookup can index
/// outside its fingerprints, whatever the bytes say.
pub fn decode(bytes: &[u8]) -> Result<FilterMessage, WireError> {
    let mut r = Reader::new(bytes);
    let kind = wire::header(&mut r)?;
    let key_id = r.key_id()?;
    match kind {
        KIND_FILTER_FULL => {
            let version = r.u64("truncated filter version")?;
            let seed = r.u64("truncated filter descriptor")?;
            let segment_length = r.u32("truncated filter descriptor")?;
            let segment_count_length = r.u32("truncated filter descriptor")?;
            let count = r.u32("truncated fingerprint count")? as usize;
            if count > wire::MAX_FINGERPRINTS {
                return Err(WireError("the filter is larger than the limit"));
            }
            let raw = r.take(count * 2, "truncated fingerprints")?;
            let joins = r.keys("truncated joins")?;
            let leaves = r.keys("truncated leaves")?;
            r.finish()?;
            let base = if count == 0 {
                if segment_length != 0 || segment_count_length != 0 {
                    return Err(WireError("an empty filter with a non-empty shape"));
                }
                None
            } else {
                check_shape(segment_length, segment_count_length, count)?;
                let fingerprints: Box<[u16]> = raw
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                Some(BinaryFuse16 {
                    descriptor: xorf::Descriptor {
                        seed,
                        segment_length,
                        segment_length_mask: segment_length - 1,
                        segment_count_length,
                    },
                    fingerprints,
                })
            };
            let mut state = FilterState {
                key_id,
                version,
                base,
                joined: HashSet::new(),
                left: HashSet::new(),
            };
            state.apply(version, &joins, &leaves);
            Ok(FilterMessage::Full(state))
        }
        KIND_FILTER_DELTA => {
            let from = r.u64("truncated delta")?;
            let to = r.u64("truncated delta")?;
            let joins = r.keys("truncated joins")?;
            let leaves = r.keys("truncated leaves")?;
            r.finish()?;
            if to < from {
                return Err(WireError("a delta that goes back in version"));
            }
            Ok(FilterMessage::Delta {
                key_id,
                from,
                to,
                joins,
                leaves,
            })
        }
        _ => Err(WireError("not a filter message")),
    }
}

/// A lookup reads fingerprints at h0, h0 + L and h0 + 2L (L the segment length), the last
/// two with their low bits flipped by the mask. With L a power of two, flipping low bits
/// stays inside the aligned segment, so with h0 < segment_count_length, a multiple of L,
/// every index is below segment_count_length + 2L: the shape is safe when the array holds
/// that many fingerprints.
fn check_shape(
    segment_length: u32,
    segment_count_length: u32,
    count: usize,
) -> Result<(), WireError> {
    let bad = WireError("the filter's shape is inconsistent");
    if !segment_length.is_power_of_two()
        || segment_count_length == 0
        || !segment_count_length.is_multiple_of(segment_length)
    {
        return Err(bad);
    }
    let needed = u64::from(segment_count_length) + 2 * u64::from(segment_length);
    if needed > count as u64 {
        return Err(bad);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u64, salt: u64) -> Vec<u64> {
        (0..n)
            .map(|i| {
                (i ^ salt)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(17)
            })
            .collect()
    }

    #[test]
    fn members_are_found_and_events_apply() {
        let members = keys(10_000, 1);
        let mut state = FilterState::build([1; 8], 5, &members).unwrap();
        assert!(members.iter().all(|k| state.contains(*k)));
        let outsider = keys(1, 99)[0];
        state.apply(6, &[outsider], &[members[0]]);
        assert!(state.contains(outsider));
        assert!(!state.contains(members[0]));
        state.apply(7, &[members[0]], &[outsider]);
        assert!(state.contains(members[0]));
        assert!(!state.contains(outsider));
        assert_eq!(state.version, 7);
    }

    #[test]
    fn encoding_round_trips_with_events() {
        let members = keys(1000, 2);
        let mut state = FilterState::build([3; 8], 1, &members).unwrap();
        state.apply(2, &[42], &[members[5]]);
        let bytes = state.encode();
        let FilterMessage::Full(back) = decode(&bytes).unwrap() else {
            panic!("not a full filter");
        };
        assert_eq!(back.version, 2);
        assert!(back.contains(42));
        assert!(!back.contains(members[5]));
        assert!(back.contains(members[6]));
    }

    #[test]
    fn under_two_and_a_half_bytes_a_member() {
        let n = 200_000;
        let state = FilterState::build([3; 8], 1, &keys(n, 4)).unwrap();
        assert!(
            state.base_bytes() as u64 * 2 < n * 5,
            "{}",
            state.base_bytes()
        );
        // False positives: about 2^-16 of non-members.
        let outsiders = keys(n, 1 << 40);
        let hits = outsiders.iter().filter(|k| state.contains(**k)).count();
        assert!(hits < 20, "{hits} false positives in {n}");
    }

    #[test]
    fn empty_sets_make_an_empty_filter() {
        let state = FilterState::build([0; 8], 1, &[]).unwrap();
        assert!(!state.contains(7));
        let FilterMessage::Full(back) = decode(&state.encode()).unwrap() else {
            panic!("not a full filter");
        };
        assert!(!back.contains(7));
    }

    #[test]
    fn hostile_shapes_are_refused_not_indexed() {
        let state = FilterState::build([3; 8], 1, &keys(1000, 3)).unwrap();
        let good = state.encode();
        // Offsets: header 2, key id 8, version 8, seed 8, then segment_length (u32) at 26
        // and segment_count_length (u32) at 30.
        let mut huge_count_len = good.clone();
        huge_count_len[30..34].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&huge_count_len).is_err());
        let mut not_power = good.clone();
        not_power[26..30].copy_from_slice(&3u32.to_be_bytes());
        assert!(decode(&not_power).is_err());
        let mut huge_len = good.clone();
        huge_len[26..30].copy_from_slice(&(1u32 << 31).to_be_bytes());
        assert!(decode(&huge_len).is_err());
        for cut in [0, 1, 10, 30, good.len() - 1] {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        // Every single-byte change either fails to parse or gives a filter that answers
        // without panicking.
        for i in 0..40 {
            let mut bad = good.clone();
            bad[i] ^= 0xA5;
            if let Ok(FilterMessage::Full(state)) = decode(&bad) {
                for k in keys(200, 7) {
                    let _ = state.contains(k);
                }
            }
        }
    }

    #[test]
    fn deltas_round_trip_and_refuse_going_back() {
        let bytes = encode_delta(&[4; 8], 3, 5, &[1, 2], &[3]);
        let FilterMessage::Delta {
            from,
            to,
            joins,
            leaves,
            ..
        } = decode(&bytes).unwrap()
        else {
            panic!("not a delta");
        };
        assert_eq!((from, to, joins, leaves), (3, 5, vec![1, 2], vec![3]));
        assert!(decode(&encode_delta(&[4; 8], 5, 3, &[], &[])).is_err());
    }
}

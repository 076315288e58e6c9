//! Entry points for the fuzz targets in `fuzz/` and for the tests that replay their corpora
//! on stable Rust: each feeds arbitrary bytes to every decoder of one kind of message. They
//! must never panic, whatever the bytes; a malformed message is a `WireError`.

use crate::filter::{self, FilterMessage};
use crate::wire::{self, Answer, WireError, KEY_ID_LEN};

/// Every message a discovery client or server reads from the network, decoded from `data`.
/// The first byte picks the element count the client expects; the key id the client pinned
/// is the one in the message when it has one, so that the decoders get past the key check.
pub fn wire_messages(data: &[u8]) -> Vec<Result<(), WireError>> {
    let expected = data.first().map_or(0, |b| usize::from(*b) * 4);
    let data = data.get(1..).unwrap_or_default();
    let mut key_id = [0u8; KEY_ID_LEN];
    if let Some(id) = data.get(2..2 + KEY_ID_LEN) {
        key_id.copy_from_slice(id);
    }
    // Only the server's decoders are added below, and only with its feature.
    #[allow(unused_mut)]
    let mut outcomes = vec![
        wire::decode_oprf_response(data, &key_id, expected).map(|answer| match answer {
            Answer::Evaluated(response) => {
                assert_eq!(response.elements.len(), expected);
                assert!(response
                    .elements
                    .iter()
                    .all(|e| e.len() == wire::ELEMENT_LEN));
                assert_eq!(response.proof.len(), wire::PROOF_LEN);
            }
            Answer::Refused(_) => {}
        }),
        wire::decode_hashed_response(data, expected).map(|answer| {
            if let Answer::Evaluated(matches) = answer {
                assert_eq!(matches.len(), expected);
            }
        }),
    ];
    #[cfg(feature = "server")]
    {
        outcomes.push(wire::decode_oprf_request(data).map(|request| {
            assert!(request.elements.len() <= wire::MAX_BATCH);
        }));
        outcomes.push(wire::decode_hashed_request(data).map(|_| ()));
    }
    outcomes
}

/// A published filter message decoded from `data`, then used as the client uses it: looked
/// up, and a delta applied to it.
pub fn filter_message(data: &[u8]) -> Result<(), WireError> {
    match filter::decode(data)? {
        FilterMessage::Full(mut state) => {
            for key in [0, 1, u64::MAX, 0x5a5a_5a5a_5a5a_5a5a] {
                state.contains(key);
            }
            state.pending_events();
            state.apply(u64::MAX, &[1, 2, 3], &[2]);
            state.contains(2);
            let again = state.encode();
            filter::decode(&again).map(|_| ())
        }
        FilterMessage::Delta { joins, leaves, .. } => {
            assert!(joins.len() <= wire::MAX_EVENTS && leaves.len() <= wire::MAX_EVENTS);
            Ok(())
        }
    }
}

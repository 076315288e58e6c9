//! The published filter's decoder, and the filter as the client then uses it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = privacykit_discovery_protocol::fuzzing::filter_message(data);
});

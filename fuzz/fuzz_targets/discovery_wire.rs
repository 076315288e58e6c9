//! Every discovery message decoder, client and server side.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    privacykit_discovery_protocol::fuzzing::wire_messages(data);
});

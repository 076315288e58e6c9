//! The policy parser: any text is a policy or an `InvalidPolicy`, never a panic (which
//! `validate_policy` would report as `Internal`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use privacykit::PrivacyError;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match privacykit::validate_policy(text.to_owned()) {
            Ok(_) | Err(PrivacyError::InvalidPolicy { .. }) => {}
            Err(other) => panic!("not a policy error: {other:?}"),
        }
    }
});

//! The phone normalizer: any text in any default region is an E.164 number or none.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    privacykit_phone::fuzzing::normalize(data);
});

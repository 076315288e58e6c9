//! Malformed and hostile input: every case ends in a typed error (or, for a mutation that
//! happens to stay well formed, a model), never a panic, and counts read from the string
//! never drive allocation or work past what its bits allow.

use privacykit_tcf::*;

const TC: &str = "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA";

/// '0'/'1' text to base64url, zero-padded to whole characters.
fn encode_bits(bits: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = bits.to_owned();
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    bits.as_bytes()
        .chunks(6)
        .map(|chunk| {
            let value = chunk
                .iter()
                .fold(0usize, |acc, &bit| acc * 2 + usize::from(bit == b'1'));
            char::from(ALPHABET[value])
        })
        .collect()
}

fn int(value: u64, width: usize) -> String {
    format!("{value:0width$b}")
}

/// The 213 fixed bits of a core segment: version 2, everything else zero, letters "AA".
fn core_prefix() -> String {
    let mut bits = int(2, 6);
    bits.push_str(&"0".repeat(207));
    bits
}

fn many_full_ranges(entries: u64) -> String {
    let mut bits = int(entries, 12);
    for _ in 0..entries {
        bits.push('1');
        bits.push_str(&int(1, 16));
        bits.push_str(&int(65535, 16));
    }
    bits
}

#[test]
fn every_truncation_is_an_error() {
    for end in 0..TC.len() {
        let prefix = &TC[..end];
        // Cutting the padding of a later segment, or that whole optional segment, can leave
        // a valid string; the core segment has no slack.
        if let Ok(model) = decode_tc_string(prefix) {
            assert!(end > TC.find('.').unwrap(), "{prefix}");
            assert_eq!(model.cmp_id, 880);
        }
    }
    let gpp = encode_gpp(&GppString {
        sections: vec![
            GppSection::TcfEuV2(decode_tc_string(TC).unwrap()),
            GppSection::UsNat(UsNat::default()),
        ],
    })
    .unwrap();
    for end in 0..gpp.len() {
        let _ = decode_gpp(&gpp[..end]);
    }
    assert_eq!(decode_tc_string(""), Err(DecodeError::EmptySegment));
    assert_eq!(
        decode_tc_string("C"),
        Err(DecodeError::Truncated { field: "Created" })
    );
    assert_eq!(
        decode_tc_string(TC.split('.').next().unwrap()),
        Err(DecodeError::MissingDisclosedVendors)
    );
    assert_eq!(decode_gpp(""), Err(DecodeError::EmptySegment));
}

#[test]
fn invalid_characters_and_structure_are_typed_errors() {
    assert_eq!(
        decode_tc_string("CQSb=k4A"),
        Err(DecodeError::InvalidCharacter { index: 4 })
    );
    assert_eq!(
        decode_tc_string(&format!("{TC}=")),
        Err(DecodeError::InvalidCharacter { index: 12 })
    );
    assert_eq!(
        decode_tc_string(&format!("{TC}.")),
        Err(DecodeError::EmptySegment)
    );
    assert_eq!(
        decode_tc_string("é"),
        Err(DecodeError::InvalidCharacter { index: 0 })
    );
    // Version 1 strings start with 'B'.
    assert!(matches!(
        decode_tc_string("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA"),
        Err(DecodeError::UnsupportedVersion { version: 1, .. })
    ));
    let segments: Vec<&str> = TC.split('.').collect();
    assert_eq!(
        decode_tc_string(&format!("{}.{}.{}", segments[0], segments[1], segments[1])),
        Err(DecodeError::DuplicateSegment { segment_type: 1 })
    );
    // Segment type 5 ('o' = 101000).
    assert_eq!(
        decode_tc_string(&format!("{}.{}.oAAA", segments[0], segments[1])),
        Err(DecodeError::UnknownSegmentType { segment_type: 5 })
    );
    // Letter 26 in ConsentLanguage.
    let mut bits = core_prefix();
    bits.replace_range(108..114, &int(26, 6));
    bits.push_str(&"0".repeat(16 + 1 + 16 + 1 + 12));
    assert_eq!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::InvalidLetter {
            field: "ConsentLanguage"
        })
    );
    assert!(matches!(
        decode_gpp("DBABMA~"),
        Err(DecodeError::EmptySegment)
    ));
    assert_eq!(
        decode_gpp("DBABMA"),
        Err(DecodeError::SectionCountMismatch {
            in_header: 1,
            in_string: 0
        })
    );
    assert_eq!(
        decode_gpp("CBABMA~x"),
        Err(DecodeError::NotGppHeader { found: 2 })
    );
}

#[test]
fn ranges_are_checked_against_max_vendor_id_and_order() {
    for (first, last, max) in [(0, 0, 10), (5, 4, 10), (3, 11, 10)] {
        let mut bits = core_prefix();
        bits.push_str(&int(max, 16));
        bits.push('1');
        bits.push_str(&int(1, 12));
        bits.push('1');
        bits.push_str(&int(first, 16));
        bits.push_str(&int(last, 16));
        bits.push_str(&"0".repeat(17 + 12));
        assert_eq!(
            decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
            Err(DecodeError::InvalidRange {
                field: "VendorConsents"
            }),
            "{first}-{last} under {max}"
        );
    }
    // Restriction type 3.
    let mut bits = core_prefix();
    bits.push_str(&"0".repeat(34));
    bits.push_str(&int(1, 12));
    bits.push_str(&int(2, 6));
    bits.push_str(&int(3, 2));
    bits.push_str(&int(0, 12));
    assert_eq!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::UndefinedRestrictionType { purpose_id: 2 })
    );
}

#[test]
fn huge_counts_cost_no_more_than_their_bits() {
    // NumEntries 4,095 with no entries behind it: refused before any loop.
    let mut bits = core_prefix();
    bits.push_str(&int(65535, 16));
    bits.push('1');
    bits.push_str(&int(4095, 12));
    assert_eq!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::Truncated {
            field: "VendorConsents"
        })
    );
    // MaxVendorId 65,535 as a bitfield with no bits: refused, nothing allocated.
    let mut bits = core_prefix();
    bits.push_str(&int(65535, 16));
    bits.push('0');
    assert!(matches!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::Truncated { .. })
    ));
    // MaxVendorId 65,535 as a real bitfield is fine.
    let mut bits = core_prefix();
    bits.push_str(&int(65535, 16));
    bits.push('0');
    bits.push_str(&"1".repeat(65535));
    bits.push_str(&"0".repeat(17 + 12));
    let model = decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))).unwrap();
    assert_eq!(model.vendor_consents.len(), 65535);
    // 4,095 ranges of every vendor: 268 million IDs if expanded, from 22 KB.
    let mut bits = core_prefix();
    bits.push_str(&int(65535, 16));
    bits.push('1');
    bits.push_str(&many_full_ranges(4095));
    bits.push_str(&"0".repeat(17 + 12));
    assert_eq!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::TooManyIds)
    );
    // The same through 4,095 publisher restrictions of one full range each.
    let mut bits = core_prefix();
    bits.push_str(&"0".repeat(34));
    bits.push_str(&int(4095, 12));
    for _ in 0..4095 {
        bits.push_str(&int(1, 6));
        bits.push_str(&int(0, 2));
        bits.push_str(&many_full_ranges(1));
    }
    assert_eq!(
        decode_tc_string(&format!("{}.IAAA", encode_bits(&bits))),
        Err(DecodeError::TooManyIds)
    );
    // A GPP header claiming section IDs past 65,535, and one with endless Fibonacci digits.
    let mut bits = int(3, 6) + &int(1, 6) + &int(1, 12);
    bits.push('1');
    bits.push_str("11");
    bits.push_str(&"0".repeat(30));
    bits.push_str("11");
    assert!(matches!(
        decode_gpp_header(&encode_bits(&bits)),
        Err(DecodeError::InvalidRange { .. })
    ));
    let mut bits = int(3, 6) + &int(1, 6) + &int(1, 12) + "0";
    bits.push_str(&"0".repeat(600));
    assert_eq!(
        decode_gpp_header(&encode_bits(&bits)),
        Err(DecodeError::FibonacciTooLong)
    );
    // 4,095 header entries each a group of 16 IDs, for one section: refused.
    let mut bits = int(3, 6) + &int(1, 6) + &int(4095, 12);
    for _ in 0..4095 {
        // A group: offset 1, length 15 (Fibonacci 2 + 13).
        bits.push('1');
        bits.push_str("11");
        bits.push_str("0100011");
    }
    let header = encode_bits(&bits);
    assert!(decode_gpp(&format!("{header}~x")).is_err());
}

/// SplitMix64, for reproducible mutations.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn mutated_strings_never_panic() {
    let usnat = encode_usnat(&UsNat {
        gpc: Some(true),
        ..UsNat::default()
    })
    .unwrap();
    let seeds = [
        TC.to_owned(),
        format!("DBACMMA~{TC}~{usnat}"),
        "DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN".to_owned(),
    ];
    let alphabet = b"AQgw_-/+=.~ \x00CDBI9zy";
    let mut state = 0x686f_7374_696c_6521u64;
    for round in 0..20_000 {
        let seed = &seeds[round % seeds.len()];
        let mut bytes = seed.clone().into_bytes();
        for _ in 0..1 + next(&mut state) % 4 {
            let position = (next(&mut state) as usize) % (bytes.len() + 1);
            let byte = alphabet[(next(&mut state) as usize) % alphabet.len()];
            match next(&mut state) % 4 {
                0 if position < bytes.len() => bytes[position] = byte,
                1 => bytes.insert(position, byte),
                2 if position < bytes.len() => {
                    bytes.remove(position);
                }
                _ => bytes.truncate(position),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = decode_tc_string(&text);
        let _ = decode_gpp(&text);
        let _ = decode_usnat(&text);
        if let Ok(model) = decode_tc_string(&text) {
            // A decoded model re-encodes (its values came from fields of the same widths)
            // and decodes to itself.
            let again = encode_tc_string(&model).unwrap();
            assert_eq!(decode_tc_string(&again).unwrap(), model, "{text}");
        }
    }
}

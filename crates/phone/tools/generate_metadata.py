#!/usr/bin/env python3
"""Writes src/metadata_generated.rs: libphonenumber's numbering-plan metadata as Rust statics,
for PrivacyKit's phone normalizer (the privacykit-phone crate).

The source is the Python port of libphonenumber, `phonenumbers`, pinned to the metadata
version the reference crate `rlibphonenumber` (a dev-dependency that the differential tests
compare against) carries, so both read numbers against the same plan. From the crate's
directory (crates/phone):

    pip install phonenumbers==9.0.42
    python3 tools/generate_metadata.py > src/metadata_generated.rs

Only what parsing a number to E.164 and validating it needs is written: per territory the
calling code, the international and national prefixes, the national-prefix rewrite rule, the
leading digits that tell territories sharing a calling code apart, and the patterns and
possible lengths of the general description and of each number type. Formatting rules,
example numbers and carrier data are left out.

It also writes the decimal-digit table (Unicode general category Nd) that turns the digits of
any script into ASCII, from Python's `unicodedata`.
"""

import sys
import unicodedata

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    COUNTRY_CODES_FOR_NON_GEO_REGIONS,
    SUPPORTED_REGIONS,
)

EXPECTED_VERSION = "9.0.42"

# The order PrivacyKit's `validity` check walks; it only asks whether *some* type matches.
NUMBER_TYPES = [
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
]


class Strings:
    """Every pattern and rule, once each, in one string; fields refer to them by offset, so
    the tables hold no pointers (no relocations to apply when the library loads)."""

    def __init__(self):
        self.text = ""
        self.offsets = {}

    def add(self, value):
        if not value:
            return "Text::EMPTY"
        for ch in value:
            if ord(ch) > 0x7E:
                raise SystemExit(f"unexpected character {ch!r} in metadata value {value!r}")
        if value not in self.offsets:
            self.offsets[value] = len(self.text)
            self.text += value
        if len(value) > 0xFFFF:
            raise SystemExit("a pattern longer than 65,535 bytes")
        return f"Text::at({self.offsets[value]}, {len(value)})"

    def rust_literal(self):
        return '"' + self.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def length_set(values):
    mask = 0
    for v in values:
        if not 0 < v < 32:
            raise SystemExit(f"unexpected possible length {v}")
        mask |= 1 << v
    return f"0x{mask:08X}"


def desc(strings, d):
    if d is None:
        return "NumberDesc::ABSENT"
    return (
        f"NumberDesc {{ pattern: {strings.add(d.national_number_pattern)}, "
        f"lengths: {length_set(d.possible_length)}, "
        f"local_only: {length_set(d.possible_length_local_only)} }}"
    )


def territory(strings, m):
    if m.general_desc is None or not m.general_desc.possible_length:
        raise SystemExit(f"{m.id}: no general description")
    types = ",\n            ".join(desc(strings, getattr(m, t)) for t in NUMBER_TYPES)
    region = "*b\"00\"" if m.id == "001" else f'*b"{m.id}"'
    return f"""    Territory {{
        region: {region},
        country_code: {m.country_code},
        international_prefix: {strings.add(m.international_prefix)},
        national_prefix_for_parsing: {strings.add(m.national_prefix_for_parsing)},
        national_prefix_transform_rule: {strings.add(m.national_prefix_transform_rule)},
        leading_digits: {strings.add(m.leading_digits)},
        same_mobile_and_fixed_line_pattern: {str(bool(m.same_mobile_and_fixed_line_pattern)).lower()},
        general: {desc(strings, m.general_desc)},
        types: [
            {types},
        ],
    }},"""


def main():
    if phonenumbers.__version__ != EXPECTED_VERSION:
        raise SystemExit(
            f"phonenumbers {phonenumbers.__version__} installed; pin {EXPECTED_VERSION} "
            "(the metadata version of the rlibphonenumber dev-dependency)"
        )
    regions = sorted(SUPPORTED_REGIONS)
    territories = [PhoneMetadata.metadata_for_region(r) for r in regions]
    territories += [
        PhoneMetadata.metadata_for_nongeo_region(c)
        for c in sorted(COUNTRY_CODES_FOR_NON_GEO_REGIONS)
    ]
    # Non-geographic entities share the id "001"; they are found by calling code only.
    index = {}
    for i, m in enumerate(territories):
        key = m.id if m.id != "001" else ("001", m.country_code)
        index[key] = i

    calling_codes = []
    members = []
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        first = len(members)
        for region in COUNTRY_CODE_TO_REGION_CODE[code]:
            key = region if region != "001" else ("001", code)
            if key not in index:
                raise SystemExit(f"calling code {code}: no metadata for {region}")
            members.append(index[key])
        calling_codes.append(f"    ({code}, {first}, {len(members) - first}),")

    zeros = [
        cp
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) == "Nd" and unicodedata.decimal(chr(cp)) == 0
    ]
    for z in zeros:
        for d in range(10):
            if unicodedata.decimal(chr(z + d), None) != d:
                raise SystemExit(f"Nd run at U+{z:04X} is not ten consecutive digits")

    strings = Strings()
    rendered = [territory(strings, m) for m in territories]

    out = sys.stdout
    out.write(
        "// @generated by tools/generate_metadata.py from libphonenumber metadata "
        f"{phonenumbers.__version__}\n"
        f"// (via the Python port `phonenumbers`) and Unicode {unicodedata.unidata_version}. "
        "Do not edit; regenerate.\n"
        "// libphonenumber's metadata: Copyright (C) 2009 The Libphonenumber Authors, "
        "Apache License 2.0.\n\n"
        "use super::metadata::{NumberDesc, Territory, Text};\n\n"
        "/// How many of `TERRITORIES` are regions; the rest are non-geographic entities.\n"
        f"pub(super) const REGION_COUNT: usize = {len(regions)};\n\n"
        "/// Regions sorted by code, then the non-geographic entities (region \"00\", for\n"
        "/// libphonenumber's \"001\") by calling code.\n"
        f"pub(super) static TERRITORIES: [Territory; {len(territories)}] = [\n"
    )
    for r in rendered:
        out.write(r + "\n")
    out.write("];\n\n")
    out.write(
        "/// Calling code, then where its territories start in `CALLING_CODE_TERRITORIES` and\n"
        "/// how many there are.\n"
        f"pub(super) static CALLING_CODES: [(u16, u16, u8); {len(calling_codes)}] = [\n"
    )
    out.write("\n".join(calling_codes) + "\n];\n\n")
    out.write(
        "/// Indices into `TERRITORIES`, each calling code's main territory first.\n"
        f"pub(super) static CALLING_CODE_TERRITORIES: [u16; {len(members)}] = [\n"
    )
    for i in range(0, len(members), 16):
        out.write("    " + ", ".join(str(m) for m in members[i : i + 16]) + ",\n")
    out.write("];\n\n")
    out.write(
        "/// The zero of every run of ten decimal digits (general category Nd), ascending.\n"
        f"pub(super) static DECIMAL_DIGIT_ZEROS: [u32; {len(zeros)}] = [\n"
    )
    for i in range(0, len(zeros), 8):
        out.write("    " + ", ".join(f"0x{z:05X}" for z in zeros[i : i + 8]) + ",\n")
    out.write("];\n\n")
    out.write(
        "/// Every pattern and rule the tables refer to, each once.\n"
        "#[rustfmt::skip]\n"
        f"pub(super) static STRINGS: &str = {strings.rust_literal()};\n"
    )


if __name__ == "__main__":
    main()

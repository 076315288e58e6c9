#!/usr/bin/env python3
"""Writes tests/data/phone_normalization.tsv: phone inputs as people store them, each with the
E.164 result Google's libphonenumber gives (through its faithful Python port `phonenumbers`).

The rule the oracle applies is the one the crate's `to_e164` follows: parse with the default
region, keep the number only if libphonenumber says it is *valid* (not merely possible), and
print it as E.164, which drops any extension. tests/corpus.rs holds the crate to it.

Usage, from the crate's directory (crates/phone):
    pip install phonenumbers==9.0.43
    python3 tools/generate_corpus.py > tests/data/phone_normalization.tsv

The corpus is built from libphonenumber's own example numbers, rewritten the ways people type
them, plus hand-written cases. All example numbers are from the metadata's public test
ranges, not anyone's real number.
"""

import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat as Fmt
from phonenumbers import PhoneNumberType as Type

INVALID = "invalid"

# The regions contact discovery was first asked to read, then a spread of numbering plans
# with their own quirks (national prefixes, leading zeros kept in E.164, mobile tokens, shared
# country codes).
REGIONS = [
    "RU", "DE", "US", "GB", "FR", "IN", "BR", "CN", "JP", "UA", "KZ",
    "IT", "AR", "MX", "AU", "ES", "TR", "KR", "IL", "AE", "NG", "ID", "PL", "CA", "BY",
]

# Decimal digit sets other than ASCII that phones and keyboards produce.
DIGIT_ZEROS = {
    "fullwidth": 0xFF10,
    "arabic_indic": 0x0660,
    "persian": 0x06F0,
}


def oracle(raw, region):
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return INVALID
    if not phonenumbers.is_valid_number(number):
        return INVALID
    return phonenumbers.format_number(number, Fmt.E164)


def with_digits(text, zero):
    return "".join(chr(zero + ord(c) - 48) if "0" <= c <= "9" else c for c in text)


def example_variants(region):
    """Yields (default_region, raw, note) for the region's example mobile and fixed numbers."""
    other = "US" if region != "US" else "RU"
    for kind, number_type in (("mobile", Type.MOBILE), ("fixed", Type.FIXED_LINE)):
        ex = phonenumbers.example_number_for_type(region, number_type)
        if ex is None:
            continue
        national = phonenumbers.format_number(ex, Fmt.NATIONAL)
        international = phonenumbers.format_number(ex, Fmt.INTERNATIONAL)
        e164 = phonenumbers.format_number(ex, Fmt.E164)
        nsn = phonenumbers.national_significant_number(ex)
        cc = str(ex.country_code)
        tag = f"{region} {kind}"
        yield region, national, f"{tag}: national format"
        yield region, international, f"{tag}: international format"
        yield other, international, f"{tag}: international format, other default region"
        yield other, national, f"{tag}: national format under another default region"
        yield region, e164[1:], f"{tag}: E.164 digits without '+'"
        yield region, "00 " + cc + " " + nsn, f"{tag}: 00 international prefix"
        yield "US", phonenumbers.format_out_of_country_calling_number(ex, "US"), f"{tag}: dialled from the US"
        if kind == "mobile":
            yield region, national + " ext. 123", f"{tag}: extension"
            yield region, "\u260e " + national.replace(" ", "\u2022") + " #", f"{tag}: stray symbols"
            yield region, international.replace(" ", "-"), f"{tag}: dashes"
            yield region, nsn[:-1], f"{tag}: one digit short"
            yield region, nsn + "9", f"{tag}: one digit too many"
            for name, zero in DIGIT_ZEROS.items():
                yield region, with_digits(national, zero), f"{tag}: {name} digits"


HAND_WRITTEN = [
    # The examples and their neighbours.
    ("RU", "8 (912) 345-67-89", "trunk prefix 8"),
    ("RU", "+7 912 345 67 89", "international"),
    ("RU", "8-912-345-67-89", "dashes"),
    ("RU", "89123456789", "trunk prefix, no separators"),
    ("RU", "9123456789", "national significant number only"),
    ("RU", "+7 (912) 345-67-89 доб. 123", "Russian extension word"),
    ("RU", "8 10 49 151 23456789", "Russian international prefix 8~10"),
    ("RU", "810 49 151 23456789", "Russian international prefix 810"),
    ("RU", "00 49 151 23456789", "00 under RU default"),
    ("RU", "8 701 123 45 67", "Kazakh mobile dialled in Russia (+7 shared)"),
    ("RU", "+7 701 123 45 67", "Kazakh mobile, international"),
    ("RU", "0151 23456789", "German national number under RU"),
    ("RU", "+49 151 23456789", "German mobile, international"),
    ("RU", "7 912 345 67 89", "country code without '+'"),
    ("RU", "345-67-89", "local number without area code"),
    ("RU", "112", "emergency"),
    ("RU", "+7 912 ABC DEFG", "letters in a Russian number"),
    ("KZ", "8 701 123 45 67", "trunk prefix 8 in Kazakhstan"),
    ("KZ", "8 912 345 67 89", "Russian mobile dialled in Kazakhstan"),
    ("DE", "0151 23456789", "mobile, trunk 0"),
    ("DE", "00 49 151 23456789", "00 prefix to own country"),
    ("DE", "0049 151 23456789", "0049"),
    ("DE", "+49 (0)151 23456789", "(0) trunk in international format"),
    ("DE", "030 123456", "Berlin fixed line"),
    ("DE", "030 12345678", "Berlin fixed line, longer"),
    ("DE", "110", "emergency"),
    ("DE", "+49 151 2345678 9", "odd grouping"),
    ("US", "1-800-FLOWERS", "vanity number"),
    ("US", "1-800-flowers", "vanity number, lower case"),
    ("US", "+1 800 FLOWERS", "vanity, international"),
    ("US", "800-MY-APPLE", "vanity without 1"),
    ("US", "(415) 555-2671 ext. 123", "extension"),
    ("US", "415.555.2671 x123", "x extension"),
    ("US", "415-555-2671;ext=9", "RFC 3966 style extension"),
    ("US", "tel:+1-415-555-2671", "tel URI"),
    ("US", "(415) 555-2671", "national"),
    ("US", "415 555 2671", "spaces"),
    ("US", "1 415 555 2671", "leading 1"),
    ("US", "+1 415 555 2671", "international"),
    ("US", "011 49 151 23456789", "US international prefix 011"),
    ("US", "555-2671", "local number without area code"),
    ("US", "911", "emergency"),
    ("US", "(555) 555-5555", "555 fictional range"),
    ("US", "(212) 555-0123", "NYC fictional"),
    ("US", "+44 20 7946 0958", "UK number, US default"),
    ("US", "020 7946 0958", "UK national under US default"),
    ("US", "0000000000", "zeros"),
    ("US", "1234567890", "sequence"),
    ("CA", "(604) 555-0123", "Canadian 604"),
    ("GB", "020 7946 0958", "London"),
    ("GB", "07700 900123", "UK mobile drama range"),
    ("GB", "+44 (0) 7700 900123", "(0) in international"),
    ("GB", "0044 7700 900123", "00 44"),
    ("GB", "999", "emergency"),
    ("GB", "07911 123456", "UK mobile"),
    ("FR", "06 12 34 56 78", "French mobile"),
    ("FR", "+33 6 12 34 56 78", "international"),
    ("FR", "+33 (0)6 12 34 56 78", "(0) in international"),
    ("FR", "01 23 45 67 89", "Paris"),
    ("FR", "0033 1 23 45 67 89", "00 33"),
    ("IN", "098765 43210", "Indian mobile with trunk 0"),
    ("IN", "+91 98765 43210", "international"),
    ("IN", "9876543210", "ten digits"),
    ("IN", "+91-11-2345-6789", "Delhi fixed"),
    ("BR", "(11) 91234-5678", "São Paulo mobile"),
    ("BR", "+55 11 91234-5678", "international"),
    ("BR", "0 21 11 91234-5678", "carrier selection code 21"),
    ("BR", "011 91234 5678", "trunk 0"),
    ("BR", "(11) 1234-5678", "landline number starting 1"),
    ("CN", "138 0013 8000", "Chinese mobile"),
    ("CN", "+86 138 0013 8000", "international"),
    ("CN", "010 1234 5678", "Beijing fixed"),
    ("CN", "(010) 12345678", "Beijing fixed, parentheses"),
    ("JP", "090-1234-5678", "Japanese mobile"),
    ("JP", "+81 90-1234-5678", "international"),
    ("JP", "03-1234-5678", "Tokyo"),
    ("JP", "０９０－１２３４－５６７８", "full-width digits and dashes"),
    ("UA", "067 123 45 67", "Ukrainian mobile"),
    ("UA", "+380 67 123 4567", "international"),
    ("UA", "8 067 123 45 67", "old 8 trunk"),
    ("UA", "0 44 123 45 67", "Kyiv"),
    ("IT", "06 1234 5678", "Rome, leading zero kept"),
    ("IT", "+39 06 1234 5678", "Rome, international"),
    ("IT", "312 345 6789", "Italian mobile"),
    ("AR", "011 15-2345-6789", "Argentine mobile with 15"),
    ("AR", "+54 9 11 2345-6789", "Argentine mobile international"),
    ("MX", "+52 1 55 1234 5678", "Mexico legacy mobile 1"),
    ("MX", "55 1234 5678", "Mexico City"),
    ("AE", "050 123 4567", "UAE mobile"),
    ("AE", "٠٥٠ ١٢٣ ٤٥٦٧", "UAE mobile, Arabic-Indic digits"),
    ("IL", "050-234-5678", "Israeli mobile"),
    ("IL", "*2345", "star code"),
    ("AU", "0412 345 678", "Australian mobile"),
    ("AU", "+61 412 345 678", "international"),
    ("AU", "000", "emergency"),
    # Garbage, empties, symbols.
    ("US", "", "empty"),
    ("US", "   ", "blank"),
    ("US", "+", "plus only"),
    ("US", "++1 415 555 2671", "double plus"),
    ("US", "abc", "letters only"),
    ("US", "call me", "words"),
    ("US", "n/a", "placeholder"),
    ("US", "12", "too short"),
    ("US", "1", "one digit"),
    ("US", "+1", "country code only"),
    ("US", "+999 123 456 789", "unassigned country code"),
    ("US", "+1 415 555 2671 1234 5678 9012", "too long"),
    ("US", "4-1-5-5-5-5-2-6-7-1", "a separator between every digit"),
    ("US", "☎☎☎", "symbols only"),
    ("US", "+1 (415) 555–2671", "en dash"),
    ("US", "+1\u00a0415\u00a0555\u00a02671", "no-break spaces"),
    ("US", "+1 415 555 2671\u200b", "zero-width space"),
    ("US", "\u202a+1 415 555 2671\u202c", "bidi embedding marks"),
    ("US", "＋１ ４１５ ５５５ ２６７１", "full-width plus and digits"),
    ("RU", "+7 ９１２ ３４５ ６７ ８９", "mixed full-width"),
    ("RU", "+7 912 345 67 89 / +7 912 345 67 90", "two numbers in one field"),
    ("RU", "+7 912 345 67 89, доб 5", "comma before extension"),
    ("DE", "+49 151 23456789 (mobil)", "trailing comment"),
    ("DE", "Tel.: 0151 23456789", "leading label"),
    ("DE", "+49 15I 23456789", "letter I for 1"),
    ("FR", "+33 6 12 34 56 78 90 12", "too long French"),
    ("GB", "+44 20 7946 095", "UK one digit short"),
]


def rows():
    for region in REGIONS:
        yield from example_variants(region)
    yield from HAND_WRITTEN


def main():
    out = sys.stdout
    out.write(f"# Generated by tools/generate_corpus.py with phonenumbers {phonenumbers.__version__}\n")
    out.write("# (the Python port of Google's libphonenumber). Do not edit by hand: regenerate.\n")
    out.write("# Rule: parse(raw, default_region); keep only if is_valid_number; format as E.164.\n")
    out.write("# Columns: default_region <TAB> raw input <TAB> expected E.164 or 'invalid' <TAB> note\n")
    seen = set()
    count = 0
    for region, raw, note in rows():
        for field in (region, raw, note):
            if "\t" in field or "\n" in field:
                raise SystemExit(f"a tab or newline in a corpus field: {note}")
        key = (region, raw)
        if key in seen:
            continue
        seen.add(key)
        out.write(f"{region}\t{raw}\t{oracle(raw, region)}\t{note}\n")
        count += 1
    sys.stderr.write(f"{count} cases\n")


if __name__ == "__main__":
    main()

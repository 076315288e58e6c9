//! The text side of libphonenumber's parser: finding the number in what a person typed,
//! deciding whether it can be a phone number at all, cutting off an extension, and turning
//! the digits of any script (and keypad letters) into ASCII digits.
//!
//! libphonenumber states these rules as regular expressions with Unicode classes
//! (`VALID_PHONE_NUMBER`, `EXTN_PATTERNS_FOR_PARSING`, `UNWANTED_END_CHAR`...). Compiling them
//! is most of a general regex engine's start-up cost, and running them most of its per-number
//! cost, so they are written out here as the small hand-made matchers they amount to. Each
//! function names the expression it implements; where Google's Java library (the reference)
//! and its ports differ, the Java behaviour is kept.

use std::borrow::Cow;

use super::metadata_generated::DECIMAL_DIGIT_ZEROS;

/// libphonenumber refuses longer input (counted in UTF-16 units, as Java does).
const MAX_INPUT_UTF16_UNITS: usize = 250;
/// Shortest national significant number.
pub(super) const MIN_LENGTH_FOR_NSN: usize = 2;

const RFC3966_PHONE_CONTEXT: &str = ";phone-context=";
const RFC3966_PREFIX: &str = "tel:";
const RFC3966_ISDN_SUBADDRESS: &str = ";isub=";

pub(super) fn is_plus(c: char) -> bool {
    matches!(c, '+' | '\u{FF0B}')
}

/// The value of a decimal digit of any script (Unicode general category Nd), as Java's
/// `Character.digit(c, 10)`. Superscripts and circled digits are not decimal digits.
pub(super) fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    let code = u32::from(c);
    let run = DECIMAL_DIGIT_ZEROS.partition_point(|&zero| zero <= code);
    let offset = code - DECIMAL_DIGIT_ZEROS.get(run.checked_sub(1)?)?;
    // Every run is ten digits long (the generator checks it).
    (offset < 10).then_some(offset as u8)
}

/// The number within `raw`: the RFC 3966 form (`tel:...;phone-context=...`) unpacked, or
/// otherwise the text from the first digit or plus sign, without trailing symbols and without
/// a second number. `None` when the input is too long or names an invalid phone context
/// (libphonenumber's `NOT_A_NUMBER` and `TOO_LONG`).
pub(super) fn national_number_for_parsing(raw: &str) -> Option<Cow<'_, str>> {
    if raw.len() > MAX_INPUT_UTF16_UNITS && raw.encode_utf16().count() > MAX_INPUT_UTF16_UNITS {
        return None;
    }
    let mut national = match raw.find(RFC3966_PHONE_CONTEXT) {
        Some(context_at) => {
            let context_start = context_at + RFC3966_PHONE_CONTEXT.len();
            let context = &raw[context_start..];
            let context = context.find(';').map_or(context, |end| &context[..end]);
            if !is_phone_context_valid(context) {
                return None;
            }
            // A context that is a number prefix ("+7") comes first; a domain is dropped.
            let mut national = String::new();
            if context.starts_with('+') {
                national.push_str(context);
            }
            let number_start = raw
                .find(RFC3966_PREFIX)
                .map_or(0, |at| at + RFC3966_PREFIX.len());
            national.push_str(raw.get(number_start..context_at).unwrap_or(""));
            Cow::Owned(national)
        }
        None => Cow::Borrowed(extract_possible_number(raw)),
    };
    if let Some(at) = national.find(RFC3966_ISDN_SUBADDRESS).filter(|&at| at > 0) {
        match &mut national {
            Cow::Borrowed(text) => *text = &text[..at],
            Cow::Owned(text) => text.truncate(at),
        }
    }
    Some(national)
}

/// RFC 3966 `global-number-digits` (`+` then digits and visual separators) or `domainname`.
fn is_phone_context_valid(context: &str) -> bool {
    if let Some(digits) = context.strip_prefix('+') {
        return digits
            .chars()
            .all(|c| decimal_digit(c).is_some() || matches!(c, '-' | '.' | '(' | ')'))
            && digits.chars().any(|c| decimal_digit(c).is_some());
    }
    let name = context.strip_suffix('.').unwrap_or(context);
    if name.is_empty() {
        return false;
    }
    let (domain, top) = match name.rsplit_once('.') {
        Some((domain, top)) => (Some(domain), top),
        None => (None, name),
    };
    let is_alphanumeric = |c: char| c.is_ascii_alphabetic() || decimal_digit(c).is_some();
    let is_label = |label: &str| {
        let (Some(first), Some(last)) = (label.chars().next(), label.chars().last()) else {
            return false;
        };
        is_alphanumeric(first)
            && is_alphanumeric(last)
            && label.chars().all(|c| c == '-' || is_alphanumeric(c))
    };
    domain.is_none_or(|domain| domain.split('.').all(is_label))
        && is_label(top)
        && top.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// `extractPossibleNumber`: from the first digit or plus sign, without trailing characters
/// that are neither numbers, letters nor `#`, and cut before a second number (`/ x302`).
fn extract_possible_number(raw: &str) -> &str {
    let Some(start) = raw.find(|c: char| is_plus(c) || decimal_digit(c).is_some()) else {
        return "";
    };
    let number =
        raw[start..].trim_end_matches(|c: char| !(c.is_numeric() || is_letter(c) || c == '#'));
    match second_number_start(number) {
        Some(end) => &number[..end],
        None => number,
    }
}

/// Unicode general category L. Rust offers the Alphabetic property, which adds letter-like
/// numbers (already numbers here) and a few combining marks and symbols; the difference could
/// only matter for such a mark at the very end of a number.
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// `SECOND_NUMBER_START`: a slash or backslash, spaces, then a lower-case `x`.
fn second_number_start(number: &str) -> Option<usize> {
    number
        .match_indices(['/', '\\'])
        .map(|(at, _)| at)
        .find(|&at| number[at + 1..].trim_start_matches(' ').starts_with('x'))
}

/// `VALID_PUNCTUATION`: dashes, spaces, dots, slashes, brackets, tildes and the letter x
/// (a placeholder for carrier codes), with their full-width forms.
fn is_punctuation(c: char) -> bool {
    matches!(c,
        '-' | 'x' | 'X' | ' ' | '(' | ')' | '.' | '[' | ']' | '/' | '~'
        | '\u{00A0}' | '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{3000}'
        | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF0D}'..='\u{FF0F}'
        | '\u{FF08}' | '\u{FF09}' | '\u{FF3B}' | '\u{FF3D}' | '\u{2053}' | '\u{223C}' | '\u{FF5E}')
}

/// Whether `c` is an ASCII letter under Unicode case-insensitive matching, as `[A-Za-z]` with
/// Java's `CASE_INSENSITIVE | UNICODE_CASE` (`K`, the Kelvin sign, is a `k`; `ſ` is an `s`).
fn is_ascii_letter_ignoring_case(c: char) -> bool {
    c.is_ascii_alphabetic()
        || [single_char(c.to_lowercase()), single_char(c.to_uppercase())]
            .into_iter()
            .flatten()
            .any(|mapped| mapped.is_ascii_alphabetic())
}

/// The one character a case mapping gives, if it gives one.
fn single_char(mut mapped: impl Iterator<Item = char>) -> Option<char> {
    let first = mapped.next()?;
    mapped.next().is_none().then_some(first)
}

fn chars_equal_ignoring_case(typed: char, expected: char) -> bool {
    if typed.is_ascii() && expected.is_ascii() {
        return typed.eq_ignore_ascii_case(&expected);
    }
    typed == expected
        || typed.to_lowercase().eq(expected.to_lowercase())
        || typed.to_uppercase().eq(expected.to_uppercase())
}

/// `isViablePhoneNumber`: the whole text matches `VALID_PHONE_NUMBER` followed by an optional
/// extension, case-insensitively. That is: exactly two digits; or plus signs, then at least
/// three digits among punctuation and `*` with letters only after the third digit, then
/// optionally an extension.
pub(super) fn is_viable(number: &str) -> bool {
    let mut chars = number.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (None, _, _) | (_, None, _) => return false,
        (Some(a), Some(b), None) if decimal_digit(a).is_some() && decimal_digit(b).is_some() => {
            return true
        }
        _ => {}
    }
    let body = number.trim_start_matches(is_plus);
    let extension = ExtensionSite::of(body);
    let mut digits = 0;
    for (at, c) in body.char_indices() {
        // After the third digit the body may end anywhere, followed by an extension.
        if digits >= 3
            && extension
                .as_ref()
                .is_some_and(|site| site.starts_at(body, at))
        {
            return true;
        }
        if decimal_digit(c).is_some() {
            digits += 1;
            continue;
        }
        let letter_after_third_digit = digits >= 3 && is_ascii_letter_ignoring_case(c);
        if !(is_punctuation(c) || c == '*' || letter_after_third_digit) {
            return false;
        }
    }
    digits >= 3
}

/// `maybeStripExtension`: the number without a trailing extension ("ext. 123", "x123",
/// ";ext=9", "доб. 123", "- 503#"...), if what precedes the extension is itself viable.
/// Like libphonenumber's regex search, only the leftmost place an extension could start is
/// considered.
pub(super) fn strip_extension(number: &str) -> &str {
    let Some(site) = ExtensionSite::of(number) else {
        return number;
    };
    let leftmost = number[site.label_from..site.digits_at]
        .char_indices()
        .map(|(at, _)| site.label_from + at)
        .find(|&at| site.starts_at(number, at));
    match leftmost {
        Some(at) if is_viable(&number[..at]) => &number[..at],
        _ => number,
    }
}

/// Where an extension could sit at the end of a text. Every form of extension ends with a run
/// of digits and perhaps a `#`, and what comes before those digits (the label and separators)
/// holds no digit; so the extension can only start between the last digit before that run
/// and the run itself. Finding that window first keeps the label matching off the hot path.
struct ExtensionSite {
    /// Byte offset after the last digit before the gap preceding the final digits.
    label_from: usize,
    /// Byte offset of the final run of digits.
    digits_at: usize,
    digit_count: usize,
    hash: bool,
}

impl ExtensionSite {
    fn of(text: &str) -> Option<ExtensionSite> {
        let (rest, hash) = match text.strip_suffix('#') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let digits_at = rest
            .trim_end_matches(|c: char| decimal_digit(c).is_some())
            .len();
        let digit_count = rest[digits_at..].chars().count();
        if digit_count == 0 {
            return None;
        }
        let label_from = rest[..digits_at]
            .trim_end_matches(|c: char| decimal_digit(c).is_none())
            .len();
        Some(ExtensionSite {
            label_from,
            digits_at,
            digit_count,
            hash,
        })
    }

    /// Whether an extension spans `text[at..]` (`text` being the text this site was found in).
    fn starts_at(&self, text: &str, at: usize) -> bool {
        (self.label_from..self.digits_at).contains(&at)
            && extension_head_matches(&text[at..self.digits_at], self.digit_count, self.hash)
    }
}

/// The labels of `EXTN_PATTERNS_FOR_PARSING`, spelled out: `e?xt(?:ensi(?:o\u0301?|ó))?n?`,
/// `ｅ?ｘｔｎ?`, `доб`, `anexo`.
const EXPLICIT_LABELS: &[&str] = &[
    "xt",
    "xtn",
    "ext",
    "extn",
    "xtensio",
    "xtension",
    "extensio",
    "extension",
    "xtensio\u{301}",
    "xtensio\u{301}n",
    "extensio\u{301}",
    "extensio\u{301}n",
    "xtensió",
    "xtensión",
    "extensió",
    "extensión",
    "\u{FF58}\u{FF54}",
    "\u{FF58}\u{FF54}\u{FF4E}",
    "\u{FF45}\u{FF58}\u{FF54}",
    "\u{FF45}\u{FF58}\u{FF54}\u{FF4E}",
    "доб",
    "anexo",
];
/// `[xｘ#＃~～]|int|ｉｎｔ`: one-character and less certain labels.
const AMBIGUOUS_LABELS: &[&str] = &[
    "x",
    "\u{FF58}",
    "#",
    "\u{FF03}",
    "~",
    "\u{FF5E}",
    "int",
    "\u{FF49}\u{FF4E}\u{FF54}",
];

/// Whether `head` followed by `digit_count` digits (and a `#` if `hash`) is one of
/// libphonenumber's extension forms (for parsing):
///
/// 1. `;ext=` and up to 20 digits (RFC 3966);
/// 2. separators, an explicit label ("ext", "доб"...), an optional `:`/`.`, separators, up to 20
///    digits, an optional `#`;
/// 3. the same with an ambiguous label ("x", "#", "int") and up to 9 digits;
/// 4. dashes or spaces, up to 6 digits and a `#` (American "- 503#");
/// 5. ",," or ";" (auto-dialling), then as 2 with up to 15 digits;
/// 6. commas, then as 2 with up to 9 digits.
fn extension_head_matches(head: &str, digit_count: usize, hash: bool) -> bool {
    let head: Vec<char> = head.chars().collect();
    let rfc = !hash && digit_count <= 20 && matches_literal(&head, ";ext=");
    let explicit = digit_count <= 20 && labelled(&head, is_separator, EXPLICIT_LABELS);
    let ambiguous = digit_count <= 9 && labelled(&head, is_separator, AMBIGUOUS_LABELS);
    let american =
        hash && digit_count <= 6 && !head.is_empty() && head.iter().all(|&c| c == '-' || c == ' ');
    let auto_dialling = digit_count <= 15 && labelled(&head, is_separator_but_comma, &[",,", ";"]);
    let only_commas = digit_count <= 9 && commas_labelled(&head);
    rfc || explicit || ambiguous || american || auto_dialling || only_commas
}

/// `[ \u00A0\t,]`
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\t' | ',')
}

/// `[ \u00A0\t]`
fn is_separator_but_comma(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\t')
}

/// `[ \u00A0\t,-]`
fn is_separator_after_label(c: char) -> bool {
    matches!(c, ' ' | '\u{00A0}' | '\t' | ',' | '-')
}

fn matches_literal(text: &[char], literal: &str) -> bool {
    text.len() == literal.chars().count()
        && text
            .iter()
            .zip(literal.chars())
            .all(|(&typed, expected)| chars_equal_ignoring_case(typed, expected))
}

/// `text` is `separator* label [:.．]? [ \u00A0\t,-]*` for one of `labels`.
fn labelled(text: &[char], separator: fn(char) -> bool, labels: &[&str]) -> bool {
    let leading = text.iter().take_while(|&&c| separator(c)).count();
    // Separators may also belong to the label (",,") : try every split.
    (0..=leading).any(|start| {
        labels.iter().any(|label| {
            let length = label.chars().count();
            text.len() >= start + length
                && matches_literal(&text[start..start + length], label)
                && is_after_label(&text[start + length..])
        })
    })
}

/// `[ \u00A0\t]* ,+ [:.．]? [ \u00A0\t,-]*`
fn commas_labelled(text: &[char]) -> bool {
    let leading = text
        .iter()
        .take_while(|&&c| is_separator_but_comma(c))
        .count();
    let commas = text[leading..].iter().take_while(|&&c| c == ',').count();
    // Commas after the first may belong to the label or to the separators after it.
    (1..=commas).any(|label_commas| is_after_label(&text[leading + label_commas..]))
}

/// `[:.．]? [ \u00A0\t,-]*`
fn is_after_label(text: &[char]) -> bool {
    let text = match text.first() {
        Some(':' | '.' | '\u{FF0E}') => &text[1..],
        _ => text,
    };
    text.iter().all(|&c| is_separator_after_label(c))
}

/// `normalize`: the ASCII digits of a number. With three or more ASCII letters it is a vanity
/// number ("1-800-FLOWERS"): letters become their keypad digits and every other character,
/// non-ASCII digits included, is dropped (as libphonenumber does). Otherwise the digits of any
/// script are kept, converted, and everything else is dropped.
pub(super) fn normalize_digits(number: &str) -> String {
    let letters = number.chars().filter(char::is_ascii_alphabetic).count();
    if letters >= 3 {
        number
            .chars()
            .filter_map(|c| {
                if c.is_ascii_digit() {
                    return Some(c);
                }
                single_char(c.to_uppercase()).and_then(keypad_digit)
            })
            .collect()
    } else {
        number
            .chars()
            .filter_map(decimal_digit)
            .map(|d| char::from(b'0' + d))
            .collect()
    }
}

/// ITU-T E.161 keypad.
fn keypad_digit(upper: char) -> Option<char> {
    Some(match upper {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_every_script_are_decimal_digits() {
        assert_eq!(decimal_digit('7'), Some(7));
        assert_eq!(decimal_digit('\u{FF13}'), Some(3), "full-width");
        assert_eq!(decimal_digit('\u{0663}'), Some(3), "Arabic-Indic");
        assert_eq!(decimal_digit('\u{06F9}'), Some(9), "Persian");
        assert_eq!(decimal_digit('\u{096A}'), Some(4), "Devanagari");
        assert_eq!(decimal_digit('\u{1D7CE}'), Some(0), "mathematical bold");
        for not_decimal in ['²', '①', 'x', '+', '\u{10FFFF}'] {
            assert_eq!(decimal_digit(not_decimal), None, "{not_decimal:?}");
        }
    }

    #[test]
    fn the_number_is_found_in_what_was_typed() {
        let found = |raw: &str| national_number_for_parsing(raw).map(|n| n.into_owned());
        assert_eq!(
            found("Tel: +7 912 345-67-89 (mobile)!").as_deref(),
            Some("+7 912 345-67-89 (mobile")
        );
        assert_eq!(
            found("☎ 8 912 345 67 89 ☺").as_deref(),
            Some("8 912 345 67 89")
        );
        assert_eq!(
            found("(530) 583-6985 x302/x2303").as_deref(),
            Some("530) 583-6985 x302")
        );
        // Java's search finds the first second number, not the last.
        assert_eq!(found("1234 /x5 /x6").as_deref(), Some("1234 "));
        assert_eq!(found("no digits here").as_deref(), Some(""));
        assert_eq!(
            found("tel:912-345-67-89;phone-context=+7").as_deref(),
            Some("+7912-345-67-89")
        );
        assert_eq!(
            found("tel:2530000;phone-context=google.com;isub=12").as_deref(),
            Some("2530000")
        );
        assert_eq!(found("tel:2530000;isub=12345").as_deref(), Some("2530000"));
        assert_eq!(
            found("tel:2530000;phone-context=a-1.b.example.").as_deref(),
            Some("2530000")
        );
        for invalid_context in [
            "1;phone-context=",
            "1;phone-context=+",
            "1;phone-context=-google.com",
            "1;phone-context=1google",
            "1;phone-context=google..com",
            "1;phone-context=google.1com",
        ] {
            assert_eq!(found(invalid_context), None, "{invalid_context}");
        }
        assert_eq!(
            found(&"1".repeat(251)),
            None,
            "longer than libphonenumber accepts"
        );
        assert!(found(&"1".repeat(250)).is_some());
    }

    #[test]
    fn viable_numbers_have_three_digits_before_any_letter() {
        for viable in [
            "12",
            "123",
            "+1 23",
            "++123",
            "1-800-FLOWERS",
            "(495) 123",
            "1 2 3 x 4",
            "123\u{FF5E}456",
            "123 ext. 45",
            "123;ext=4",
            "123,,4",
            "123 - 4#",
        ] {
            assert!(is_viable(viable), "{viable:?}");
        }
        for not_viable in [
            "",
            "1",
            "1 2",
            "+12",
            "FLOWERS-123",
            "12a3",
            "123 ☺",
            "123\n4",
            "12 ext. 3",
        ] {
            assert!(!is_viable(not_viable), "{not_viable:?}");
        }
    }

    #[test]
    fn extensions_in_every_form_are_stripped() {
        for (typed, number) in [
            ("(530) 583-6985 x302", "(530) 583-6985"),
            ("8 912 345 67 89 доб. 123", "8 912 345 67 89"),
            ("8 912 345 67 89 ДОБ 123", "8 912 345 67 89"),
            ("+1 650 253 0000;ext=123", "+1 650 253 0000"),
            ("650 253 0000 EXT: 12", "650 253 0000"),
            ("650 253 0000 extensión 12", "650 253 0000"),
            ("650 253 0000 extensio\u{301}n 12", "650 253 0000"),
            ("650 253 0000 - 503#", "650 253 0000"),
            ("650 253 0000 #503", "650 253 0000"),
            ("650 253 0000,,12", "650 253 0000"),
            ("650 253 0000, 12", "650 253 0000"),
            ("650 253 0000 ,,: 12", "650 253 0000"),
            ("650 253 0000 int 9", "650 253 0000"),
            ("650 253 0000 \u{FF45}\u{FF58}\u{FF54} 9", "650 253 0000"),
        ] {
            assert_eq!(strip_extension(typed), number, "{typed:?}");
        }
        for kept in [
            "650 253 0000",
            "650 253 0000 x",
            "650 253 0000 x1234567890",
            "650 253 0000 - 1234567#",
        ] {
            assert_eq!(strip_extension(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn digits_are_normalized_and_vanity_letters_read_on_a_keypad() {
        assert_eq!(normalize_digits("+7 (９１２) ٣٤٥-67-89"), "79123456789");
        assert_eq!(normalize_digits("1-800-FLOWERS"), "18003569377");
        assert_eq!(normalize_digits("1-800-flowers"), "18003569377");
        // Two letters are typos, not a vanity number: dropped.
        assert_eq!(normalize_digits("12 AB 34"), "1234");
        // In a vanity number only ASCII digits count, as in libphonenumber.
        assert_eq!(normalize_digits("ABC ٣ 4"), "2224");
    }
}

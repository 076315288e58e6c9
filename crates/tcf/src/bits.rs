//! Bits in, base64url characters out, and back; plus the Fibonacci integers and vendor-ID
//! sets the formats build on.

use crate::error::DecodeError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A big-endian bit string under construction.
#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    pub(crate) fn with_capacity_bits(bits: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bits.div_ceil(8)),
            len: 0,
        }
    }

    pub(crate) fn bit(&mut self, set: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if set {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> (self.len % 8);
            }
        }
        self.len += 1;
    }

    /// The low `bits` bits of `value`, most significant first. Callers check the width
    /// beforehand (see `crate::tcf::fits`), so a wider value here is a bug in this crate,
    /// not bad input; its high bits are dropped.
    pub(crate) fn int(&mut self, value: u64, bits: u32) {
        for shift in (0..bits).rev() {
            self.bit((value >> shift) & 1 == 1);
        }
    }

    /// Zeckendorf representation, least significant Fibonacci number first, closed by an
    /// extra 1. `value` must be at least 1: the code has no word for 0.
    pub(crate) fn fibonacci(&mut self, value: u64) {
        let mut fibs = Vec::with_capacity(16);
        let (mut a, mut b) = (1u64, 2u64);
        while a <= value {
            fibs.push(a);
            match a.checked_add(b) {
                Some(next) => {
                    a = b;
                    b = next;
                }
                None => break,
            }
        }
        let mut digits = vec![false; fibs.len()];
        let mut rest = value;
        for (index, &fib) in fibs.iter().enumerate().rev() {
            if fib <= rest {
                digits[index] = true;
                rest -= fib;
            }
        }
        for digit in digits {
            self.bit(digit);
        }
        self.bit(true);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Base64url without padding characters, after zero bits up to a multiple of
    /// `align_bits` (24 for TC strings, as the IAB's encoder and the specification's example
    /// strings do, so any base64 decoder reads whole bytes; 8 for GPP, see `crate::gpp`).
    pub(crate) fn to_base64url(&self, align_bits: usize) -> String {
        let mut total = self.len.next_multiple_of(align_bits);
        total = total.next_multiple_of(6);
        let mut out = String::with_capacity(total / 6);
        let mut position = 0;
        while position < total {
            let mut sextet = 0usize;
            for offset in 0..6 {
                sextet = (sextet << 1) | usize::from(self.get(position + offset));
            }
            out.push(char::from(ALPHABET[sextet]));
            position += 6;
        }
        out
    }

    fn get(&self, index: usize) -> bool {
        index < self.len
            && self
                .bytes
                .get(index / 8)
                .is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
    }
}

/// A big-endian bit string being read; every read is bounds-checked and names the field it
/// was for, so a truncated string says where it ended.
pub(crate) struct BitReader {
    bytes: Vec<u8>,
    len: usize,
    position: usize,
}

impl BitReader {
    /// Accepts the base64url alphabet and, because the GPP specification prints the
    /// classic table with '+' and '/', those two as well.
    pub(crate) fn from_base64(text: &str) -> Result<Self, DecodeError> {
        if text.is_empty() {
            return Err(DecodeError::EmptySegment);
        }
        let len = text.len().checked_mul(6).ok_or(DecodeError::TooManyIds)?;
        let mut bytes = vec![0u8; len.div_ceil(8)];
        for (index, character) in text.bytes().enumerate() {
            let sextet = match character {
                b'A'..=b'Z' => character - b'A',
                b'a'..=b'z' => character - b'a' + 26,
                b'0'..=b'9' => character - b'0' + 52,
                b'-' | b'+' => 62,
                b'_' | b'/' => 63,
                _ => return Err(DecodeError::InvalidCharacter { index }),
            };
            for offset in 0..6 {
                if sextet & (0x20 >> offset) != 0 {
                    let bit = index * 6 + offset;
                    bytes[bit / 8] |= 0x80 >> (bit % 8);
                }
            }
        }
        Ok(Self {
            bytes,
            len,
            position: 0,
        })
    }

    pub(crate) fn remaining(&self) -> usize {
        self.len - self.position
    }

    /// Fails unless `bits` more bits are there: the check to make before allocating or
    /// looping on a count read from the string.
    pub(crate) fn require(&self, bits: usize, field: &'static str) -> Result<(), DecodeError> {
        if self.remaining() < bits {
            Err(DecodeError::Truncated { field })
        } else {
            Ok(())
        }
    }

    pub(crate) fn bit(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        if self.position >= self.len {
            return Err(DecodeError::Truncated { field });
        }
        let set = self.bytes[self.position / 8] & (0x80 >> (self.position % 8)) != 0;
        self.position += 1;
        Ok(set)
    }

    pub(crate) fn int(&mut self, bits: u32, field: &'static str) -> Result<u64, DecodeError> {
        self.require(bits as usize, field)?;
        let mut value = 0u64;
        for _ in 0..bits {
            value = (value << 1) | u64::from(self.bit(field)?);
        }
        Ok(value)
    }

    /// Reads up to 32 Fibonacci digits plus the closing 1: enough for any section ID or
    /// offset (F(33) is over three million), and a bound on hostile input.
    pub(crate) fn fibonacci(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let (mut fib, mut next) = (1u64, 2u64);
        let mut value = 0u64;
        let mut previous = false;
        for _ in 0..=32 {
            let set = self.bit(field)?;
            if set && previous {
                return Ok(value);
            }
            if set {
                value += fib;
            }
            previous = set;
            let sum = fib + next;
            fib = next;
            next = sum;
        }
        Err(DecodeError::FibonacciTooLong)
    }
}

/// Counts vendor IDs as ranges are expanded, so a whole decode produces at most
/// [`crate::MAX_DECODED_IDS`] of them however the ranges repeat.
pub(crate) struct IdBudget(usize);

impl IdBudget {
    pub(crate) fn new() -> Self {
        Self(crate::MAX_DECODED_IDS)
    }

    pub(crate) fn spend(&mut self, ids: usize) -> Result<(), DecodeError> {
        self.0 = self.0.checked_sub(ids).ok_or(DecodeError::TooManyIds)?;
        Ok(())
    }
}

/// A set of 16-bit IDs as a bitmap: ranges go in a word at a time, and the sorted list
/// comes out without a sort.
pub(crate) struct IdBitmap {
    words: Vec<u64>,
}

impl IdBitmap {
    pub(crate) fn new() -> Self {
        Self { words: Vec::new() }
    }

    pub(crate) fn insert_range(&mut self, start: u16, end: u16) {
        let (start, end) = (usize::from(start), usize::from(end));
        if self.words.len() <= end / 64 {
            self.words.resize(end / 64 + 1, 0);
        }
        let mut id = start;
        while id <= end {
            let word = id / 64;
            let low = id % 64;
            let high = (end - word * 64).min(63);
            let width = high - low + 1;
            let mask = if width == 64 {
                u64::MAX
            } else {
                ((1u64 << width) - 1) << low
            };
            self.words[word] |= mask;
            id = word * 64 + 64;
        }
    }

    pub(crate) fn to_vec(&self) -> Vec<u16> {
        let count = self.words.iter().map(|w| w.count_ones() as usize).sum();
        let mut ids = Vec::with_capacity(count);
        for (index, &word) in self.words.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                let bit = rest.trailing_zeros() as usize;
                // Only IDs up to 65,535 are ever inserted.
                ids.push(u16::try_from(index * 64 + bit).unwrap_or(u16::MAX));
                rest &= rest - 1;
            }
        }
        ids
    }
}

/// Sorted, deduplicated copy of `ids`.
pub(crate) fn sorted_ids<T: Copy + Ord>(ids: &[T]) -> Vec<T> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// Maximal runs of consecutive IDs in a sorted, deduplicated list, as (first, last).
pub(crate) fn runs(sorted: &[u16]) -> Vec<(u16, u16)> {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &id in sorted {
        match runs.last_mut() {
            Some((_, last)) if u32::from(*last) + 1 == u32::from(id) => *last = id,
            _ => runs.push((id, id)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fibonacci_words_match_the_gpp_table() {
        let table = [
            (1, "11"),
            (2, "011"),
            (3, "0011"),
            (4, "1011"),
            (5, "00011"),
            (6, "10011"),
            (7, "01011"),
        ];
        for (value, word) in table {
            let mut writer = BitWriter::default();
            writer.fibonacci(value);
            let written: String = (0..writer.len())
                .map(|i| if writer.get(i) { '1' } else { '0' })
                .collect();
            assert_eq!(written, word, "{value}");
        }
        for value in 1..5000 {
            let mut writer = BitWriter::default();
            writer.fibonacci(value);
            let mut reader = BitReader::from_base64(&writer.to_base64url(6)).unwrap();
            assert_eq!(reader.fibonacci("test").unwrap(), value);
        }
    }

    #[test]
    fn bitmap_ranges_cross_words() {
        let mut bitmap = IdBitmap::new();
        bitmap.insert_range(60, 130);
        bitmap.insert_range(1, 1);
        bitmap.insert_range(65535, 65535);
        let ids = bitmap.to_vec();
        let mut expected = vec![1];
        expected.extend(60..=130);
        expected.push(65535);
        assert_eq!(ids, expected);
    }
}

//! The protocol modes and the domain separation tags they imply (RFC 9497 §3.1).
//!
//! The mode is a type parameter rather than a value: a blinded batch, a key and a proof only
//! make sense in one mode, and the type system then keeps an OPRF-mode response from being
//! finalized without the proof a VOPRF-mode client must check. The tags are `'static` byte
//! strings built at compile time, so the choice costs nothing at run time.

/// `contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier`, with the tag's prefix
/// in front, for this suite's identifier.
macro_rules! with_context {
    ($prefix:literal, $mode:literal) => {
        concat!($prefix, "OPRFV1-", $mode, "-ristretto255-SHA512").as_bytes()
    };
}

/// A mode of the protocol: [`Oprf`] (0x00) or [`Voprf`] (0x01). Sealed: the POPRF mode, with
/// its public input, is not implemented.
pub trait Mode: sealed::Sealed + 'static {
    /// `modeOPRF` = 0x00, `modeVOPRF` = 0x01.
    const ID: u8;
    /// The context string: `"OPRFV1-" || I2OSP(mode, 1) || "-ristretto255-SHA512"`.
    const CONTEXT: &'static [u8];
}

/// OPRF mode (0x00): the client learns the PRF output and cannot check which key made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oprf {}

/// VOPRF mode (0x01): the server proves, with one batch DLEQ proof per response, that it
/// evaluated under the key whose public half the client holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voprf {}

impl Mode for Oprf {
    const ID: u8 = 0x00;
    const CONTEXT: &'static [u8] = with_context!("", "\x00");
}

impl Mode for Voprf {
    const ID: u8 = 0x01;
    const CONTEXT: &'static [u8] = with_context!("", "\x01");
}

pub(crate) mod sealed {
    /// The domain separation tags of a mode: each is a fixed prefix and the context string.
    pub trait Sealed {
        const DST_HASH_TO_GROUP: &'static [u8];
        const DST_HASH_TO_SCALAR: &'static [u8];
        const DST_DERIVE_KEY_PAIR: &'static [u8];
        /// The seed's tag in ComputeComposites; VOPRF only.
        const SEED_DST: &'static [u8];
    }

    impl Sealed for super::Oprf {
        const DST_HASH_TO_GROUP: &'static [u8] = with_context!("HashToGroup-", "\x00");
        const DST_HASH_TO_SCALAR: &'static [u8] = with_context!("HashToScalar-", "\x00");
        const DST_DERIVE_KEY_PAIR: &'static [u8] = with_context!("DeriveKeyPair", "\x00");
        const SEED_DST: &'static [u8] = with_context!("Seed-", "\x00");
    }

    impl Sealed for super::Voprf {
        const DST_HASH_TO_GROUP: &'static [u8] = with_context!("HashToGroup-", "\x01");
        const DST_HASH_TO_SCALAR: &'static [u8] = with_context!("HashToScalar-", "\x01");
        const DST_DERIVE_KEY_PAIR: &'static [u8] = with_context!("DeriveKeyPair", "\x01");
        const SEED_DST: &'static [u8] = with_context!("Seed-", "\x01");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags_follow_the_context<M: Mode>(mode_byte: u8) {
        let context = [b"OPRFV1-", &[mode_byte][..], b"-ristretto255-SHA512"].concat();
        assert_eq!(M::CONTEXT, context);
        assert_eq!(M::ID, mode_byte);
        assert_eq!(M::DST_HASH_TO_GROUP, [b"HashToGroup-", M::CONTEXT].concat());
        assert_eq!(
            M::DST_HASH_TO_SCALAR,
            [b"HashToScalar-", M::CONTEXT].concat()
        );
        assert_eq!(
            M::DST_DERIVE_KEY_PAIR,
            [b"DeriveKeyPair", M::CONTEXT].concat()
        );
        assert_eq!(M::SEED_DST, [b"Seed-", M::CONTEXT].concat());
    }

    #[test]
    fn domain_separation_tags_follow_the_context_string() {
        tags_follow_the_context::<Oprf>(0x00);
        tags_follow_the_context::<Voprf>(0x01);
    }
}

//! How fieldless enums are written to the store. A leaf.

/// Gives a fieldless enum the stable text it is stored as: `as_str` and `from_str`, both
/// from one table, so a stored value cannot drift from the name it is read back by.
macro_rules! stored_as_text {
    ($enum:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $enum {
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $($enum::$variant => $text,)+
                }
            }

            pub(crate) fn from_str(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($enum::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use stored_as_text;

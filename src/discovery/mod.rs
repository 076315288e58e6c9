//! Private contact discovery: finding which of the user's contacts also use the app.
pub(crate) mod normalize;

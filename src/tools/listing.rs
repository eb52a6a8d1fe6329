//! What the two message listings (`get_messages`, `search_messages_globally`) share: their
//! bounds — how many messages, between which dates, how many extra pages to read — declared
//! once, with their checks.

use crate::telegram::messages::PAGE_MAX;

pub(crate) fn default_limit() -> i64 {
    50
}

pub(crate) fn default_batches() -> i64 {
    2
}

/// Declares a message listing's parameters: its own fields (each ending with a comma), then
/// the bounds every listing takes, written once here.
macro_rules! listing_params {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($own)*
            /// 1–100.
            #[serde(default = "crate::tools::listing::default_limit")]
            pub limit: i64,
            /// ISO 8601, UTC.
            #[serde(default)]
            pub min_date: Option<String>,
            /// ISO 8601, UTC.
            #[serde(default)]
            pub max_date: Option<String>,
            /// Extra pages to read when one comes back short (0–5).
            #[serde(default = "crate::tools::listing::default_batches")]
            pub auto_expand_batches: i64,
        }
    };
}
pub(crate) use listing_params;

/// `limit`, checked: 1 to [`PAGE_MAX`].
pub(crate) fn limit(limit: i64) -> Result<i32, String> {
    if !(1..=PAGE_MAX as i64).contains(&limit) {
        return Err(format!(
            "limit must be between 1 and {PAGE_MAX}, got {limit}"
        ));
    }
    Ok(limit as i32)
}

/// `auto_expand_batches`, checked: 0 to 5.
pub(crate) fn batches(batches: i64) -> Result<i32, String> {
    if !(0..=5).contains(&batches) {
        return Err("auto_expand_batches must be between 0 and 5".into());
    }
    Ok(batches as i32)
}

//! Date arguments: ISO 8601 dates (`2026-11-20`, the whole day in UTC) or date-times
//! (`2026-11-20T10:00:00Z`, with any offset; without one, UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Which end of a day a bare date stands for.
#[derive(Clone, Copy)]
pub enum Edge {
    Start,
    End,
}

/// Parses `value` (named `field` in errors) into Unix seconds.
pub fn parse(field: &str, value: &str, edge: Edge) -> Result<i64, String> {
    let v = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Ok(d.timestamp());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(v, format) {
            return Ok(d.and_utc().timestamp());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let time = match edge {
            Edge::Start => d.and_hms_opt(0, 0, 0),
            Edge::End => d.and_hms_opt(23, 59, 59),
        };
        return Ok(time.expect("valid time").and_utc().timestamp());
    }
    Err(format!(
        "{field} {value:?} is not an ISO 8601 date: use 2026-11-20 or 2026-11-20T10:00:00Z"
    ))
}

/// Parses an optional window and checks it is not inverted. Telegram dates are 32-bit.
pub fn window(min: Option<&str>, max: Option<&str>) -> Result<(Option<i64>, Option<i64>), String> {
    let min = min.map(|v| parse("min_date", v, Edge::Start)).transpose()?;
    let max = max.map(|v| parse("max_date", v, Edge::End)).transpose()?;
    for (name, value) in [("min_date", min), ("max_date", max)] {
        if value.is_some_and(|v| !(0..=i32::MAX as i64).contains(&v)) {
            return Err(format!(
                "{name} is outside the dates Telegram can hold (1970–2038)"
            ));
        }
    }
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err("min_date is after max_date".into());
    }
    Ok((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes() {
        assert_eq!(
            parse("d", "2026-11-20", Edge::Start).unwrap(),
            1_795_132_800
        );
        assert_eq!(
            parse("d", "2026-11-20", Edge::End).unwrap(),
            1_795_132_800 + 86_399
        );
        assert_eq!(
            parse("d", "2026-11-20T10:00:00Z", Edge::Start).unwrap(),
            1_795_132_800 + 36_000
        );
        assert_eq!(
            parse("d", "2026-11-20T12:00:00+02:00", Edge::Start).unwrap(),
            1_795_132_800 + 36_000
        );
        assert!(
            parse("min_date", "yesterday", Edge::Start)
                .unwrap_err()
                .contains("min_date")
        );
        assert!(window(Some("2026-11-21"), Some("2026-11-20")).is_err());
    }
}

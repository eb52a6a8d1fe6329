//! Answers that fit in a model's context: a list is cut at a whole item once its JSON would
//! pass the character budget, and the tool hands back a cursor that continues from the cut.

use serde::Serialize;

/// Keeps the longest prefix of `items` whose JSON fits in `budget` characters (always at
/// least one item, so progress is possible). Returns whether anything was cut.
pub fn fit<T: Serialize>(items: &mut Vec<T>, budget: usize) -> bool {
    let mut used = 2; // the brackets
    let mut keep = 0;
    for item in items.iter() {
        let size = serde_json::to_string(item)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        if keep > 0 && used + size > budget {
            break;
        }
        used += size;
        keep += 1;
    }
    let cut = keep < items.len();
    items.truncate(keep);
    cut
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuts_at_whole_items_and_keeps_one() {
        let mut items = vec!["a".repeat(10), "b".repeat(10), "c".repeat(10)];
        assert!(super::fit(&mut items, 30));
        assert_eq!(items.len(), 2);
        let mut big = vec!["x".repeat(100)];
        assert!(!super::fit(&mut big, 10));
        assert_eq!(big.len(), 1);
        let mut all = vec![1, 2, 3];
        assert!(!super::fit(&mut all, 100));
    }
}

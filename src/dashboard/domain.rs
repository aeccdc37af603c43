//! The dashboard's pure rules: what a tile holds, shares and medians, and
//! which figures are too small a group to show.

/// One tile: a headline, an optional chart with its table (the text
/// alternative), and a link to the page behind it.
pub struct Tile {
    /// Heading, also the chart's title (unique on the page).
    pub title: &'static str,
    /// The detail page; none on the operator's page, where practice pages
    /// are not theirs to open.
    pub href: Option<String>,
    pub link_text: &'static str,
    /// The figure that matters, in words.
    pub headline: String,
    /// Set when nothing is recorded to count from: says what is missing
    /// (never shown as 0).
    pub unknown: Option<String>,
    /// Something needs attention (shown with a red tag).
    pub attention: bool,
    pub chart: Option<String>,
    pub table: Option<Table>,
    /// Extra lines under the headline.
    pub notes: Vec<String>,
}

impl Tile {
    pub fn new(title: &'static str, href: &str, link_text: &'static str) -> Self {
        Tile {
            title,
            href: Some(href.to_string()),
            link_text,
            headline: String::new(),
            unknown: None,
            attention: false,
            chart: None,
            table: None,
            notes: Vec::new(),
        }
    }

    /// Marks the tile as not known yet, `missing` saying what to record.
    pub fn unknown(mut self, missing: impl Into<String>) -> Self {
        self.unknown = Some(missing.into());
        self.attention = false;
        self.chart = None;
        self.table = None;
        self
    }

    /// The chart's element id, as `culture::chart::bars` names it.
    pub fn anchor(&self) -> String {
        self.title
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    }
}

/// A small table: the same figures as the chart, in words.
pub struct Table {
    pub caption: String,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// `part` of `whole` as a whole percentage, or None when there is no whole.
pub fn percent(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

/// The middle value of `sorted` (already in order), or None if empty.
pub fn median(sorted: &[i64]) -> Option<i64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// A group's figure is shown only at or above the minimum group size, so no
/// one can be picked out of it.
pub fn big_enough(people: i64, min_group: i64) -> bool {
    people >= min_group
}

pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_round_and_say_nothing_without_a_whole() {
        assert_eq!(percent(19, 20), Some(95));
        assert_eq!(percent(2, 3), Some(67));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[1, 3, 100]), Some(3));
        assert_eq!(median(&[2, 4, 6, 100]), Some(5));
    }

    #[test]
    fn a_group_below_the_minimum_is_not_shown() {
        assert!(!big_enough(4, 5));
        assert!(big_enough(5, 5));
    }

    #[test]
    fn an_unknown_tile_drops_its_chart_and_attention() {
        let mut t = Tile::new("Drill outcomes", "/culture/drills", "Drills");
        t.attention = true;
        t.chart = Some("<svg></svg>".into());
        let t = t.unknown("No drills recorded yet");
        assert!(!t.attention && t.chart.is_none());
        assert_eq!(t.anchor(), "drilloutcomes");
    }
}

//! The rules of taking a module a page at a time: where the next step goes,
//! how much reading time a page turn adds for CPD, and how each module shows
//! on the person's list. No I/O.

use std::fmt;

/// Reading time is counted between page turns, but a gap longer than this
/// (the lesson left open over lunch) counts as this much.
pub const MAX_PAGE_SECONDS: i64 = 10 * 60;

/// Where a person is in a module's lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The furthest page read (0: started, none read yet).
    pub section: i64,
    pub last_seen: i64,
}

/// Seconds of reading a page turn adds: the time since the last step, up to
/// [`MAX_PAGE_SECONDS`]. "Start" (page 0) adds none.
pub fn reading_time(read: i64, saved: Progress, now: i64) -> i64 {
    if read == 0 {
        0
    } else {
        (now - saved.last_seen).clamp(0, MAX_PAGE_SECONDS)
    }
}

/// Where a step goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A page of the lesson, from 1.
    Page(i64),
    /// Every page read: the quiz.
    Quiz,
}

/// After reading page `read` (0: "start", which resumes after the furthest
/// page read before) of a lesson of `total` pages.
pub fn next_step(read: i64, saved: Option<Progress>, total: i64) -> Next {
    let next = if read == 0 {
        saved.map_or(1, |p| (p.section + 1).clamp(1, total))
    } else {
        read + 1
    };
    if next > total {
        Next::Quiz
    } else {
        Next::Page(next)
    }
}

/// How a module shows on the person's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleStatus {
    ToDo,
    Completed,
    Started,
    NotStarted,
}

impl ModuleStatus {
    /// Assigned and open comes first, then ever completed, then begun.
    pub fn of(open: bool, completed: bool, started: bool) -> Self {
        match (open, completed, started) {
            (true, ..) => Self::ToDo,
            (false, true, _) => Self::Completed,
            (false, false, true) => Self::Started,
            _ => Self::NotStarted,
        }
    }
}

impl fmt::Display for ModuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ToDo => "To do",
            Self::Completed => "Completed",
            Self::Started => "Started",
            Self::NotStarted => "Not started",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starting_resumes_after_the_furthest_page_and_the_last_page_leads_to_the_quiz() {
        let saved = |section| {
            Some(Progress {
                section,
                last_seen: 0,
            })
        };
        assert_eq!(next_step(0, None, 5), Next::Page(1));
        assert_eq!(next_step(0, saved(0), 5), Next::Page(1));
        assert_eq!(next_step(0, saved(3), 5), Next::Page(4));
        // Everything read: starting again shows the last page, not the quiz.
        assert_eq!(next_step(0, saved(5), 5), Next::Page(5));
        assert_eq!(next_step(2, saved(4), 5), Next::Page(3));
        assert_eq!(next_step(5, saved(4), 5), Next::Quiz);
    }

    #[test]
    fn reading_time_is_capped_and_starting_adds_none() {
        let saved = Progress {
            section: 1,
            last_seen: 1_000,
        };
        assert_eq!(reading_time(2, saved, 1_090), 90);
        assert_eq!(reading_time(2, saved, 1_000 + 3_600), MAX_PAGE_SECONDS);
        assert_eq!(reading_time(2, saved, 900), 0, "a clock that went back");
        assert_eq!(reading_time(0, saved, 1_090), 0);
    }

    #[test]
    fn an_open_assignment_shows_as_to_do_even_after_a_completion() {
        assert_eq!(ModuleStatus::of(true, true, true).to_string(), "To do");
        assert_eq!(
            ModuleStatus::of(false, true, false).to_string(),
            "Completed"
        );
        assert_eq!(ModuleStatus::of(false, false, true).to_string(), "Started");
        assert_eq!(
            ModuleStatus::of(false, false, false).to_string(),
            "Not started"
        );
    }
}

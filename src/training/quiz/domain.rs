//! A quiz attempt's rules: drawing questions, reading the answers sent,
//! scoring against the bank (never against what the form claims), passing,
//! and the time it adds for CPD. No I/O.

use std::collections::HashMap;

use rand::seq::SliceRandom;

use crate::training::content::{Module, Question};
use crate::web::FieldErrors;

/// Time on the quiz itself counts for CPD up to this much.
pub const MAX_QUIZ_SECONDS: i64 = 30 * 60;

/// A fresh draw of the module's questions, as stored with the attempt (`q1,q7,…`).
pub fn draw(m: &Module) -> String {
    let mut ids: Vec<&str> = m.quiz.questions.iter().map(|q| q.id.as_str()).collect();
    ids.shuffle(&mut rand::thread_rng());
    ids.truncate(m.quiz.draw);
    ids.join(",")
}

/// The attempt's questions from the bank, in the order drawn. A question
/// withdrawn from the bank since the attempt began is left out.
pub fn drawn<'m>(m: &'m Module, stored: &str) -> Vec<&'m Question> {
    stored
        .split(',')
        .filter_map(|q| m.quiz.question(q))
        .collect()
}

/// What was chosen for each question, in order, as stored (`2,0,1,…`).
pub fn store_answers(answers: &[usize]) -> String {
    answers
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Stored answers back, one per question (None where unreadable).
pub fn stored_answers(stored: &str) -> Vec<Option<usize>> {
    stored.split(',').map(|x| x.parse().ok()).collect()
}

/// What the person chose for each question, or what is wrong with it.
pub fn read_answers(
    questions: &[&Question],
    fields: &[(String, String)],
) -> (HashMap<String, usize>, FieldErrors) {
    let mut chosen = HashMap::new();
    let mut errors = FieldErrors::default();
    for (i, q) in questions.iter().enumerate() {
        let field = format!("q-{}", q.id);
        match fields.iter().find(|(k, _)| *k == field).map(|(_, v)| v.trim()) {
            None | Some("") => errors.add(&field, format!("Choose an answer for question {}", i + 1)),
            Some(v) => match v.parse::<usize>() {
                Ok(c) if c < q.choices.len() => {
                    chosen.insert(q.id.clone(), c);
                }
                _ => errors.add(&field, format!("The answer sent for question {} is not one of its choices: choose one of the answers shown", i + 1)),
            },
        }
    }
    (chosen, errors)
}

/// A scored attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The choice for each question, in order.
    pub answers: Vec<usize>,
    pub score: i64,
    pub total: i64,
    pub passed: bool,
}

/// Scores every question answered (`chosen` from [`read_answers`] with no
/// errors) against the bank. Passing needs `pass_mark` per cent, and at least
/// one question.
pub fn mark(questions: &[&Question], chosen: &HashMap<String, usize>, pass_mark: i64) -> Marked {
    let answers: Vec<usize> = questions.iter().map(|q| chosen[&q.id]).collect();
    let score = questions
        .iter()
        .zip(&answers)
        .filter(|(q, c)| q.answer == **c)
        .count() as i64;
    let total = questions.len() as i64;
    Marked {
        answers,
        score,
        total,
        passed: total > 0 && score * 100 >= pass_mark * total,
    }
}

/// The CPD time a pass records: the lesson's reading time plus the time on
/// the quiz, up to [`MAX_QUIZ_SECONDS`].
pub fn cpd_seconds(reading: i64, started_at: i64, now: i64) -> i64 {
    reading + (now - started_at).clamp(0, MAX_QUIZ_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, n: usize, answer: usize) -> Question {
        Question {
            id: id.into(),
            prompt: "?".into(),
            choices: (0..n).map(|i| format!("choice {i}")).collect(),
            answer,
            explanation: "because".into(),
        }
    }

    #[test]
    fn answers_out_of_range_missing_or_not_numbers_are_refused_per_question() {
        let (a, b, c) = (q("a", 3, 0), q("b", 4, 1), q("c", 3, 2));
        let qs = vec![&a, &b, &c];
        let fields = vec![
            ("q-a".to_string(), "2".to_string()),
            ("q-b".to_string(), "7".to_string()),
            ("q-zzz".to_string(), "1".to_string()),
            ("q-c".to_string(), "-1".to_string()),
        ];
        let (chosen, errors) = read_answers(&qs, &fields);
        assert_eq!(chosen.get("a"), Some(&2));
        assert!(errors.has("q-b") && errors.has("q-c"));
        assert!(!errors.has("q-a"));
        let (_, errors) = read_answers(&qs, &[]);
        assert_eq!(errors.all().len(), 3, "every unanswered question is named");
    }

    #[test]
    fn the_pass_mark_is_a_share_of_the_questions_and_answers_round_trip() {
        let qs: Vec<Question> = (0..5).map(|i| q(&format!("q{i}"), 3, 1)).collect();
        let refs: Vec<&Question> = qs.iter().collect();
        let chosen = |right: usize| -> HashMap<String, usize> {
            refs.iter()
                .enumerate()
                .map(|(i, q)| (q.id.clone(), if i < right { 1 } else { 0 }))
                .collect()
        };
        assert!(mark(&refs, &chosen(4), 80).passed);
        let three = mark(&refs, &chosen(3), 80);
        assert_eq!((three.score, three.total, three.passed), (3, 5, false));
        assert!(
            !mark(&[], &HashMap::new(), 80).passed,
            "no questions, no pass"
        );
        let stored = store_answers(&three.answers);
        assert_eq!(stored, "1,1,1,0,0");
        assert_eq!(
            stored_answers(&stored),
            vec![Some(1), Some(1), Some(1), Some(0), Some(0)]
        );
        assert_eq!(
            cpd_seconds(300, 1_000, 1_000 + 7_200),
            300 + MAX_QUIZ_SECONDS
        );
    }
}

//! The "done" confirmation after a change. The handler that made the change
//! redirects with a word (`Notice::redirect("/resilience/assets", "added")`
//! goes to `/resilience/assets?done=added`); the page it lands on takes a
//! [`Notice`] and turns the word into its own sentence, which the page frame
//! shows in the NHS.UK success banner at the top ("Added to the register.").
//! Only words the page knows say anything, so a link cannot put text of its
//! own on the page.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::Redirect;
use serde::Deserialize;

/// The `done` word in the address, if there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice(Option<String>);

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

impl Notice {
    /// A notice with this word, as the page would get it from `?done=word`.
    pub fn of(word: &str) -> Self {
        Self(Some(word.to_string()))
    }

    /// Goes to `to` (a path without a query) carrying `word`.
    pub fn redirect(to: &str, word: &str) -> Redirect {
        Redirect::to(&format!("{to}?done={word}"))
    }

    /// The word, or "" when the address has none.
    pub fn word(&self) -> &str {
        self.0.as_deref().unwrap_or("")
    }

    /// The page's sentence for the word, from its list of (word, sentence).
    pub fn say(&self, sentences: &[(&str, &str)]) -> Option<String> {
        sentences
            .iter()
            .find(|(word, _)| *word == self.word())
            .map(|(_, sentence)| sentence.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Notice {
    type Rejection = std::convert::Infallible;

    /// Never refuses: an address without a readable `done` has no notice.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            Query::<DoneQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|Query(q)| q.done)
                .filter(|w| !w.is_empty()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTENCES: &[(&str, &str)] = &[("added", "Added."), ("saved", "Changes saved.")];

    async fn from(uri: &str) -> Notice {
        let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
        Notice::from_request_parts(&mut parts, &()).await.unwrap()
    }

    #[tokio::test]
    async fn only_words_the_page_knows_say_anything() {
        assert_eq!(
            from("/x?show=all&done=saved").await.say(SENTENCES),
            Some("Changes saved.".into())
        );
        assert_eq!(from("/x?done=%3Cb%3Ehi").await.say(SENTENCES), None);
        assert_eq!(from("/x").await, Notice::default());
        assert_eq!(from("/x?done=").await.word(), "");
        assert_eq!(from("/x?done=imported-12").await.word(), "imported-12");
    }

    #[test]
    fn a_redirect_carries_the_word() {
        let r = axum::response::IntoResponse::into_response(Notice::redirect("/a/1", "added"));
        assert_eq!(r.headers()["location"], "/a/1?done=added");
    }
}

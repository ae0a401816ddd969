//! How an error is said, once. baocao's rule for error types: a variant names the step
//! that failed and keeps its cause as the source, never repeating the cause in its own
//! message; the printer here adds the causes. So a missing file is said once, not as
//! "x: No such file (os error 2): No such file (os error 2)". Errors of other crates
//! that do repeat their source (some of DataFusion's wrappers) are cleaned here too: a
//! cause already said by the line before it is left out.

use std::error::Error;
use std::fmt;

/// An error and its causes on one line, `step: cause: root`, each said once.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&lines(self.0).join(": "))
    }
}

/// An error and its causes, outermost first, each said once: a cause whose text the
/// line before already contains (a wrapper that repeats its source) is left out, and an
/// empty message (a transparent wrapper's) is skipped.
pub fn lines(err: &(dyn Error + 'static)) -> Vec<String> {
    let mut said: Vec<String> = Vec::new();
    let mut next: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(cause) = next {
        let text = cause.to_string();
        let text = text.trim();
        // A wrapper may repeat its cause under a label of its own ("SQL error:
        // ParserError(\"…\")" then "sql parser error: …"): the message after the label
        // counts as said too.
        let message = text.split_once(": ").map_or(text, |(_, rest)| rest);
        let repeated = text.is_empty()
            || said.last().is_some_and(|previous| {
                previous.contains(text) || (message.len() >= 12 && previous.contains(message))
            });
        if !repeated {
            said.push(text.to_string());
        }
        next = cause.source();
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Step(&'static str, Option<std::io::Error>);

    impl fmt::Display for Step {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Step {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_ref().map(|e| e as &(dyn Error + 'static))
        }
    }

    #[test]
    fn each_cause_is_said_once() {
        let missing = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let named = Step("reading data/units.csv", Some(missing()));
        assert_eq!(
            Chain(&named).to_string(),
            "reading data/units.csv: no such file"
        );
        // A wrapper that repeats its cause in its own message: the cause is not said again.
        let repeating = Step("reading data/units.csv: no such file", Some(missing()));
        assert_eq!(lines(&repeating), ["reading data/units.csv: no such file"]);
    }
}

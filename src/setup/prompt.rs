//! Asking the person at the keyboard: prompts go to stderr, answers come from stdin (a
//! terminal, or a pipe when scripted); passwords are read without echo from the terminal.

use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("no answer: standard input closed")]
    Closed,
    #[error("cannot read the answer: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Prompter {
    interactive: bool,
}

impl Prompter {
    pub fn new() -> Self {
        Self {
            interactive: std::io::stdin().is_terminal(),
        }
    }

    /// Whether a person can answer (stdin is a terminal).
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    pub fn say(&self, message: &str) {
        eprintln!("{message}");
    }

    /// Asks for one line of text.
    pub fn ask(&self, question: &str) -> Result<String, PromptError> {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            eprintln!();
            return Err(PromptError::Closed);
        }
        Ok(line.trim().to_string())
    }

    /// Asks for a secret: hidden input on a terminal, a plain line from a pipe.
    pub fn ask_secret(&self, question: &str) -> Result<String, PromptError> {
        if self.interactive {
            return Ok(rpassword::prompt_password(question)?);
        }
        self.ask(question)
    }

    /// Asks a yes/no question; anything but y/yes is no.
    pub fn confirm(&self, question: &str) -> Result<bool, PromptError> {
        let answer = self.ask(&format!("{question} [y/N] "))?;
        Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
    }
}

impl Default for Prompter {
    fn default() -> Self {
        Self::new()
    }
}

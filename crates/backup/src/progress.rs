//! Progress bars on a terminal, nothing when piped.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte counter shown as a progress bar when standard error is a terminal.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `label`, of `total` bytes when known; hidden unless `show`
    /// and standard error is a terminal.
    pub fn bytes(label: &str, total: Option<u64>, show: bool) -> Progress {
        if !show || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{msg:>10} {spinner} {bytes} {bytes_per_sec} {elapsed}")
                    .expect("a valid template"),
            ),
        };
        bar.set_message(label.to_string());
        Progress { bar }
    }

    /// A row counter for `label` (a spinner: the total is not known in
    /// advance); hidden unless standard error is a terminal.
    pub fn rows(label: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{msg:>10} {spinner} {human_pos} rows {per_sec} {elapsed}")
                .expect("a valid template"),
        );
        bar.set_message(label.to_string());
        Progress { bar }
    }

    /// A bar counting steps of `unit` (e.g. `checks`), whose total is set
    /// once known ([`Progress::set_total`]); hidden unless standard error
    /// is a terminal.
    pub fn steps(label: &str, unit: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template(&format!(
                "{{msg:>10}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{elapsed}}"
            ))
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        Progress { bar }
    }

    /// A bar that shows nothing.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// Counts `n` more bytes.
    pub fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets the total, once known.
    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// `reader`, counting the bytes read through it.
    pub fn reading<R: std::io::Read>(&self, reader: R) -> impl std::io::Read {
        self.bar.wrap_read(reader)
    }

    /// Names what is being counted now.
    pub fn set_message(&self, label: &str) {
        self.bar.set_message(label.to_string());
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

//! The output machinery of kubectl describe: a `PrefixWriter` (two spaces per nesting level, terminal escapes
//! neutralised) feeding a port of Go's `text/tabwriter` as `tabbedString` configures it (minwidth 0, tabwidth 8,
//! padding 2, pad ' ', no flags).

/// Indentation levels as kubectl names them (`LEVEL_0`..`LEVEL_4`); each level is two spaces.
pub const L0: usize = 0;
pub const L1: usize = 1;
pub const L2: usize = 2;
pub const L3: usize = 3;

/// Collects describe text; `finish` lays it out. Text between explicit flushes is aligned independently,
/// because kubectl flushes its tabwriter before the events table.
#[derive(Default)]
pub struct Writer {
    done: String,
    pending: String,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `text` after `level` indentation (kubectl's `Write(level, format, ...)`).
    pub fn w(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.pending.push_str("  ");
        }
        escape_into(&mut self.pending, text);
    }

    /// kubectl's `WriteLine(a...)`: the text plus a newline, no indentation.
    pub fn line(&mut self, text: &str) {
        escape_into(&mut self.pending, text);
        self.pending.push('\n');
    }

    /// Lays out what was written so far; later text does not align with it.
    pub fn flush(&mut self) {
        let text = std::mem::take(&mut self.pending);
        self.done.push_str(&tabwrite(&text));
    }

    /// What was written, tabs left as they are (a PrefixWriter over a plain buffer, as `rollout history`
    /// uses it).
    pub fn raw(self) -> String {
        self.done + &self.pending
    }

    /// The finished description.
    pub fn finish(mut self) -> String {
        self.flush();
        self.done
    }
}

/// cli-runtime's `WriteEscaped`: escape characters and carriage returns could rewrite the user's terminal.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\x1b' => out.push_str("^["),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
}

/// Go's tabwriter over a complete text, as describe's `tabbedString` configures it.
fn tabwrite(text: &str) -> String {
    crate::print::tabwriter::DESCRIBE.write(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_align_independently() {
        let mut w = Writer::new();
        w.w(L0, "Name:\tx\n");
        w.w(L0, "Namespace:\tdefault\n");
        w.w(L0, "Limits:\n");
        w.w(L1, "cpu:\t1\n");
        assert_eq!(
            w.finish(),
            "Name:       x\nNamespace:  default\nLimits:\n  cpu:  1\n"
        );
    }
}

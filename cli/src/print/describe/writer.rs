//! The output machinery of kubectl describe: a `PrefixWriter` (two spaces per nesting level, terminal escapes
//! neutralised) feeding a port of Go's `text/tabwriter` as `tabbedString` configures it (minwidth 0, tabwidth 8,
//! padding 2, pad ' ', no flags).

/// Indentation levels as kubectl names them (`LEVEL_0`..`LEVEL_4`); each level is two spaces.
pub const L0: usize = 0;
pub const L1: usize = 1;
pub const L2: usize = 2;
pub const L3: usize = 3;

const PADDING: usize = 2;

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

/// One cell: its text and whether a tab terminated it (only tab-terminated cells take part in alignment).
struct Cell {
    text: String,
    width: usize,
}

/// Go's tabwriter over a complete text: cells are tab-terminated; a column block is a run of consecutive lines
/// that all have a tab-terminated cell in that column, padded to the block's widest cell plus 2.
fn tabwrite(text: &str) -> String {
    let mut lines: Vec<Vec<Cell>> = Vec::new();
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return String::new();
    }
    for raw in body.split('\n') {
        let cells = raw
            .split('\t')
            .map(|t| Cell {
                text: t.to_string(),
                width: t.chars().count(),
            })
            .collect();
        lines.push(cells);
    }
    let mut out = String::new();
    let mut widths = Vec::new();
    format(&mut out, &lines, &mut widths, 0, lines.len());
    if !ends_with_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

/// The recursive column-block formatter of Go's tabwriter (`Writer.format`).
fn format(
    out: &mut String,
    lines: &[Vec<Cell>],
    widths: &mut Vec<usize>,
    mut line0: usize,
    line1: usize,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(out, lines, widths, line0, this);
        line0 = this;
        let mut width = 0;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].width + PADDING);
            this += 1;
        }
        widths.push(width);
        format(out, lines, widths, line0, this);
        widths.pop();
        line0 = this;
    }
    write_lines(out, lines, widths, line0, line1);
}

fn write_lines(
    out: &mut String,
    lines: &[Vec<Cell>],
    widths: &[usize],
    line0: usize,
    line1: usize,
) {
    for line in &lines[line0..line1] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(&cell.text);
            if j + 1 < line.len() {
                if let Some(w) = widths.get(j) {
                    for _ in cell.width..*w {
                        out.push(' ');
                    }
                }
            }
        }
        out.push('\n');
    }
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

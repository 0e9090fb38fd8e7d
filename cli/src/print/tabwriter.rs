//! A port of Go's `text/tabwriter` as kubectl configures it: cells end at tabs (or vertical tabs); a column
//! block, a run of consecutive lines that all have a cell in that column, is as wide as its widest cell plus the
//! padding, and at least the minimum width; the last cell of a line is never padded. Widths count characters
//! (runes), as Go does. A form feed flushes, starting new column blocks.

/// How the writer is configured.
#[derive(Debug, Clone, Copy)]
pub struct TabWriter {
    /// A column is never narrower than this, padding included.
    pub min_width: usize,
    pub padding: usize,
    /// cli-runtime's RememberWidths flag: after a flush, a column never shrinks.
    pub remember: bool,
}

/// kubectl's tables (`printers.GetNewTabWriter`: minwidth 6, padding 3, RememberWidths).
pub const TABLES: TabWriter = TabWriter {
    min_width: 6,
    padding: 3,
    remember: true,
};
/// kubectl describe's `tabbedString` (minwidth 0, padding 2).
pub const DESCRIBE: TabWriter = TabWriter {
    min_width: 0,
    padding: 2,
    remember: false,
};

struct Cell {
    text: String,
    width: usize,
}

/// One writer kept across several flushes, so that remembered widths carry over (kubectl's `get -w`).
pub struct Session {
    config: TabWriter,
    remembered: Vec<usize>,
}

impl Session {
    /// Formats and flushes `text`; with `remember`, columns stay at least as wide as in earlier flushes.
    pub fn write(&mut self, text: &str) -> String {
        self.config.write_with(text, &mut self.remembered)
    }
}

impl TabWriter {
    /// Formats `text` as Go's tabwriter would when it is written and then flushed.
    pub fn write(&self, text: &str) -> String {
        self.write_with(text, &mut Vec::new())
    }

    /// A writer whose remembered widths last across writes.
    pub fn session(self) -> Session {
        Session {
            config: self,
            remembered: Vec::new(),
        }
    }

    fn write_with(&self, text: &str, remembered: &mut Vec<usize>) -> String {
        let mut out = String::new();
        let mut lines: Vec<Vec<Cell>> = vec![Vec::new()];
        let mut cur = String::new();
        let end_cell = |lines: &mut Vec<Vec<Cell>>, cur: &mut String| {
            let width = cur.chars().count();
            if let Some(line) = lines.last_mut() {
                line.push(Cell {
                    text: std::mem::take(cur),
                    width,
                });
            }
        };
        for c in text.chars() {
            match c {
                '\t' | '\u{0B}' => end_cell(&mut lines, &mut cur),
                '\n' | '\u{0C}' => {
                    end_cell(&mut lines, &mut cur);
                    lines.push(Vec::new());
                    if c == '\u{0C}' {
                        self.flush(&mut out, &mut lines, remembered);
                    }
                }
                _ => cur.push(c),
            }
        }
        // Flushing terminates a non-empty unterminated tail as the last line's final cell.
        if !cur.is_empty() {
            end_cell(&mut lines, &mut cur);
        }
        self.flush(&mut out, &mut lines, remembered);
        out
    }

    fn flush(&self, out: &mut String, lines: &mut Vec<Vec<Cell>>, remembered: &mut Vec<usize>) {
        let mut widths = Vec::new();
        self.format(out, lines, &mut widths, remembered, 0, lines.len());
        lines.clear();
        lines.push(Vec::new());
    }

    /// tabwriter's `format`: finds the column blocks of the current column and sizes the columns to their right recursively.
    fn format(
        &self,
        out: &mut String,
        lines: &[Vec<Cell>],
        widths: &mut Vec<usize>,
        remembered: &mut Vec<usize>,
        line0: usize,
        line1: usize,
    ) {
        let column = widths.len();
        let mut line0 = line0;
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            write_lines(out, lines, widths, line0, this);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(lines[this][column].width + self.padding);
                this += 1;
            }
            if self.remember {
                match remembered.get_mut(column) {
                    Some(r) => {
                        width = width.max(*r);
                        *r = width;
                    }
                    None => remembered.push(width),
                }
            }
            widths.push(width);
            self.format(out, lines, widths, remembered, line0, this);
            widths.pop();
            line0 = this;
        }
        write_lines(out, lines, widths, line0, line1);
    }
}

fn write_lines(
    out: &mut String,
    lines: &[Vec<Cell>],
    widths: &[usize],
    line0: usize,
    line1: usize,
) {
    for (i, line) in lines.iter().enumerate().take(line1).skip(line0) {
        for (j, c) in line.iter().enumerate() {
            out.push_str(&c.text);
            // Only tab-terminated cells are padded: the last cell of a line has no width here.
            if j + 1 < line.len() {
                if let Some(&w) = widths.get(j) {
                    out.extend(std::iter::repeat_n(' ', w.saturating_sub(c.width)));
                }
            }
        }
        // The final line holds only the unterminated tail, so it gets no newline.
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_describe_layouts() {
        assert_eq!(
            TABLES.write("NAME\tDATA\nweb-content\t1\n"),
            "NAME          DATA\nweb-content   1\n"
        );
        assert_eq!(TABLES.write("a\tb\n"), "a     b\n");
        assert_eq!(TABLES.write("verbs\t\n"), "verbs   \n");
        assert_eq!(
            DESCRIBE.write("Name:\tx\nNamespace:\tdefault\n"),
            "Name:       x\nNamespace:  default\n"
        );
        assert_eq!(DESCRIBE.write("no tabs"), "no tabs");
        // Across flushes of one session a column keeps its width, as kubectl's watch output does.
        let mut s = TABLES.session();
        assert_eq!(
            s.write("NAME\tREADY\nweb127\t0/1\n"),
            "NAME     READY\nweb127   0/1\n"
        );
        assert_eq!(s.write("web\t0/4\n"), "web      0/4\n");
    }
}
